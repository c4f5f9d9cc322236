"""The quiz as ipywidgets (7.7, as on Colab, and 8): one card per question, Submit, feedback, a score line.

Every choice label is shown in full and wraps: checkboxes and radio buttons get an automatic width and height,
and a small style sheet scoped to the quiz lets their text wrap. Stable CSS classes, for styles and browser
tests:

- ``course-quiz``: the whole quiz; ``course-quiz-card`` and ``course-quiz-id-<question id>``: one question;
- ``course-quiz-choices``: the radio buttons or the box of checkboxes; ``course-quiz-choice``: one checkbox
  (its label is the choice's text);
- ``course-quiz-submit``, ``course-quiz-reveal`` (Show answer), ``course-quiz-feedback``, ``course-quiz-score``.

Tries follow ``course_utils.checking.quiz.tries``: a wrong first try shows a hint, the answer comes after the second wrong
try or when "Show answer" is pressed.

Where widgets cannot be shown (a headless run, no or a broken ipywidgets, Colab unable to load ipywidgets 8),
``unavailable_reason()`` says why and the quiz prints its text version. A frontend without widget support
shows the text version as well: it is the plain-text form of the quiz's display.
"""

import sys
from functools import cache

from course_utils import paths
from course_utils.checking.quiz.questions import Feedback
from course_utils.checking.quiz.text import CONVENTION, markup

WIDGET_REVEAL = 'press "Show answer"'
WIDGET_RULE = ("Two tries per question (one for true/false and two-choice questions): a wrong first try gets a "
               "hint; the answer and its explanation come after the second, or when you press Show answer.")

STYLE = """<style>
.course-quiz .widget-html-content, .course-quiz .jupyter-widget-html-content { line-height: 1.45; }
.course-quiz .widget-radio-box label, .course-quiz .jupyter-widget-radio-box label {
  height: auto; line-height: 1.4; white-space: normal; display: flex; align-items: flex-start;
  margin: 3px 0; }
.course-quiz .widget-radio-box input, .course-quiz .jupyter-widget-radio-box input {
  order: -1; flex-shrink: 0; height: 1.4em; line-height: 1.4; margin: 0 8px 0 1px; }
.course-quiz .course-quiz-choice { height: auto; }
.course-quiz .course-quiz-choice .widget-label-basic,
.course-quiz .course-quiz-choice .jupyter-widget-label-basic {
  white-space: normal; overflow: visible; line-height: 1.4; display: flex; align-items: flex-start;
  margin: 3px 0; }
.course-quiz .course-quiz-choice input {
  flex-grow: 0; flex-shrink: 0; align-self: flex-start; height: 1.4em; }
</style>"""


def unavailable_reason():
    """Why quiz widgets cannot be shown here (a short phrase), or None when they can."""
    if paths.headless():
        return "no live notebook"
    try:
        import ipywidgets
    except Exception as err:  # noqa: BLE001 - a broken install must fall back to text, not raise
        return f"ipywidgets could not be imported ({err.__class__.__name__}: {err})"
    version = getattr(ipywidgets, "__version__", None)
    if _major(version) < 7:
        return f"ipywidgets {version} is too old or broken (7.7 or later is needed)"
    if _major(version) >= 8 and "google.colab" in sys.modules:
        return _colab_widget_manager()
    return None


def _major(version):
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return 0  # None or an odd string: not a usable install


@cache
def _colab_widget_manager():
    """Colab renders ipywidgets 7 itself; ipywidgets 8 needs its custom widget manager. None when it is on."""
    try:
        from google.colab import output

        output.enable_custom_widget_manager()
    except Exception as err:  # noqa: BLE001
        return f"Colab could not enable its widget manager for ipywidgets 8 ({err.__class__.__name__})"
    return None


def display_quiz(quiz):
    """Display ``quiz`` as widgets, with its text version as the plain-text form; False if that failed."""
    try:
        from IPython.display import display

        box = build(quiz)
        bundle = {
            "text/plain": quiz.text(),
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": box.model_id},
        }
        display(bundle, raw=True)
    except Exception:  # noqa: BLE001 - any failure here means: show the text version instead
        return False
    return True


def build(quiz):
    """The widgets of ``quiz`` (kept in ``quiz.widgets`` and ``quiz.score_widget``); returns the container."""
    import ipywidgets as w

    header = f"{STYLE}<h3>{markup(quiz.title)}</h3>"
    if quiz.note:
        header += f"<div>{markup(quiz.note)}</div>"
    if any(q.type in ("single", "multiple") for q in quiz.questions):
        header += f"<div style='color:#57606a;font-size:90%'>{markup(CONVENTION)}</div>"
    header += f"<div style='color:#57606a;font-size:90%'>{markup(WIDGET_RULE)}</div>"
    cards = [_card(w, quiz, number, question) for number, question in enumerate(quiz.questions, start=1)]
    quiz.score_widget = _with_class(w.HTML(f"<b>{markup(str(quiz.score()))}</b>"), "course-quiz-score")
    box = w.VBox([w.HTML(header), *cards, quiz.score_widget], layout=w.Layout(width="auto"))
    return _with_class(box, "course-quiz")


def _with_class(widget, *names):
    for name in names:
        widget.add_class(name)
    return widget


def _full_width(w):
    """Layout for a label that must be shown whole: as wide and as tall as its text needs."""
    return w.Layout(width="auto", height="auto", max_width="100%")


def _card(w, quiz, number, question):
    prompt = w.HTML(f"<b>Q{number}.</b> {markup(question.prompt)} "
                    f"<span style='color:#888;font-size:85%'>[{question.id}]</span>", layout=_full_width(w))
    note = []
    if question.type == "single":
        entry = w.RadioButtons(options=list(question.choices), value=None, layout=_full_width(w))
    elif question.type == "true_false":
        entry = w.RadioButtons(options=["True", "False"], value=None, layout=_full_width(w))
    elif question.type == "multiple":
        boxes = [_with_class(w.Checkbox(value=False, description=choice, indent=False, layout=_full_width(w)),
                             "course-quiz-choice")
                 for choice in question.choices]
        entry = w.VBox(boxes, layout=_full_width(w))
        note = [w.HTML("<i>Select all that apply.</i>")]
    else:
        entry = w.Text(placeholder="a number")
    _with_class(entry, "course-quiz-entry" if question.type == "numeric" else "course-quiz-choices")
    button = _with_class(w.Button(description="Submit", button_style="primary", icon="check"),
                         "course-quiz-submit")
    reveal_button = _with_class(w.Button(description="Show answer", icon="eye", tooltip="Show the answer and "
                                         "its explanation (the question then counts as missed)"),
                                "course-quiz-reveal")
    feedback = _with_class(w.HTML(layout=_full_width(w)), "course-quiz-feedback")
    buttons = w.HBox([button, reveal_button], layout=w.Layout(width="auto", flex_flow="row wrap"))
    card = w.VBox([prompt, *note, entry, buttons, feedback],
                  layout=w.Layout(border="1px solid #ddd", padding="8px", margin="6px 0", width="auto"))
    _with_class(card, "course-quiz-card", f"course-quiz-id-{question.id}")
    parts = {"input": entry, "button": button, "reveal": reveal_button, "feedback": feedback, "card": card}
    button.on_click(lambda _button: submit(quiz, question, parts))
    reveal_button.on_click(lambda _button: reveal(quiz, question, parts))
    quiz.widgets[question.id] = parts
    return card


def submit(quiz, question, parts):
    """Grade what the card holds (Submit pressed) and show the feedback on the card."""
    entry = parts["input"]
    if question.type == "multiple":
        value = [box.description for box in entry.children if box.value]
    else:
        value = "" if entry.value is None else entry.value
    if question.type in ("single", "true_false") and value == "":
        feedback = Feedback(question.id, None, "invalid", "Pick an answer first, then press Submit.")
    elif question.type == "multiple" and not value:
        feedback = Feedback(question.id, None, "invalid", "Tick at least one box, then press Submit.")
    else:
        feedback = quiz.answer(question.id, value, quiet=True, how_to_reveal=WIDGET_REVEAL)
    parts["feedback"].value = feedback.html()


def reveal(quiz, question, parts):
    """Show the answer and the explanation on the card (Show answer pressed)."""
    parts["feedback"].value = quiz.reveal(question.id, quiet=True).html()
