"""Question banks: YAML files (``course_utils/quizzes/*.yaml``) parsed and validated into ``QuestionSpec``s.

A bank has ``notebook``, ``title`` and ``questions``; each question has ``id``, ``type``, ``prompt``,
``choices`` (single/multiple), ``answer``, ``explanation``, ``topic``, optional ``notebook`` (defaults to the
bank's), optional ``hint`` (shown after a wrong first try: it must not contain the answer; true/false and
two-choice questions get one try, so no hint) and, for numeric questions, ``tolerance`` and optional ``params``
(``{n: {min: 20, max: 64}, k: {choices: [3, 5]}}``), ``derived`` (``{out: "(n - k) // s + 1"}``, evaluated in
order) and an ``answer`` expression. Prompts and explanations of generated questions are templates: ``{n}``,
``{out}``, ``{answer}``. Every mistake raises ``QuizBankError`` naming the file and the question.
"""

import itertools
import math
import random
import re
import string
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from course_utils.checking import answers
from course_utils.checking.quiz.expressions import FUNCTIONS, ExpressionError, safe_eval, tidy_number
from course_utils.checking.quiz.questions import DEFAULT_TOLERANCE, TYPES, Question

_QUESTION_KEYS = {
    "id", "type", "prompt", "choices", "answer", "explanation", "topic", "notebook", "tolerance", "params",
    "derived", "hint",
}
_BANK_KEYS = {"notebook", "title", "questions"}
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class QuizBankError(ValueError):
    """A question bank file is broken; the message names the file and the question."""


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
    tolerance: float = DEFAULT_TOLERANCE
    params: dict = field(default_factory=dict)
    derived: dict = field(default_factory=dict)
    source: str = ""
    hint: str = ""

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
            values[name] = tidy_number(safe_eval(expression, values))
        if self.type == "numeric":
            answer = self.answer
            if isinstance(answer, str):
                answer = safe_eval(answer, values)
            answer = tidy_number(answer)
        elif self.type == "multiple":
            answer = tuple(_text(a) for a in self.answer)
        elif self.type == "single":
            answer = _text(self.answer)
        else:
            answer = self.answer
        prompt, explanation, hint = self.prompt, self.explanation, self.hint
        if self.generated:
            prompt, explanation = prompt.format_map({**values, "answer": answer}), explanation.format_map(
                {**values, "answer": answer})
            hint = hint.format_map(values)  # a hint never names the answer
        return Question(
            id=self.id, type=self.type, prompt=prompt.strip(), choices=self.choices, answer=answer,
            explanation=explanation.strip(), topic=self.topic, notebook=self.notebook,
            tolerance=self.tolerance, values=values, hint=" ".join(hint.split()),
        )


def _draw(spec, rng):
    if "choices" in spec:
        return rng.choice(list(spec["choices"]))
    return rng.randrange(spec["min"], spec["max"] + 1, spec.get("step", 1))


def _text(value):
    return str(value).strip()


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
    """The packaged banks' names (file stems), sorted: ``["00_start_here", "01_convolution_by_hand", ...]``."""
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


def find_spec(question_id):
    """``(bank, spec)`` for a question id of any packaged bank, or ``(None, None)``."""
    for bank in banks().values():
        for spec in bank.questions:
            if spec.id == question_id:
                return bank, spec
    return None, None


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
    kwargs = {}
    if qtype in ("single", "multiple"):
        kwargs["choices"] = _parse_choices(raw.get("choices"), qtype, answer, fail)
    elif raw.get("choices") is not None:
        fail(f"'{qtype}' questions take no 'choices'.")

    if qtype == "true_false" and not isinstance(answer, bool):
        fail(f"the answer must be true or false, got {answer!r}.")
    hint = _parse_hint(raw, qtype, kwargs.get("choices", ()), answer, fail)

    if qtype == "numeric":
        tolerance = raw.get("tolerance", DEFAULT_TOLERANCE)
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
        topic=raw["topic"].strip(), notebook=notebook.strip(), source=source, hint=hint, **kwargs,
    )
    _check_templates(spec, fail)
    return spec


def _parse_hint(raw, qtype, choices, answer, fail):
    """The optional hint: text, only where a second try exists, and never the answer itself."""
    if "hint" not in raw:
        return ""
    hint = raw["hint"]
    if not isinstance(hint, str) or not hint.strip():
        fail("'hint' must be a non-empty text (or leave it out).")
    if qtype == "true_false" or (qtype == "single" and len(choices) <= 2):
        fail("a question with two possible answers gets one try, so its hint would never be shown.")
    said = answers.normalize(hint)
    named = [answer] if qtype == "single" else (answer if qtype == "multiple" else [])
    for right in named:
        if len(answers.normalize(str(right))) > 3 and answers.normalize(str(right)) in said:
            fail(f"the hint gives the answer away ({str(right)!r}).")
    if "{answer}" in hint:
        fail("the hint uses {answer}: a hint must not give the answer away.")
    if qtype == "numeric" and not isinstance(answer, str):
        numbers = {float(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", hint.replace(",", ""))}
        if float(answer) in numbers:
            fail(f"the hint gives the answer away ({answer!r}).")
    return hint.strip()


def _parse_choices(choices, qtype, answer, fail):
    """The choice texts; each must be named unambiguously by its own text (``course_utils.checking.answers``)."""
    if not isinstance(choices, list) or len(choices) < 2:
        fail("'choices' must be a list of at least two choices.")
    if len(choices) > len(answers.LETTERS):
        fail(f"at most {len(answers.LETTERS)} choices (one per letter).")
    for choice in choices:
        if isinstance(choice, bool) or not isinstance(choice, (str, int, float)) or not str(choice).strip():
            fail(f"choice {choice!r} must be text or a number (quote words such as 'yes' or 'no' in YAML).")
    texts = tuple(_text(c) for c in choices)
    if len({answers.normalize(t) for t in texts}) != len(texts):
        fail("two choices have the same text (case, spacing and a final full stop do not count).")
    for index, choice in enumerate(texts):
        named = answers.normalize(choice)
        if len(named) == 1 and named in answers.LETTERS[: len(texts)] and named != answers.letter(index):
            fail(f"choice {choice!r} reads as the letter of another choice; write it out.")
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
    return texts


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
    for key in ("prompt", "explanation", "hint"):
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
    """Parameter values to validate with: each combination of the parameters' extremes (at most ``limit``)."""
    extremes = []
    for spec in params.values():
        if "choices" in spec:
            extremes.append(sorted({min(spec["choices"]), max(spec["choices"])}))
        else:
            top = spec["max"] - (spec["max"] - spec["min"]) % spec.get("step", 1)
            extremes.append(sorted({spec["min"], top}))
    combos = itertools.islice(itertools.product(*extremes), limit)
    return [dict(zip(params, combo, strict=True)) for combo in combos]
