"""Quizzes for the browser: the course's banks turned into data that ``static/course-quiz.js`` scores.

The same banks, choices and feedback as in a notebook: every answer a student can click is graded here, in
Python, by the quiz's own ``Question.check``, and its feedback box (``Feedback.html``) is stored with it.
Generated questions become ``VARIANTS`` pre-computed variants (fixed seeds); the page shows one and offers
new numbers. Numeric answers are compared in the browser with the question's tolerance; the right and wrong
feedback boxes come from ``check`` too.
"""

import html
import itertools
import json

from course_utils.checking.answers import letter
from course_utils.checking.quiz.text import markup

VARIANTS = 6
MAX_CHOICES_FOR_SETS = 8  # "select all that apply" questions are graded for every subset of their choices


def _box(feedback):
    return {"status": feedback.status, "html": feedback.html()}


def _boxes(question, values):
    return {key: _box(question.check(value)) for key, value in values}


def question_data(question):
    """One concrete question as JSON-ready data: prompt HTML, choices and the feedback of every answer."""
    data = {"id": question.id, "type": question.type, "prompt": markup(question.prompt), "topic": question.topic}
    if question.type in ("single", "multiple"):
        data["choices"] = [{"letter": letter(i), "html": markup(c)} for i, c in enumerate(question.choices)]
    if question.type == "single":
        data["feedback"] = _boxes(question, [(str(i), c) for i, c in enumerate(question.choices)])
        data["empty"] = _box(question.check(None))
    elif question.type == "true_false":
        data["choices"] = [{"letter": "", "html": "True"}, {"letter": "", "html": "False"}]
        data["feedback"] = _boxes(question, [("0", True), ("1", False)])
        data["empty"] = _box(question.invalid("Pick True or False, then press Submit."))
    elif question.type == "multiple":
        n = len(question.choices)
        if n > MAX_CHOICES_FOR_SETS:
            raise ValueError(f"{question.id}: {n} choices are too many to pre-compute every selection.")
        subsets = [s for r in range(1, n + 1) for s in itertools.combinations(range(n), r)]
        data["feedback"] = _boxes(question, [(",".join(map(str, s)), [question.choices[i] for i in s])
                                             for s in subsets])
        data["empty"] = _box(question.check([]))
    elif question.type == "numeric":
        data["answer"] = float(question.answer)
        data["tolerance"] = float(question.tolerance)
        data["right"] = _box(question.check(question.answer))
        data["wrong"] = _box(question.check(float(question.answer) + 2 * question.tolerance + 1e6))
        data["empty"] = _box(question.invalid("That is not a number. Answer with a number, e.g. 26 or 0.5."))
    return data


def quiz_data(quiz_title, specs, note=""):
    """A quiz (title, note) of ``specs`` (``QuestionSpec``), each with its variants."""
    questions = []
    for spec in specs:
        seeds = [f"site-{k}" for k in range(VARIANTS)] if spec.generated else [0]
        variants, seen = [], set()
        for seed in seeds:
            data = question_data(spec.make(seed))
            key = json.dumps(data, sort_keys=True)
            if key not in seen:
                seen.add(key)
                variants.append(data)
        questions.append({"id": spec.id, "generated": spec.generated, "variants": variants})
    return {"title": quiz_title, "note": note, "questions": questions}


def bank_quiz(name):
    """The quiz of one bank (``"01_convolution_by_hand"``), every question in the bank's order."""
    from course_utils.checking.quiz import banks

    bank = banks()[name]
    return quiz_data(bank.title, bank.questions)


def final_quiz(n=15, seed=0):
    """The final quiz as ``course_utils.quiz.final_quiz`` draws it (a fixed seed), with variants."""
    from course_utils.checking import quiz

    drawn = quiz.final_quiz(n=n, seed=seed)
    specs = [quiz.find_spec(question_id)[1] for question_id in drawn.ids]
    return quiz_data(drawn.title, specs, drawn.note)


def quiz_html(data):
    """The page's placeholder: the quiz as JSON, drawn by ``course-quiz.js`` (a text note without scripts)."""
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    title = html.escape(data["title"])
    return (f'<div class="course-site-quiz" data-quiz-title="{title}">'
            f'<script type="application/json" class="course-site-quiz-data">{payload}</script>'
            f"<noscript>This quiz needs JavaScript in the browser (no server, no account). "
            f"Open the notebook on Colab or Binder to take it there.</noscript></div>")
