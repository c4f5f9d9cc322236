"""Helpers shared by every notebook of the CNN course.

``import course_utils`` is instant: it imports neither TensorFlow nor matplotlib. Submodules and the
most used functions load on first use, so ``course_utils.load_mnist()`` and
``from course_utils import plot`` both work.
"""

from importlib import import_module

__version__ = "0.1.0"

_SUBMODULES = {
    "answers", "attribution", "catalog", "class_progress", "cli", "colab", "conv", "data", "env", "exercises",
    "explain", "explorers", "feature_maps", "filter_ascent", "heldout", "links", "models", "paths", "plot", "progress", "quiz",
    "recorded", "release", "runner", "startup", "timing", "training",
    "architectures", "blocks", "experiments", "recipes", "signal_flow",
}
_SUBMODULES |= {"backbones", "cells", "digit_transfer", "photos", "pretrained", "transfer"}  # notebook 06
_SUBMODULES |= {"grading", "nbgrader_course"}  # graded work under nbgrader
_SUBMODULES |= {"instructor"}  # instructor tools (course hub, course site, release check)

# Top-level shortcuts: name -> submodule that defines it.
_SHORTCUTS = {
    "load_mnist": "data",
    "load_fashion_mnist": "data",
    "shift_images": "data",
    "sample_image": "data",
    "set_seed": "training",
    "progress_bar": "training",
    "record_metric": "training",
    "fast_mode": "paths",
    "doctor": "env",
    "quiet_tensorflow": "startup",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    if name in _SHORTCUTS:
        return getattr(import_module(f"{__name__}.{_SHORTCUTS[name]}"), name)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_SHORTCUTS))
