"""``course site OUTDIR``: release the student notebooks, execute them, render the website with Sphinx.

Steps (each timed, in ``WORK/site-report.json``): ``course release`` into ``WORK/release`` (no solution
leaves it); executing those notebooks into ``WORK/run`` with the figure describer loaded (skipped with
``executed=``: a folder of ``course run`` copies of released notebooks); pages (``pages.PageMaker``) into
``WORK/source``; ``sphinx-build`` (myst-nb, sphinx-book-theme) into ``OUTDIR``.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from course_utils.instructor.site import assets

TITLE = "Convolutional Neural Networks, hands-on"
DEFAULT_WORK = Path("build") / "site-work"


class SiteError(RuntimeError):
    """The site cannot be built; the message says why and what to do."""


def _static_source():
    return resources.files("course_utils.instructor.site").joinpath("static")


def _select(names, release_result):
    from course_utils import catalog

    released = {nb.name: nb for nb in release_result.notebooks}
    ready = [nb.id for nb in catalog.NOTEBOOKS if nb.ready and nb.id in released]
    if not names:
        return [released[name] for name in ready]
    chosen = []
    for name in names:
        entry = catalog.find(name)
        if entry is None or entry.id not in released:
            raise SiteError(f"No notebook called {name!r}. Known: {', '.join(ready)}.")
        chosen.append(released[entry.id])
    return chosen


def execute(notebooks, run_dir, fast, timeout=1800):
    """Run the released notebooks (paths) into ``run_dir``, figures described; returns the figure log path."""
    from course_utils.instructor import runner

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ipython_dir = Path(tempfile.mkdtemp(prefix="course-site-ipython-"))
    startup = ipython_dir / "profile_default" / "startup"
    startup.mkdir(parents=True)
    from course_utils.instructor.site import figures

    (startup / "00-course-site-figures.py").write_text(figures.STARTUP, encoding="utf-8")
    failed = []
    for path in notebooks:
        log = run_dir / f"{Path(path).stem}.figures.jsonl"
        log.unlink(missing_ok=True)
        print(f"running {Path(path).name} ({'fast' if fast else 'default'} parameters) ...", flush=True)
        result = runner.execute_notebook(path, run_dir, fast=fast, timeout=timeout,
                                         extra_env={"IPYTHONDIR": str(ipython_dir),
                                                    "COURSE_SITE_FIGURE_LOG": str(log)})
        print(f"  {result.status} in {result.seconds:.1f} s" + (f": {result.error}" if result.error else ""),
              flush=True)
        if result.status != "ok":
            failed.append(f"{result.notebook}: {result.error}")
    shutil.rmtree(ipython_dir, ignore_errors=True)
    if failed:
        raise SiteError("Some notebooks failed, so their pages would show errors:\n  " + "\n  ".join(failed))


def _conf(paths, widgets):
    from course_utils.instructor import links

    settings = {
        "project": TITLE,
        "html_title": TITLE,
        "extensions": ["myst_nb"],
        "html_theme": "sphinx_book_theme",
        "nb_execution_mode": "off",
        "nb_merge_streams": True,
        "myst_enable_extensions": ["dollarmath", "amsmath"],
        "mathjax_path": paths["mathjax"],
        "nb_ipywidgets_js": ({paths["require"]: {}, paths["widgets"]: {"data-jupyter-widgets-cdn-only": "false"}}
                             if widgets else {}),
        "html_static_path": ["_static"],
        "html_css_files": ["course-site.css"],
        "html_js_files": ["course-quiz.js"],
        "html_extra_path": ["extra"],
        "html_copy_source": False,
        "html_show_sourcelink": False,
        "html_theme_options": {
            "repository_url": links.github_url(), "use_repository_button": True, "use_download_button": False,
            "use_fullscreen_button": False, "home_page_in_toc": True, "show_toc_level": 2,
        },
        "exclude_patterns": ["extra", "**.ipynb_checkpoints"],
        "suppress_warnings": ["mystnb.unknown_mime_type", "myst.header"],
    }
    return "".join(f"{key} = {value!r}\n" for key, value in settings.items())


def _has_widgets(nb):
    return bool(nb.get("metadata", {}).get("widgets"))


def _check_no_solutions(page, source_path, regions, name):
    import nbformat

    from course_utils.instructor import release

    leaked = release.solution_leaks(nbformat.read(source_path, as_version=4), nbformat.from_dict(page), regions)
    if leaked:
        raise SiteError(f"{name}: the executed notebook contains solution lines ({leaked[:2]}...). Build the "
                        f"site from `course release` notebooks (course site does this unless --executed).")


def build(out_dir, executed=None, fast=False, names=None, work=None, cache=None, notebooks_dir=None,
          timeout=1800):
    """Build the site into ``out_dir``; returns the report (timings in seconds, size in MB, figures...)."""

    from course_utils.instructor import release, runner
    from course_utils.instructor.site import home, pages

    start = time.perf_counter()
    timings = {}
    out_dir, work = Path(out_dir).resolve(), Path(work or DEFAULT_WORK).resolve()
    notebooks_dir = Path(notebooks_dir or runner.DEFAULT_NOTEBOOK_DIR)
    try:
        released = release.release(work / "release", notebooks_dir)
    except release.ReleaseError as err:
        raise SiteError(str(err)) from None
    chosen = _select(names, released)
    timings["release"] = round(time.perf_counter() - start, 1)

    run_dir = Path(executed).resolve() if executed else work / "run"
    if not executed:
        mark = time.perf_counter()
        execute([nb.path for nb in chosen], run_dir, fast, timeout)
        timings["execute"] = round(time.perf_counter() - mark, 1)
    mark = time.perf_counter()

    source = work / "source"
    shutil.rmtree(source, ignore_errors=True)
    static = source / "_static"
    shutil.copytree(_static_source(), static)
    downloads = source / "extra" / "downloads"
    downloads.mkdir(parents=True)
    figures, colour_problems, made = {}, {}, []
    widgets = False
    for nb in chosen:
        path = run_dir / nb.path.name
        if not path.is_file():
            raise SiteError(f"No executed copy of {nb.path.name} in {run_dir}. Run `course run --notebooks "
                            f"{work / 'release' / 'notebooks'} --out {run_dir}` or leave out --executed.")
        page = json.loads(path.read_text(encoding="utf-8"))
        _check_no_solutions(page, notebooks_dir / nb.path.name, nb.regions, nb.name)
        widgets = widgets or _has_widgets(page)
        maker = pages.PageMaker(nb.path.name, static / "figures")
        page = maker.page(page)
        (source / nb.path.name).write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
        shutil.copyfile(nb.path, downloads / nb.path.name)
        figures[nb.name] = maker.figures
        log = run_dir / f"{nb.name}.figures.jsonl"
        if log.is_file():
            problems = [p for line in log.read_text(encoding="utf-8").splitlines() if line.strip()
                        for p in json.loads(line)["colour_problems"]]
            colour_problems[nb.name] = problems
        made.append(nb.name)
    try:
        paths = assets.install(static, cache=cache, widgets=widgets)
    except assets.AssetError as err:
        raise SiteError(str(err)) from None
    (source / "index.md").write_text(home.home_markdown(TITLE, made), encoding="utf-8")
    (source / "conf.py").write_text(_conf(paths, widgets), encoding="utf-8")
    timings["pages"] = round(time.perf_counter() - mark, 1)

    mark = time.perf_counter()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(work / "doctrees"), "-E",
               str(source), str(out_dir)]
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise SiteError(f"sphinx-build failed:\n{result.stderr.strip()[-3000:]}")
    timings["sphinx"] = round(time.perf_counter() - mark, 1)
    timings["total"] = round(time.perf_counter() - start, 1)
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    report = {"pages": made, "fast": fast, "executed": str(run_dir), "seconds": timings,
              "size_mb": round(size / 1e6, 1), "figures": figures, "colour_problems": colour_problems,
              "sphinx_warnings": [line for line in result.stderr.splitlines() if "WARNING" in line]}
    (work / "site-report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return report
