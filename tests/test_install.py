"""The course works when installed from its wheel, as on Colab or a student's machine, not only from a clone.

One wheel is built and installed into a fresh virtual environment (``--system-site-packages``, so TensorFlow
and the other dependencies are not downloaded again; the course itself comes from the wheel: no PYTHONPATH, no
editable install, started from a temporary folder). Then the ``course`` command runs there as a user would.
About a minute: the wheel build and the two notebooks (00 and 02, fast parameters) take most of it.
"""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ("00", "02")  # one without TensorFlow, one with it; both quick in fast mode

pytestmark = pytest.mark.install


def _run(command, cwd, env, timeout=900):
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _package_files(root):
    """Files that must travel in the wheel, relative to site-packages: modules, quiz banks, notebooks."""
    package = root / "course_utils"
    files = {p.relative_to(root).as_posix() for pattern in ("**/*.py", "quizzes/*.yaml") for p in package.glob(pattern)
             if "__pycache__" not in p.parts}
    files |= {f"course_utils/notebooks/{p.name}" for p in (root / "notebooks").glob("[0-9]*.ipynb")}
    return files


def _snapshot(folder):
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(venv python, environment, working folder, wheel)``: the course installed from a freshly built wheel."""
    base = tmp_path_factory.mktemp("install")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(COURSE_WORK_DIR=str(base / "work"), COURSE_PROGRESS_FILE=str(base / "work" / "progress.json"),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    source = base / "source"  # a clean copy: nothing stale from build/ or *.egg-info, nothing written to the repo
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__", ".venv",
                                                                 ".ipynb_checkpoints", ".hypothesis"))
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)], base, env)
    (wheel,) = dist.glob("cnn_course-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], base, env)
    python = venv / "bin" / "python"
    # --no-index: every dependency must already be there (system site-packages); nothing is downloaded.
    _run([python, "-m", "pip", "install", "-q", "--no-index", str(wheel)], base, env)
    work = base / "student"
    work.mkdir()
    return python, env, work, wheel


def _site_package(python, env, cwd):
    code = "import course_utils, json; print(json.dumps(course_utils.__file__))"
    return Path(json.loads(_run([python, "-c", code], cwd, env).stdout)).parent


def test_wheel_holds_every_module_quiz_bank_and_notebook(installed):
    *_, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    missing = _package_files(ROOT) - names
    assert not missing, f"missing from the wheel: {sorted(missing)} (list new subpackages in pyproject.toml)"


def test_course_is_imported_from_the_wheel_not_from_the_clone(installed):
    python, env, work, _ = installed
    package = _site_package(python, env, work)
    assert Path(python).parent.parent in package.parents, package
    assert ROOT not in package.parents
    assert (package / "notebooks" / "00_start_here.ipynb").is_file()


def test_course_run_release_and_progress_work_from_the_wheel(installed):
    python, env, work, _ = installed
    course = Path(python).parent / "course"
    package = _site_package(python, env, work)
    before = _snapshot(package)

    ran = _run([course, "run", "--fast", *NOTEBOOKS], work, env)
    assert f"All {len(NOTEBOOKS)} notebooks ran successfully" in ran.stdout, ran.stdout
    out = work / "build" / "run"  # the default output folder is under the current folder
    summary = json.loads((out / "summary.json").read_text())
    assert [r["status"] for r in summary["results"]] == ["ok"] * len(NOTEBOOKS)
    assert sorted(p.name[:2] for p in out.glob("*.ipynb")) == sorted(NOTEBOOKS)

    released = _run([course, "release", "release"], work, env)
    assert "Answer key" in released.stdout
    assert (work / "release" / "notebooks" / "03_mnist_cnn.ipynb").is_file()
    assert (work / "release" / "answer_key.md").is_file()

    progress = _run([course, "progress"], work, env)  # the progress file the two notebooks wrote
    assert "00_start_here" in progress.stdout

    assert _snapshot(package) == before, "course wrote into its installed package"
    assert not (package.parent / "build").exists(), "course wrote into site-packages"


def test_notebook_kernels_use_the_installed_course(installed):
    """``course run --notebooks DIR``: the kernel runs in the venv and imports the course from the wheel."""
    import nbformat

    python, env, work, _ = installed
    venv = Path(python).parent.parent
    probe = work / "probe"
    probe.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell("FAST = course_utils.fast_mode()")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("import sys\nfrom pathlib import Path\n\nimport course_utils"), parameters,
        nbformat.v4.new_code_cell(
            f"venv = Path({str(venv)!r}).resolve()\n"
            "course_utils.record_metric('kernel_in_venv', float(Path(sys.prefix).resolve() == venv))\n"
            "course_utils.record_metric('course_from_wheel', float(venv in Path(course_utils.__file__).resolve().parents))"
        ),
    ]
    nbformat.write(nb, probe / "01_probe.ipynb")
    _run([Path(python).parent / "course", "run", "--notebooks", str(probe), "--out", "probe-out"], work, env)
    summary = json.loads((work / "probe-out" / "summary.json").read_text())
    assert summary["results"][0]["metrics"] == {"kernel_in_venv": 1.0, "course_from_wheel": 1.0}


def test_course_run_names_the_installed_notebooks(installed):
    python, env, work, _ = installed
    result = subprocess.run([Path(python).parent / "course", "run", "99"], cwd=work, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "No notebook called '99'" in result.stderr and "03_mnist_cnn" in result.stderr
    links = subprocess.run([Path(python).parent / "course", "links"], cwd=work, env=env, capture_output=True,
                           text=True, timeout=120)
    assert links.returncode == 2 and "clone" in links.stderr  # nothing to rewrite inside site-packages


def test_course_site_builds_from_the_wheel(installed):
    """``course site`` renders with the static files shipped in the wheel (the released 07, no execution)."""
    pytest.importorskip("myst_nb", reason="the site extra is not installed (pip install 'cnn-course[site]')")
    python, env, work, wheel = installed
    with zipfile.ZipFile(wheel) as archive:
        assert "course_utils/instructor/site/static/course-quiz.js" in archive.namelist()
    course = Path(python).parent / "course"
    _run([course, "release", "site-release"], work, env)
    result = subprocess.run([course, "site", "site", "07", "--executed", "site-release/notebooks"], cwd=work,
                            env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0 and "npm" in result.stderr:
        pytest.skip(f"npm or its registry is unavailable: {result.stderr[-300:]}")
    assert result.returncode == 0, result.stderr[-3000:]
    site = work / "site"
    for name in ("index.html", "07_final_quiz.html", "_static/course-quiz.js", "_static/vendor/mathjax/tex-chtml.js",
                 "downloads/07_final_quiz.ipynb"):
        assert (site / name).is_file(), name
    assert "course-site-quiz-data" in (site / "07_final_quiz.html").read_text(encoding="utf-8")
