"""Quizzes: question banks as data (``course_utils/quizzes/*.yaml``), widgets or plain text, answers recorded.

Usage in a notebook::

    quiz = course_utils.quiz.load("01")            # or "01_convolution_by_hand"; seed=... for fixed numbers
    quiz.show()                                    # widgets in Jupyter/Colab/Binder, numbered text elsewhere
    quiz.answer("conv-output-size-valid", 26)      # feedback, recorded in the progress file
    quiz.reveal("conv-output-size-valid")          # the answer and its explanation now (or quiz.reveal(1))
    quiz.score()                                   # Score(correct, answered, total), prints as a summary
    final = course_utils.quiz.final_quiz(n=15)     # the final bank mixed with the banks of written notebooks
    final.summary()                                # score and, per missed topic, the notebook to revisit
    course_utils.quiz.ask("start-white-pixel")     # one question; answer with course_utils.quiz.answer(id, v)

Accepted answers, the same convention as ``Choice`` exercises (``course_utils.checking.answers``):

- ``single``: the choice's letter as shown (``"b"``), its text (case, spacing and spaces around punctuation
  never matter: ``"(3,3,3,16)"`` names ``"(3, 3, 3, 16)"``) or its value (``3`` names ``"3, the pool size"``).
- ``multiple``: a list of such names, or one text separated by commas (``"a, c"``; a choice whose text has
  commas is read whole; letters alone may also be separated by spaces or semicolons, ``"a c"``); compared as a
  set, and the feedback names what is missing and what is extra.
  Partly right counts as wrong in the score.
- ``numeric``: a number or a string holding one, within the question's absolute ``tolerance``.
- ``true_false``: ``True``/``False`` or the strings ``"true"``/``"false"`` (also ``t``/``f``, ``yes``/``no``).

Input that is not an answer (a word for a number, an unknown id) gives a friendly message, is not recorded and
does not count. Tries (``tries``): two per question (one for true/false and two-choice questions); a wrong first
try shows "Not yet" and a hint, the answer and its explanation come after the second wrong try or on request
(``quiz.reveal(id)``, answering ``"?"``, the Show answer button). ``score()`` counts a question right when it was
answered right within its tries, before its answer was shown; each try is recorded with its number. Feedback
looks like an exercise check's (``course_utils.checking.exercises.feedback``).

Modules: ``expressions`` (safe arithmetic for generated questions), ``banks`` (YAML parsing and validation),
``questions`` (concrete questions, grading, feedback), ``tries`` (hints, when the answer is shown),
``core`` (``Quiz``: tries, score, summary),
``widgets`` (ipywidgets 7.7 and 8), ``text`` (the plain-text version).
"""

import difflib
import random
from collections import Counter

from course_utils.checking.quiz.banks import (
    Bank,
    QuestionSpec,
    QuizBankError,
    bank_names,
    banks,
    find_spec,
    load_bank_file,
    parse_bank,
)
from course_utils.checking.quiz.core import LIVE as _LIVE
from course_utils.checking.quiz.core import Quiz, Score, Summary, is_ready
from course_utils.checking.quiz.expressions import FUNCTIONS, ExpressionError, safe_eval
from course_utils.checking.quiz.questions import TYPES, Feedback, Question

FINAL_BANK = "07_final_quiz"
DEMO_BANK = "00_start_here"  # how quizzes work; never drawn into the final quiz


def resolve_bank(name):
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
    raise ValueError(f"There is no quiz called {name!r}. Available: {', '.join(names)} "
                     f"(or just '00' ... '07').")


def load(name, seed=None):
    """The quiz for one notebook: ``"01"``, ``"01_convolution_by_hand"`` or a path to a ``.yaml`` bank.

    ``seed`` fixes the numbers of generated questions (None: new numbers each time).
    """
    if str(name).endswith((".yaml", ".yml")):
        bank = load_bank_file(name)
    else:
        bank = banks()[resolve_bank(name)]
    return Quiz(bank.title, bank.notebook, [spec.make(seed) for spec in bank.questions], seed=seed)


def final_quiz(n=15, seed=None):
    """A mixed quiz of ``n`` questions: about half from the final bank, the rest from the notebooks' banks.

    Only questions about notebooks that are written (``catalog``: ready) are drawn, so the summary never sends
    a student to a notebook that does not exist yet. Every such bank contributes at least once when ``n``
    allows, preferring topics not asked yet; ``seed`` makes the draw reproducible. The text version tells the
    student to answer with ``final.answer(id, value)``.
    """
    all_banks = banks()
    final = [spec for spec in all_banks[FINAL_BANK].questions if is_ready(spec.notebook)]
    others = {name: [spec for spec in bank.questions if is_ready(spec.notebook)]
              for name, bank in all_banks.items() if name not in (FINAL_BANK, DEMO_BANK)}
    others = {name: specs for name, specs in others.items() if specs}
    available = len(final) + sum(len(specs) for specs in others.values())
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        print(f"Note: n should be a whole number of questions >= 1 (got {n!r}); using 15.")
        n = 15
    if n > available:
        print(f"Note: there are only {available} questions on the notebooks written so far; "
              f"the quiz uses all.")
        n = available
    rng = random.Random(f"final/{seed}") if seed is not None else random.Random()
    chosen = rng.sample(final, min(len(final), max(1, n // 2), n))
    pools = [rng.sample(specs, len(specs)) for specs in others.values()]
    rng.shuffle(pools)
    asked = Counter(spec.topic for spec in chosen)
    for pool in pools:  # every bank contributes once, with its least asked topic
        if len(chosen) < n:
            _take_least_asked([pool], chosen, asked, rng)
    while len(chosen) < n and any(pools):  # then the least asked topics of all banks
        _take_least_asked(pools, chosen, asked, rng)
    if len(chosen) < n:  # other banks exhausted: top up from the final bank
        chosen.extend([s for s in final if s not in chosen][: n - len(chosen)])
    rng.shuffle(chosen)
    numbers = sorted(name[:2] for name in others)
    note = f"Questions on notebooks {', '.join(numbers)} (the notebooks written so far)."
    bank = all_banks[FINAL_BANK]
    questions = [spec.make(seed) for spec in chosen]
    return Quiz(bank.title, bank.notebook, questions, seed=seed, how_to_call="final", note=note)


def _take_least_asked(pools, chosen, asked, rng):
    """Move one question from ``pools`` to ``chosen``: one whose topic was asked least so far."""
    least = min(asked[spec.topic] for pool in pools for spec in pool)
    pool, index = rng.choice([(pool, i) for pool in pools for i, spec in enumerate(pool)
                              if asked[spec.topic] == least])
    spec = pool.pop(index)
    chosen.append(spec)
    asked[spec.topic] += 1


def _no_such_question(question_id):
    every = [s.id for b in banks().values() for s in b.questions]
    close = difflib.get_close_matches(str(question_id), every, n=3, cutoff=0.5)
    return f"There is no question {question_id!r} in the course banks." + (
        f" Did you mean: {', '.join(close)}?" if close else "")


def ask(question_id, seed=None):
    """Show a single question from any bank (widgets or text); answer it with ``answer(id, value)``.

    Returns nothing, so the cell shows only the question.
    """
    bank, spec = find_spec(question_id)
    if spec is None:
        print(_no_such_question(question_id))
        return None
    Quiz(bank.title, spec.notebook, [spec.make(seed)], seed=seed, how_to_call="course_utils.quiz").show()


def reveal(question_id):
    """Show the answer and explanation of a question shown by ``ask``/``load``/``final_quiz``."""
    if question_id in _LIVE:
        quiz, _ = _LIVE[question_id]
        return quiz.reveal(question_id)
    return answer(question_id, "?")


def answer(question_id, value):
    """Answer a question shown by ``ask``/``load``/``final_quiz`` (the latest one with this id); ``"?"`` shows
    the answer."""
    if question_id in _LIVE:
        quiz, _ = _LIVE[question_id]
        return quiz.answer(question_id, value)
    bank, spec = find_spec(question_id)
    if spec is not None and not spec.generated:
        return Quiz(bank.title, spec.notebook, [spec.make()], how_to_call="course_utils.quiz").answer(
            question_id, value
        )
    if spec is not None:
        message = (f"Show the question first with course_utils.quiz.ask({question_id!r}): "
                   f"its numbers are random.")
    else:
        message = _no_such_question(question_id)
    feedback = Feedback(str(question_id), None, "unknown", message)
    feedback.show()
    return feedback


__all__ = [
    "DEMO_BANK", "FINAL_BANK", "FUNCTIONS", "TYPES", "Bank", "ExpressionError", "Feedback", "Question",
    "QuestionSpec", "Quiz", "QuizBankError", "Score", "Summary", "answer", "ask", "bank_names", "banks",
    "final_quiz", "load", "load_bank_file", "parse_bank", "reveal", "safe_eval",
]
