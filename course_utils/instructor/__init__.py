"""Instructor tools: run the course for a class (JupyterHub with nbgrader) and publish it (website, release check)."""

from course_utils import lazy_submodules  # noqa: E402

__getattr__ = lazy_submodules(__name__)  # ``course_utils.<package>.<module>`` works before anything imported it
