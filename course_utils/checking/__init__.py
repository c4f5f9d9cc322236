"""Checking the student's work: exercises and their misconception catalogues, quizzes, the progress
file, graded mode under nbgrader.
"""

from course_utils import lazy_submodules

__getattr__ = lazy_submodules(__name__)  # ``course_utils.<package>.<module>`` works before anything imported it
