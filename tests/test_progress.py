"""The progress file keeps every record: concurrent writers, crashes, unwritable places, files of the old version."""

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from course_utils.checking import progress
from course_utils.checking.exercises import Value

OLD_FILE = Path(__file__).parent / "data" / "progress_v1.json"  # written by the previous version (one JSON document)
ROOT = Path(__file__).resolve().parent.parent


def run_python(code, *args, wait=True):
    """Run ``code`` in a fresh Python process that imports this checkout's ``course_utils``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", textwrap.dedent(code), *map(str, args)]
    if wait:
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(autouse=True)
def new_session(monkeypatch):
    """Each test starts like a fresh kernel: no note shown yet."""
    monkeypatch.setattr(progress, "_NOTED", set(), raising=False)


def test_records_are_appended_to_the_progress_file(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    monkeypatch.setenv("COURSE_STUDENT", "ada")
    assert progress.record("exercise", "01_convolution_by_hand", "conv_loop", False, path=path)
    assert progress.record("exercise", "01_convolution_by_hand", "conv_loop", True, path=path)
    data = progress.load(path)
    assert data["student"] == "ada"
    assert [r["status"] for r in data["records"]] == ["wrong", "correct"]
    latest = progress.latest(data["records"])
    assert latest[("exercise", "01_convolution_by_hand", "conv_loop")]["correct"] is True


def test_the_file_is_a_header_and_one_json_line_per_record_with_a_unique_id(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    monkeypatch.setenv("COURSE_STUDENT", "ada")
    for i in range(3):
        progress.record("quiz", "02_pooling", f"q{i}", True, path=path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["format"] == "cnn-course-progress" and lines[0]["student"] == "ada" and lines[0]["version"] == 2
    assert [line["item"] for line in lines[1:]] == ["q0", "q1", "q2"]
    assert len({line["id"] for line in lines[1:]}) == 3


def test_a_damaged_progress_file_is_set_aside_not_fatal(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text("{not json")
    assert progress.record("quiz", "02_pooling", "q1", True, path=path)
    assert [r["item"] for r in progress.load(path)["records"]] == ["q1"]
    assert (tmp_path / "p.damaged.json").read_text() == "{not json"
    assert "damaged" in capsys.readouterr().out


def test_a_second_damaged_file_never_overwrites_the_first(tmp_path):
    path = tmp_path / "p.json"
    for content in ("first damaged", "second damaged"):
        path.write_text(content)
        assert progress.record("quiz", "02_pooling", "q1", True, path=path)
    assert (tmp_path / "p.damaged.json").read_text() == "first damaged"
    assert (tmp_path / "p.damaged-2.json").read_text() == "second damaged"


def test_loading_a_damaged_file_says_what_to_do(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a course progress file"):
        progress.load(path)


def test_no_temporary_files_are_left_behind(tmp_path):
    path = tmp_path / "p.json"
    for i in range(5):
        progress.record("quiz", "02_pooling", f"q{i}", True, path=path)
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]


# --- concurrency ---------------------------------------------------------------------------------------------
WRITER = """
    import sys, time
    from pathlib import Path
    from course_utils.checking import progress
    path, writer, count, gate = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    while not gate.exists():  # all writers start together
        time.sleep(0.005)
    for i in range(count):
        assert progress.record("exercise", "01_conv", "conv_loop", i % 3 == 0, detail=f"{writer}:{i}", path=path)
"""


def test_concurrent_processes_keep_every_record_in_order(tmp_path):
    path, gate, writers, count = tmp_path / "progress.json", tmp_path / "go", 4, 300
    procs = [run_python(WRITER, path, f"w{k}", count, gate, wait=False) for k in range(writers)]
    time.sleep(0.5)
    gate.touch()
    for proc in procs:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    records = progress.load(path)["records"]
    assert len(records) == writers * count
    for k in range(writers):
        mine = [int(r["detail"].split(":")[1]) for r in records if r["detail"].startswith(f"w{k}:")]
        assert mine == list(range(count))
    assert len({r["id"] for r in records}) == writers * count


def test_concurrent_threads_keep_every_record(tmp_path):
    path = tmp_path / "progress.json"

    def write(k):
        for i in range(50):
            progress.record("quiz", "02_pool", "q1", True, detail=f"t{k}:{i}", path=path)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    details = [r["detail"] for r in progress.load(path)["records"]]
    assert sorted(details) == sorted(f"t{k}:{i}" for k in range(6) for i in range(50))


HOLDER = """
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_APPEND)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    print("locked", flush=True)
    os.write(fd, b'{"id": "held", "kind": "quiz", ')  # a writer that needs two writes for its record
    time.sleep(float(sys.argv[2]))
    os.write(fd, b'"notebook": "02_pool", "item": "held", "correct": true, "status": "correct"}\\n')
"""


@pytest.mark.skipif(importlib.util.find_spec("fcntl") is None, reason="no fcntl locks on this platform")
def test_a_writer_waits_for_the_lock_instead_of_writing_into_anothers_record(tmp_path):
    path = tmp_path / "progress.json"
    progress.record("quiz", "02_pool", "first", True, path=path)
    holder = run_python(HOLDER, path, 1.0, wait=False)
    assert holder.stdout.readline().strip() == "locked"
    assert progress.record("quiz", "02_pool", "mine", True, path=path)
    assert holder.wait(timeout=60) == 0
    data = progress.load(path)
    assert [r["item"] for r in data["records"]] == ["first", "held", "mine"] and data["skipped"] == []


@pytest.mark.skipif(importlib.util.find_spec("fcntl") is None, reason="no fcntl locks on this platform")
def test_a_lock_that_is_never_released_does_not_hang_the_notebook(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    progress.record("quiz", "02_pool", "first", True, path=path)
    holder = run_python(HOLDER, path, 600, wait=False)
    try:
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setattr(progress, "LOCK_TIMEOUT", 0.2)
        assert progress.record("quiz", "02_pool", "mine", True, path=path)
    finally:
        holder.kill()
        holder.wait(timeout=60)
    assert [r["item"] for r in progress.load(path)["records"]] == ["first", "mine"]


# --- crashes -------------------------------------------------------------------------------------------------
def records_in(path):
    """Records in the file now (while another process writes it): 0 when it cannot be read yet."""
    try:
        return len(progress.load(path)["records"])
    except ValueError:
        return 0


def test_a_writer_killed_during_its_writes_leaves_every_earlier_record_readable(tmp_path):
    path = tmp_path / "progress.json"
    proc = run_python("""
        import sys
        from course_utils.checking import progress
        for i in range(10**6):
            progress.record("exercise", "01_conv", "conv_loop", False, detail=str(i), path=sys.argv[1])
    """, path, wait=False)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and records_in(path) < 100:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    records = progress.load(path)["records"]
    assert len(records) >= 100
    assert [r["detail"] for r in records] == [str(i) for i in range(len(records))]
    assert progress.record("quiz", "02_pool", "q1", True, path=path)
    assert progress.load(path)["records"][-1]["item"] == "q1"


def test_a_writer_killed_in_the_middle_of_a_record_costs_only_that_record(tmp_path, capsys):
    path = tmp_path / "progress.json"
    proc = run_python("""
        import os, signal, sys
        from course_utils.checking import progress
        for i in range(20):
            progress.record("exercise", "01_conv", "conv_loop", False, detail=str(i), path=sys.argv[1])
        write = os.write
        def half_then_die(fd, data):  # the process dies in the middle of writing a record
            write(fd, data[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        os.write = half_then_die
        progress.record("exercise", "01_conv", "conv_loop", True, detail="20", path=sys.argv[1])
    """, path)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not path.read_bytes().endswith(b"\n")  # a cut-off record really is in the file
    data = progress.load(path)
    assert [r["detail"] for r in data["records"]] == [str(i) for i in range(20)]
    assert data["skipped"] == ["line 22: cut off (a writer stopped mid-record)"]
    assert "1 damaged line(s)" in capsys.readouterr().out
    assert progress.record("exercise", "01_conv", "conv_loop", True, detail="21", path=path)
    data = progress.load(path)
    assert [r["detail"] for r in data["records"]] == [str(i) for i in range(20)] + ["21"]
    assert data["skipped"] == ["line 22: not valid JSON"]


def test_a_cut_off_last_line_is_skipped_with_a_note_never_the_whole_file(tmp_path, capsys):
    path = tmp_path / "progress.json"
    for i in range(3):
        progress.record("quiz", "02_pool", f"q{i}", True, path=path)
    with path.open("a") as handle:
        handle.write('{"id": "abc", "kind": "quiz", "noteb')
    data = progress.load(path)
    assert [r["item"] for r in data["records"]] == ["q0", "q1", "q2"] and len(data["skipped"]) == 1
    assert "skipped" in capsys.readouterr().out
    progress.load(path)
    assert capsys.readouterr().out == ""  # the note comes once per session
    assert progress.record("quiz", "02_pool", "q3", True, path=path)
    assert [r["item"] for r in progress.load(path)["records"]] == ["q0", "q1", "q2", "q3"]
    assert not list(tmp_path.glob("*damaged*"))


# --- places that cannot be written ---------------------------------------------------------------------------
def test_an_unwritable_location_does_not_raise(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert progress.record("quiz", "02_pooling", "q1", True, path=blocker / "sub" / "p.json") is False
    assert "could not save" in capsys.readouterr().out


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")
def test_a_full_disk_gives_one_note_per_session_not_one_per_record(capsys):
    assert [progress.record("quiz", "02_pooling", f"q{i}", True, path="/dev/full") for i in range(3)] == [False] * 3
    out = capsys.readouterr().out
    assert out.count("could not save") == 1 and "No space left on device" in out


def test_a_read_only_folder_gives_one_note(tmp_path, capsys):
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        try:
            (folder / "probe").touch()
            pytest.skip("this user may write into read-only folders (root)")
        except PermissionError:
            pass
        assert not progress.record("quiz", "02_pooling", "q1", True, path=folder / "p.json")
        assert not progress.record("quiz", "02_pooling", "q2", True, path=folder / "p.json")
    finally:
        folder.chmod(0o700)
    assert capsys.readouterr().out.count("could not save") == 1


def test_a_missing_home_folder_gives_one_note_and_checks_still_give_feedback(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_PROGRESS_FILE")
    monkeypatch.delenv("COURSE_WORK_DIR", raising=False)
    monkeypatch.setenv("HOME", "/dev/null/no-home")  # cannot be created, not even by root
    assert progress.record("quiz", "02_pooling", "q1", True) is False
    pixels = Value("pixels", 784)
    assert [pixels.check(answer).correct for answer in (700, 784)] == [False, True]
    out = capsys.readouterr().out
    assert out.count("could not save") == 1 and "too small" in out and "Correct" in out


# --- files of the previous version ---------------------------------------------------------------------------
def test_a_file_of_the_previous_version_is_read(tmp_path):
    data = progress.load(OLD_FILE)
    assert data["student"] == "lena" and len(data["records"]) == 9
    state = progress.latest(data["records"])
    assert state[("quiz", "01_convolution_by_hand", "q-stride")]["correct"] is True


def test_a_file_of_the_previous_version_is_converted_on_the_next_record_losing_nothing(tmp_path):
    path = tmp_path / "progress.json"
    shutil.copy(OLD_FILE, path)
    assert progress.record("quiz", "02_pooling", "q-last", True, path=path)
    lines = path.read_text().splitlines()
    assert json.loads(lines[0])["student"] == "lena"
    old = json.loads(OLD_FILE.read_text())["records"]
    assert [json.loads(line) for line in lines[1:10]] == old
    assert [r["item"] for r in progress.load(path)["records"]][-2:] == ["q-params", "q-last"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.json"]


def test_merging_copies_counts_each_record_once(tmp_path):
    path = tmp_path / "progress.json"
    for i in range(3):
        progress.record("quiz", "02_pool", f"q{i}", True, path=path)
    mine = progress.load(path)["records"]
    old = progress.load(OLD_FILE)["records"]  # no ids: the same content is the same record
    merged, duplicates = progress.merge([mine, old, mine[:2], old, old[:4]])
    assert merged == mine + old and duplicates == 2 + 9 + 4
