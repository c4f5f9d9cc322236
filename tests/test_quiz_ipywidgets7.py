"""The quiz widgets work with ipywidgets 7.7.1, the version Colab ships, as well as with the installed 8.x.

The widget tests (test_quiz_widgets.py) run again in a virtual environment that sees this Python's packages
but has ipywidgets 7.7.1 installed on top (tests/side_venv.py): made once, so later runs take seconds; the test
is skipped, saying why, where the package registry cannot be reached.
"""

import os
import subprocess
from pathlib import Path

from side_venv import IPYWIDGETS_COLAB, python_with

ROOT = Path(__file__).resolve().parent.parent
VERSION = IPYWIDGETS_COLAB.split("==")[1]


def test_quiz_widget_tests_pass_with_ipywidgets_7_7():
    python = python_with(IPYWIDGETS_COLAB)
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
