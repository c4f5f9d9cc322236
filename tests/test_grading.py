"""Graded work without running nbgrader: graded mode, the test cells' check, and the nbgrader source notebooks
that `course release --nbgrader` writes (tests/test_nbgrader.py runs nbgrader itself on them)."""

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from side_venv import NBGRADER, NBGRADER_SCRIPTS, python_with

from course_utils.checking import exercises, grading
from course_utils.checking.exercises.functions import is_placeholder
from course_utils.instructor import cli, nbgrader_course, release, solutions

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


@pytest.fixture
def graded_mode(monkeypatch, tmp_path):
    """Graded mode in a submission folder, with shared settings that graded mode must override."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(grading.GRADED_ENV, "0")  # restored (removed) after the test
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path / "shared"))
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "shared" / "progress.json"))
    grading.start("00_start_here")
    return tmp_path


def test_solution_is_open_for_self_study_and_closed_in_graded_work(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(grading.GRADED_ENV, "0")  # restored (removed) after the test
    ex = exercises.load("00_start_here")
    assert "255" in ex.normalize.solution()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path / "shared"))
    grading.start("00_start_here")
    capsys.readouterr()
    text = ex.normalize.solution()
    shown = capsys.readouterr().out
    assert "closed in graded work" in text and "hint()" in text
    assert "255" not in text + shown and "closed in graded work" in shown


def test_graded_work_keeps_progress_and_models_in_the_submission_folder(graded_mode):
    from course_utils import paths
    from course_utils.checking import progress

    work = graded_mode / grading.WORK_FOLDER
    assert paths.graded()
    assert paths.work_dir() == work and paths.models_dir() == work / "models"
    assert paths.progress_file() == work / "progress.json"
    exercises.load("00_start_here").n_pixels.check(784)
    assert progress.load(work / "progress.json")["records"][-1]["status"] == "correct"
    assert not (graded_mode / "shared" / "progress.json").exists()


def _course_folder(tmp_path, *parts):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "nbgrader_config.py").write_text("c = get_config()\n")
    folder = tmp_path.joinpath("course", *parts)
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("stage", grading.STUDENT_FOLDERS)
def test_graded_work_in_a_submission_is_recorded_under_its_nbgrader_student_id(stage, monkeypatch, tmp_path):
    from course_utils.checking import progress

    folder = _course_folder(tmp_path, stage, "bob", "00_start_here")
    monkeypatch.chdir(folder)
    monkeypatch.setenv(grading.GRADED_ENV, "0")
    monkeypatch.setenv("COURSE_STUDENT", "grader")  # the grader's own setting does not win
    grading.start("00_start_here")
    exercises.load("00_start_here").n_pixels.check(784)
    data = progress.load(folder / grading.WORK_FOLDER / "progress.json")
    assert data["student"] == "bob" and data["records"][-1]["student"] == "bob"


@pytest.mark.parametrize("stage", grading.INSTRUCTOR_FOLDERS)
def test_the_instructors_source_and_release_copies_never_get_a_course_work_folder(stage, monkeypatch, tmp_path):
    from course_utils import paths

    folder = _course_folder(tmp_path, stage, "00_start_here")
    monkeypatch.chdir(folder)
    monkeypatch.setenv(grading.GRADED_ENV, "0")
    grading.start("00_start_here")
    exercises.load("00_start_here").n_pixels.check(784)
    assert not (folder / grading.WORK_FOLDER).exists()
    assert folder not in paths.progress_file().parents


def test_a_folder_named_like_nbgrader_outside_a_course_folder_is_a_plain_submission(monkeypatch, tmp_path):
    folder = tmp_path / "submitted" / "bob" / "00_start_here"
    folder.mkdir(parents=True)
    assert grading.nbgrader_student(folder) is None and not grading.instructor_copy(tmp_path / "release" / "x")


def test_grade_raises_assertion_error_with_the_message_check_shows(graded_mode, capsys):
    ex = exercises.load("00_start_here")
    shown = ex.n_pixels.check(28 + 28)
    capsys.readouterr()
    with pytest.raises(AssertionError) as raised:
        grading.grade("00_start_here", "n_pixels", 28 + 28)
    assert shown.message in str(raised.value) and "n_pixels" in str(raised.value)
    rendered = raised.value._render_traceback_()
    assert len(rendered) == 1 and "AssertionError" in rendered[0] and "course_utils" not in rendered[0]
    grading.grade("00_start_here", "n_pixels", 28 * 28)
    assert "Correct" in capsys.readouterr().out


def test_grade_records_nothing(graded_mode):
    with pytest.raises(AssertionError):
        grading.grade("00_start_here", "n_pixels", 1)
    grading.grade("00_start_here", "n_pixels", 784)
    assert not (graded_mode / grading.WORK_FOLDER / "progress.json").exists()


FUNCTION_CELL = '''\
ex = course_utils.exercises.load("00_start_here")


def normalize(images):
    ### BEGIN SOLUTION
    return np.asarray(images, dtype="float32") / 255.0
    ### END SOLUTION


ex.normalize.check(normalize)'''

TOP_LEVEL_CELL = '''\
### BEGIN SOLUTION
side = 28
n_pixels, unused = side * side, 0
### END SOLUTION
ex.n_pixels.check(n_pixels)'''


def _synthetic():
    return new_notebook(cells=[
        new_markdown_cell("# 00 · Test"),
        new_code_cell("import numpy as np\n\nimport course_utils"),
        new_code_cell(FUNCTION_CELL),
        new_code_cell("normalize = ex.normalize.use(normalize)"),
        new_code_cell(TOP_LEVEL_CELL),
        new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
    ], metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}})


def _nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def test_source_notebook_gets_graded_mode_answer_cells_and_test_cells_with_points():
    graded, tests = nbgrader_course.grade_notebook(_synthetic(), "00_start_here")
    nbformat.validate(graded)
    assert tests == [("normalize", 1), ("n_pixels", 1)]
    kinds = [(_nbgrader_meta(c).get("grade_id"), _nbgrader_meta(c).get("points")) for c in graded.cells]
    assert kinds == [(None, None), (None, None), ("graded_mode", None), ("answer_normalize", None),
                     ("test_normalize", 1), (None, None), ("answer_n_pixels", None), ("test_n_pixels", 1),
                     ("answer_" + graded.cells[8].id, None)]
    start, test = graded.cells[2], graded.cells[4]
    assert _nbgrader_meta(start)["locked"] and not _nbgrader_meta(start)["grade"]
    assert 'course_utils.checking.grading.start("00_start_here")' in start.source
    assert _nbgrader_meta(test) | {"points": 1} == _nbgrader_meta(test)
    assert _nbgrader_meta(test)["grade"] and _nbgrader_meta(test)["locked"] and not _nbgrader_meta(test)["solution"]
    assert test.source.endswith('course_utils.checking.grading.grade("00_start_here", "normalize", normalize)')
    assert all(_nbgrader_meta(graded.cells[i])["solution"] for i in (3, 6, 8))
    assert all(not c.get("outputs") for c in graded.cells if c.cell_type == "code")


_CLEAR = """
import sys, nbformat
from nbgrader.preprocessors import ClearSolutions
nb = nbformat.read(sys.stdin, as_version=4)
stubbed = ClearSolutions(code_stub={"python": sys.argv[1]}).preprocess(nb, {})[0]
nbformat.write(stubbed, sys.stdout)
"""


def _clear_solutions(nb):
    """nbgrader's own ClearSolutions (run in nbgrader's side environment), configured as nbgrader_config.py does."""
    done = subprocess.run([str(python_with(NBGRADER, scripts=NBGRADER_SCRIPTS)), "-c", _CLEAR, nbgrader_course.CODE_STUB],
                          input=nbformat.writes(nb), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return nbformat.reads(done.stdout, as_version=4)


class _RecordingExercises:
    def __init__(self):
        self.checked = {}

    def __getattr__(self, name):
        outer = self

        class _One:
            def check(self, answer):
                outer.checked[name] = answer

        return _One()


def test_nbgrader_stubs_keep_each_answer_cell_running_and_defining_its_name():
    graded, _ = nbgrader_course.grade_notebook(_synthetic(), "00_start_here")
    released = _clear_solutions(graded)
    answers = [c for c in released.cells if c.cell_type == "code" and _nbgrader_meta(c).get("solution")]
    assert [c.source.count("# YOUR CODE HERE") for c in answers] == [1, 1]
    assert "NotImplementedError" not in json.dumps(released)
    fake = _RecordingExercises()
    namespace = {"course_utils": type("M", (), {"exercises": type("E", (), {"load": staticmethod(lambda n: fake)})})}
    for cell in answers:
        exec(cell.source, namespace)  # noqa: S102 - the released (stubbed) cell, as a student first runs it
    assert is_placeholder(fake.checked["normalize"])
    assert fake.checked["n_pixels"] is None and namespace["side"] is None and namespace["unused"] is None
    assert exercises.load("00").normalize.evaluate(fake.checked["normalize"]).status == "not_attempted"
    assert "YOUR ANSWER HERE" in released.cells[-1].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_checked_exercise_of_the_course_gets_one_test_cell_and_its_stub_parses(path):
    nb = nbformat.read(path, as_version=4)
    checked = [e for c in nb.cells if c.cell_type == "code" and release.SOLUTION[0] in c.source
               for e, _ in nbgrader_course._checks(c.source)]
    graded, tests = nbgrader_course.grade_notebook(nb, path.stem)
    assert [exercise for exercise, _ in tests] == checked
    released = _clear_solutions(graded)
    for cell in released.cells:
        if cell.cell_type == "code":
            assert solutions.parse_code(cell.source) is not None, cell.source
    ids = [_nbgrader_meta(c).get("grade_id") for c in graded.cells if _nbgrader_meta(c)]
    assert len(ids) == len(set(ids))
    if checked:
        first_answer = next(i for i, c in enumerate(graded.cells) if _nbgrader_meta(c).get("solution"))
        assert [c.id for c in graded.cells[:first_answer]].count("graded-mode") == 1


def test_config_holds_what_autograde_needs():
    text = nbgrader_course.config_text("/srv/data")
    namespace = {"get_config": lambda: _Config()}
    saved = dict(os.environ)
    try:
        for key in ("COURSE_FAST", "COURSE_OFFLINE", "COURSE_DATA_DIR", "COURSE_HEADLESS"):
            os.environ.pop(key, None)
        exec(text, namespace)  # noqa: S102 - the generated nbgrader_config.py
        assert os.environ["COURSE_FAST"] == "1" and os.environ["COURSE_OFFLINE"] == "1"
        assert os.environ["COURSE_DATA_DIR"] == "/srv/data"
    finally:
        os.environ.clear()
        os.environ.update(saved)
    config = namespace["c"]
    assert config.values["Execute.timeout"] >= 600
    assert config.values["ClearSolutions.code_stub"] == {"python": "# YOUR CODE HERE"}
    assert "course_work" not in config.values["CourseDirectory.ignore"]  # collect would drop the students' work
    assert "COURSE_DATA_DIR" in nbgrader_course.config_text(None)  # a commented example


class _Config:
    def __init__(self):
        object.__setattr__(self, "values", {})

    def __getattr__(self, section):
        values = self.values

        class _Section:
            def __setattr__(self, key, value):
                values[f"{section}.{key}"] = value

        return _Section()


def test_release_nbgrader_writes_the_course_folder(tmp_path, capsys):
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(_synthetic(), notebooks / "00_start_here.ipynb")
    out = tmp_path / "course"
    assert cli.main(["release", "--nbgrader", str(out), "--notebooks", str(notebooks)]) == 0
    assert "00_start_here: 2 autograded exercises, 2 points" in capsys.readouterr().out
    assert (out / "source" / "00_start_here" / "00_start_here.ipynb").is_file()
    assert "c.Execute.timeout" in (out / "nbgrader_config.py").read_text()
    assert "nbgrader autograde" in (out / "README.md").read_text()
    assert cli.main(["release", "--nbgrader", str(notebooks), "--notebooks", str(notebooks)]) == 2
    assert "Refusing" in capsys.readouterr().err


def test_release_nbgrader_names_a_checked_exercise_that_does_not_exist(tmp_path, capsys):
    nb = _synthetic()
    nb.cells[4].source = TOP_LEVEL_CELL.replace("ex.n_pixels", "ex.n_pixel")
    with pytest.raises(release.ReleaseError, match="n_pixel.*Did you mean `ex.n_pixels`"):
        nbgrader_course.grade_notebook(nb, "00_start_here")


def test_readme_instructor_section_documents_nbgrader():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for needle in ("course release --nbgrader", "c.Execute.timeout", "COURSE_FAST=1", "course_work/",
                   "autograde", "nbgrader 0.9.6"):
        assert needle in text, needle


def test_course_progress_counts_an_nbgrader_submission_under_its_student_folder(tmp_path):
    from course_utils.checking import progress
    from course_utils.instructor import class_progress

    for student, login in (("alice", "root"), ("bob", "root")):
        path = tmp_path / "submitted" / student / "00_start_here" / grading.WORK_FOLDER / "progress.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"format": progress.FORMAT, "version": 2, "student": login}) + "\n")
        progress.record("exercise", "00_start_here", "n_pixels", student == "alice", path=path)
    summary = class_progress.summarize([tmp_path / "submitted"])
    assert {s.student: s.exercises_passed for s in summary.students} == {"alice": 1, "bob": 0}
    assert any("counted as nbgrader student 'bob'" in note for note in summary.notes)
    assert class_progress.nbgrader_owner(tmp_path / "progress.json") is None
