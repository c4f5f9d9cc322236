"""A student's progress: every exercise check and quiz answer, appended as one line to a JSON Lines file.

File layout (``paths.progress_file()``, by default ``~/.cnn_course/progress.json``): a header line, then one
line per record, oldest first::

    {"format": "cnn-course-progress", "version": 2, "student": "alice", "created": "2026-11-23T10:00:00.000+00:00"}
    {"id": "5c0f...", "kind": "exercise", "notebook": "01_convolution_by_hand", "item": "conv_loop",
     "correct": true, "status": "correct", "detail": "...", "time": "2026-11-23T10:00:00.123+00:00",
     "student": "alice"}

``kind`` is ``"exercise"`` or ``"quiz"``; ``status`` a short word (``correct``, ``wrong``, ``not_attempted``,
``error``, ``timeout`` ...; a quiz try also ``partial``, ``revealed`` (the answer was shown) or ``practice`` (an
answer after the question was settled), and its ``correct`` says whether the question counts as right so far: right
within its tries, see ``quiz.tries``); ``id`` a random uuid4, so that merged copies of a file never count a record twice
(``merge``); ``student`` who made the record (``COURSE_STUDENT``, else ``JUPYTERHUB_USER``, else the OS
login; nbgrader's autograde sets the submission's student id, see ``grading.start``). Records are only appended,
so a class summary sees attempts as well as the final state. The file
keeps the ``.json`` name of the previous version, so instructions, settings and collected folders stay valid.

Why this design (several kernels of one student write at once; JupyterHub homes are often on NFS):

- One record is one ``os.write`` of one line on an ``O_APPEND`` descriptor, made while holding an exclusive
  ``fcntl.lockf`` lock. On a local disk the append alone cannot interleave with another. On NFS ``O_APPEND``
  is not atomic (each client computes the end of the file itself), but ``lockf`` locks are NFS locks (NLM,
  NFSv4) and taking one makes the client revalidate the file, so a locked append lands at the true end.
  (``flock`` is only emulated on NFS, and on some systems not at all.) Where locks are unsupported (Windows, an NFS mount without a
  lock service) the append goes ahead unlocked; a lock held longer than ``LOCK_TIMEOUT`` (a stale NFS lock)
  is not waited for forever. Readers take no lock.
- Nothing is rewritten, so a writer killed mid-record leaves at most one cut-off last line: readers skip it
  with a note, and the next writer starts a new line, so the damage never spreads to later records.
- A file of the previous version (one JSON document ``{"student", "version": 1, "records": [...]}``) is read
  as it is and converted once, atomically, on its first new record. A file that is neither is moved aside
  (``*.damaged.json``, never overwriting an earlier one) with a note, and a fresh file is started.
- Where the file cannot be written (read-only or full disk, no home folder) ``record`` prints one note per
  session and returns False: the check's feedback is shown as usual, and nothing raises into the notebook.
"""

import getpass
import json
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from course_utils import paths

try:
    import fcntl
except ImportError:  # Windows: appends are unlocked
    fcntl = None

FORMAT = "cnn-course-progress"
VERSION = 2
KINDS = ("exercise", "quiz")
LOCK_TIMEOUT = 10.0  # seconds a writer waits for the lock before appending without it
_THREADS = threading.RLock()  # lockf locks belong to the process: the threads of one kernel take turns here
_NOTED = set()


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _default_student():
    """``COURSE_STUDENT``, else the JupyterHub user this server belongs to, else the OS login."""
    for variable in ("COURSE_STUDENT", "JUPYTERHUB_USER"):  # on a hub, many students may share one OS user
        name = os.environ.get(variable, "").strip()
        if name:
            return name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some hosted kernels
        return "student"


def _note_once(key, message):
    """Print ``message`` the first time ``key`` comes up in this session (a note per problem, not per record)."""
    if key not in _NOTED:
        _NOTED.add(key)
        print(message)


# --- reading -------------------------------------------------------------------------------------------------
def _is_header(item):
    return isinstance(item, dict) and item.get("format") == FORMAT


def _is_record(item):
    return (type(item) is dict and item.get("kind") in KINDS
            and type(item.get("notebook")) is str and type(item.get("item")) is str)


def _parse_lines(body):
    """``(items, skipped)`` from the lines after the header: one JSON parse for them all, line by line if that fails.

    A last line without its newline was cut off by a crash (or is being written right now): it is skipped.
    """
    complete, _, tail = body.rpartition("\n")
    lines = complete.count("\n") + 1 if complete.strip() else 0
    items, skipped = None, []
    try:
        items = json.loads("[" + complete.replace("\n", ",") + "]") if lines else []
        if len(items) != lines or not all(type(item) is dict for item in items):
            items = None  # a garbled line that happens to be valid JSON: look line by line
    except ValueError:  # a damaged or blank line
        pass
    if items is None:
        items = []
        for number, line in enumerate(complete.split("\n"), start=2):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except ValueError:
                    skipped.append(f"line {number}: not valid JSON")
    if tail.strip():
        try:
            items.append(json.loads(tail))
        except ValueError:
            skipped.append(f"line {body.count(chr(10)) + 2}: cut off (a writer stopped mid-record)")
    return items, skipped


def _old_document(text):
    """The previous version's file: one JSON document ``{"student", "version": 1, "records": [...]}``."""
    try:
        data = json.loads(text)
    except ValueError as err:
        where = f"line {err.lineno}: {err.msg}" if isinstance(err, json.JSONDecodeError) else str(err)
        raise ValueError(f"not valid JSON ({where})") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list):
        raise ValueError("not a course progress file (no 'records' list)")
    return data


def parse(text):
    """``{"student", "version", "records", "skipped"}`` from a progress file's text, either version.

    ``skipped`` lists the lines (or old-format records) that were left out and why; ``student`` is ``None`` when
    the file names nobody. Raises ``ValueError`` with a short reason when the text is no progress file at all.
    """
    first, _, body = text.partition("\n")
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if _is_header(header):
        items, skipped = _parse_lines(body)
        version = header.get("version")
    else:
        header = _old_document(text)
        items, skipped, version = header["records"], [], header.get("version", 1)
    records = [item for item in items if _is_record(item)]
    if len(records) < len(items):
        skipped += [f"record {index + 1}: not an exercise or quiz record" for index, item in enumerate(items)
                    if not _is_record(item) and not _is_header(item)]  # a repeated header (files joined) is fine
    student = header.get("student")
    student = student.strip() if isinstance(student, str) and student.strip() else None
    return {"student": student, "version": version, "records": records, "skipped": skipped}


def read(path):
    """``parse`` of the file at ``path``; ``ValueError`` with a short reason when it cannot be read or parsed."""
    path = Path(path)
    if not path.is_file():
        raise ValueError("not found" if not path.exists() else "not a regular file")
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")  # a garbled line must not sink the file
    except OSError as err:
        raise ValueError(f"cannot be read ({type(err).__name__})") from None
    return parse(text)


def load(path=None):
    """The progress file as ``{"student", "version", "records", "skipped"}``.

    A missing file gives no records; skipped lines (a record cut off by a crash) are named in a note, once;
    a file that is no progress file at all raises a ``ValueError`` that says what to do.
    """
    path = Path(path) if path else paths.progress_file()
    if not path.exists():
        return {"student": _default_student(), "version": VERSION, "records": [], "skipped": []}
    try:
        with _THREADS:
            data = read(path)
    except ValueError as err:
        raise ValueError(f"The progress file {path} is damaged ({err}). Rename or delete it to start a fresh "
                         f"one; your notebooks are not affected.") from None
    if data["skipped"]:
        _note_once(("skipped", str(path), tuple(data["skipped"])),
                   f"Note: {len(data['skipped'])} damaged line(s) of the progress file {path} were skipped "
                   f"({'; '.join(data['skipped'][:3])}); the other {len(data['records'])} records are fine.")
    data["student"] = data["student"] or _default_student()
    return data


def record_key(entry):
    """What identifies a record across copies of a file: its id, or (older records) its whole content."""
    return entry.get("id") or json.dumps(entry, sort_keys=True)


def merge(record_lists):
    """``(records, duplicates)``: the records of several files of one student, each counted once.

    A record is kept as often as it occurs in the file that holds it most often, so two copies of a file (or
    an old download and the file that went on from it) add nothing, while repeated old records without ids
    inside one file all stay.
    """
    merged, kept, duplicates = [], Counter(), 0
    for records in record_lists:
        here = Counter()
        for entry in records:
            key = record_key(entry)
            here[key] += 1
            if here[key] > kept[key]:
                merged.append(entry)
            else:
                duplicates += 1
        for key, count in here.items():
            kept[key] = max(kept[key], count)
    return merged, duplicates


def latest(records):
    """The last record per (kind, notebook, item): the student's current state for each item."""
    state = {}
    for entry in records:
        state[(entry["kind"], entry["notebook"], entry["item"])] = entry
    return state


# --- writing -------------------------------------------------------------------------------------------------
def _lock(fd):
    """Take the exclusive lock of the open file ``fd``; False where locks are unsupported or stay taken."""
    if fcntl is None:
        return False
    deadline, delay = time.monotonic() + LOCK_TIMEOUT, 0.0002
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except (BlockingIOError, PermissionError):  # another writer holds it
            if time.monotonic() > deadline:
                return False
            time.sleep(delay)
            delay = min(2 * delay, 0.005)
        except OSError:  # ENOLCK, EOPNOTSUPP ...: no locks on this file system
            return False


def _still_named(fd, path):
    """True when ``path`` still names the open file ``fd`` (another writer may have converted or moved it)."""
    mine = os.fstat(fd)
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return False
    return mine.st_nlink > 0 and (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)


def _read_at(fd, offset, size):
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # O_APPEND writes still go to the end
    return os.read(fd, size)


def _read_all(fd, size):
    chunks, offset = [], 0
    while offset < size:
        chunk = _read_at(fd, offset, min(size - offset, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def _header(student=None):
    header = {"format": FORMAT, "version": VERSION, "student": student or _default_student(), "created": _now()}
    return json.dumps(header) + "\n"


def _first_line_is_header(fd):
    line = _read_at(fd, 0, 1 << 16).split(b"\n", 1)[0]
    try:
        return _is_header(json.loads(line))
    except ValueError:
        return False


def _convert(path, old):
    """Rewrite a file of the previous version as JSON lines (same records, atomically: a crash changes nothing)."""
    student = old.get("student")
    text = _header(student if isinstance(student, str) and student.strip() else None)
    text += "".join(json.dumps(entry) + "\n" for entry in old["records"])
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _set_aside(path, reason):
    """Move a damaged file to a free ``*.damaged.json`` name (never over an earlier one), with a note."""
    stem = path.name[: -len(path.suffix)] if path.suffix else path.name
    number = 1
    while True:
        aside = path.with_name(f"{stem}.damaged{'' if number == 1 else f'-{number}'}.json")
        if not aside.exists():
            break
        number += 1
    path.replace(aside)
    print(f"Note: the progress file {path} is damaged ({reason}); it was moved to {aside} and a new one was "
          f"started. Send both files to your instructor if you hand in your progress.")


def _open_locked(path):
    """A locked ``O_APPEND`` descriptor of the file ``path`` names (created if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
    for _ in range(20):
        fd = os.open(path, flags, 0o600)
        try:
            _lock(fd)
            if _still_named(fd, path):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    raise OSError(f"{path} keeps being replaced by another program")


def _append(path, line):
    for _ in range(20):
        fd = _open_locked(path)
        try:
            size = os.fstat(fd).st_size
            if size and not _first_line_is_header(fd):  # the previous version's format, or damaged
                text = _read_all(fd, size).decode("utf-8-sig", errors="replace")
                if fcntl is None:  # Windows renames no open file (and there is no lock to keep)
                    os.close(fd)
                    fd = None
                try:
                    old = _old_document(text)
                except ValueError as err:
                    _set_aside(path, err)
                    continue
                _convert(path, old)
                continue
            if size == 0:
                line = _header() + line
            elif _read_at(fd, size - 1, 1) != b"\n":  # a cut-off last line stays alone on its line
                line = "\n" + line
            _write_all(fd, line.encode("utf-8"))
            return
        finally:
            if fd is not None:
                os.close(fd)  # also releases the lock
    raise OSError(f"{path} keeps being replaced by another program")


def new_record(kind, notebook, item, correct, status=None, detail=""):
    """One record (a dict, as written to the file), with a fresh id, the current time and who made it."""
    return {"id": uuid.uuid4().hex, "kind": kind, "notebook": notebook, "item": item, "correct": bool(correct),
            "status": status or ("correct" if correct else "wrong"), "detail": str(detail)[:500], "time": _now(),
            "student": _default_student()}


def record(kind, notebook, item, correct, status=None, detail="", path=None):
    """Append one result to the progress file. Never raises into a notebook: returns False (one note) on failure."""
    target = path
    try:
        line = json.dumps(new_record(kind, notebook, item, correct, status, detail)) + "\n"
        target = Path(path) if path else paths.progress_file()
        with _THREADS:
            _append(target, line)
        return True
    except Exception as err:  # noqa: BLE001 - read-only or full disk, no home folder ...: the check goes on
        where = f" to {target}" if target else ""
        _note_once(("unsaved", str(target)),
                   f"Note: could not save your progress{where} ({type(err).__name__}: {err}). Your answers are "
                   f"still checked. To keep a record, set COURSE_PROGRESS_FILE to a file in a writable folder. "
                   f"(This note is shown once.)")
        return False
