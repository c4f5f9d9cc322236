import json

import pytest

from course_utils import progress


def test_records_are_appended_to_the_progress_file(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    monkeypatch.setenv("COURSE_STUDENT", "ada")
    assert progress.record("exercise", "01_convolution_by_hand", "conv_loop", False, path=path)
    assert progress.record("exercise", "01_convolution_by_hand", "conv_loop", True, path=path)
    data = json.loads(path.read_text())
    assert data["student"] == "ada"
    assert [r["status"] for r in data["records"]] == ["wrong", "correct"]
    latest = progress.latest(data["records"])
    assert latest[("exercise", "01_convolution_by_hand", "conv_loop")]["correct"] is True


def test_a_damaged_progress_file_is_set_aside_not_fatal(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text("{not json")
    assert progress.record("quiz", "02_pooling", "q1", True, path=path)
    assert json.loads(path.read_text())["records"][0]["item"] == "q1"
    assert (tmp_path / "p.damaged.json").read_text() == "{not json"
    assert "damaged" in capsys.readouterr().out


def test_loading_a_damaged_file_says_what_to_do(tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a course progress file"):
        progress.load(path)


def test_an_unwritable_location_does_not_raise(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert progress.record("quiz", "02_pooling", "q1", True, path=blocker / "sub" / "p.json") is False
    assert "could not save" in capsys.readouterr().out


def test_no_temporary_files_are_left_behind(tmp_path):
    path = tmp_path / "p.json"
    for i in range(5):
        progress.record("quiz", "02_pooling", f"q{i}", True, path=path)
    assert [p.name for p in tmp_path.iterdir()] == ["p.json"]
