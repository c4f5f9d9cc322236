"""A student's progress: every exercise check and quiz answer, in one JSON file written atomically.

File layout (``paths.progress_file()``)::

    {"student": "alice", "version": 1,
     "records": [{"kind": "exercise", "notebook": "01_convolution_by_hand", "item": "conv_loop",
                  "correct": true, "status": "correct", "detail": "...", "time": "2026-11-23T10:00:00+00:00"}]}

``kind`` is ``"exercise"`` or ``"quiz"``. ``status`` is a short word (``correct``, ``wrong``,
``not_attempted``, ``error``, ``timeout`` ...). Records are appended, never rewritten, so a class
summary can see attempts as well as the final state.
"""

import getpass
import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from course_utils import paths

VERSION = 1


def _empty(student=None):
    return {"student": student or _default_student(), "version": VERSION, "records": []}


def _default_student():
    name = os.environ.get("COURSE_STUDENT", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some hosted kernels
        return "student"


def load(path=None):
    """Read a progress file; a missing file gives an empty record, a damaged one a clear error."""
    path = Path(path) if path else paths.progress_file()
    if not path.exists():
        return _empty()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(
            f"The progress file {path} is damaged ({err.__class__.__name__}: {err}). "
            f"Rename or delete it to start a fresh one; your notebooks are not affected."
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise ValueError(f"The progress file {path} is not a course progress file. Rename or delete it.")
    return data


def _write_atomically(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record(kind, notebook, item, correct, status=None, detail="", path=None):
    """Append one result to the progress file. Never raises into a notebook: returns False on failure."""
    path = Path(path) if path else paths.progress_file()
    entry = {
        "kind": kind,
        "notebook": notebook,
        "item": item,
        "correct": bool(correct),
        "status": status or ("correct" if correct else "wrong"),
        "detail": str(detail)[:500],
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    try:
        try:
            data = load(path)
        except ValueError:
            data = _empty()  # a damaged file is replaced rather than blocking the student's work
            damaged = path.with_suffix(".damaged.json")
            path.replace(damaged)
            print(f"Note: the damaged progress file was moved to {damaged}; a new one was started.")
        data["records"].append(entry)
        _write_atomically(path, data)
        return True
    except OSError as err:
        print(f"Note: could not save your progress to {path} ({err}). Your answer was still checked.")
        return False


def latest(records):
    """The last record per (kind, notebook, item): the student's current state for each item."""
    state = {}
    for entry in records:
        state[(entry["kind"], entry["notebook"], entry["item"])] = entry
    return state
