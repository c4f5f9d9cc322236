"""Exercises with instant, specific feedback: ``check()``, ``hint()``, ``solution()``, ``use()``.

In a notebook::

    ex = course_utils.exercises.load("01")     # or "01_convolution_by_hand"
    ex.conv_loop.check(my_conv)                # one message; recorded in the progress file; never raises
    ex.conv_loop.hint()                        # next hint level; hint(level=2) for a given one
    ex.conv_loop.solution()                    # the reference code
    conv = ex.conv_loop.use(my_conv)           # yours if it passes, else the reference (so later cells run)
    ex                                         # the notebook's exercises and their status

How to define an exercise
-------------------------
Write ``course_utils/checking/exercises/nbNN_<notebook name>.py`` with ``NOTEBOOK = "NN_<notebook name>"`` and a
list ``EXERCISES``. Each exercise is data plus a reference; the checkers are generic::

    import numpy as np
    from course_utils.checking.exercises import Choice, Function, Model, Value, case

    def normalize(images):                       # the reference; solution() shows its source
        return np.asarray(images, dtype=np.float32) / 255.0

    def normalize_cases(rng):                    # rng: a seeded np.random.Generator
        yield rng.integers(0, 256, (4, 4), dtype=np.uint8)            # one argument
        yield case(np.zeros((3, 5), np.uint8), note="all-zero image")  # case(*args, note=..., **kwargs)

    EXERCISES = [
        Function("normalize", normalize, normalize_cases, title="Scale pixels to [0, 1]",
                 hints=["vaguest first", "...", "almost the answer"]),
        Value("n_pixels", 784, title="Pixels in a 28x28 image", solution="n_pixels = 28 * 28"),
        Choice("loss", ["mse", "sparse_categorical_crossentropy"], "sparse_categorical_crossentropy",
               explanations={"mse": "MSE treats class numbers as distances."}),
        Model("small_cnn", build_small_cnn, ignore_layers=("Dropout",)),   # build_small_cnn() -> keras.Model
    ]

Misconception catalogue (every exercise; ``tests/test_catalogue.py`` runs them all): ``mistakes=[...]``, the
classic wrong answers, each failing with its own diagnosis, and ``alternatives=[...]``, right-but-different
answers that must pass::

    Function("normalize", normalize, normalize_cases,
             mistakes=[Mistake(lambda images: images // 255, "floats",   # diagnosed by the generic checks
                               ),
                       Mistake(lambda images: images / 256, "256",
                               message="You divided by 256: the largest pixel, 255, must become exactly 1.")],
             alternatives=[Alternative(lambda images: np.true_divide(images, 255))])

``Mistake(answer, says, message=None, status="wrong", lazy=False)``: ``says`` is what the feedback must contain;
with a ``message`` the checker recognises the mistake by behaviour (the same value; for a function, the same
output or error on every test case; the same option) and shows it. ``lazy=True``: ``answer`` is a callable that
makes the answer (models). The catalogues of notebooks 00-04 live in ``misconceptions/nbNN.py`` and are passed on
as ``**catalogue.NAME``.

Common options: ``title``, ``hints`` (list), ``solution`` (text; default: the reference's source),
``name`` (the notebook variable ``check()`` reads when called without an argument; default: the id).
``Function``: ``seed``, ``time_limit`` (s per call, default 10), ``rtol``, ``atol``,
``dtype`` (``"kind"``: float vs int vs bool must agree; ``"exact"``; ``None``), ``allow_mutation``.
``Value``: ``rtol``, ``atol``, ``dtype``. ``Choice``: ``explanations``, ``read`` (turns other names of an
option, e.g. a Keras loss object, into its text); ``show_options()`` prints the options with their letters.
An answer passes only if it can replace the reference in the cells that follow: where the reference is a NumPy
array, a list or a tensor fails; a subclass may convert what ``use()`` hands on (``_handed_on``).
``dtype="exact"`` on a number: a whole number must be an int (sizes). Test new definitions with ``load("NN").verify() == []`` and one
known-wrong answer per exercise (``exercise.evaluate(answer).status``).

Solution cells use nbgrader markers (``### BEGIN SOLUTION`` / ``### END SOLUTION``); the released
placeholders (``raise NotImplementedError()`` in a function, ``name = None`` at top level) are reported as
"not attempted yet".
"""

import importlib
import pkgutil
import re

from course_utils.checking.exercises.catalogue import Alternative, Equivalent, Mistake
from course_utils.checking.exercises.compare import Problem, compare
from course_utils.checking.exercises.core import Exercise, ExerciseSet
from course_utils.checking.exercises.feedback import Feedback
from course_utils.checking.exercises.functions import Function, case
from course_utils.checking.exercises.models import Model
from course_utils.checking.exercises.values import Choice, Value

_MODULE = re.compile(r"^nb(\d\d)_(\w+)$")


def available():
    """``{"00_start_here": "course_utils.checking.exercises.nb00_start_here", ...}`` for every exercise module."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.match(info.name)
        if match:
            found[f"{match.group(1)}_{match.group(2)}"] = f"{__name__}.{info.name}"
    return dict(sorted(found.items()))


def _module_for(notebook):
    key = str(notebook).strip()
    key = key.rsplit("/", 1)[-1].removesuffix(".ipynb").removeprefix("nb")
    if key.isdigit():
        key = f"{int(key):02d}"
    modules = available()
    if key in modules:
        return modules[key]
    matches = [name for ident, name in modules.items() if ident.split("_", 1)[0] == key[:2] and
               (len(key) == 2 or ident.startswith(key))]
    if len(matches) == 1:
        return matches[0]
    raise LookupError(f"No exercises found for notebook {notebook!r}. Use a notebook id or its number, one of: "
                      f"{', '.join(modules) or 'none yet'}.")


def load(notebook):
    """The ``ExerciseSet`` of a notebook, by id (``"01_convolution_by_hand"``) or number (``"01"``, ``1``)."""
    module = importlib.import_module(_module_for(notebook))
    return ExerciseSet(module.NOTEBOOK, module.EXERCISES)


__all__ = ["Alternative", "Choice", "Equivalent", "Exercise", "ExerciseSet", "Feedback", "Function", "Mistake", "Model", "Problem",
           "Value", "available", "case", "compare", "load"]
