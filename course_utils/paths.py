"""Where the course reads data and writes its own files, and whether it runs in fast mode.

Settings (environment variables), all optional:

- ``COURSE_DATA_DIR``: a folder of offline data (``mnist.npz``, IDX ``.gz`` files, ``weights/``).
- ``COURSE_WORK_DIR``: where notebooks save models and the progress file (default ``~/.cnn_course``).
- ``COURSE_PROGRESS_FILE``: the progress file itself (default ``<work dir>/progress.json``).
- ``COURSE_FAST=1``: notebooks use their fast parameter values (tests, ``course run --fast``).
- ``COURSE_HEADLESS=1``: no widgets or live progress bars (set by ``course run`` and the tests).
- ``COURSE_GRADED=1``: graded work under nbgrader, ``solution()`` closed (set by ``checking.grading.start()``).
"""

import os
from pathlib import Path

GRADED_ENV = "COURSE_GRADED"


def fast_mode():
    """True when ``COURSE_FAST`` asks for the notebooks' fast parameter values."""
    return os.environ.get("COURSE_FAST", "").strip().lower() in {"1", "true", "yes", "on"}


def graded():
    """True in a graded assignment (after ``checking.grading.start()``, or with ``COURSE_GRADED=1``)."""
    return os.environ.get(GRADED_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def headless():
    """True when nobody is watching: under ``course run``, the tests, or outside a Jupyter kernel."""
    if os.environ.get("COURSE_HEADLESS", "").strip().lower() in {"1", "true", "yes", "on"}:
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    return shell is None or type(shell).__name__ != "ZMQInteractiveShell" and "google.colab" not in str(
        type(shell)
    )


def data_dir():
    """The folder named by ``COURSE_DATA_DIR`` (a ``Path``), or ``None`` when it is not set."""
    value = os.environ.get("COURSE_DATA_DIR", "").strip()
    return Path(value).expanduser() if value else None


def notebooks_dir():
    """The course's own notebooks: ``notebooks/`` of the clone this package runs from, else the copy installed
    with the package (``course_utils/notebooks``, package data of the wheel)."""
    package = Path(__file__).resolve().parent
    clone = package.parent / "notebooks"
    if (package.parent / "pyproject.toml").is_file() and clone.is_dir():
        return clone
    return package / "notebooks"


def work_dir():
    """The course's own writable folder (created on demand)."""
    path = Path(os.environ.get("COURSE_WORK_DIR", "") or Path.home() / ".cnn_course").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir():
    """Where notebooks save trained models for later notebooks (``<work dir>/models``)."""
    path = work_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def progress_file():
    """The file where exercise checks and quiz answers are recorded (JSON lines, see ``progress``)."""
    value = os.environ.get("COURSE_PROGRESS_FILE", "").strip()
    return Path(value).expanduser() if value else work_dir() / "progress.json"
