"""Quizzes: question banks as data (``course_utils/quizzes/*.yaml``), widgets or plain text, answers recorded.

Usage in a notebook::

    quiz = course_utils.quiz.load("01")            # or "01_convolution_by_hand"; seed=... for fixed numbers
    quiz.show()                                    # widgets in Jupyter/Colab/Binder, numbered text headless
    quiz.answer("conv-output-size-valid", 26)      # feedback + explanation, recorded in the progress file
    quiz.score()                                   # Score(correct, answered, total), prints as a summary
    final = course_utils.quiz.final_quiz(n=15)     # the final bank mixed with questions from every bank
    final.summary()                                # score and, per missed topic, the notebook to revisit
    course_utils.quiz.ask("pool-no-params")        # one question; answer with course_utils.quiz.answer(id, v)

Accepted answers (case and surrounding spaces never matter):

- ``single``: the choice text or its letter as shown (``"b"``); a number matches a choice written as that number.
- ``multiple``: a list (or a comma-separated string) of choice texts or letters; compared as a set, and the
  feedback names what is missing and what is extra. Partly right counts as wrong in the score.
- ``numeric``: a number or a string holding one, within the question's absolute ``tolerance``.
- ``true_false``: ``True``/``False`` or the strings ``"true"``/``"false"`` (also ``t``/``f``, ``yes``/``no``).

Input that is not an answer (a word for a number, an unknown id) gives a friendly message, is not recorded and
does not count. The latest answer to each question is the one that counts in ``score()``.

Bank format: ``notebook``, ``title``, ``questions``; each question has ``id``, ``type``, ``prompt``, ``choices``
(single/multiple), ``answer``, ``explanation``, ``topic``, optional ``notebook`` (defaults to the bank's) and,
for numeric questions, ``tolerance`` and optional ``params`` (``{n: {min: 20, max: 64}, k: {choices: [3, 5]}}``),
``derived`` (``{out: "(n - k) // s + 1"}``, evaluated in order) and an ``answer`` expression. Prompts and
explanations of generated questions are templates: ``{n}``, ``{out}``, ``{answer}``.
"""

import ast
import difflib
import html
import itertools
import math
import random
import re
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from course_utils import answers, paths, progress

TYPES = ("single", "multiple", "numeric", "true_false")
FINAL_BANK = "07_final_quiz"
_QUESTION_KEYS = {
    "id", "type", "prompt", "choices", "answer", "explanation", "topic", "notebook", "tolerance", "params",
    "derived",
}
_BANK_KEYS = {"notebook", "title", "questions"}
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LETTERS = string.ascii_lowercase
_DEFAULT_TOLERANCE = 1e-6
_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}

# Questions shown most recently, by id: what the module-level ``answer()`` answers.
_LIVE = {}


class QuizBankError(ValueError):
    """A question bank file is broken; the message names the file and the question."""


class ExpressionError(ValueError):
    """An answer expression uses something other than arithmetic and the whitelisted functions."""


# --------------------------------------------------------------------------------------------------
# Safe arithmetic for generated questions
# --------------------------------------------------------------------------------------------------

FUNCTIONS = {
    "ceil": math.ceil, "floor": math.floor, "max": max, "min": min, "abs": abs, "round": round,
    "sqrt": math.sqrt, "log2": math.log2,
}
_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


def safe_eval(expression, names=None):
    """Evaluate an arithmetic ``expression`` (a str) with ``names`` (a dict of numbers); no builtins.

    Allowed: numbers, names, ``+ - * / // % **``, parentheses and the calls in ``FUNCTIONS``.
    Anything else raises ``ExpressionError``.
    """
    names = names or {}
    try:
        tree = ast.parse(str(expression).strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"{expression!r} is not a valid arithmetic expression ({err.msg}).") from None
    try:
        return _eval_node(tree.body, names)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError) as err:
        if isinstance(err, ExpressionError):
            raise
        raise ExpressionError(f"{expression!r} could not be evaluated with {names}: {err}.") from None


def _eval_node(node, names):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ExpressionError(f"unknown name {node.id!r} (known: {', '.join(sorted(names)) or 'none'}).")
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval_node(node.left, names), _eval_node(node.right, names)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ExpressionError("exponents larger than 64 are not allowed.")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval_node(node.operand, names))
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
        and not node.keywords
    ):
        return FUNCTIONS[node.func.id](*[_eval_node(arg, names) for arg in node.args])
    raise ExpressionError(
        f"{ast.unparse(node)!r} is not allowed: use numbers, names, + - * / // % ** and "
        f"{', '.join(sorted(FUNCTIONS))}."
    )


def _tidy_number(value):
    """Integral floats become ints (``14.0`` -> ``14``) so templates read naturally."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --------------------------------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    """One question as written in a bank; ``make(seed)`` turns it into a concrete ``Question``."""

    id: str
    type: str
    prompt: str
    answer: object
    explanation: str
    topic: str
    notebook: str
    choices: tuple = ()
    tolerance: float = _DEFAULT_TOLERANCE
    params: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)
    source: str = ""

    @property
    def generated(self):
        """True when the question draws random values each time it is made."""
        return bool(self.params)

    def make(self, seed=None):
        """A concrete question: random ``params`` drawn from ``seed`` (None: fresh each time)."""
        rng = random.Random(f"{seed}/{self.id}") if seed is not None else random.Random()
        return self.make_with({name: _draw(spec, rng) for name, spec in self.params.items()})

    def make_with(self, values):
        """A concrete question for given parameter ``values`` (a dict name -> number)."""
        values = dict(values)
        for name, expression in self.derived.items():
            values[name] = _tidy_number(safe_eval(expression, values))
        if self.type == "numeric":
            answer = self.answer
            if isinstance(answer, str):
                answer = safe_eval(answer, values)
            answer = _tidy_number(answer)
        elif self.type == "multiple":
            answer = tuple(_text(a) for a in self.answer)
        elif self.type == "single":
            answer = _text(self.answer)
        else:
            answer = self.answer
        prompt, explanation = self.prompt, self.explanation
        if self.generated:
            fill = {**values, "answer": answer}
            prompt, explanation = prompt.format_map(fill), explanation.format_map(fill)
        return Question(
            id=self.id, type=self.type, prompt=prompt.strip(), choices=self.choices, answer=answer,
            explanation=explanation.strip(), topic=self.topic, notebook=self.notebook,
            tolerance=self.tolerance, values=values,
        )


def _draw(spec, rng):
    if "choices" in spec:
        return rng.choice(list(spec["choices"]))
    return rng.randrange(spec["min"], spec["max"] + 1, spec.get("step", 1))


def _text(value):
    return str(value).strip()


def _norm(value):
    return " ".join(str(value).split()).lower()


@dataclass(frozen=True)
class Feedback:
    """The result of one answer: ``correct`` is None when the input was not an answer at all."""

    question_id: str
    correct: object
    status: str
    message: str
    explanation: str = ""
    missing: tuple = ()
    extra: tuple = ()

    @property
    def icon(self):
        return {"correct": "✅", "wrong": "❌", "partial": "🟡"}.get(self.status, "💬")

    @property
    def text(self):
        lines = [f"{self.icon} [{self.question_id}] {self.message}"]
        if self.explanation:
            lines.append(f"   Why: {self.explanation}")
        return "\n".join(lines)

    def __str__(self):
        return self.text

    def _ipython_display_(self):
        """``answer()`` already printed the feedback; showing it again in the cell output would repeat it."""


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
    tolerance: float = _DEFAULT_TOLERANCE
    values: dict = field(default_factory=dict)

    @property
    def answer_text(self):
        """The correct answer as a student would read it."""
        if self.type == "multiple":
            return "; ".join(self.answer)
        return str(self.answer)

    def how_to_answer(self):
        """A short hint on the form an answer takes, for the text version."""
        return {
            "single": "one letter or the choice text",
            "multiple": 'a list of letters or choice texts, e.g. ["a", "c"]',
            "numeric": "a number",
            "true_false": "True or False",
        }[self.type]

    def check(self, value):
        """Grade ``value``; never raises for a student's input."""
        try:
            return getattr(self, f"_check_{self.type}")(value)
        except Exception as err:  # noqa: BLE001 - a student's odd input must never become a traceback
            return self._invalid(f"That answer could not be read ({err.__class__.__name__}). "
                                 f"Answer with {self.how_to_answer()}.")

    def _invalid(self, message):
        return Feedback(self.id, None, "invalid", message)

    def _graded(self, correct, status=None, message=None, missing=(), extra=()):
        status = status or ("correct" if correct else "wrong")
        if message is None:
            message = "Correct!" if correct else f"Not quite. The answer is: {self.answer_text}."
        return Feedback(self.id, bool(correct), status, message, self.explanation, tuple(missing), tuple(extra))

    def _choice_of(self, value):
        """The choice text that ``value`` names (its text, letter or value; see ``course_utils.answers``)."""
        index = answers.match_choice(value, self.choices)
        return None if index is None else self.choices[index]

    def _check_single(self, value):
        if value is None or isinstance(value, (list, tuple, set, dict, bool)):
            return self._invalid(f"Pick one choice: answer with {self.how_to_answer()}.")
        choice = self._choice_of(value)
        if choice is None:
            letters = ", ".join(_LETTERS[: len(self.choices)])
            return self._invalid(f"{value!r} is not one of the choices. Use a letter ({letters}) or the choice text.")
        return self._graded(choice == self.answer)

    def _check_multiple(self, value):
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if value is None or not isinstance(value, (list, tuple, set, frozenset)):
            return self._invalid(f"Select all that apply: answer with {self.how_to_answer()}.")
        picked, unknown = set(), []
        for item in value:
            choice = self._choice_of(item)
            (unknown.append(item) if choice is None else picked.add(choice))
        if unknown:
            return self._invalid(f"{', '.join(map(repr, unknown))} is not among the choices. "
                                 f"Use letters ({', '.join(_LETTERS[: len(self.choices)])}) or choice texts.")
        right = set(self.answer)
        if picked == right:
            return self._graded(True)
        missing = [c for c in self.choices if c in right - picked]
        extra = [c for c in self.choices if c in picked - right]
        parts = []
        if missing:
            parts.append("missing: " + "; ".join(missing))
        if extra:
            parts.append("should not be selected: " + "; ".join(extra))
        status = "partial" if picked & right else "wrong"
        head = "Partly right" if status == "partial" else "Not quite"
        return self._graded(False, status, f"{head} ({' | '.join(parts)}).", missing, extra)

    def _check_numeric(self, value):
        number = _as_number(value)
        if number is None:
            return self._invalid(f"{value!r} is not a number. Answer with a number, e.g. 26 or 0.5.")
        correct = abs(number - self.answer) <= self.tolerance
        return self._graded(correct)

    def _check_true_false(self, value):
        if type(value).__name__ in ("bool", "bool_"):
            given = bool(value)
        elif isinstance(value, str) and _norm(value) in _TRUE | _FALSE:
            given = _norm(value) in _TRUE
        else:
            return self._invalid(f"{value!r} is not True or False. Answer with True or False.")
        return self._graded(given == self.answer)


def _as_number(value):
    """A float from an int/float/NumPy scalar or a numeric string; None for anything else (bools too)."""
    if value is None or type(value).__name__ in ("bool", "bool_"):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip().replace("_", ""))
        except ValueError:
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# --------------------------------------------------------------------------------------------------
# Banks: loading and validation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bank:
    """A validated question bank: ``name`` (file stem), ``notebook``, ``title``, ``questions`` (specs)."""

    name: str
    notebook: str
    title: str
    questions: tuple


def _bank_dir():
    return resources.files("course_utils").joinpath("quizzes")


def bank_names():
    """The names of the packaged banks (file stems), sorted: ``["01_convolution_by_hand", ...]``."""
    return sorted(p.name[:-5] for p in _bank_dir().iterdir() if p.name.endswith(".yaml"))


@cache
def _packaged_bank(name):
    resource = _bank_dir().joinpath(f"{name}.yaml")
    return parse_bank(resource.read_text(encoding="utf-8"), f"{name}.yaml")


def banks():
    """Every packaged bank, validated, by name; ids must be unique across banks."""
    result = {name: _packaged_bank(name) for name in bank_names()}
    seen = {}
    for bank in result.values():
        for spec in bank.questions:
            if spec.id in seen:
                raise QuizBankError(
                    f"{bank.name}.yaml, question {spec.id!r}: the id is already used in {seen[spec.id]}.yaml. "
                    f"Ids must be unique across all banks."
                )
            seen[spec.id] = bank.name
    return result


def load_bank_file(path):
    """Read and validate a bank from a YAML file ``path`` (for tests and instructors' own banks)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise QuizBankError(f"Could not read the question bank {path}: {err}.") from None
    return parse_bank(text, path.name)


def parse_bank(text, source="bank.yaml"):
    """Parse and validate bank YAML ``text``; ``QuizBankError`` names ``source`` and the question."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise QuizBankError(f"{source} is not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise QuizBankError(f"{source}: expected a mapping with 'notebook', 'title' and 'questions'.")
    unknown = set(data) - _BANK_KEYS
    if unknown:
        raise QuizBankError(f"{source}: unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(_BANK_KEYS)}.")
    for key in ("notebook", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise QuizBankError(f"{source}: '{key}' is missing or empty.")
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        raise QuizBankError(f"{source}: 'questions' must be a non-empty list.")
    specs, ids = [], set()
    for number, raw in enumerate(questions, start=1):
        spec = _parse_question(raw, number, data["notebook"].strip(), source)
        if spec.id in ids:
            raise QuizBankError(f"{source}, question {spec.id!r}: the id is used twice in this file.")
        ids.add(spec.id)
        specs.append(spec)
    return Bank(Path(source).stem, data["notebook"].strip(), data["title"].strip(), tuple(specs))


def _parse_question(raw, number, bank_notebook, source):
    where = f"{source}, question #{number}"
    if not isinstance(raw, dict):
        raise QuizBankError(f"{where}: expected a mapping of question fields.")
    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID_PATTERN.match(qid):
        raise QuizBankError(f"{where}: 'id' must be lowercase words joined by '-', got {qid!r}.")
    where = f"{source}, question {qid!r}"

    def fail(message):
        raise QuizBankError(f"{where}: {message}")

    unknown = set(raw) - _QUESTION_KEYS
    if unknown:
        fail(f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_QUESTION_KEYS)}.")
    qtype = raw.get("type")
    if qtype not in TYPES:
        fail(f"'type' must be one of {', '.join(TYPES)}, got {qtype!r}.")
    for key in ("prompt", "explanation", "topic"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            fail(f"'{key}' is missing or empty.")
    notebook = raw.get("notebook", bank_notebook)
    if not isinstance(notebook, str) or not notebook.strip():
        fail("'notebook' must be a notebook name such as 01_convolution_by_hand.")
    if "answer" not in raw:
        fail("'answer' is missing.")
    answer = raw["answer"]
    choices = raw.get("choices")
    kwargs = {}

    if qtype in ("single", "multiple"):
        if not isinstance(choices, list) or len(choices) < 2:
            fail("'choices' must be a list of at least two choices.")
        for choice in choices:
            if isinstance(choice, bool) or not isinstance(choice, (str, int, float)) or not str(choice).strip():
                fail(f"choice {choice!r} must be text or a number (quote words such as 'yes' or 'no' in YAML).")
        texts = tuple(_text(c) for c in choices)
        if len({_norm(t) for t in texts}) != len(texts):
            fail("two choices have the same text.")
        if qtype == "single":
            if isinstance(answer, (list, dict, bool)) or answer is None or _text(answer) not in texts:
                fail(f"the answer must be exactly one of the choices, got {answer!r}.")
        else:
            if not isinstance(answer, list) or not answer:
                fail("the answer must be a non-empty list of choices.")
            bad = [a for a in answer if isinstance(a, bool) or _text(a) not in texts]
            if bad:
                fail(f"answer(s) {bad} are not among the choices.")
            if len({_text(a) for a in answer}) != len(answer):
                fail("the answer lists a choice twice.")
        kwargs["choices"] = texts
    elif choices is not None:
        fail(f"'{qtype}' questions take no 'choices'.")

    if qtype == "true_false" and not isinstance(answer, bool):
        fail(f"the answer must be true or false, got {answer!r}.")

    if qtype == "numeric":
        tolerance = raw.get("tolerance", _DEFAULT_TOLERANCE)
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
            fail(f"'tolerance' must be a number >= 0, got {tolerance!r}.")
        kwargs["tolerance"] = float(tolerance)
        params = _parse_params(raw.get("params") or {}, fail)
        derived = raw.get("derived") or {}
        if not isinstance(derived, dict) or not all(isinstance(v, str) for v in derived.values()):
            fail("'derived' must map names to expressions (text).")
        for name in derived:
            _check_name(name, fail)
        if isinstance(answer, bool) or not isinstance(answer, (int, float, str)):
            fail(f"the answer must be a number or an expression, got {answer!r}.")
        if isinstance(answer, str) and not params:
            fail("an answer expression needs 'params'; write a plain number otherwise.")
        kwargs["params"], kwargs["derived"] = params, dict(derived)
    else:
        for key in ("tolerance", "params", "derived"):
            if key in raw:
                fail(f"'{key}' only applies to numeric questions.")

    spec = QuestionSpec(
        id=qid, type=qtype, prompt=raw["prompt"], answer=answer, explanation=raw["explanation"],
        topic=raw["topic"].strip(), notebook=notebook.strip(), source=source, **kwargs,
    )
    _check_templates(spec, fail)
    return spec


def _check_name(name, fail):
    if not isinstance(name, str) or not name.isidentifier() or name in FUNCTIONS or name == "answer":
        fail(f"{name!r} cannot be a parameter name (use a plain name that is not a function or 'answer').")


def _parse_params(params, fail):
    if not isinstance(params, dict):
        fail("'params' must map names to {min, max} or {choices: [...]}.")
    parsed = {}
    for name, spec in params.items():
        _check_name(name, fail)
        if not isinstance(spec, dict):
            fail(f"parameter {name!r} must be {{min: .., max: ..}} or {{choices: [..]}}.")
        if "choices" in spec:
            values = spec["choices"]
            if set(spec) != {"choices"} or not isinstance(values, list) or not values or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
            ):
                fail(f"parameter {name!r}: 'choices' must be a non-empty list of numbers and nothing else.")
        else:
            ints = [spec.get(k) for k in ("min", "max")] + [spec.get("step", 1)]
            if set(spec) - {"min", "max", "step"} or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in ints
            ) or ints[0] > ints[1] or ints[2] < 1:
                fail(f"parameter {name!r}: needs integers min <= max (and an optional step >= 1).")
        parsed[name] = dict(spec)
    return parsed


def _check_templates(spec, fail):
    """Placeholders must name known values; a made question must evaluate to a finite number."""
    known = set(spec.params) | set(spec.derived) | {"answer"}
    for key in ("prompt", "explanation"):
        template = getattr(spec, key)
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
        except ValueError as err:
            if spec.generated:
                fail(f"the {key} is not a valid template ({err}); write literal braces as {{{{ and }}}}.")
            continue
        if not spec.generated:
            if any(re.fullmatch(r"[A-Za-z_]\w*", f) for f in fields):
                fail(f"the {key} has placeholders {fields} but the question has no 'params'.")
            continue
        for name in fields:
            if name not in known:
                fail(f"the {key} uses {{{name}}}, which is not a parameter, derived value or 'answer'.")
    if spec.generated:
        for values in _corner_values(spec.params):
            try:
                made = spec.make_with(values)
            except (ExpressionError, KeyError, IndexError, ValueError) as err:
                fail(f"could not generate the question with {values}: {err}")
            if not isinstance(made.answer, (int, float)) or not math.isfinite(made.answer):
                fail(f"the answer expression gave {made.answer!r} for {values}, not a finite number.")


def _corner_values(params, limit=64):
    """Parameter values to validate with: every combination of each parameter's extremes (at most ``limit``)."""
    extremes = []
    for spec in params.values():
        if "choices" in spec:
            extremes.append(sorted({min(spec["choices"]), max(spec["choices"])}))
        else:
            top = spec["max"] - (spec["max"] - spec["min"]) % spec.get("step", 1)
            extremes.append(sorted({spec["min"], top}))
    combos = itertools.islice(itertools.product(*extremes), limit)
    return [dict(zip(params, combo, strict=True)) for combo in combos]


# --------------------------------------------------------------------------------------------------
# Quizzes
# --------------------------------------------------------------------------------------------------


class Score(NamedTuple):
    """``(correct, answered, total)``; prints as a one-line summary."""

    correct: int
    answered: int
    total: int

    def __str__(self):
        percent = f" ({100 * self.correct / self.answered:.0f}% of those answered)" if self.answered else ""
        return f"Score: {self.correct}/{self.total} correct, {self.answered} of {self.total} answered{percent}."

    __repr__ = __str__


@dataclass(frozen=True)
class Summary:
    """Score plus, per missed topic, the notebooks to revisit (``missed``: topic -> tuple of notebooks)."""

    score: Score
    missed: dict
    unanswered: tuple

    def __str__(self):
        lines = [str(self.score)]
        if self.missed:
            lines.append("Topics to revisit:")
            for topic, notebooks in self.missed.items():
                lines.append(f"  - {topic}: revisit {', '.join(nb + '.ipynb' for nb in notebooks)}")
        elif self.score.answered:
            lines.append("No missed topics: well done!")
        if self.unanswered:
            lines.append(f"Not answered yet ({len(self.unanswered)}): {', '.join(self.unanswered)}")
        return "\n".join(lines)

    __repr__ = __str__


class Quiz:
    """Concrete questions with the student's answers. Build with ``load``, ``final_quiz`` or ``ask``."""

    def __init__(self, title, notebook, questions, seed=None, how_to_call="quiz"):
        self.title = title
        self.notebook = notebook
        self.seed = seed
        self.questions = list(questions)
        self.results = {}  # id -> latest graded Feedback
        self.widgets = {}  # id -> {"input", "button", "feedback", "card"} once shown as widgets
        self.score_widget = None
        self._how_to_call = how_to_call
        for question in self.questions:
            _LIVE[question.id] = (self, question)

    def __repr__(self):
        correct, answered, total = self.score()
        return f"<Quiz {self.title!r}: {total} questions, {answered} answered, {correct} correct>"

    def __len__(self):
        return len(self.questions)

    @property
    def ids(self):
        """The question ids, in order."""
        return [q.id for q in self.questions]

    def question(self, question_id):
        """The ``Question`` with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    # ---- answering -------------------------------------------------------------------------------

    def answer(self, question_id, value, quiet=False):
        """Grade ``value`` for ``question_id``, print feedback and the explanation, record it; returns Feedback."""
        question = self.question(question_id) if isinstance(question_id, str) else None
        if question is None:
            feedback = Feedback(str(question_id), None, "unknown", self._unknown_id_message(question_id))
        else:
            feedback = question.check(value)
            if feedback.correct is not None:
                self.results[question.id] = feedback
                detail = f"answer={value!r}"
                if question.values:
                    detail += f"; values={question.values}"
                if self.notebook != question.notebook:
                    detail += f"; in {self.notebook}"
                progress.record("quiz", question.notebook, question.id, feedback.correct, feedback.status, detail)
                self._update_score_widget()
        if not quiet:
            print(feedback.text)
        return feedback

    def _unknown_id_message(self, question_id):
        close = difflib.get_close_matches(str(question_id), self.ids, n=3, cutoff=0.5)
        if close:
            return f"There is no question {question_id!r} in this quiz. Did you mean: {', '.join(close)}?"
        return f"There is no question {question_id!r} in this quiz. Its questions are: {', '.join(self.ids)}."

    def score(self):
        """``Score(correct, answered, total)``: the latest answer to each question counts."""
        correct = sum(1 for fb in self.results.values() if fb.correct)
        return Score(correct, len(self.results), len(self.questions))

    def summary(self):
        """Score, and for each topic answered wrongly the notebook(s) to revisit."""
        missed = {}
        for question in self.questions:
            feedback = self.results.get(question.id)
            if feedback is not None and not feedback.correct:
                notebooks = missed.setdefault(question.topic, [])
                if question.notebook not in notebooks:
                    notebooks.append(question.notebook)
        unanswered = tuple(q.id for q in self.questions if q.id not in self.results)
        return Summary(self.score(), {t: tuple(sorted(nbs)) for t, nbs in missed.items()}, unanswered)

    # ---- display ---------------------------------------------------------------------------------

    def text(self):
        """The quiz as numbered plain text with ids, choices and how to answer."""
        count = len(self.questions)
        lines = [f"{self.title} ({count} question{'s' if count != 1 else ''})", ""]
        for number, question in enumerate(self.questions, start=1):
            lines.append(f"Q{number}. [{question.id}] {question.prompt}")
            if question.type in ("single", "multiple"):
                if question.type == "multiple":
                    lines.append("    (select all that apply)")
                for letter, choice in zip(_LETTERS, question.choices, strict=False):
                    lines.append(f"    {letter}) {choice}")
            elif question.type == "true_false":
                lines.append("    True or False?")
            call = f'{self._how_to_call}.answer("{question.id}", ...)'
            lines.append(f"    -> answer with {call}, giving {question.how_to_answer()}")
            lines.append("")
        return "\n".join(lines)

    def show(self):
        """Widgets (one card per question) in a live notebook; numbered text when headless."""
        if not paths.headless():
            try:
                from IPython.display import display

                display(self.build_widgets())
                return
            except ImportError:
                pass
        print(self.text())

    def build_widgets(self):
        """Build (and keep in ``self.widgets``) the cards and the score line; returns the container."""
        import ipywidgets as w

        cards = []
        for number, question in enumerate(self.questions, start=1):
            prompt = w.HTML(f"<b>Q{number}.</b> {_html(question.prompt)} "
                            f"<span style='color:#888;font-size:85%'>[{question.id}]</span>")
            if question.type == "single":
                entry = w.RadioButtons(options=list(question.choices), value=None, layout=w.Layout(width="auto"))
            elif question.type == "true_false":
                entry = w.RadioButtons(options=["True", "False"], value=None)
            elif question.type == "multiple":
                entry = w.VBox([w.Checkbox(value=False, description=c, indent=False) for c in question.choices])
            else:
                entry = w.Text(placeholder="a number")
            button = w.Button(description="Submit", button_style="primary", icon="check")
            feedback = w.HTML()
            note = [w.HTML("<i>Select all that apply.</i>")] if question.type == "multiple" else []
            card = w.VBox(
                [prompt, *note, entry, button, feedback],
                layout=w.Layout(border="1px solid #ddd", padding="8px", margin="6px 0"),
            )
            parts = {"input": entry, "button": button, "feedback": feedback, "card": card}
            button.on_click(lambda _btn, q=question, p=parts: self._submit(q, p))
            self.widgets[question.id] = parts
            cards.append(card)
        self.score_widget = w.HTML()
        self._update_score_widget()
        return w.VBox([w.HTML(f"<h3>{_html(self.title)}</h3>"), *cards, self.score_widget])

    def _submit(self, question, parts):
        entry = parts["input"]
        if question.type == "multiple":
            value = [box.description for box in entry.children if box.value]
        else:
            value = entry.value
            if value is None:
                value = ""
        if question.type in ("single", "true_false") and value == "":
            feedback = Feedback(question.id, None, "invalid", "Pick an answer first, then press Submit.")
        elif question.type == "multiple" and not value:
            feedback = Feedback(question.id, None, "invalid", "Tick at least one box, then press Submit.")
        else:
            feedback = self.answer(question.id, value, quiet=True)
        parts["feedback"].value = _feedback_html(feedback)

    def _update_score_widget(self):
        if self.score_widget is not None:
            self.score_widget.value = f"<b>{_html(str(self.score()))}</b>"


def _html(text):
    """Escape ``text`` and render `backticks` as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text)).replace("\n", "<br>")


def _feedback_html(feedback):
    colour = {"correct": "#1a7f37", "wrong": "#cf222e", "partial": "#9a6700"}.get(feedback.status, "#57606a")
    body = f"<div style='color:{colour}'><b>{feedback.icon} {_html(feedback.message)}</b></div>"
    if feedback.explanation:
        body += f"<div style='margin-top:4px'>{_html(feedback.explanation)}</div>"
    return body


# --------------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------------


def _resolve_bank(name):
    names = bank_names()
    key = str(name).strip()
    key = key[:-6] if key.endswith(".ipynb") else key
    if key in names:
        return key
    if key.lower() == "final":
        return FINAL_BANK
    if key.isdigit():
        matches = [n for n in names if n.split("_", 1)[0] == f"{int(key):02d}"]
        if matches:
            return matches[0]
    raise ValueError(f"There is no quiz called {name!r}. Available: {', '.join(names)} (or just '01' ... '07').")


def load(name, seed=None):
    """The quiz for one notebook: ``"01"``, ``"01_convolution_by_hand"`` or a path to a ``.yaml`` bank.

    ``seed`` fixes the numbers of generated questions (None: new numbers each time).
    """
    if str(name).endswith((".yaml", ".yml")):
        bank = load_bank_file(name)
    else:
        bank = banks()[_resolve_bank(name)]
    return Quiz(bank.title, bank.notebook, [spec.make(seed) for spec in bank.questions], seed=seed)


def final_quiz(n=15, seed=None):
    """A mixed quiz of ``n`` questions: about half from the final bank, the rest drawn from banks 01-06.

    Every other bank contributes at least once when ``n`` allows, preferring topics not asked yet; ``seed``
    makes the draw reproducible. The text version tells the student to answer with ``final.answer(id, value)``.
    """
    all_banks = banks()
    final = all_banks[FINAL_BANK]
    others = [bank for name, bank in all_banks.items() if name != FINAL_BANK]
    available = len(final.questions) + sum(len(b.questions) for b in others)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        print(f"Note: n should be a whole number of questions >= 1 (got {n!r}); using 15.")
        n = 15
    if n > available:
        print(f"Note: there are only {available} questions; the quiz uses all of them.")
        n = available
    rng = random.Random(f"final/{seed}") if seed is not None else random.Random()
    n_final = min(len(final.questions), max(1, n // 2), n)
    chosen = rng.sample(list(final.questions), n_final)
    pools = [rng.sample(list(b.questions), len(b.questions)) for b in others]
    rng.shuffle(pools)
    while len(chosen) < n:
        progress_made = False
        for pool in pools:
            if pool and len(chosen) < n:
                topics = {spec.topic for spec in chosen}
                fresh = [i for i, spec in enumerate(pool) if spec.topic not in topics]
                chosen.append(pool.pop(fresh[-1] if fresh else -1))  # prefer a topic not asked yet
                progress_made = True
        if not progress_made:  # other banks exhausted: top up from the final bank
            chosen.extend([s for s in final.questions if s not in chosen][: n - len(chosen)])
            break
    rng.shuffle(chosen)
    return Quiz(final.title, final.notebook, [spec.make(seed) for spec in chosen], seed=seed, how_to_call="final")


def _find_spec(question_id):
    for bank in banks().values():
        for spec in bank.questions:
            if spec.id == question_id:
                return bank, spec
    return None, None


def ask(question_id, seed=None):
    """Show a single question from any bank (widgets or text); answer it with ``answer(id, value)``.

    Returns nothing, so the cell shows only the question.
    """
    bank, spec = _find_spec(question_id)
    if spec is None:
        every = [s.id for b in banks().values() for s in b.questions]
        close = difflib.get_close_matches(str(question_id), every, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        print(f"There is no question {question_id!r} in the course banks.{hint}")
        return None
    Quiz(bank.title, spec.notebook, [spec.make(seed)], seed=seed, how_to_call="course_utils.quiz").show()


def answer(question_id, value):
    """Answer a question shown by ``ask``/``load``/``final_quiz`` (the latest one with this id)."""
    if question_id in _LIVE:
        quiz, _ = _LIVE[question_id]
        return quiz.answer(question_id, value)
    bank, spec = _find_spec(question_id)
    if spec is not None and not spec.generated:
        return Quiz(bank.title, spec.notebook, [spec.make()], how_to_call="course_utils.quiz").answer(
            question_id, value
        )
    if spec is not None:
        message = f"Show the question first with course_utils.quiz.ask({question_id!r}): its numbers are random."
    else:
        every = [s.id for b in banks().values() for s in b.questions]
        close = difflib.get_close_matches(str(question_id), every, n=3, cutoff=0.5)
        message = f"There is no question {question_id!r}." + (f" Did you mean: {', '.join(close)}?" if close else "")
    feedback = Feedback(str(question_id), None, "unknown", message)
    print(feedback.text)
    return feedback
