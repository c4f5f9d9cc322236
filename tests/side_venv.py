"""Side environments for tests that need a package the course itself must not install for students.

``python_with("ipywidgets==7.7.1")`` returns a Python in ``build/side-venvs/<name>``: a virtual environment that
sees this Python's packages (TensorFlow, the course) with the requirement installed on top. It is made once and
reused; a test that needs it is skipped, saying why, where the package registry cannot be reached.

The side environment is a plain venv whose ``.pth`` file adds the *running* environment's site directories
(``site.addsitedir``, so their own ``.pth`` files, e.g. the course's editable install, work too). This holds
wherever the tests run: the machine's Python, a venv (the README's way) or a conda env. ``--system-site-packages``
would not: made from inside a venv, it sees the base Python's packages, not the venv's.
"""

import re
import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NBGRADER = "nbgrader==0.9.6"  # the nbgrader version the course is tested with (tests/test_nbgrader.py)
NBGRADER_SCRIPTS = ("alembic",)  # commands nbgrader runs by name
IPYWIDGETS_COLAB = "ipywidgets==7.7.1"  # the version Colab ships (tests/test_quiz_ipywidgets7.py)
# The class on JupyterHub (tests/test_hub.py, `course hub`): the hub, its authenticator and nbgrader together.
HUB = ("jupyterhub==6.1.1", "jupyterhub-nativeauthenticator==1.3.0", NBGRADER)
HUB_SCRIPTS = ("alembic", "jupyterhub")  # commands the hub and nbgrader run by name


def python_with(requirement, scripts=()):
    """The path of a Python that has ``requirement`` installed (skips the calling test if it cannot be made).

    ``requirement``: one requirement string, or several (a tuple) installed together in one environment.

    ``scripts``: packages whose commands the requirement runs by name (nbgrader runs ``alembic``); they are
    installed into the environment itself, so that its ``bin`` folder has the commands even when this Python
    already has the package.
    """
    requirements = [requirement] if isinstance(requirement, str) else list(requirement)
    requirement = " ".join(requirements)
    folder = ROOT / "build" / "side-venvs" / re.sub(r"[^A-Za-z0-9.]+", "-", requirement)
    python = folder / "bin" / "python"
    ready = folder / ".installed"
    if ready.exists() and python.exists():
        return python
    shutil.rmtree(folder, ignore_errors=True)
    folder.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([sys.executable, "-m", "venv", str(folder)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"could not create a virtual environment: {made.stderr.strip()[-300:]}")
    see_running_environment(python)
    commands = [requirements] + ([["--no-deps", "--ignore-installed", *scripts]] if scripts else [])
    for arguments in commands:
        try:
            installed = subprocess.run([str(python), "-m", "pip", "install", "-q", *arguments],
                                       capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            pytest.skip(f"installing {requirement} took over 15 minutes (is the package registry reachable?)")
        if installed.returncode != 0:
            pytest.skip(f"could not install {requirement} (is the package registry reachable?): "
                        f"{installed.stderr.strip()[-300:]}")
    ready.write_text(requirement)
    return python


def running_site_dirs():
    """The site directories of the Python running the tests (venv, conda env or the machine's own)."""
    dirs = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return list(dict.fromkeys(d for d in dirs if Path(d).is_dir()))


def see_running_environment(python):
    """Make the venv of ``python`` see the running environment's packages, after its own (a ``.pth`` file)."""
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in running_site_dirs())
    (Path(purelib) / "_running_environment.pth").write_text(lines)
