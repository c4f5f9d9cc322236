"""The code and the notebooks pass ruff (the same check as the pre-commit hook)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_finds_no_problems():
    out = subprocess.run(["ruff", "check", "--no-cache", "course_utils", "tests", "notebooks", "benchmarks",
                          "conftest.py"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
