"""`course progress`: a class summary from synthetic progress files with known numbers."""

import json
import shutil
from pathlib import Path

import pytest

from course_utils.checking import progress
from course_utils.instructor import class_progress, cli

OLD_FILE = Path(__file__).parent / "data" / "progress_v1.json"  # written by the previous version

CONV, SIZE, POOL = ("01_conv", "conv_loop"), ("01_conv", "output_size"), ("02_pool", "max_pool")
STRIDE, PARAMS = ("01_conv", "q-stride"), ("02_pool", "q-params")

# student -> [(kind, (notebook, item), status)], in time order; "correct" is the only passing status
CLASS = {
    "alice": [("exercise", CONV, "wrong"), ("exercise", CONV, "correct"), ("exercise", SIZE, "correct"),
              ("exercise", POOL, "correct"), ("quiz", STRIDE, "correct"), ("quiz", PARAMS, "wrong"),
              ("quiz", PARAMS, "correct")],
    "bob": [("exercise", CONV, "wrong"), ("exercise", CONV, "wrong_shape"), ("exercise", CONV, "error"),
            ("exercise", SIZE, "not_attempted"), ("quiz", STRIDE, "wrong"), ("quiz", PARAMS, "correct"),
            ("quiz", PARAMS, "wrong")],
    "carol": [("exercise", CONV, "error"), ("exercise", CONV, "wrong"), ("exercise", CONV, "nan"),
              ("exercise", CONV, "timeout"), ("exercise", SIZE, "correct"), ("quiz", STRIDE, "correct")],
    "dave": [("exercise", CONV, "wrong"), ("exercise", CONV, "wrong"), ("exercise", POOL, "wrong"),
             ("exercise", POOL, "wrong"), ("exercise", POOL, "wrong"), ("exercise", POOL, "correct")],
    "erin": [("exercise", CONV, "not_attempted"), ("quiz", PARAMS, "wrong")],
}


def progress_data(student, entries):
    records = [{"kind": kind, "notebook": notebook, "item": item, "correct": status == "correct",
                "status": status, "detail": "", "time": f"2026-11-23T10:{minute:02d}:00+00:00"}
               for minute, (kind, (notebook, item), status) in enumerate(entries)]
    return {"student": student, "version": 1, "records": records}


@pytest.fixture
def class_dir(tmp_path):
    folder = tmp_path / "submissions"
    for index, (student, entries) in enumerate(CLASS.items()):
        sub = folder / f"group{index % 2}"  # files in subfolders: the search is recursive
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{student}.json").write_text(json.dumps(progress_data(student, entries)))
    (folder / "broken.json").write_text('{"student": "frank", "records": [')
    (folder / "group0" / "other.json").write_text('["not", "progress"]')
    (folder / "notes.txt").write_text("not json, not looked at")
    return folder


def test_pass_rate_per_exercise_counts_students_who_eventually_passed(class_dir):
    summary = class_progress.summarize([class_dir])
    rows = [(e.notebook, e.item, e.passed, e.attempted, e.not_attempted, e.pass_rate) for e in summary.exercises]
    assert rows == [("01_conv", "conv_loop", 1, 4, 1, 0.25), ("01_conv", "output_size", 2, 2, 3, 1.0),
                    ("02_pool", "max_pool", 2, 2, 3, 1.0)]


def test_quiz_score_per_question_uses_each_students_latest_answer(class_dir):
    summary = class_progress.summarize([class_dir])
    rows = [(q.notebook, q.item, q.correct, q.answered) for q in summary.questions]
    assert rows == [("01_conv", "q-stride", 2, 3), ("02_pool", "q-params", 1, 3)]
    assert [q.score for q in summary.questions] == [pytest.approx(2 / 3), pytest.approx(1 / 3)]


def test_students_with_three_failed_attempts_and_no_pass_are_stuck(class_dir):
    summary = class_progress.summarize([class_dir])
    # dave failed conv_loop only twice, and passed max_pool after three failures: not stuck
    assert summary.stuck == [("01_conv", "conv_loop", "bob", 3), ("01_conv", "conv_loop", "carol", 4)]


def test_one_line_per_student_with_exercises_passed_and_quiz_score(class_dir):
    summary = class_progress.summarize([class_dir])
    rows = [(s.student, s.exercises_passed, s.exercises_attempted, s.quiz_correct, s.quiz_answered)
            for s in summary.students]
    assert rows == [("alice", 3, 3, 2, 2), ("bob", 0, 1, 0, 2), ("carol", 1, 2, 1, 1), ("dave", 1, 2, 0, 0),
                    ("erin", 0, 0, 0, 1)]
    assert [s.quiz_score for s in summary.students] == [1.0, 0.0, 1.0, None, 0.0]


def test_unreadable_files_are_skipped_and_reported(class_dir):
    summary = class_progress.summarize([class_dir, class_dir / "missing.json"])
    reasons = {path.name: reason for path, reason in summary.unreadable}
    assert reasons == {"missing.json": "not found", "broken.json": "not valid JSON (line 1: Expecting value)",
                       "other.json": "not a course progress file (no 'records' list)"}
    assert len(summary.students) == 5


def test_a_single_file_gives_that_students_summary(class_dir):
    summary = class_progress.summarize([class_dir / "group1" / "bob.json"])
    assert [s.student for s in summary.students] == ["bob"]
    assert [(e.item, e.attempted, e.not_attempted) for e in summary.exercises] == [
        ("conv_loop", 1, 0), ("output_size", 0, 1)]


def test_two_files_of_one_student_are_merged_in_time_order(tmp_path):
    early = progress_data("zoe", [("quiz", STRIDE, "wrong")])
    late = progress_data("zoe", [("quiz", STRIDE, "wrong"), ("quiz", STRIDE, "correct")])
    early["records"][0]["time"] = "2026-11-23T09:00:00+00:00"
    (tmp_path / "a_laptop.json").write_text(json.dumps(late))
    (tmp_path / "b_colab.json").write_text(json.dumps(early))
    summary = class_progress.summarize([tmp_path])
    assert [(s.student, s.quiz_correct, len(s.files)) for s in summary.students] == [("zoe", 1, 2)]
    assert any("merged" in note for note in summary.notes)


def test_files_written_by_the_progress_module_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_STUDENT", "yuki")
    target = tmp_path / "progress.json"
    progress.record("exercise", "00_start_here", "normalize", False, "wrong", path=target)
    progress.record("exercise", "00_start_here", "normalize", True, path=target)
    summary = class_progress.summarize([target])
    assert [(s.student, s.exercises_passed) for s in summary.students] == [("yuki", 1)]
    assert summary.exercises[0].pass_rate == 1.0


def test_progress_command_prints_the_numbers_and_writes_json_and_plot(class_dir, tmp_path, capsys):
    numbers, figure = tmp_path / "out" / "summary.json", tmp_path / "out" / "summary.png"
    assert cli.main(["progress", str(class_dir), "--json", str(numbers), "--plot", str(figure)]) == 0
    printed = capsys.readouterr().out
    assert "Class summary: 5 students (2 unreadable file(s) skipped)" in printed
    assert "01_conv / conv_loop    1/4               25%        1              2" in printed
    assert "02_pool / q-params  1/3               33%" in printed
    assert "01_conv / conv_loop: bob (3 tries), carol (4 tries)" in printed
    assert "alice    3/3               2/2 (100%)" in printed
    assert "dave     1/3               -" in printed
    assert "broken.json: not valid JSON" in printed
    data = json.loads(numbers.read_text())
    assert [e["pass_rate"] for e in data["exercises"]] == [0.25, 1.0, 1.0]
    assert data["stuck"][1] == {"notebook": "01_conv", "item": "conv_loop", "student": "carol",
                                "failed_attempts": 4}
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 5_000


def test_progress_command_without_readable_files_says_what_to_pass(tmp_path, capsys):
    (tmp_path / "broken.json").write_text("{")
    assert cli.main(["progress", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no readable progress files" in err and "broken.json: not valid JSON" in err


def test_plot_with_a_bad_file_type_is_a_friendly_error(class_dir, tmp_path, capsys):
    assert cli.main(["progress", str(class_dir), "--plot", str(tmp_path / "summary.nope")]) == 1
    assert "could not save the output" in capsys.readouterr().err


# --- files of one student from several machines, old and damaged files -----------------------------------------
def test_copies_of_a_students_file_are_merged_counting_each_record_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_STUDENT", "zoe")
    laptop, colab = tmp_path / "laptop" / "progress.json", tmp_path / "colab" / "progress.json"
    for status in ("wrong", "wrong"):  # two failed tries: not stuck yet
        progress.record("exercise", *CONV, False, status, path=laptop)
    progress.record("quiz", *STRIDE, True, path=colab)
    shutil.copy(laptop, tmp_path / "progress (1).json")  # downloaded twice
    summary = class_progress.summarize([tmp_path])
    assert summary.stuck == []
    assert [(e.item, e.attempted, e.passed) for e in summary.exercises] == [("conv_loop", 1, 0)]
    assert [(s.student, len(s.files), s.quiz_correct) for s in summary.students] == [("zoe", 3, 1)]
    assert summary.notes == [f"zoe: merged 3 files ({tmp_path / 'colab' / 'progress.json'}, {laptop}, "
                             f"{tmp_path / 'progress (1).json'}); 2 record(s) found in more than one file counted once"]
    assert cli.main(["progress", str(tmp_path)]) == 0
    assert "zoe: merged 3 files" in capsys.readouterr().out


def test_a_file_of_the_previous_version_is_summarized():
    summary = class_progress.summarize([OLD_FILE])
    rows = [(e.item, e.passed, e.attempted, e.pass_rate) for e in summary.exercises]
    assert rows == [("conv_loop", 1, 1, 1.0), ("output_size", 0, 0, None), ("max_pool", 0, 1, 0.0)]
    assert summary.stuck == [("02_pooling", "max_pool", "lena", 3)]  # two identical old records both count
    assert [(q.item, q.correct, q.answered) for q in summary.questions] == [("q-stride", 1, 1), ("q-params", 1, 1)]


def test_an_old_download_and_the_converted_file_that_went_on_are_merged_without_double_counting(tmp_path):
    shutil.copy(OLD_FILE, tmp_path / "old_download.json")
    shutil.copy(OLD_FILE, tmp_path / "progress.json")
    progress.record("exercise", "02_pooling", "max_pool", True, path=tmp_path / "progress.json")  # converts it
    summary = class_progress.summarize([tmp_path])
    assert [(s.student, s.exercises_passed, len(s.files)) for s in summary.students] == [("lena", 2, 2)]
    assert summary.stuck == []
    assert "9 record(s) found in more than one file counted once" in summary.notes[0]


def test_a_cut_off_last_record_is_skipped_with_a_note_and_the_rest_counts(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_STUDENT", "yuki")
    path = tmp_path / "progress.json"
    progress.record("exercise", *CONV, True, path=path)
    with path.open("a") as handle:
        handle.write('{"id": "0f", "kind": "exer')
    summary = class_progress.summarize([path])
    assert [(s.student, s.exercises_passed) for s in summary.students] == [("yuki", 1)]
    assert summary.notes == [f"{path}: 1 damaged or malformed line(s) skipped "
                             f"(line 3: cut off (a writer stopped mid-record))"]
