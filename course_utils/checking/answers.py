"""Reading which choice a student picked: one convention for quiz questions and ``Choice`` exercises.

An answer names a choice by, in this order:

1. its text, ignoring case and spacing, including spaces around punctuation (``"(3,3,3,16)"`` is
   ``"(3, 3, 3, 16)"``) and a final full stop;
2. its letter as shown (``"b"``, ``"B"``, ``"b)"``, ``"(b)"``), also followed by that choice's text, as a line
   of the listing reads (``"b) only the maximum"``; a letter and a text that name different choices name none);
3. its value: a number or a word that exactly one choice starts with, followed by punctuation or a space
   (``3`` or ``"3"`` picks ``"3, the pool size"``; ``"same"`` picks ``"same: the output keeps its size"``).

Numbers compare as numbers (``3``, ``3.0``, ``"3"`` are the same, and ``"34,826"``, ``"34 826"`` are ``34826``),
in a text too (``"[0, 0.5, 3]"`` is ``"[0.0, 0.5, 3.0]"``); double quotes read as single ones, and quotes around
a whole answer are dropped (``"'255'"``); ``None`` in a shape is ``batch`` (``"(None, 64)"`` is ``"(batch, 64)"``).
A sequence of numbers names the choice with the same numbers, however written: a tuple, list or array value
(``(3, 3, 3, 16)``, ``np.array([0, 0.5, 3])``) or a text (``"0, 0.5, 3"``, ``"[0.0 0.5 3.0]"``, ``"3x3x3x16"``,
``"(3, 3, 3, 16,)"``); a shape with a leading ``None`` (the batch axis) also names the choice without it.
A name written as words or in class-name spelling names a snake_case choice (``"SparseCategoricalCrossentropy"``,
``"sparse categorical crossentropy"`` name ``"sparse_categorical_crossentropy"``). ``True``/``False`` only name
a choice that is itself a boolean or reads true/false. Anything else names no choice (``None``).
"""

import math
import numbers
import re
import string

LETTERS = string.ascii_lowercase
_LETTER = re.compile(r"^\(?([a-z])\)?[.)]?$")
_LETTER_AND_TEXT = re.compile(r"^\(?([a-z])[.)]\s*(.+)$")
_LEADING = re.compile(r"^([^\s,;:()]+?)[.]?(?=[\s,;:(]|$)")
_PUNCTUATION_SPACES = re.compile(r"\s*([,;:()\[\]{}=+*/-])\s*")


_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d*)?(?:e[+-]?\d+)?)(?![\w.])")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:(?:,\d{3})+|(?:[ \u00a0\u2009\u202f]\d{3})+)(?:\.\d+)?$")
_QUOTES = ("'", '"', "`")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_SEQUENCE_SPLIT = re.compile(r"\s*,\s*|\s*[x\u00d7]\s*|\s+")
_BATCH = re.compile(r"(?<=[(\[,])none(?=[,)\]])")


def _canonical_number(found):
    """A number in text written one way (``3.0`` and ``3.00`` as ``3``; ``0.50`` as ``0.5``)."""
    try:
        number = float(found.group(1))
    except ValueError:
        return found.group(1)
    if not math.isfinite(number):
        return found.group(1)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def unquote(text):
    """``text`` without quotes around the whole of it (``"'255'"`` -> ``"255"``)."""
    text = str(text).strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    return text


def as_sequence(value):
    """A tuple of floats (``None`` for a batch axis) when ``value`` is a sequence of at least two numbers: a
    tuple, list or 1-D array, or a text such as ``"(3, 3, 3, 16)"``, ``"0, 0.5, 3"``, ``"[0. 0.5 3.]"`` or
    ``"3x3x3x16"``; ``None`` otherwise."""
    if isinstance(value, str):
        text = unquote(value).casefold().strip()
        if text[:1] + text[-1:] in ("()", "[]"):
            text = text[1:-1].strip()
        text = text[:-1].strip() if text.endswith(",") else text
        items = [item for item in _SEQUENCE_SPLIT.split(text)] if text else []
    elif isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        items = list(value.tolist() if type(value).__name__ == "ndarray" else value)
    else:
        return None
    numbers_ = []
    for item in items:
        if item is None or (isinstance(item, str) and item in ("none", "batch")):
            numbers_.append(None)
            continue
        number = _as_float(item)
        if number is None:
            return None
        numbers_.append(number + 0.0)  # -0.0 is 0.0
    return tuple(numbers_) if len(numbers_) >= 2 else None


def _same_sequence(value, choice):
    mine, theirs = as_sequence(value), as_sequence(choice)
    if mine is None or theirs is None:
        return False
    return mine == theirs or (mine[0] is None and mine[1:] == theirs)


def _same_identifier(value, choice):
    """``"SparseCategoricalCrossentropy"`` or ``"sparse categorical crossentropy"`` for a snake_case choice."""
    if not isinstance(value, str) or not isinstance(choice, str) or not _IDENTIFIER.match(normalize(choice)):
        return False
    letters = re.sub(r"[^a-z0-9]", "", unquote(value).casefold().removesuffix("()"))
    return letters == re.sub(r"[^a-z0-9]", "", choice.casefold())


def normalize(text):
    """``text`` for comparison: case-folded, spacing collapsed, no spaces around punctuation, no final '.';
    double quotes read as single ones, surrounding backticks dropped, numbers written one way (``3.0`` is
    ``3``), and ``None`` in a shape read as ``batch`` (``(None, 64)`` is ``(batch, 64)``, as Keras prints it)."""
    text = unquote(" ".join(str(text).split())).casefold().replace('"', "'")
    text = text.strip("`").strip()
    text = _PUNCTUATION_SPACES.sub(r"\1", text)
    text = text[:-1] if text.endswith(".") and not _is_number(text) else text
    text = _BATCH.sub("batch", text)
    return _NUMBER.sub(_canonical_number, text)


def as_plain_number(text):
    """``text`` as a float when it is a number, thousands separators allowed (``"34,826"``, as Keras'
    ``summary()`` prints counts) and underscores too (``34_826``); ``None`` otherwise (``"3,5"`` included)."""
    text = unquote(text)
    if _THOUSANDS.match(text):
        text = re.sub(r"[,\s\u00a0\u2009\u202f]", "", text)
    try:
        number = float(text.replace("_", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _is_number(text):
    try:
        return math.isfinite(float(str(text).replace("_", "")))
    except (TypeError, ValueError):
        return False


def _as_float(value):
    """A float for a real number or numeric text (not booleans), else ``None``."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return None
    if isinstance(value, numbers.Real):
        number = float(value)
    elif isinstance(value, str) and as_plain_number(value) is not None:
        number = as_plain_number(value)
    else:
        return None
    return number if math.isfinite(number) else None


def _same(value, choice):
    """True when ``value`` is ``choice`` by text, number, sequence of numbers or boolean."""
    value_is_bool = isinstance(value, bool) or type(value).__name__ == "bool_"
    choice_is_bool = isinstance(choice, bool)
    if value_is_bool or choice_is_bool:
        return normalize(value) == normalize(choice)
    number, target = _as_float(value), _as_float(choice)
    if number is not None and target is not None:
        return number == target
    if not isinstance(value, str):
        return _same_sequence(value, choice)
    return normalize(value) == normalize(choice) or _same_sequence(value, choice) or _same_identifier(value, choice)


def letter(index):
    """The letter shown for choice ``index`` (0 -> ``"a"``)."""
    return LETTERS[index]


def listing(choices):
    """``"a) first, b) second"``: the choices as the student sees them."""
    return ", ".join(f"{letter(i)}) {choice}" for i, choice in enumerate(choices))


def match_choice(value, choices):
    """The index of the choice that ``value`` names (text, letter or leading value), or ``None``."""
    choices = list(choices)
    if value is None or isinstance(value, (set, frozenset, dict)) or callable(value):
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        if as_sequence(value) is None:
            return None
        named = [i for i, choice in enumerate(choices) if _same_sequence(value, choice)]
        return named[0] if len(named) == 1 else None
    try:
        for index, choice in enumerate(choices):
            if _same(value, choice):
                return index
        if isinstance(value, str):
            found = _LETTER.match(normalize(value))
            if found and found.group(1) in LETTERS[: len(choices)]:
                return LETTERS.index(found.group(1))
            found = _LETTER_AND_TEXT.match(normalize(value))
            if found and found.group(1) in LETTERS[: len(choices)]:
                index = LETTERS.index(found.group(1))
                if normalize(found.group(2)) == normalize(choices[index]):
                    return index
        if isinstance(value, bool) or type(value).__name__ == "bool_":
            return None
        leading = [i for i, choice in enumerate(choices)
                   if isinstance(choice, str) and (token := _LEADING.match(normalize(choice)))
                   and _same(value, token.group(1))]
        return leading[0] if len(leading) == 1 else None
    except Exception:  # noqa: BLE001 - odd objects (a raising __eq__ or __str__) name no choice
        return None


__all__ = ["LETTERS", "as_plain_number", "as_sequence", "letter", "listing", "match_choice", "normalize", "unquote"]
