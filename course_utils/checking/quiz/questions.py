"""Concrete questions and their grading: ``Question.check(value)`` returns a ``Feedback`` and never raises.

Choices are named as everywhere in the course (``course_utils.checking.answers``): by letter, by text (case and spacing
ignored) or by value. Feedback is shown by the exercises' renderer (``course_utils.checking.exercises.feedback``), so a
quiz answer and an exercise check look the same.
"""

import math
import re
from dataclasses import dataclass, field

from course_utils.checking import answers
from course_utils.checking.quiz import text

TYPES = ("single", "multiple", "numeric", "true_false")
DEFAULT_TOLERANCE = 1e-6
_LETTERS_ONLY = re.compile(r"[\s,;]+")
_RUN_OF_LETTERS = re.compile(r"^[a-z]{2,}$")
_DOT_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(?:\.\d{3})+$")  # "18.496": 18496, or 18.496?
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,(?:\d{1,2}|\d{4,})$")  # "5,5": 5.5 in much of Europe
_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}


@dataclass(frozen=True)
class Feedback:
    """The result of one answer. ``correct`` is None when the input was not an answer at all (status
    ``invalid`` or ``unknown``); otherwise ``status`` is ``correct``, ``wrong`` or ``partial``."""

    question_id: str
    correct: object
    status: str
    message: str
    explanation: str = ""
    missing: tuple = ()
    extra: tuple = ()

    @property
    def icon(self):
        from course_utils.checking.exercises.feedback import STATUSES

        return STATUSES[self.status][0]

    @property
    def text(self):
        """Plain text: ``icon label - id: message``, then ``Why: explanation`` indented."""
        from course_utils.checking.exercises.feedback import as_text

        why = f"Why: {self.explanation}" if self.explanation else ""
        return as_text(self.status, f"{self.question_id}: {self.message}", why)

    def html(self, with_id=False):
        """The exercises' feedback box with the message (led by the question id when ``with_id``), then
        the explanation."""
        from course_utils.checking.exercises.feedback import as_html

        message = f"`{self.question_id}`: {self.message}" if with_id else self.message
        why = ""
        if self.explanation:
            why = (f'<div class="course-quiz-why" style="margin:2px 0 6px 17px;line-height:1.45">'
                   f"<b>Why:</b> {text.markup(self.explanation)}</div>")
        return as_html(self.status, message) + why

    def show(self):
        """Show the feedback: the HTML box in a live notebook, plain text elsewhere."""
        from course_utils.checking.exercises.feedback import show_html

        show_html(self.html(with_id=True), self.text)

    def __str__(self):
        return self.text

    def _ipython_display_(self):
        """``answer()`` already showed the feedback; showing it again as the cell's value would repeat it."""


@dataclass(frozen=True)
class Question:
    """A concrete question (generated values filled in); ``check(value)`` grades without recording."""

    id: str
    type: str
    prompt: str
    choices: tuple
    answer: object
    explanation: str
    topic: str
    notebook: str
    tolerance: float = DEFAULT_TOLERANCE
    values: dict = field(default_factory=dict)
    hint: str = ""  # shown after a wrong first try (course_utils.checking.quiz.tries); never the answer

    @property
    def answer_text(self):
        """The correct answer as a student would read it."""
        if self.type == "multiple":
            return "; ".join(self.answer)
        return str(self.answer)

    def how_to_answer(self):
        """A short hint on the form an answer takes."""
        return text.how_to_answer(self.type)

    def check(self, value):
        """Grade ``value``; never raises for a student's input."""
        try:
            return getattr(self, f"_check_{self.type}")(value)
        except Exception as err:  # noqa: BLE001 - a student's odd input must never become a traceback
            return self.invalid(f"That answer could not be read ({err.__class__.__name__}). "
                                f"Answer with {self.how_to_answer()}.")

    def invalid(self, message):
        """Feedback for input that is not an answer: shown, not recorded, not counted."""
        return Feedback(self.id, None, "invalid", message)

    def _graded(self, correct, status=None, message=None, missing=(), extra=()):
        status = status or ("correct" if correct else "wrong")
        if message is None and correct:
            many = self.type == "multiple" and len(self.answer) > 1
            message = f"all {len(self.answer)} right choices." if many else f"{self.answer_text}."
        elif message is None:
            message = f"The answer is: {self.answer_text}."
        return Feedback(self.id, bool(correct), status, message, self.explanation, tuple(missing),
                        tuple(extra))

    def choice_named(self, value):
        """The choice text that ``value`` names (its text, letter or value), or None."""
        index = answers.match_choice(value, self.choices)
        return None if index is None else self.choices[index]

    def choices_named(self, value):
        """``(picked choices, names that match no choice)`` for a list of names or a comma-separated text.

        In a text, a choice whose own text contains commas (``"(3, 3, 3, 16)"``) is read whole.
        """
        names = self._split(value) if isinstance(value, str) else list(value)
        picked, unknown = [], []
        for name in names:
            choice = self.choice_named(name)
            if choice is None:
                unknown.append(name)
            elif choice not in picked:
                picked.append(choice)
        if unknown and isinstance(value, str):
            letters = _LETTERS_ONLY.split(answers.unquote(value).casefold())
            if len(letters) == 1 and _RUN_OF_LETTERS.match(letters[0]):  # "ac", "abc": letters without separators
                letters = list(letters[0])
                if len(set(letters)) != len(letters):
                    return picked, unknown
            shown = answers.LETTERS[: len(self.choices)]
            if len(letters) > 1 and all(len(x) == 1 and x in shown for x in letters):  # "a c", "a; c"
                return list(dict.fromkeys(self.choices[shown.index(x)] for x in letters)), []
        return picked, unknown

    def _split(self, value):
        parts, names, start = _top_level_parts(value), [], 0
        whole = {answers.normalize(c): c for c in self.choices}
        while start < len(parts):
            end = next((e for e in range(len(parts), start + 1, -1)
                        if answers.normalize(",".join(parts[start:e])) in whole), start + 1)
            name = ",".join(parts[start:end])
            if name.strip():
                names.append(name.strip())
            start = end
        return names

    def _letters(self):
        return ", ".join(answers.letter(i) for i in range(len(self.choices)))

    def _check_single(self, value):
        sequence = isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray"
        if sequence and answers.as_sequence(value) is not None:  # (3, 3, 3, 16): a choice's value
            choice = self.choice_named(value)
            if choice is not None:
                return self._graded(choice == self.answer)
        if value is None or sequence or isinstance(value, (set, frozenset, dict, bool)):
            return self.invalid(f"Pick one choice: answer with {self.how_to_answer()}.")
        choice = self.choice_named(value)
        if choice is None:
            return self.invalid(f"{value!r} is not one of the choices. Use a letter ({self._letters()}), "
                                f"the choice's text or its value.")
        return self._graded(choice == self.answer)

    def _check_multiple(self, value):
        if value is None or not isinstance(value, (str, list, tuple, set, frozenset)):
            return self.invalid(f"Select all that apply: answer with {self.how_to_answer()}.")
        picked, unknown = self.choices_named(value)
        if unknown:
            return self.invalid(f"{', '.join(map(repr, unknown))} is not among the choices. Use letters "
                                f"({self._letters()}), choice texts or values, in a list or separated by "
                                f"commas (\"a, c\").")
        if not picked:
            return self.invalid(f"Select at least one choice: answer with {self.how_to_answer()}.")
        right, picked = set(self.answer), set(picked)
        if picked == right:
            return self._graded(True)
        missing = [c for c in self.choices if c in right - picked]
        extra = [c for c in self.choices if c in picked - right]
        parts = []
        if missing:
            parts.append("Missing: " + "; ".join(missing) + ".")
        if extra:
            parts.append("Should not be selected: " + "; ".join(extra) + ".")
        status = "partial" if picked & right else "wrong"
        return self._graded(False, status, " ".join(parts), missing, extra)

    def _check_numeric(self, value):
        text = answers.unquote(value) if isinstance(value, str) else None
        whole = float(self.answer).is_integer()
        if text is not None and whole and _DOT_THOUSANDS.match(text):
            plain = text.replace(".", "")
            return self.invalid(f"{value!r} is ambiguous: a dot separates decimals ({text} is a little more than "
                                f"{text.split('.')[0]}), but in some countries thousands ({plain}). Write whole "
                                f"numbers without a separator ({plain}) or with commas ({int(plain):,}).")
        if text is not None and _DECIMAL_COMMA.match(text):
            return self.invalid(f"{value!r} is ambiguous: write decimals with a dot ({text.replace(',', '.')}); a "
                                f"comma separates thousands only, in groups of three (34,826).")
        number = as_number(value)
        if number is None:
            return self.invalid(f"{value!r} is not a number. Answer with a number, e.g. 26 or 0.5.")
        return self._graded(abs(number - self.answer) <= self.tolerance)

    def _check_true_false(self, value):
        if type(value).__name__ in ("bool", "bool_"):
            given = bool(value)
        elif isinstance(value, int) and value in (0, 1):  # 1 for True, 0 for False, as Python reads them
            given = bool(value)
        elif isinstance(value, str) and answers.normalize(value) in _TRUE | _FALSE | {"1", "0"}:
            given = answers.normalize(value) in _TRUE | {"1"}
        else:
            return self.invalid(f"{value!r} is not True or False. Answer with True or False.")
        return self._graded(given == self.answer)


def _top_level_parts(text):
    """``text`` split at the commas that are not inside brackets: ``"(3, 3), b"`` -> ``["(3, 3)", " b"]``."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char in "([{") - (char in ")]}")
        if char == "," and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def as_number(value):
    """A float from an int/float/NumPy scalar or a numeric string (``"34,826"`` with thousands separators too);
    None for anything else (bools too)."""
    if value is None or type(value).__name__ in ("bool", "bool_"):
        return None
    if isinstance(value, str):
        return answers.as_plain_number(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
