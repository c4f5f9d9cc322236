"""The quiz widgets work with ipywidgets 7.7.1, the version Colab ships, as well as with the installed 8.x.

The widget tests (test_quiz_widgets.py) run again in a virtual environment that sees this Python's packages
but has ipywidgets 7.7.1 installed on top. The environment is kept in build/ipywidgets-7.7.1, so later runs
take seconds; the test is skipped, saying why, where the package registry cannot be reached.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "build" / "ipywidgets-7.7.1"
VERSION = "7.7.1"


def _python_with_ipywidgets_7():
    python = VENV / "bin" / "python"
    ready = VENV / ".installed"
    if ready.exists() and python.exists():
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(VENV)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"could not create a virtual environment: {made.stderr.strip()[-300:]}")
    try:
        installed = subprocess.run([str(python), "-m", "pip", "install", "-q", f"ipywidgets=={VERSION}"],
                                   capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip(f"installing ipywidgets {VERSION} took over 10 minutes (is the package registry reachable?)")
    if installed.returncode != 0:
        pytest.skip(f"could not install ipywidgets {VERSION} (is the package registry reachable?): "
                    f"{installed.stderr.strip()[-300:]}")
    ready.write_text(VERSION)
    return python


def test_quiz_widget_tests_pass_with_ipywidgets_7_7():
    python = _python_with_ipywidgets_7()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    version = subprocess.run([str(python), "-c", "import ipywidgets; print(ipywidgets.__version__)"],
                             capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert version == VERSION
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider", "-W", "ignore",
         "tests/test_quiz_widgets.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
