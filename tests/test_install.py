"""The course installed as the README says, in an isolated environment, works as a user would use it.

One wheel is built from a clean copy of this checkout. A fresh virtual environment is made WITHOUT system site
packages, so nothing of the environment running the tests leaks into it (a venv, a conda env or the machine's
Python alike). The README's install line runs there, with the git URL replaced by the wheel's file URL
(``python -m pip install "cnn-course[lab] @ file:///.../cnn_course-....whl"``): the wheel with its declared
dependencies, downloaded from the package registry (pip's cache makes it quick after ``pip install -r
requirements.txt``) and pinned by a constraints file to the versions installed in the running environment. Where the
registry cannot be reached, the tests are skipped, saying so. Then the ``course`` command runs there, from a temporary
folder, as a student or instructor would: ``course doctor``, ``course run --fast`` on every notebook, release,
progress. About 5 minutes: the install (1-2 minutes from pip's cache) and the eight notebooks take most of it.
"""

import importlib.metadata as metadata
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALL_NOTEBOOKS = sorted(p.name[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

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


def readme_install_requirement():
    """The requirement of the README's install line (``cnn-course[lab] @ git+https://...@vX.Y.Z``)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- install -->", 1)[1].split("<!-- /install -->", 1)[0]
    (line,) = [line for line in block.splitlines() if line.startswith("python -m pip install ")]
    (requirement,) = shlex.split(line)[4:]
    return requirement


def running_environment_pins():
    """``name==version`` of every distribution installed in the Python running the tests (the course aside)."""
    pins = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and re.sub(r"[-_.]+", "-", name).lower() != "cnn-course":
            pins[re.sub(r"[-_.]+", "-", name).lower()] = f"{name}=={dist.version}"
    return sorted(pins.values())


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """``(venv python, environment, working folder, wheel)``: the course installed by the README's line."""
    base = tmp_path_factory.mktemp("install")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(COURSE_WORK_DIR=str(base / "work"), COURSE_PROGRESS_FILE=str(base / "work" / "progress.json"),
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    source = base / "source"  # a clean copy: nothing stale from build/ or *.egg-info, nothing written to the repo
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__", ".venv",
                                                                 ".ipynb_checkpoints", ".hypothesis", "node_modules"))
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)], base, env)
    (wheel,) = dist.glob("cnn_course-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], base, env)  # no --system-site-packages: isolated
    python = venv / "bin" / "python"
    name, _, _ = readme_install_requirement().partition(" @ ")
    constraints = base / "constraints.txt"
    constraints.write_text("\n".join(running_environment_pins()) + "\n")
    done = subprocess.run([python, "-m", "pip", "install", "-q", "-c", str(constraints),
                           f"{name} @ {wheel.resolve().as_uri()}"],
                          cwd=base, env=env, capture_output=True, text=True, timeout=1500, stdin=subprocess.DEVNULL)
    if done.returncode != 0 and re.search(r"No matching distribution|Could not find a version|connection|resolve",
                                          done.stderr, re.I):
        pytest.skip(f"the README's install line could not reach the package registry: {done.stderr.strip()[-400:]}")
    assert done.returncode == 0, f"the README's install line failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
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


def test_the_environment_is_isolated_from_the_one_running_the_tests(installed):
    python, env, work, _ = installed
    config = (Path(python).parent.parent / "pyvenv.cfg").read_text()
    assert re.search(r"include-system-site-packages\s*=\s*false", config), config
    probe = "import importlib.util as u; print(u.find_spec('pytest') is None, u.find_spec('nbval') is None)"
    assert _run([python, "-c", probe], work, env).stdout.split() == ["True", "True"]  # test tools stay outside


def test_the_readme_install_brings_a_kernel_and_jupyterlab(installed):
    """The README's line is all a student needs: the kernel that runs notebooks, and JupyterLab to open them."""
    python, env, work, _ = installed
    bin_dir = Path(python).parent
    lab = _run([bin_dir / "jupyter", "lab", "--version"], work, env)
    assert re.match(r"\d+\.\d+", lab.stdout.strip()), lab.stdout
    kernels = json.loads(_run([bin_dir / "jupyter", "kernelspec", "list", "--json"], work, env).stdout)
    assert "python3" in kernels["kernelspecs"]


def test_course_doctor_starts_a_kernel_and_finds_no_blocking_problem(installed):
    python, env, work, _ = installed
    doctor = _run([Path(python).parent / "course", "doctor", "--no-gpu-check"], work, env)
    assert re.search(r"Jupyter kernel\s+starts", doctor.stdout), doctor.stdout
    assert "Notebooks cannot run" not in doctor.stdout


def test_course_run_release_and_progress_work_from_the_wheel(installed):
    """``course run --fast`` runs every notebook with the README's install (issue 17's newcomer path)."""
    python, env, work, _ = installed
    course = Path(python).parent / "course"
    package = _site_package(python, env, work)
    before = _snapshot(package)

    ran = _run([course, "run", "--fast"], work, env, timeout=2400)
    assert f"All {len(ALL_NOTEBOOKS)} notebooks ran successfully" in ran.stdout, ran.stdout
    out = work / "build" / "run"  # the default output folder is under the current folder
    summary = json.loads((out / "summary.json").read_text())
    assert [r["status"] for r in summary["results"]] == ["ok"] * len(ALL_NOTEBOOKS)
    assert sorted(p.name[:2] for p in out.glob("*.ipynb")) == ALL_NOTEBOOKS
    print(ran.stdout[-3000:])  # the table (seconds, peak memory) for the log

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
    constraints = Path(wheel).parent.parent / "constraints.txt"  # the running environment's versions
    extra = subprocess.run([python, "-m", "pip", "install", "-q", "-c", str(constraints),
                            f"cnn-course[site] @ {Path(wheel).resolve().as_uri()}"], cwd=work, env=env,
                           capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    if extra.returncode != 0 and re.search(r"No matching distribution|Could not find a version|connection",
                                           extra.stderr, re.I):
        pytest.skip(f"the site extra could not be installed from the registry: {extra.stderr.strip()[-300:]}")
    assert extra.returncode == 0, extra.stderr[-3000:]
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
