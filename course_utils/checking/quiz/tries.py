"""Tries: a wrong first answer gets a hint, the answer comes after the second wrong try or on request.

The rule, the same in every front end (widgets, text, ``course_utils.quiz.answer``):

- a question with more than two possible answers gets **two tries**; a true/false or two-choice question gets
  **one** (a second try there would always be right);
- a wrong try before the last one shows "Not yet", what is wrong without giving the answer away (your choice is
  not it, your number is too high, how many choices are missing) and the question's ``hint`` from its bank when
  it has one;
- the answer and its explanation are shown after the last wrong try, or at once on request (the "Show answer"
  button, ``quiz.reveal("id")``, or answering ``"?"``);
- the score counts a question right when it was answered right within its tries, before the answer was
  shown. Later answers are graded and shown (practice) but do not change the score.

Every graded try is recorded; the record's ``correct`` says whether the question counts as right so far, and
its ``detail`` holds the try's number (``try 2 of 2``).
"""

from dataclasses import dataclass, replace

from course_utils.checking.quiz.questions import Feedback

REVEAL_ANSWERS = ("?",)  # answering "?" shows the answer


@dataclass
class Standing:
    """One question's tries so far: ``tries`` graded, ``correct`` counts as right, ``done`` settled."""

    tries: int = 0
    correct: bool = False
    done: bool = False
    revealed: bool = False


def allowed_tries(question):
    """1 for questions with two possible answers (true/false, two choices), else 2."""
    if question.type == "true_false" or (question.type == "single" and len(question.choices) <= 2):
        return 1
    return 2


def asks_for_answer(value):
    """True when ``value`` asks for the answer (``"?"``) instead of giving one."""
    return isinstance(value, str) and value.strip() in REVEAL_ANSWERS


def nudge(question, feedback, value):
    """What is wrong with this answer, without the answer: one or two short sentences."""
    if question.type == "single":
        picked = question.choice_named(value)
        return f"\"{picked}\" is not it." if picked else "That is not it."
    if question.type == "numeric":
        from course_utils.checking.quiz.questions import as_number

        number = as_number(value)
        if number is not None:
            return f"{_tidy(number)} is too {'high' if number > question.answer else 'low'}."
        return "That number is not it."
    if question.type == "multiple":
        missing, extra = len(feedback.missing), len(feedback.extra)
        parts = []
        if missing:
            parts.append(f"{missing} right choice{'s are' if missing != 1 else ' is'} missing")
        if extra:
            parts.append(f"{extra} of your choices should not be selected")
        return (" and ".join(parts) + ".").capitalize() if parts else "That is not it."
    return "That is not it."


def _tidy(number):
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def first_try_feedback(question, feedback, value, how_to_reveal):
    """The "Not yet" feedback of a wrong try that is not the last: nudge, hint, how to go on; no answer."""
    message = nudge(question, feedback, value)
    hint = question.hint
    if hint:
        message += f" Hint: {hint.rstrip()}"
        if not message.endswith((".", "?", "!")):
            message += "."
    else:  # no hint in the bank: point to where the topic is taught, never to the answer
        where = f"notebook {question.notebook[:2]}" if question.notebook[:2].isdigit() else "the notebook"
        message += f" Look again at what {where} shows about {question.topic}."
    message += f" Try once more; the answer comes after a second wrong try, or {how_to_reveal}."
    return replace(feedback, message=message, explanation="", missing=(), extra=())


def last_try_feedback(question, feedback):
    """The feedback of the last wrong try: what was wrong, then the answer and its explanation."""
    message = feedback.message
    if question.type == "multiple":
        message = f"{message} The answer is: {question.answer_text}."
    return replace(feedback, message=message)


def practice_feedback(question, feedback, standing):
    """A try after the question was settled: graded and explained, the score unchanged."""
    if standing.revealed:
        note = " (The answer was shown already, so the score keeps this question as missed.)"
    elif standing.correct:
        note = " (You answered it right before; the score keeps that.)"
    else:
        note = ""
    message = feedback.message + note
    if question.type == "multiple" and not feedback.correct:
        message = f"{feedback.message} The answer is: {question.answer_text}.{note}"
    return replace(feedback, message=message)


def revealed_feedback(question):
    """The answer and its explanation, shown on request."""
    return Feedback(question.id, False, "revealed", f"{question.answer_text}.",
                    question.explanation)
