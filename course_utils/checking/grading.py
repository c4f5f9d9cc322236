"""Graded work under nbgrader: the graded-mode switch and the autograded test cells' check.

``course release --nbgrader`` (``course_utils.instructor.nbgrader_course``) writes assignments whose notebooks use this
module in locked cells:

- near the top, ``course_utils.checking.grading.start("01_convolution_by_hand")`` switches the kernel to graded mode:
  ``solution()`` is closed (hints still work), and progress and saved models go to ``course_work/`` in the
  notebook's own folder. nbgrader runs every submission with its own folder as the working directory, so
  during autograde no two students share a progress file or a model folder. There, records carry the
  submission's nbgrader student id (the ``<student>`` of ``autograded/<student>/<assignment>/``), not the
  grader's login. In the instructor's own ``source/`` and ``release/`` folders (trying a notebook, ``nbgrader
  validate``) the work goes to a temporary folder instead, so no ``course_work/`` is ever handed out;
- after each exercise, a test cell worth points calls ``course_utils.checking.grading.grade(notebook, exercise, answer)``:
  it prints the check's verdict when the answer passes and raises ``AssertionError`` with the very message
  ``ex.<exercise>.check(answer)`` shows when it does not, which is how nbgrader awards zero points.
"""

import os
from pathlib import Path

from course_utils.paths import GRADED_ENV

WORK_FOLDER = "course_work"
STUDENT_FOLDERS = ("submitted", "autograded", "feedback")  # nbgrader's <folder>/<student>/<assignment>/
INSTRUCTOR_FOLDERS = ("source", "release")  # nbgrader's <folder>/<assignment>/: handed out, never graded
COURSE_MARKERS = ("nbgrader_config.py", "gradebook.db")  # what makes a folder an nbgrader course folder


def _course_folder(folder):
    return any((folder / marker).is_file() for marker in COURSE_MARKERS)


def nbgrader_student(folder):
    """The nbgrader student id when ``folder`` is ``<course>/<submitted|autograded|feedback>/<student>/<assignment>``."""
    folder = Path(folder).resolve()
    if len(folder.parents) >= 3 and folder.parents[1].name in STUDENT_FOLDERS and _course_folder(folder.parents[2]):
        return folder.parent.name
    return None


def instructor_copy(folder):
    """True when ``folder`` is ``<course>/source/<assignment>`` or ``<course>/release/<assignment>``."""
    folder = Path(folder).resolve()
    return (len(folder.parents) >= 2 and folder.parent.name in INSTRUCTOR_FOLDERS
            and _course_folder(folder.parents[1]))


def start(notebook):
    """Switch this kernel to graded mode; progress and models go to ``./course_work`` (the notebook's folder).

    Overrides ``COURSE_WORK_DIR`` and ``COURSE_PROGRESS_FILE``: a shared setting would mix students' work. In a
    submission of an nbgrader course folder, ``COURSE_STUDENT`` becomes the submission's student id; in the
    instructor's ``source/`` or ``release/`` copy the work goes to a temporary folder (never handed out).
    """
    here = Path.cwd()
    work = (here / WORK_FOLDER).resolve()
    student = nbgrader_student(here)
    if student:
        os.environ["COURSE_STUDENT"] = student
    elif instructor_copy(here):
        import tempfile

        work = Path(tempfile.mkdtemp(prefix="course-work-instructor-"))
    os.environ[GRADED_ENV] = "1"
    os.environ["COURSE_WORK_DIR"] = str(work)
    os.environ["COURSE_PROGRESS_FILE"] = str(work / "progress.json")
    print(f"Graded assignment ({notebook}): after each exercise, a locked test cell gives its points when\n"
          f"your answer passes the same check as `check()`. `solution()` is closed; `hint()` still helps.\n"
          f"Your checks and saved models are kept in {WORK_FOLDER}/ next to this notebook and handed in with it.")


class AnswerNotAccepted(AssertionError):
    """A test cell's verdict: the answer does not pass. Shown without a traceback into course_utils."""

    def _render_traceback_(self):  # IPython shows these lines instead of the traceback
        return [f"\x1b[0;31mAssertionError\x1b[0m: {self}"]


def grade(notebook, exercise, answer):
    """Print the check's verdict when ``answer`` passes ``exercise``'s check; else raise ``AssertionError``.

    Finds the exercise by name (so it works even if the student's cells renamed ``ex``) and records nothing:
    ``check()`` in the exercise cell has already recorded the attempt.
    """
    from course_utils.checking import exercises
    from course_utils.checking.exercises.feedback import as_text

    item = getattr(exercises.load(notebook), exercise)
    feedback = item.evaluate(answer)
    if not feedback.correct:
        raise AnswerNotAccepted(as_text(feedback.status, f"{item.id}: {feedback.message}", feedback.detail))
    print(as_text(feedback.status, f"{item.id}: {feedback.message}"))
