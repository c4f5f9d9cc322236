"""Reading which choice a student picked: one convention for quiz questions and ``Choice`` exercises.

An answer names a choice by, in this order:

1. its text, ignoring case and spacing, including spaces around punctuation (``"(3,3,3,16)"`` is
   ``"(3, 3, 3, 16)"``) and a final full stop;
2. its letter as shown (``"b"``, ``"B"``, ``"b)"``, ``"(b)"``), also followed by that choice's text, as a line
   of the listing reads (``"b) only the maximum"``; a letter and a text that name different choices name none);
3. its value: a number or a word that exactly one choice starts with, followed by punctuation or a space
   (``3`` or ``"3"`` picks ``"3, the pool size"``; ``"same"`` picks ``"same: the output keeps its size"``).

Numbers compare as numbers (``3``, ``3.0``, ``"3"`` are the same, and ``"34,826"`` is ``34826``), in a text too
(``"[0, 0.5, 3]"`` is ``"[0.0, 0.5, 3.0]"``); double quotes read as single ones; ``None`` in a shape is ``batch``
(``"(None, 64)"`` is ``"(batch, 64)"``). ``True``/``False`` only name a choice
that is itself a boolean or reads true/false. Anything else names no choice (``None``).
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
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
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


def normalize(text):
    """``text`` for comparison: case-folded, spacing collapsed, no spaces around punctuation, no final '.';
    double quotes read as single ones, surrounding backticks dropped, numbers written one way (``3.0`` is
    ``3``), and ``None`` in a shape read as ``batch`` (``(None, 64)`` is ``(batch, 64)``, as Keras prints it)."""
    text = " ".join(str(text).split()).casefold().replace('"', "'")
    text = text.strip("`").strip()
    text = _PUNCTUATION_SPACES.sub(r"\1", text)
    text = text[:-1] if text.endswith(".") and not _is_number(text) else text
    text = _BATCH.sub("batch", text)
    return _NUMBER.sub(_canonical_number, text)


def as_plain_number(text):
    """``text`` as a float when it is a number, thousands separators allowed (``"34,826"``, as Keras'
    ``summary()`` prints counts) and underscores too (``34_826``); ``None`` otherwise (``"3,5"`` included)."""
    text = str(text).strip()
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
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
    """True when ``value`` is ``choice`` by text, number or boolean."""
    value_is_bool = isinstance(value, bool) or type(value).__name__ == "bool_"
    choice_is_bool = isinstance(choice, bool)
    if value_is_bool or choice_is_bool:
        return normalize(value) == normalize(choice)
    number, target = _as_float(value), _as_float(choice)
    if number is not None and target is not None:
        return number == target
    return normalize(value) == normalize(choice)


def letter(index):
    """The letter shown for choice ``index`` (0 -> ``"a"``)."""
    return LETTERS[index]


def listing(choices):
    """``"a) first, b) second"``: the choices as the student sees them."""
    return ", ".join(f"{letter(i)}) {choice}" for i, choice in enumerate(choices))


def match_choice(value, choices):
    """The index of the choice that ``value`` names (text, letter or leading value), or ``None``."""
    choices = list(choices)
    if value is None or isinstance(value, (list, tuple, set, frozenset, dict)) or callable(value):
        return None
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


__all__ = ["LETTERS", "as_plain_number", "letter", "listing", "match_choice", "normalize"]
