"""The quiz as plain text: what a terminal, ``course run`` or a frontend without widgets shows.

Every question is printed with its id and the call that answers it (``quiz.answer("id", ...)``).
"""

import html
import re

from course_utils.checking import answers

CONVENTION = ("Name a choice by its letter (b), its text or its value (3 for \"3, the pool size\"); "
              "case and spaces do not matter.")

_HOW = {
    "single": 'one choice: its letter, its text or its value, e.g. "b"',
    "multiple": 'every right choice: a list such as ["a", "c"] or a text such as "a, c"',
    "numeric": "a number",
    "true_false": "True or False",
}


def tries_rule(how_to_call):
    """The tries rule in one sentence (``course_utils.checking.quiz.tries``), with the call that reveals an answer."""
    return ("Two tries per question (one for true/false and two-choice questions): a wrong first try gets a "
            f"hint, and the answer with its explanation comes after the second, or at once with "
            f'{how_to_call}.reveal("id") (or by answering "?").')


def how_to_answer(question_type):
    """A short hint on the form an answer to a question of this type takes."""
    return _HOW[question_type]


def render(quiz):
    """The quiz as numbered plain text with ids, choices and how to answer each question."""
    count = len(quiz.questions)
    lines = [f"{quiz.title} ({count} question{'s' if count != 1 else ''})"]
    if quiz.note:
        lines.append(quiz.note)
    if any(q.type in ("single", "multiple") for q in quiz.questions):
        lines.append(CONVENTION)
    lines.append(tries_rule(quiz.how_to_call))
    lines.append("")
    for number, question in enumerate(quiz.questions, start=1):
        lines.append(f"Q{number}. [{question.id}] {question.prompt}")
        if question.type in ("single", "multiple"):
            if question.type == "multiple":
                lines.append("    (select all that apply)")
            for index, choice in enumerate(question.choices):
                lines.append(f"    {answers.letter(index)}) {choice}")
        elif question.type == "true_false":
            lines.append("    True or False?")
        call = f'{quiz.how_to_call}.answer("{question.id}", ...)'
        lines.append(f"    -> answer with {call}, giving {how_to_answer(question.type)}")
        lines.append("")
    return "\n".join(lines)


def markup(text):
    """``text`` as HTML: escaped, `backticks` as code, line breaks kept."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text)).replace("\n", "<br>")
