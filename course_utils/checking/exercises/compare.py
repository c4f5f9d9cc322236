"""Compare a student's value with the expected one and explain the first difference.

``compare(expected, got)`` returns ``None`` when they match, otherwise a ``Problem`` (status, message,
detail). It handles numbers (with tolerance), strings (case and spacing ignored), booleans, tuples/lists
(shapes, several outputs), dicts and NumPy arrays (shape, dtype kind, NaN/inf, largest difference).
It never raises for odd answers (objects whose ``__eq__`` or ``__array__`` raises, generators, huge inputs).
"""

import inspect
import numbers
import reprlib
from dataclasses import dataclass

import numpy as np


@dataclass
class Problem:
    """Why an answer is not right: a status word, a friendly sentence, and an optional example."""

    status: str
    message: str
    detail: str = ""


_REPR = reprlib.Repr()
_REPR.maxstring = 60
_REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = 8


def safe_repr(value):
    """A short ``repr`` that never raises."""
    try:
        return _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break the check
        return f"<{type(value).__name__} object>"


def type_name(value):
    """``'int'``, ``'list'``, ``'numpy.ndarray'``, ``'function'`` ... for messages."""
    kind = type(value)
    module = kind.__module__
    return kind.__name__ if module in ("builtins", None) else f"{module.split('.')[0]}.{kind.__name__}"


def a_type(value):
    """``'an int'``, ``'a list'``, ``'a numpy.ndarray'``: the article and type name for messages."""
    name = type_name(value)
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def describe(value, indent=0):
    """A compact, readable form of ``value``: small arrays in full, large ones as a one-line summary."""
    pad = " " * indent
    if isinstance(value, np.ndarray):
        if value.size <= 36 and value.ndim <= 2 and value.dtype != object:
            body = np.array2string(value, precision=4, suppress_small=True, separator=", ")
            body = body.replace("\n", "\n" + pad)
            return f"{body} (shape {value.shape}, {value.dtype})"
        summary = f"array of shape {value.shape}, dtype {value.dtype}"
        if value.size and value.dtype.kind in "biuf":
            with np.errstate(all="ignore"):
                summary += f", values {_num(np.nanmin(value))} .. {_num(np.nanmax(value))}"
        return summary
    if isinstance(value, (list, tuple)) and len(value) <= 8:
        parts = [describe(item) for item in value]
        if all("\n" not in part and len(part) < 40 for part in parts):
            inner = ", ".join(parts) + ("," if isinstance(value, tuple) and len(value) == 1 else "")
            return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if callable(value) and hasattr(value, "__name__"):
        return f"function {value.__name__}"
    return safe_repr(value)


def _num(value):
    try:
        value = value.item() if hasattr(value, "item") else value
        if not isinstance(value, float):
            return str(value)
        short = f"{value:.6g}"  # 6 digits, unless they would hide the difference (204928.5 is not 204928)
        return short if float(short) == value else f"{value:.12g}"
    except Exception:  # noqa: BLE001
        return safe_repr(value)


def _callable_note(got):
    if callable(got) and not isinstance(got, type):
        return " It looks like you passed a function: call it and pass its result, or check the exercise."
    if inspect.isgenerator(got):
        return " It is a generator: use `return` instead of `yield`, or wrap it with `list(...)`."
    return ""


_KINDS = {"b": "booleans (True/False)", "i": "integers", "u": "integers", "f": "floats", "c": "complex numbers"}


def compare(expected, got, *, rtol=1e-5, atol=1e-8, dtype="kind", reveal=True, what="your answer", loose=False):
    """``None`` if ``got`` matches ``expected``, otherwise a ``Problem`` about the first difference.

    ``dtype``: ``"kind"`` (float vs integer vs bool must agree), ``"exact"`` (arrays: the same dtype;
    numbers: a whole number where one is expected) or ``None`` (ignore).
    ``reveal=False`` never shows the expected value (for answers that are the solution itself).
    Where a NumPy array is expected, only a NumPy array passes (a list or a tensor cannot replace it in the
    cells that follow); ``loose=True`` compares the values of any array-like (to recognise mistakes).
    """
    if isinstance(expected, str):
        return _compare_text(expected, got, reveal, what)
    if isinstance(expected, (bool, np.bool_)):
        return _compare_bool(expected, got, reveal, what)
    if isinstance(expected, (numbers.Number, np.number)):
        return _compare_number(expected, got, rtol, atol, dtype, reveal, what)
    if isinstance(expected, (tuple, list)):
        return _compare_sequence(expected, got, rtol, atol, dtype, reveal, what, loose)
    if isinstance(expected, dict):
        return _compare_dict(expected, got, rtol, atol, dtype, reveal, what, loose)
    if isinstance(expected, np.ndarray):
        return _compare_array(expected, got, rtol, atol, dtype, reveal, what, loose)
    if expected is None:
        if got is None:
            return None
        return Problem("wrong", f"{_cap(what)} should be None, but it is {describe(got)}.")
    try:
        if bool(expected == got):
            return None
    except Exception:  # noqa: BLE001
        pass
    return Problem("wrong", f"{_cap(what)} is not the expected value.", _expected_got(expected, got, reveal))


def _cap(text):
    return text[:1].upper() + text[1:]


def _expected_got(expected, got, reveal):
    lines = [f"expected: {describe(expected, 10)}"] if reveal else []
    return "\n".join(lines + [f"got:      {describe(got, 10)}"])


def _compare_text(expected, got, reveal, what):
    if not isinstance(got, str):
        return Problem(
            "wrong_type", f"{_cap(what)} should be text (a string in quotes), but it is {a_type(got)}."
            + _callable_note(got)
        )
    if " ".join(expected.split()).casefold() == " ".join(got.split()).casefold():
        return None
    return Problem("wrong", f"{_cap(what)} {safe_repr(got)} is not the expected text.",
                   f"expected: {expected!r}" if reveal else "")


def _compare_bool(expected, got, reveal, what):
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype == bool:
        got = bool(got)
    if not isinstance(got, (bool, np.bool_)):
        return Problem("wrong_type", f"{_cap(what)} should be True or False, but it is {describe(got)}."
                       + _callable_note(got))
    if bool(got) == bool(expected):
        return None
    return Problem("wrong", f"{_cap(what)} is {bool(got)}, which is not right.",
                   f"expected: {bool(expected)}" if reveal else "")


def _as_number(got):
    """A Python/NumPy number from ``got`` (0-d arrays included), or ``None``."""
    if isinstance(got, (bool, np.bool_)):
        return None
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "iufc":
        return got[()]
    if isinstance(got, (numbers.Number, np.number)):
        return got
    return None


def _quoted_number_note(text):
    """What to say about text given where a number is expected, in the student's own words."""
    inner = text.strip()
    try:
        float(inner.replace("_", ""))
    except ValueError:
        return " Give a number (or an expression that computes it, such as `28 * 28`), not text in quotes."
    return f" Remove the quotes: write {inner}, not {text!r}."


def _compare_number(expected, got, rtol, atol, dtype, reveal, what):
    value = _as_number(got)
    if value is None:
        if isinstance(got, np.ndarray) or isinstance(got, (list, tuple)):
            shape = np.shape(got) if not isinstance(got, np.ndarray) else got.shape
            return Problem("wrong_type", f"{_cap(what)} should be a single number, but it is "
                           f"{a_type(got)} of shape {shape}. If it holds one value, use `.item()` or `[0]`.")
        hint = _quoted_number_note(got) if isinstance(got, str) else _callable_note(got)
        if not hint and hasattr(got, "numpy") and callable(got.numpy) and getattr(got, "shape", None) == ():
            hint = " It is a tensor holding one number: convert it with `int(...)` or `float(...)`."
        return Problem("wrong_type", f"{_cap(what)} should be a number, but it is {describe(got)} "
                       f"({a_type(got)}).{hint}")
    if isinstance(value, (complex, np.complexfloating)) and not isinstance(expected, (complex, np.complexfloating)):
        return Problem("wrong_type", f"{_cap(what)} is a complex number ({value}); a real number is expected.")
    if (dtype == "exact" and isinstance(expected, (numbers.Integral, np.integer))
            and not isinstance(value, (numbers.Integral, np.integer))):
        return Problem("wrong_dtype", f"{_cap(what)} is {_num(value)}, a {type_name(value)}: a whole number (an "
                       f"int) is expected, since sizes and counts have no fractions and `range()` or `np.zeros()` "
                       f"reject floats. Use `//` (integer division), `math.floor`/`math.ceil` (they return ints) or "
                       f"`int(...)`.")
    if isinstance(value, (numbers.Integral, np.integer)) and isinstance(expected, (numbers.Integral, np.integer)):
        if int(value) == int(expected):
            return None
        return _wrong_number(expected, value, reveal, what)
    try:
        exp_f, got_f = complex(expected), complex(value)
    except (OverflowError, ValueError, TypeError):
        return _wrong_number(expected, value, reveal, what)
    if not np.isfinite(got_f) and np.isfinite(exp_f):
        return Problem("nan", f"{_cap(what)} is {value}: a NaN or infinity usually comes from a division by "
                       f"zero, a log of 0 or a value that grew too large.")
    with np.errstate(all="ignore"):
        if np.isclose(got_f, exp_f, rtol=rtol, atol=atol, equal_nan=True):
            return None
    return _wrong_number(expected, value, reveal, what)


def _wrong_number(expected, got, reveal, what):
    if reveal:
        return Problem("wrong", f"{_cap(what)} is {_num(got)}, expected {_num(expected)}.")
    try:
        direction = " (too large)" if got > expected else " (too small)"
    except Exception:  # noqa: BLE001
        direction = ""
    return Problem("wrong", f"{_cap(what)} {_num(got)} is not right yet{direction}. Try again, or ask for a hint().")


def _compare_sequence(expected, got, rtol, atol, dtype, reveal, what, loose=False):
    if isinstance(got, np.ndarray) and got.ndim == 1:
        got = got.tolist()
    if not isinstance(got, (tuple, list)):
        kind = "tuple" if isinstance(expected, tuple) else "list"
        return Problem("wrong_type", f"{_cap(what)} should be a {kind} of {len(expected)} items, like "
                       f"{describe(expected) if reveal else '(a, b)'}, but it is {describe(got)}."
                       + _callable_note(got))
    if len(got) != len(expected):
        return Problem("wrong_shape", f"{_cap(what)} has {len(got)} items, expected {len(expected)}.",
                       _expected_got(expected, got, reveal))
    for index, (exp_item, got_item) in enumerate(zip(expected, got, strict=True)):
        problem = compare(exp_item, got_item, rtol=rtol, atol=atol, dtype=dtype, reveal=reveal,
                          what=f"item {index} of {what}", loose=loose)
        if problem:
            return problem
    return None


def _compare_dict(expected, got, rtol, atol, dtype, reveal, what, loose=False):
    if not isinstance(got, dict):
        return Problem("wrong_type", f"{_cap(what)} should be a dict, but it is {describe(got)}.")
    missing = [key for key in expected if key not in got]
    if missing:
        return Problem("wrong", f"{_cap(what)} is missing the key(s) {', '.join(map(safe_repr, missing))}.")
    for key in expected:
        problem = compare(expected[key], got[key], rtol=rtol, atol=atol, dtype=dtype, reveal=reveal,
                          what=f"{what}[{key!r}]", loose=loose)
        if problem:
            return problem
    return None


def to_array(got, what="your answer"):
    """``(array, None)`` or ``(None, Problem)``: lists are fine, strings, None and generators are not."""
    if got is None or isinstance(got, (str, bytes, dict, set)) or inspect.isgenerator(got) or callable(got):
        return None, Problem("wrong_type", f"{_cap(what)} should be a NumPy array, but it is {describe(got)} "
                             f"({a_type(got)}).{_callable_note(got)}")
    try:
        array = np.asarray(got)
    except Exception as err:  # noqa: BLE001 - ragged lists, broken __array__ ...
        return None, Problem("wrong_type", f"{_cap(what)} could not be turned into a NumPy array "
                             f"({type(err).__name__}: {str(err)[:120]}). Are all rows the same length?")
    if array.dtype.kind not in "biufc":
        return None, Problem("wrong_type", f"{_cap(what)} should hold numbers, but it holds {array.dtype} values "
                             f"(e.g. {safe_repr(array.flat[0]) if array.size else 'nothing'}).")
    return array, None


def _shape_hint(expected, got):
    if got.shape == expected.shape[::-1]:
        return " It looks transposed: check the order of your axes."
    if got.size == expected.size:
        return " It has the right number of values: check how you reshape or index it."
    if tuple(d for d in got.shape if d != 1) == tuple(d for d in expected.shape if d != 1):
        return " Only axes of length 1 differ: check `np.newaxis`, `keepdims` or `.squeeze()`."
    if got.ndim == expected.ndim and all(abs(g - e) <= 2 for g, e in zip(got.shape, expected.shape, strict=True)):
        return " The sizes are close: check the loop bounds, the padding and the stride."
    return ""


def _dtype_problem(expected, got, dtype, what):
    if dtype is None or expected.dtype == got.dtype:
        return None
    if dtype == "exact":
        return Problem("wrong_dtype", f"{_cap(what)} has dtype {got.dtype}, expected {expected.dtype}: "
                       f"use `.astype(np.{expected.dtype})`.")
    exp_kind, got_kind = expected.dtype.kind, got.dtype.kind
    if exp_kind == "f" and got_kind in "biu":
        return Problem("wrong_dtype", f"{_cap(what)} holds {_KINDS[got_kind]} (dtype {got.dtype}), but floats "
                       f"are expected: integers cannot hold fractions like 0.5. Check where the array is made "
                       f"(`np.zeros(shape)` is float; `dtype=int`, or `np.zeros_like` of integer pixels, is not) "
                       f"and the division (`/`, not `//`); or convert with `.astype(np.float32)`.")
    if exp_kind == "b" and got_kind != "b":
        return Problem("wrong_dtype", f"{_cap(what)} holds {_KINDS.get(got_kind, got.dtype)} (dtype {got.dtype}), "
                       f"but True/False values are expected: use a comparison such as `x > 0`.")
    if exp_kind in "iu" and got_kind == "b":
        return Problem("wrong_dtype", f"{_cap(what)} holds True/False values, but integers are expected.")
    if exp_kind in "iuf" and got_kind == "c":
        return Problem("wrong_dtype", f"{_cap(what)} holds complex numbers, but real numbers are expected.")
    return None


def not_an_array(got, what="your answer"):
    """A ``Problem`` when ``got`` is not a NumPy array (a list, a tensor ...), else ``None``."""
    if isinstance(got, np.ndarray):
        return None
    kind = a_type(got)
    if isinstance(got, (list, tuple)):
        fix = ("Turn it into one with `np.array(...)`, or fill a NumPy array from the start "
               "(`out = np.zeros(...)`).")
    elif hasattr(got, "numpy") and callable(got.numpy):
        fix = "Convert it with `.numpy()`."
    else:
        return None  # numbers, text, None ...: to_array() explains those
    return Problem("wrong_type", f"{_cap(what)} is {kind}, but a NumPy array is expected: the cells that follow "
                   f"use array features such as `.shape`, `.round()` and `out[i, j]` indexing. {fix}")


def _compare_array(expected, got, rtol, atol, dtype, reveal, what, loose=False):
    problem = None if loose or (isinstance(got, np.generic) and expected.ndim == 0) else not_an_array(got, what)
    if problem:
        return problem
    array, problem = to_array(got, what)
    if problem:
        return problem
    if array.shape != expected.shape:
        return Problem("wrong_shape", f"{_cap(what)} has shape {array.shape}, expected {expected.shape}."
                       + _shape_hint(expected, array))
    problem = _dtype_problem(expected, array, dtype, what)
    if problem:
        return problem
    if array.size == 0:
        return None
    with np.errstate(all="ignore"):
        exp_f = expected.astype(np.complex128 if expected.dtype.kind == "c" else np.float64)
        got_f = array.astype(np.complex128 if array.dtype.kind == "c" else np.float64)
        bad = ~np.isfinite(got_f) & np.isfinite(exp_f)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            kind = "NaN (not a number)" if np.isnan(got_f[index]) else "infinity"
            return Problem("nan", f"{_cap(what)} contains {kind} at {int(bad.sum())} position(s), the first at "
                           f"index {index}. This usually comes from a division by zero (0/0), a log of 0, or "
                           f"values that grew too large.")
        close = np.isclose(got_f, exp_f, rtol=rtol, atol=atol, equal_nan=True)
        if close.all():
            return None
        diff = np.where(close, 0.0, np.abs(got_f - exp_f))
        diff = np.where(np.isnan(diff), np.inf, diff)
        index = np.unravel_index(int(np.argmax(diff)), diff.shape)
        index = tuple(int(i) for i in index)
    n_bad = int((~close).sum())
    where = f"index {index}" if index else "the value"
    if array.dtype == np.float16 and np.allclose(got_f, exp_f, rtol=4e-3, atol=atol):
        return Problem("wrong_dtype", f"{_cap(what)} is float16, which keeps only about 3 significant digits: "
                       f"{n_bad} value(s) are off by rounding (the largest difference is at {where}). Compute in "
                       f"float32 (`.astype(np.float32)`) or float64.")
    if reveal:
        message = (f"{_cap(what)} differs from the expected values at {n_bad} of {close.size} position(s). "
                   f"The largest difference is at {where}: expected {_num(expected[index])}, "
                   f"got {_num(array[index])}.")
        detail = _expected_got(expected, array, True) if expected.size <= 36 and expected.ndim <= 2 else ""
    else:
        message = (f"{_cap(what)} has the right shape but {n_bad} of {close.size} value(s) are not right yet; "
                   f"the largest difference is at {where} (yours: {_num(array[index])}).")
        detail = ""
    return Problem("wrong", message, detail)
