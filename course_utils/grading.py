"""Graded work under nbgrader: the graded-mode switch and the autograded test cells' check.

``course release --nbgrader`` (``course_utils.nbgrader_course``) writes assignments whose notebooks use this
module in locked cells:

- near the top, ``course_utils.grading.start("01_convolution_by_hand")`` switches the kernel to graded mode:
  ``solution()`` is closed (hints still work), and progress and saved models go to ``course_work/`` in the
  notebook's own folder. nbgrader runs every submission with its own folder as the working directory, so
  during autograde no two students share a progress file or a model folder;
- after each exercise, a test cell worth points calls ``course_utils.grading.grade(notebook, exercise, answer)``:
  it prints the check's verdict when the answer passes and raises ``AssertionError`` with the very message
  ``ex.<exercise>.check(answer)`` shows when it does not, which is how nbgrader awards zero points.
"""

import os
from pathlib import Path

GRADED_ENV = "COURSE_GRADED"
WORK_FOLDER = "course_work"


def graded():
    """True in a graded assignment (after ``start()``, or with ``COURSE_GRADED=1``)."""
    return os.environ.get(GRADED_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def start(notebook):
    """Switch this kernel to graded mode; progress and models go to ``./course_work`` (the notebook's folder).

    Overrides ``COURSE_WORK_DIR`` and ``COURSE_PROGRESS_FILE``: a shared setting would mix students' work.
    """
    work = (Path.cwd() / WORK_FOLDER).resolve()
    os.environ[GRADED_ENV] = "1"
    os.environ["COURSE_WORK_DIR"] = str(work)
    os.environ["COURSE_PROGRESS_FILE"] = str(work / "progress.json")
    print(f"Graded assignment ({notebook}): after each exercise, a locked test cell gives its points when\n"
          f"your answer passes the same check as `check()`. `solution()` is closed; `hint()` still helps.\n"
          f"Your checks and saved models are kept in {WORK_FOLDER}/ next to this notebook and handed in with it.")


def closed_solution_message(exercise_id):
    return (f"{exercise_id}: the reference solution is closed in graded work. Try `ex.{exercise_id}.hint()`, "
            f"or ask your instructor.")


class AnswerNotAccepted(AssertionError):
    """A test cell's verdict: the answer does not pass. Shown without a traceback into course_utils."""

    def _render_traceback_(self):  # IPython shows these lines instead of the traceback
        return [f"\x1b[0;31mAssertionError\x1b[0m: {self}"]


def grade(notebook, exercise, answer):
    """Print the check's verdict when ``answer`` passes ``exercise``'s check; else raise ``AssertionError``.

    Finds the exercise by name (so it works even if the student's cells renamed ``ex``) and records nothing:
    ``check()`` in the exercise cell has already recorded the attempt.
    """
    from course_utils import exercises
    from course_utils.exercises.feedback import as_text

    item = getattr(exercises.load(notebook), exercise)
    feedback = item.evaluate(answer)
    if not feedback.correct:
        raise AnswerNotAccepted(as_text(feedback.status, f"{item.id}: {feedback.message}", feedback.detail))
    print(as_text(feedback.status, f"{item.id}: {feedback.message}"))
