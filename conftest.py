"""Settings for every test run, unit tests and notebooks alike (the nbval kernels inherit this environment).

Notebooks run with their fast parameter values, headless (no widgets, one line per epoch), and write into
``build/test-work`` instead of the student's own ``~/.cnn_course``.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BUILD = ROOT / "build"

os.environ["COURSE_FAST"] = "1"
os.environ["COURSE_HEADLESS"] = "1"
os.environ.setdefault("COURSE_WORK_DIR", str(BUILD / "test-work"))
os.environ["COURSE_PROGRESS_FILE"] = str(BUILD / "test-work" / "progress.json")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("COURSE_OFFLINE", "1")  # tests never try a download
