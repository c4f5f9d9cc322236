"""Answers that are functions: called on generated test cases and compared with a reference function.

Each call runs under a time limit (``SIGALRM`` in the main thread where available, otherwise measured
after the fact). Problems are reported for the first failing case with its inputs shown compactly.
"""

import copy
import dis
import inspect
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from course_utils.checking.exercises.compare import Problem, a_type, compare, describe, safe_repr
from course_utils.checking.exercises.core import Exercise, reference_source

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + os.sep
_LIBRARY_MARKERS = ("site-packages", "dist-packages", "<frozen", os.path.dirname(os.__file__) + os.sep)
_IMPORT_GRACE = 120.0  # seconds an import may run past the time limit before it is interrupted anyway
_HEAVY_IMPORT = 20  # modules loaded by one call that make a timeout an import's fault (tensorflow: thousands)
_UNRECOGNISED = ("not_attempted", "timeout", "wrong_signature", "mutated_input")  # diagnoses of their own


class case:  # noqa: N801 - reads like a function in definitions: case(x, kernel, note="3x3 kernel")
    """One test case: the positional and keyword arguments of a call, and an optional ``note`` for messages."""

    def __init__(self, *args, note="", **kwargs):
        self.args, self.kwargs, self.note = args, kwargs, note

    def __repr__(self):
        return f"case({', '.join(map(safe_repr, self.args))}, note={self.note!r})"


def _as_case(item):
    if isinstance(item, case):
        return item
    if isinstance(item, tuple):
        return case(*item)
    return case(item)


class _TimeUp(BaseException):
    """Raised by the alarm; a BaseException so that a student's ``except Exception`` does not swallow it."""


@dataclass
class _Outcome:
    value: object = None
    error: BaseException | None = None
    seconds: float = 0.0
    timed_out: bool = False
    warnings: list = field(default_factory=list)
    imported: list = field(default_factory=list)  # top-level packages first imported during the call


def call_with_time_limit(function, args, kwargs, seconds):
    """Call ``function(*args, **kwargs)``; never raises. Stops it after ``seconds`` where signals allow."""
    use_alarm = bool(seconds) and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    outcome = _Outcome()
    previous = None
    start = time.perf_counter()
    handler = _AlarmHandler(start + seconds + _IMPORT_GRACE) if use_alarm else None
    modules_before = set(sys.modules)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if use_alarm:
                previous = signal.signal(signal.SIGALRM, handler)
                signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                outcome.value = function(*args, **kwargs)
            finally:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            outcome.warnings = [f"{w.category.__name__}: {w.message}" for w in caught[:3]]
    except _TimeUp:
        outcome.timed_out = True
    except BaseException as err:  # noqa: BLE001 - the student's error is reported, never raised
        outcome.error = err
    finally:
        if previous is not None:
            signal.signal(signal.SIGALRM, previous)
    outcome.seconds = time.perf_counter() - start
    if seconds and outcome.seconds > seconds and outcome.error is None:
        outcome.timed_out = True
    if outcome.timed_out:  # interrupted in an import, or after importing a heavy package (many modules)
        loaded = Counter(name.split(".")[0] for name in set(sys.modules) - modules_before)
        heavy = [name for name, count in loaded.most_common(1) if count >= _HEAVY_IMPORT]
        importing = handler.importing if handler else None
        outcome.imported = [name for name in dict.fromkeys([importing, *heavy]) if name]
    return outcome


class _AlarmHandler:
    """The SIGALRM handler: stop the call, but never in the middle of an import (an interrupted
    ``import tensorflow`` leaves half a package behind in the student's kernel); let the import finish, up to
    ``last_resort`` (a ``time.perf_counter()`` value), and stop the call just after it. ``importing``: the
    package it waited for."""

    def __init__(self, last_resort):
        self.last_resort = last_resort
        self.importing = None

    def __call__(self, signum, frame):
        name = _importing(frame)
        if name and time.perf_counter() < self.last_resort:
            self.importing = self.importing or name
            signal.setitimer(signal.ITIMER_REAL, 0.2)  # look again soon
            return
        raise _TimeUp(name or self.importing)


def _importing(frame):
    """The top-level package being imported when ``frame`` was interrupted (``import tensorflow`` inside the
    student's function), or ``None``."""
    name = None
    while frame is not None:
        if frame.f_code.co_name == "_find_and_load" and "importlib" in frame.f_code.co_filename:
            found = frame.f_locals.get("name")
            name = found if isinstance(found, str) else name  # the outermost import wins
        frame = frame.f_back
    return name.split(".")[0] if name else None


def _student_frame(error):
    """The frame of the student's code where ``error`` happened: the deepest one outside course_utils,
    preferring the student's files over libraries (NumPy ...). ``None`` when there is none."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_PACKAGE_DIR)]
    own = [f for f in frames if not any(marker in f.filename for marker in _LIBRARY_MARKERS)]
    chosen = own or frames
    return chosen[-1] if chosen else None


def _raised_by_the_call(error):
    """True when ``error`` was raised by the call itself (wrong arguments), not inside the called function."""
    frames = traceback.extract_tb(error.__traceback__)
    return not frames or (frames[-1].filename == __file__ and frames[-1].name == "call_with_time_limit")


def describe_error(error):
    """``'ZeroDivisionError: division by zero (in normalize, line 3: return x / 0)'``."""
    text = f"{type(error).__name__}: {str(error)[:300]}" if str(error) else type(error).__name__
    frame = _student_frame(error)
    if frame is not None:
        where = f"in {frame.name}, line {frame.lineno}"
        if frame.line:
            where += f": {frame.line.strip()}"
        text += f" ({where})"
    return text


_EMPTY_OPS = {"RESUME", "NOP", "LOAD_CONST", "RETURN_CONST", "RETURN_VALUE", "CACHE", "PRECALL"}


def is_placeholder(function):
    """True for a function whose body does nothing (``pass``, ``...``, a docstring): not attempted yet."""
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    try:
        return all(instruction.opname in _EMPTY_OPS
                   and (instruction.opname not in ("LOAD_CONST", "RETURN_CONST") or instruction.argval is None)
                   for instruction in dis.get_instructions(code))
    except Exception:  # noqa: BLE001
        return False


def _signature_text(function):
    try:
        return str(inspect.signature(function))
    except (TypeError, ValueError):
        return "(...)"


def timeout_problem(outcome, limit, where="", detail=""):
    """The ``Problem`` for a call stopped after ``limit`` seconds; when the call was importing a package for the
    first time (``import tensorflow`` inside the function), say so: that is slow once, not a slow function."""
    if outcome.imported:
        names = ", ".join(outcome.imported[:3])
        return Problem("timeout", f"Your function took longer than {limit:g} s{where}: it was importing {names} "
                       f"for the first time, which takes a while once. Put the import in a cell of its own (e.g. "
                       f"`import tensorflow as tf` at the top of the notebook), run it, and check again.", detail)
    return Problem("timeout", f"Your function took longer than {limit:g} s{where} and was stopped. Look for a loop "
                   f"that never ends, or work that NumPy can do in one vectorised step.", detail)


class Function(Exercise):
    """The answer is a function, compared with ``reference`` on the cases that ``cases(rng)`` yields
    (``rng`` a seeded ``np.random.Generator``; each case a tuple of arguments, a ``case(...)``, or a single
    argument). Outputs are compared with ``compare`` (``rtol``, ``atol``, ``dtype``). ``time_limit`` is
    seconds per call. Inputs are copied before each call; changing them in place is reported unless
    ``allow_mutation``.
    """

    kind = "function"

    def __init__(self, id, reference, cases, *, seed=0, time_limit=10.0, rtol=1e-5, atol=1e-8, dtype="kind",
                 allow_mutation=False, **options):
        super().__init__(id, **options)
        if not callable(reference):
            raise TypeError(f"Function exercise {id!r}: reference must be a function.")
        self.reference = reference
        self.cases = cases
        self.seed, self.time_limit = seed, time_limit
        self.rtol, self.atol, self.dtype = rtol, atol, dtype
        self.allow_mutation = allow_mutation
        self._prepared = None
        self._mistake_outcomes = {}  # id(mistake) -> {case index: outcome}, computed once

    def _reference_answer(self):
        return self.reference

    def _reference_source(self):
        return reference_source(self.reference)

    def prepared_cases(self):
        """``[(case, expected_output)]``, computed once from the seeded generator and the reference."""
        if self._prepared is None:
            source = self.cases(np.random.default_rng(self.seed)) if callable(self.cases) else self.cases
            prepared = []
            for item in source:
                item = _as_case(item)
                expected = self.reference(*copy.deepcopy(item.args), **copy.deepcopy(item.kwargs))
                prepared.append((item, expected))
            if not prepared:
                raise ValueError(f"Function exercise {self.id!r} has no test cases.")
            self._prepared = prepared
        return self._prepared

    def _correct_message(self):
        return f"Well done: your function matches the reference on all {len(self.prepared_cases())} test cases."

    def _not_attempted_message(self, answer):
        if answer is None or answer is Ellipsis:
            return super()._not_attempted_message(answer)
        return self._empty_body_message()

    def _empty_body_message(self):
        return (f"Write the body of your function (in place of `# YOUR CODE HERE` or `raise NotImplementedError()`), "
                f"run the cell, then check again. Stuck? Try `ex.{self.id}.hint()`.")

    def _inputs(self, item):
        try:
            bound = inspect.signature(self.reference).bind(*item.args, **item.kwargs).arguments
        except (TypeError, ValueError):
            bound = {f"argument {i + 1}": value for i, value in enumerate(item.args)} | item.kwargs
        return "\n".join(f"  {name} = {describe(value, len(name) + 5)}" for name, value in bound.items())

    def _header(self, index, item):
        total = len(self.prepared_cases())
        note = f" ({item.note})" if item.note else ""
        return f"Test case {index + 1} of {total}{note}, called with:\n{self._inputs(item)}"

    def _evaluate(self, answer):
        if not callable(answer):
            return Problem("wrong_type", f"Your answer should be a function (`def {self.name}(...):`), but it is "
                           f"{describe(answer)} ({a_type(answer)}). Pass the function itself, without "
                           f"calling it: `check({self.name})`.")
        if is_placeholder(answer):
            return Problem("not_attempted", self._not_attempted_message(answer))
        expected_signature = _signature_text(self.reference)
        problem = self._order_problem(answer)
        if problem is not None:
            return problem
        for index, (item, expected) in enumerate(self.prepared_cases()):
            args, kwargs = copy.deepcopy(item.args), copy.deepcopy(item.kwargs)
            try:
                inspect.signature(answer).bind(*args, **kwargs)
            except TypeError:
                return Problem("wrong_signature", f"Your function should accept {expected_signature}, but yours "
                               f"takes {_signature_text(answer)}.", self._header(index, item))
            except ValueError:
                pass  # no signature available (built-ins): just call it
            outcome = call_with_time_limit(answer, args, kwargs, self.time_limit)
            problem = self._outcome_problem(index, item, expected, outcome, expected_signature)
            if problem is not None and problem.status not in _UNRECOGNISED:
                recognised = self._recognise(answer, index, outcome)
                if recognised is not None:
                    problem = Problem(recognised.status, f"On test case {index + 1}: {recognised.message}",
                                      self._header(index, item))
            if problem is None and not self.allow_mutation:
                problem = self._mutation_problem(index, item, args, kwargs)
            if problem is not None:
                if outcome.warnings and problem.status not in ("not_attempted", "timeout"):
                    problem.detail += "\nPython warned: " + "; ".join(outcome.warnings)
                return problem
        return None

    def _order_problem(self, answer):
        """The reference's parameter names in another order (``padding, stride`` for ``stride, padding``): the
        test cases pass arguments by position, so each would land in the other's place."""
        try:
            mine = [p.name for p in inspect.signature(answer).parameters.values()
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            reference = list(inspect.signature(self.reference).parameters)
        except (TypeError, ValueError):
            return None
        if len(mine) != len(reference) or mine == reference or sorted(mine) != sorted(reference):
            return None
        return Problem("wrong_signature", f"Your parameters are in another order: yours are ({', '.join(mine)}), "
                       f"but `{self.name}` is called as {self.name}({', '.join(reference)}), with the arguments in "
                       f"that order (by position). Put your parameters in that order.")

    # --- recognising a catalogued mistake ----------------------------------------------------------
    def _recognise(self, answer, failing, outcome):
        """The catalogued mistake (with a message) that behaves like ``answer`` on every test case (the same
        output or the same error) and fails the case ``answer`` fails; ``None`` when there is none."""
        mine = {failing: outcome}
        for mistake in self.mistakes:
            if mistake.message is None:
                continue
            try:
                wrong = mistake.resolve()
                if (callable(wrong) and self._fails(wrong, mistake, failing)
                        and all(self._agree(mine, answer, wrong, mistake, i) for i in self._order(failing))):
                    return Problem(mistake.status, mistake.message)
            except Exception:  # noqa: BLE001 - an odd answer simply matches no mistake
                continue
        return None

    def _order(self, failing):
        """Case indices, the failing one first (so a mismatch is found with the fewest calls)."""
        return [failing] + [i for i in range(len(self.prepared_cases())) if i != failing]

    def _run(self, function, index):
        item = self.prepared_cases()[index][0]
        return call_with_time_limit(function, copy.deepcopy(item.args), copy.deepcopy(item.kwargs), self.time_limit)

    def _fails(self, wrong, mistake, index):
        """True when the catalogued ``wrong`` function itself fails test case ``index``."""
        outcome = self._mistake_outcome(wrong, mistake, index)
        if outcome.error is not None or outcome.timed_out or outcome.value is None:
            return True
        expected = self.prepared_cases()[index][1]
        return compare(expected, outcome.value, rtol=self.rtol, atol=self.atol, dtype=self.dtype) is not None

    def _mistake_outcome(self, wrong, mistake, index):
        cache = self._mistake_outcomes.setdefault(id(mistake), {})
        if index not in cache:
            cache[index] = self._run(wrong, index)
        return cache[index]

    def _agree(self, mine, answer, wrong, mistake, index):
        """True when ``answer`` and the catalogued ``wrong`` function behave the same on test case ``index``:
        equal outputs, or the same error (type and message)."""
        if index not in mine:
            mine[index] = self._run(answer, index)
        a, b = mine[index], self._mistake_outcome(wrong, mistake, index)
        if a.timed_out or b.timed_out:
            return False
        if a.error is not None or b.error is not None:  # the same error, word for word
            return type(a.error) is type(b.error) and str(a.error) == str(b.error)
        if a.value is None or b.value is None:
            return a.value is None and b.value is None
        return compare(b.value, a.value, rtol=self.rtol, atol=self.atol, dtype=None, loose=True) is None

    def _outcome_problem(self, index, item, expected, outcome, expected_signature):
        header = self._header(index, item)
        if outcome.timed_out:
            return timeout_problem(outcome, self.time_limit, f" on test case {index + 1}", header)
        error = outcome.error
        if error is not None:
            if isinstance(error, NotImplementedError) and index == 0:
                return Problem("not_attempted", self._empty_body_message())
            if isinstance(error, TypeError) and _raised_by_the_call(error):
                return Problem("wrong_signature", f"Your function should accept {expected_signature}; calling "
                               f"it failed with TypeError: {str(error)[:200]}", header)
            return Problem("error", f"Your function raised {describe_error(error)}.", header)
        got = outcome.value
        if got is None and expected is not None:
            return Problem("returned_none", "Your function returned None: did you forget the `return` "
                           "statement at the end?", header)
        if isinstance(expected, tuple):
            count = len(got) if isinstance(got, (tuple, list)) else 1
            if count != len(expected):
                return Problem("wrong_outputs", f"Your function should return {len(expected)} values (like "
                               f"`return a, b`), but it returned {count}: {describe(got)}.", header)
        problem = compare(expected, got, rtol=self.rtol, atol=self.atol, dtype=self.dtype, what="your output")
        if problem is None:
            return None
        if inspect.isgenerator(got):
            problem.message = ("Your function returned a generator: use `return` instead of `yield` "
                               "(or return `list(...)`).")
        detail = header + ("\n" + "\n".join("  " + line for line in problem.detail.splitlines())
                           if problem.detail else "")
        message = problem.message[:1].lower() + problem.message[1:]
        return Problem(problem.status, f"On test case {index + 1}, {message}", detail)

    def _mutation_problem(self, index, item, args, kwargs):
        names = self._parameter_names(item)
        for position, (before, after) in enumerate(zip(item.args, args, strict=True)):
            if isinstance(before, np.ndarray) and isinstance(after, np.ndarray) and before.shape == after.shape:
                if not np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"):
                    name = names[position] if position < len(names) else f"argument {position + 1}"
                    return Problem("mutated_input", f"Your function changed its input `{name}` in place (for "
                                   f"example with `{name} /= ...` or `{name}[...] = ...`). Work on a copy, "
                                   f"e.g. `{name} = {name}.astype(np.float32)` or `{name}.copy()`, so the "
                                   f"caller's data stays intact.", self._header(index, item))
        return None

    def _parameter_names(self, item):
        try:
            return list(inspect.signature(self.reference).parameters)
        except (TypeError, ValueError):
            return []


__all__ = ["Function", "call_with_time_limit", "case", "describe_error", "is_placeholder", "timeout_problem"]
