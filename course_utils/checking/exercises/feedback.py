"""What a check returns (``Feedback``) and how messages, hints and solutions are shown.

Jupyter: a small coloured box with an icon (colour is never the only cue). Headless (``course run``,
tests, a plain terminal): one or a few plain lines.
"""

import html
import re
from dataclasses import dataclass

from course_utils import paths

#: status -> (icon, label, background, border). Every status a checker can return is listed here.
STATUSES = {
    "correct": ("✔", "Correct", "#e6f4ea", "#2e7d32"),
    "not_attempted": ("✎", "Not attempted yet", "#fff8e1", "#f9a825"),
    "interrupted": ("✎", "Check interrupted", "#fff8e1", "#f9a825"),
    "checker_error": ("⚠", "Could not check", "#fff8e1", "#f9a825"),
    "wrong": ("✘", "Not yet", "#fdecea", "#c62828"),
    "wrong_type": ("✘", "Wrong type", "#fdecea", "#c62828"),
    "wrong_shape": ("✘", "Wrong shape", "#fdecea", "#c62828"),
    "wrong_dtype": ("✘", "Wrong dtype", "#fdecea", "#c62828"),
    "nan": ("✘", "NaN or infinity", "#fdecea", "#c62828"),
    "error": ("✘", "Your code raised an error", "#fdecea", "#c62828"),
    "timeout": ("✘", "Too slow", "#fdecea", "#c62828"),
    "returned_none": ("✘", "Returned None", "#fdecea", "#c62828"),
    "wrong_signature": ("✘", "Wrong arguments", "#fdecea", "#c62828"),
    "wrong_outputs": ("✘", "Wrong number of outputs", "#fdecea", "#c62828"),
    "mutated_input": ("✘", "Changed its input", "#fdecea", "#c62828"),
    "not_a_model": ("✘", "Not a Keras model", "#fdecea", "#c62828"),
    "wrong_layers": ("✘", "Wrong layers", "#fdecea", "#c62828"),
    "wrong_output_shape": ("✘", "Wrong output shape", "#fdecea", "#c62828"),
    "wrong_params": ("✘", "Wrong parameter count", "#fdecea", "#c62828"),
    "not_an_option": ("✘", "Not one of the options", "#fdecea", "#c62828"),
    "wrong_activation": ("✘", "Wrong activation", "#fdecea", "#c62828"),
    "wrong_values": ("✘", "Wrong values", "#fdecea", "#c62828"),
    "too_low": ("✘", "Accuracy too low", "#fdecea", "#c62828"),
}
_INFO = ("💡", "Hint", "#e8f0fe", "#1a73e8")

# Quiz answers (course_utils.checking.quiz) use "correct" and "wrong" above and these; invalid/unknown are not counted.
STATUSES.update({
    "partial": ("◐", "Partly right", "#fff8e1", "#f9a825"),
    "invalid": ("✎", "Not counted", "#fff8e1", "#f9a825"),
    "revealed": ("➜", "The answer", "#e8f0fe", "#1a73e8"),  # shown on request (counts as missed)
    "unknown": ("?", "Unknown question", "#fff8e1", "#f9a825"),
})


def _style(status):
    """The icon, label and colours of ``status``; a status missing from ``STATUSES`` looks like a wrong answer
    (never like a blue hint: it is not correct)."""
    return STATUSES.get(status, STATUSES["wrong"])


@dataclass
class Feedback:
    """The result of ``check()``: ``.correct`` (bool), ``.status`` (a word from ``STATUSES``),
    ``.message`` (one friendly sentence or two) and ``.detail`` (an example: inputs, expected vs got).

    Displaying it shows nothing, because ``check()`` has already shown it; call ``.show()`` to see it again.
    """

    exercise: str
    status: str
    message: str
    detail: str = ""

    @property
    def correct(self):
        return self.status == "correct"

    def __bool__(self):
        return self.correct

    def __str__(self):
        return as_text(self.status, f"{self.exercise}: {self.message}", self.detail)

    def __repr__(self):
        return f"Feedback(exercise={self.exercise!r}, status={self.status!r}, correct={self.correct})"

    def _ipython_display_(self):
        """Nothing: ``check()`` already showed the message (so a cell's last line does not repeat it)."""

    def show(self):
        """Show the message again (HTML box in Jupyter, plain text otherwise)."""
        show_box(self.status, f"{self.exercise}: {self.message}", self.detail)


class Quiet(str):
    """A string that shows nothing as a cell's last value (its content was already displayed)."""

    def _ipython_display_(self):
        pass


def as_text(status, message, detail=""):
    """Plain-text rendering: ``icon label - message`` then the indented detail lines."""
    icon, label = (_style(status) if status else _INFO)[:2]
    text = f"{icon} {label} - {message}"
    if detail:
        text += "\n" + "\n".join("    " + line for line in detail.splitlines())
    return text


def _inline_code(text):
    """HTML-escape ``text`` and turn `backticks` into <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def as_html(status, message, detail="", style=None):
    """A small coloured box: icon, bold label, message, optional <pre> detail."""
    icon, label, background, border = style or (_style(status) if status else _INFO)
    pre = (
        f'<pre style="margin:6px 0 0 0;padding:6px;background:rgba(0,0,0,0.04);color:#222;'
        f'white-space:pre-wrap">{html.escape(detail)}</pre>'
        if detail
        else ""
    )
    return (
        f'<div role="status" style="border-left:5px solid {border};background:{background};color:#222;'
        f'padding:8px 12px;margin:4px 0;border-radius:4px;font-family:sans-serif">'
        f'<span aria-hidden="true">{icon}</span> <b>{html.escape(label)}</b> - {_inline_code(message)}{pre}</div>'
    )


def _display_html(markup, text):
    if paths.headless():
        print(text)
        return
    try:
        from IPython.display import HTML, display

        display(HTML(markup))
    except Exception:  # noqa: BLE001 - no IPython: plain text is always possible
        print(text)


def show_html(markup, text):
    """Show ``markup`` (built from ``as_html``) in a live notebook, ``text`` elsewhere: what ``show_box`` does."""
    _display_html(markup, text)


def show_box(status, message, detail=""):
    """Show one feedback message in the best form available."""
    _display_html(as_html(status, message, detail), as_text(status, message, detail))


def show_note(message, icon="💡", label="Hint"):
    """Show an informational note (hints, 'using the reference solution')."""
    style = (icon, label, _INFO[2], _INFO[3])
    _display_html(as_html(None, message, style=style), f"{icon} {label} - {message}")


def show_code(title, source):
    """Show source code: syntax-highlighted in Jupyter, plain text headless."""
    if paths.headless():
        print(f"{title}\n{source}")
        return
    try:
        from IPython.display import HTML, Code, display

        display(HTML(f"<b>{html.escape(title)}</b>"), Code(source, language="python"))
    except Exception:  # noqa: BLE001
        print(f"{title}\n{source}")
