"""Helpers shared by every notebook of the CNN course.

``import course_utils`` is instant: it imports neither TensorFlow nor matplotlib. Submodules and the
most used functions load on first use, so ``course_utils.load_mnist()`` and
``from course_utils import plot`` both work.
"""

from importlib import import_module

__version__ = "0.1.0"

# Modules and subpackages reachable as attributes (``course_utils.plot``); written by relayout.py.
_SUBMODULES = {"addresses", "building", "catalog", "cells", "checking", "colab", "conv", "data", "data_files",
    "data_sources", "env", "explorers", "figures", "heldout", "instructor", "paths", "plot", "recorded",
    "startup", "timing", "training", "transfer_learning", "visualizing"}
# Public names students use that live deeper: name -> module under course_utils.
_ALIASES = {"exercises": "checking.exercises", "quiz": "checking.quiz"}

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


def lazy_submodules(package):
    """A module ``__getattr__`` for a subpackage: ``package.<module>`` imports the module on first use."""

    def __getattr__(name):
        if not name.startswith("__"):
            try:
                return import_module(f"{package}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{package}.{name}":
                    raise
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__


def __getattr__(name):
    if name in _ALIASES:
        return import_module(f"{__name__}.{_ALIASES[name]}")
    if name in _SUBMODULES:
        return import_module(f"{__name__}.{name}")
    if name in _SHORTCUTS:
        return getattr(import_module(f"{__name__}.{_SHORTCUTS[name]}"), name)
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_ALIASES) | set(_SHORTCUTS))
