"""nbgrader end to end, as a class on JupyterHub uses it: `course release --nbgrader`, then nbgrader 0.9's
generate_assignment -> validate -> release_assignment -> (each student) fetch_assignment, work, submit ->
collect -> autograde -> export for three synthetic students on notebooks 00 and 01, through a local exchange
folder (tests/test_hub.py does the same through a running JupyterHub).

- alice solves everything (the reference solutions, typed in): full marks;
- bob hands in the released notebooks untouched: zero, and his notebooks still run (errors only in test cells);
- carol: 00 one right, one wrong; 01 a right-but-different answer (scipy), a classic mistake (no ``+ 1``),
  one left alone, one right, one wrong kernel: exactly 1/2 and 2/5.

The course folder stays in ``build/nbgrader/`` to open (``autograded/<student>/...``). nbgrader runs from a side
environment (tests/side_venv.py), so that students who install requirements.txt do not get its JupyterLab panels.
"""

import csv
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from side_venv import NBGRADER, NBGRADER_SCRIPTS, python_with

from course_utils.checking import exercises, grading, progress
from course_utils.instructor import cli

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "build" / "nbgrader"
COURSE_ID = "cnn-course"
ASSIGNMENTS = ["00_start_here", "01_convolution_by_hand"]
STUDENTS = ["alice", "bob", "carol"]
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")

CAROL = {
    "00_start_here": {
        "answer_normalize": 'return np.asarray(images, dtype="float32") / 255.0',
        "answer_n_pixels": "n_pixels = 28 + 28",
    },
    "01_convolution_by_hand": {
        "answer_conv2d_loop": 'return scipy.signal.correlate2d(image, kernel, mode="valid")',
        "answer_conv_output_size": "return (n + 2 * padding - k) // stride",
        "answer_n_params": "n_params = 3 * 3 * 32 * 64 + 64",
        "answer_horizontal_edge_kernel": "edge_kernel = np.array([[-1.0, 0.0, 1.0]] * 3)",
    },
}
EXPECTED = {  # (score, max score)
    "alice": {"00_start_here": (2, 2), "01_convolution_by_hand": (5, 5)},
    "bob": {"00_start_here": (0, 2), "01_convolution_by_hand": (0, 5)},
    "carol": {"00_start_here": (1, 2), "01_convolution_by_hand": (2, 5)},
}


def _nbgrader(*args, env, cwd=COURSE):
    python = python_with(NBGRADER, scripts=NBGRADER_SCRIPTS)
    env = {**env, "PATH": f"{python.parent}{os.pathsep}{env.get('PATH', '')}"}  # nbgrader calls `alembic` by name
    done = subprocess.run([str(python), "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _fill(source, code):
    """Replace the stub line ``# YOUR CODE HERE`` by ``code``, at the stub's indentation."""
    lines = source.split("\n")
    index = next(i for i, line in enumerate(lines) if line.strip() == "# YOUR CODE HERE")
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index:index + 1] = [indent + line for line in code.split("\n")]
    return "\n".join(lines)


def _exchange(exchange):
    return ["--course", COURSE_ID, f"--Exchange.root={exchange}"]


def _work(student, assignment, home):
    """What a student's kernel leaves in ``course_work/``: progress (under the login, not the nbgrader id) and a model."""
    if student == "bob":  # bob never ran anything
        return
    work = home / assignment / grading.WORK_FOLDER
    (work / "models").mkdir(parents=True, exist_ok=True)
    (work / "models" / "mine.keras").write_bytes(b"a saved model")
    item = "normalize" if assignment == "00_start_here" else "n_params"
    progress.record("exercise", assignment, item, student == "alice", path=work / "progress.json")


def _submission(student, assignment, home):
    released = nbformat.read(home / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    solutions = {_grade_id(c): c.source for c in source.cells if _grade_id(c)}
    for cell in released.cells:
        grade_id = _grade_id(cell)
        if not grade_id or not grade_id.startswith("answer_"):
            continue
        if student == "alice":  # the reference solution, typed in without the markers
            cell.source = "\n".join(line for line in solutions[grade_id].split("\n")
                                    if not any(marker in line for marker in MARKERS))
        elif student == "carol" and grade_id in CAROL[assignment]:
            cell.source = _fill(cell.source, CAROL[assignment][grade_id])
    nbformat.write(released, home / assignment / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Build, generate, validate, autograde and export once; returns (grades, validate output, shared dir)."""
    shutil.rmtree(COURSE, ignore_errors=True)
    notebooks = tmp_path_factory.mktemp("notebooks")
    for name in ASSIGNMENTS:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", notebooks)
    assert cli.main(["release", "--nbgrader", str(COURSE), "--notebooks", str(notebooks)]) == 0
    shared = tmp_path_factory.mktemp("shared")  # an instructor-wide setting that must not mix students
    env = {**os.environ, "COURSE_WORK_DIR": str(shared), "COURSE_PROGRESS_FILE": str(shared / "progress.json")}
    env.pop("COURSE_HEADLESS", None)
    env.pop("COURSE_FAST", None)  # nbgrader_config.py sets both
    for assignment in ASSIGNMENTS:
        _nbgrader("generate_assignment", assignment, "--force", env=env)
    validated = _nbgrader("validate", f"release/{ASSIGNMENTS[0]}/{ASSIGNMENTS[0]}.ipynb", env=env)
    exchange = tmp_path_factory.mktemp("exchange")
    for assignment in ASSIGNMENTS:
        _nbgrader("release_assignment", assignment, *_exchange(exchange), env=env)
    for student in STUDENTS:
        home = tmp_path_factory.mktemp(student)
        for assignment in ASSIGNMENTS:
            _nbgrader("fetch_assignment", assignment, *_exchange(exchange), env=env, cwd=home)
            _submission(student, assignment, home)
            _work(student, assignment, home)
            _nbgrader("submit", assignment, *_exchange(exchange), f"--student={student}", env=env, cwd=home)
    for assignment in ASSIGNMENTS:
        _nbgrader("collect", assignment, *_exchange(exchange), env=env)
        _nbgrader("autograde", assignment, "--force", env=env)
    _nbgrader("export", env=env)
    with open(COURSE / "grades.csv", newline="", encoding="utf-8") as handle:
        grades = {(row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
                  for row in csv.DictReader(handle)}
    return grades, validated, shared, exchange


def _autograded(student, assignment):
    return nbformat.read(COURSE / "autograded" / student / assignment / f"{assignment}.ipynb", as_version=4)


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.parametrize("student", STUDENTS)
def test_export_gives_each_student_exactly_the_expected_scores(graded, student):
    grades, *_ = graded
    for assignment, (score, max_score) in EXPECTED[student].items():
        assert grades[(student, assignment)] == (score, max_score), (student, assignment)


def test_validate_fails_an_unsolved_notebook_on_its_two_test_cells(graded):
    _, validated, *_ = graded
    assert "VALIDATION FAILED ON 2 CELL(S)" in validated
    assert "Not attempted yet" in validated


def test_unsolved_notebooks_still_run_top_to_bottom(graded):
    for assignment in ASSIGNMENTS:
        for cell in _autograded("bob", assignment).cells:
            test_cell = cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)
            assert test_cell or not _errors(cell), f"{assignment}: error outside a test cell:\n{cell.source}"


def test_a_failing_test_cell_shows_the_message_check_shows(graded):
    wrong = "def f(n, k, stride=1, padding=0):\n    return (n + 2 * padding - k) // stride\n"
    namespace = {}
    exec(wrong, namespace)  # noqa: S102 - carol's answer
    expected = exercises.load("01").conv_output_size.evaluate(namespace["f"])
    cells = {_grade_id(c): c for c in _autograded("carol", "01_convolution_by_hand").cells}
    (error,) = _errors(cells["test_conv_output_size"])
    assert error["ename"] == "AnswerNotAccepted" and issubclass(grading.AnswerNotAccepted, AssertionError)
    assert expected.message in "\n".join(error["traceback"])
    assert not _errors(cells["test_n_params"])


def test_each_submission_keeps_its_own_progress_file(graded):
    _, _, shared, _ = graded
    assert not (shared / "progress.json").exists()
    statuses = {}
    for student in STUDENTS:
        path = COURSE / "autograded" / student / "00_start_here" / grading.WORK_FOLDER / "progress.json"
        records = progress.load(path)["records"]
        statuses[student] = {r["item"]: r["status"] for r in records if r["kind"] == "exercise"}
    assert statuses["alice"] == {"normalize": "correct", "n_pixels": "correct"}
    assert statuses["bob"] == {"normalize": "not_attempted", "n_pixels": "not_attempted"}
    assert statuses["carol"]["normalize"] == "correct" and statuses["carol"]["n_pixels"] != "correct"


def test_the_release_hands_out_no_course_work_folder(graded):
    *_, exchange = graded
    assert (exchange / COURSE_ID / "outbound" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb").is_file()
    for top in (COURSE / "source", COURSE / "release", exchange / COURSE_ID / "outbound"):
        assert not list(top.rglob(grading.WORK_FOLDER)), top  # validate ran the release: its work went elsewhere


def test_collect_keeps_each_students_progress_and_saved_models(graded):
    for student in ("alice", "carol"):
        for assignment in ASSIGNMENTS:
            work = COURSE / "submitted" / student / assignment / grading.WORK_FOLDER
            assert (work / "models" / "mine.keras").read_bytes() == b"a saved model"
            assert progress.load(work / "progress.json")["records"], (student, assignment)
    assert not (COURSE / "submitted" / "bob" / ASSIGNMENTS[0] / grading.WORK_FOLDER).exists()


def test_autograde_records_carry_the_nbgrader_student_id(graded):
    for student in STUDENTS:
        path = COURSE / "autograded" / student / "01_convolution_by_hand" / grading.WORK_FOLDER / "progress.json"
        records = progress.load(path)["records"]  # autograde's checks come last: one per exercise of 01
        assert len(records) >= 5 and {r["student"] for r in records[-5:]} == {student}


def test_course_progress_shows_each_student_under_their_own_name(graded):
    from course_utils.instructor import class_progress

    for folder in ("submitted", "autograded"):
        summary = class_progress.summarize([COURSE / folder])
        assert [s.student for s in summary.students] == (STUDENTS if folder == "autograded" else ["alice", "carol"])
    summary = class_progress.summarize([COURSE / "autograded"])
    passed = {s.student: s.exercises_passed for s in summary.students}
    assert passed == {"alice": 7, "bob": 0, "carol": 3}
