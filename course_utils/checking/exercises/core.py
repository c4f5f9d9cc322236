"""The generic exercise: ``check()``, ``hint()``, ``solution()``, ``use()``, and the per-notebook set.

A kind of answer (value, function, model, choice) is a subclass that implements only ``_evaluate(answer)``
(return ``None`` when correct, else a ``Problem``) and ``_reference_answer()`` (what ``use()`` falls back
to). Everything a student touches (display, recording, never raising) lives here.
"""

import difflib
import inspect
import sys
import textwrap

from course_utils import paths
from course_utils.checking.exercises.catalogue import Alternative, Mistake
from course_utils.checking.exercises.compare import Problem, a_type, type_name
from course_utils.checking.exercises.feedback import Feedback, Quiet, show_code, show_note

_MISSING = object()
_RESERVED = {"exercises", "notebook", "verify", "status_table"}


class Exercise:
    """Base class. ``id``: a Python identifier, unique in its notebook; ``title``: one short line;
    ``hints``: strings, vaguest first; ``solution``: source text (default: the reference's source);
    ``name``: the variable ``check()`` reads from the notebook when called with no argument (default ``id``);
    ``mistakes`` / ``alternatives``: the misconception catalogue (``Mistake`` / ``Alternative`` objects);
    ``equivalents``: ``Equivalent`` mutants of the reference (``tests/test_mutation.py``).
    """

    kind = "exercise"

    def __init__(self, id, *, title="", hints=(), solution=None, name=None, mistakes=(), alternatives=(),
                 equivalents=()):
        if not isinstance(id, str) or not id.isidentifier() or id in _RESERVED or id.startswith("_"):
            raise ValueError(f"Exercise id {id!r} must be a Python identifier, not starting with '_' and "
                             f"not one of {sorted(_RESERVED)}.")
        if isinstance(hints, str):
            hints = [hints]
        self.id = id
        self.title = title
        self.hints = list(hints)
        self._solution = solution
        self.name = name or id
        self.notebook = None  # set by ExerciseSet
        self.last = None  # the last Feedback of this session
        self._hints_shown = 0
        self.mistakes = list(mistakes)
        self.alternatives = list(alternatives)
        self.equivalents = list(equivalents)  # Equivalent(...): mutants of the reference that are right after all
        for item in self.mistakes:
            if not isinstance(item, Mistake):
                raise TypeError(f"Exercise {id!r}: mistakes must be Mistake(...) objects, not {type_name(item)}.")
        for item in self.alternatives:
            if not isinstance(item, Alternative):
                raise TypeError(f"Exercise {id!r}: alternatives must be Alternative(...) objects, "
                                f"not {type_name(item)}.")

    # --- to implement in subclasses -------------------------------------------------------------
    def _evaluate(self, answer):
        raise NotImplementedError

    def _reference_answer(self):
        raise NotImplementedError

    def _reference_source(self):
        return ""

    def _handed_on(self, answer):
        """What ``use()`` gives the cells that follow for a correct ``answer`` (e.g. a list kernel as an array)."""
        return answer

    def solution_text(self):
        """The reference solution as source code, binding the same name the notebook cell checks (``name``)."""
        source = self._solution if self._solution is not None else self._reference_source()
        return textwrap.dedent(source).strip("\n")

    def diagnose(self, same_as):
        """The ``Problem`` of the first catalogued mistake with a message that ``same_as(wrong_answer)`` says the
        student's answer behaves like, else ``None``. A comparison that fails counts as no match."""
        for mistake in self.mistakes:
            if mistake.message is None:
                continue
            try:
                if same_as(mistake.resolve()):
                    return Problem(mistake.status, mistake.message)
            except Exception:  # noqa: BLE001 - an odd answer simply matches no mistake
                continue
        return None

    # --- student API -----------------------------------------------------------------------------
    def evaluate(self, answer):
        """The ``Feedback`` for ``answer``, without showing or recording it (for tests and tools)."""
        if answer is None or answer is Ellipsis:
            return Feedback(self.id, "not_attempted", self._not_attempted_message(answer))
        try:
            problem = self._evaluate(answer)
        except KeyboardInterrupt:
            return Feedback(self.id, "interrupted", "The check was interrupted. Run the cell again when ready.")
        except Exception as err:  # noqa: BLE001 - a checker bug must never reach the student as a traceback
            return Feedback(
                self.id, "checker_error",
                f"The checker could not handle this answer ({type(err).__name__}: {str(err)[:150]}). Check that "
                f"you passed the right thing ({a_type(answer)} was given). If it keeps happening, it is "
                f"probably a course bug: please report it.",
            )
        if problem is None:
            return Feedback(self.id, "correct", self._correct_message())
        return Feedback(self.id, problem.status, problem.message, problem.detail)

    def check(self, answer=_MISSING):
        """Check ``answer``, show one message, record it in the progress file, and return a ``Feedback``.

        Never raises. With no argument, checks the notebook variable named ``self.name``.
        """
        try:
            if answer is _MISSING:
                answer = self._answer_from_caller()
            feedback = self.evaluate(answer)
        except BaseException as err:  # noqa: BLE001 - check() never raises into the notebook
            feedback = Feedback(self.id, "checker_error", f"The check stopped unexpectedly ({type(err).__name__}).")
        self.last = feedback
        self._record(feedback)
        try:
            feedback.show()
        except Exception:  # noqa: BLE001
            print(str(feedback))
        return feedback

    def hint(self, level=None):
        """Show the next hint (or hint ``level``, counting from 1); the last one points to ``solution()``."""
        total = len(self.hints)
        if not total:
            text = "This exercise has no hints. Try `solution()` if you are stuck."
            show_note(f"{self.id}: {text}")
            return Quiet(text)
        if level is None:
            level = self._hints_shown + 1
        try:
            level = int(level)
        except (TypeError, ValueError):
            level = self._hints_shown + 1
        if level > total:
            text = f"No more hints - see `ex.{self.id}.solution()` for the reference code."
            show_note(f"{self.id}: {text}", label=f"Hint ({total} of {total} shown)")
            return Quiet(text)
        level = max(level, 1)
        self._hints_shown = max(self._hints_shown, level)
        more = " Call `hint()` again for more." if level < total else " That was the last hint."
        text = self.hints[level - 1]
        show_note(f"{self.id}: {text}{more}", label=f"Hint {level} of {total}")
        return Quiet(text)

    def solution(self):
        """Show the reference solution's source code and return it (as text); closed in graded work."""
        if paths.graded():
            text = (f"{self.id}: the reference solution is closed in graded work. Try `ex.{self.id}.hint()`, "
                    f"or ask your instructor.")
            show_note(text, icon="🔒", label="Graded work")
            return Quiet(text)
        source = self.solution_text()
        show_code(f"Solution for {self.id}:", source)
        return Quiet(source)

    def use(self, answer=_MISSING):
        """The student's ``answer`` if it passes the check, otherwise the reference (with a one-line note),
        so that later cells still run. Records the check like ``check()``."""
        try:
            if answer is _MISSING:
                answer = self._answer_from_caller()
            feedback = self.evaluate(answer)
        except BaseException as err:  # noqa: BLE001
            feedback = Feedback(self.id, "checker_error", f"The check stopped unexpectedly ({type(err).__name__}).")
        self.last = feedback
        self._record(feedback)
        if feedback.correct:
            return self._handed_on(answer)
        label = {"not_attempted": "not attempted yet"}.get(feedback.status, feedback.status.replace("_", " "))
        show_note(f"{self.id}: your answer does not pass yet ({label}), so the reference solution is used "
                  f"from here on. Come back to it with `ex.{self.id}.check(...)`.", icon="↪", label="Using the reference")
        return self._reference_answer()

    # --- helpers ---------------------------------------------------------------------------------
    def _correct_message(self):
        return "Well done!"

    def _not_attempted_message(self, answer):
        return (f"Replace the `None` / `...` placeholder with your answer, run the cell, "
                f"then check again (or try `ex.{self.id}.hint()`).")

    def _answer_from_caller(self):
        """The notebook's variable ``self.name``, looked up in the frame that called the student API."""
        frame = sys._getframe(2)
        for scope in (frame.f_locals, frame.f_globals):
            if self.name in scope:
                return scope[self.name]
        return None

    def _record(self, feedback):
        try:
            from course_utils.checking import progress

            detail = feedback.message if len(feedback.message) <= 200 else feedback.message[:197] + "..."
            progress.record("exercise", self.notebook or "unknown", self.id, feedback.correct,
                            feedback.status, detail)
        except Exception:  # noqa: BLE001 - recording never breaks the notebook
            pass

    def __repr__(self):
        state = self.last.status if self.last else "not checked"
        return f"<{type(self).__name__} {self.id!r}: {self.title or 'no title'} ({state})>"

    def _ipython_display_(self):
        print(repr(self))


def reference_source(function):
    """The source of ``function`` (dedented), or a short note if it cannot be read."""
    try:
        return textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return f"# (the source of {getattr(function, '__name__', 'the reference')} is not available)"


class ExerciseSet:
    """The exercises of one notebook: ``ex.<id>`` gives an exercise; ``ex`` alone lists them with status."""

    def __init__(self, notebook, exercises):
        seen = set()
        for item in exercises:
            if not isinstance(item, Exercise):
                raise TypeError(f"{notebook}: EXERCISES must hold Exercise objects, not {type_name(item)}.")
            if item.id in seen:
                raise ValueError(f"{notebook}: two exercises are called {item.id!r}.")
            seen.add(item.id)
            item.notebook = notebook
        self.notebook = notebook
        self.exercises = list(exercises)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        for item in self.__dict__.get("exercises", []):
            if item.id == name:
                return item
        ids = [item.id for item in self.__dict__.get("exercises", [])]
        close = difflib.get_close_matches(name, ids, n=1)
        suggestion = f" Did you mean `ex.{close[0]}`?" if close else ""
        raise AttributeError(f"Notebook {self.__dict__.get('notebook')} has no exercise {name!r}.{suggestion} "
                             f"Its exercises are: {', '.join(ids) or 'none'}.")

    def __dir__(self):
        return sorted(set(super().__dir__()) | {item.id for item in self.exercises})

    def __iter__(self):
        return iter(self.exercises)

    def __len__(self):
        return len(self.exercises)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.exercises[key]
        return getattr(self, key)

    def status_table(self):
        """``[(id, title, status)]``: this session's last check, else the progress file's last record."""
        saved = {}
        try:
            from course_utils.checking import progress

            for (kind, notebook, item), entry in progress.latest(progress.load()["records"]).items():
                if kind == "exercise" and notebook == self.notebook:
                    saved[item] = entry.get("status", "wrong")
        except Exception:  # noqa: BLE001 - a missing or damaged file just means "no saved status"
            pass
        return [(item.id, item.title, item.last.status if item.last else saved.get(item.id, "not_attempted"))
                for item in self.exercises]

    def __repr__(self):
        from course_utils.checking.exercises.feedback import STATUSES

        rows = self.status_table()
        width = max((len(row[0]) for row in rows), default=0)
        lines = [f"Exercises of {self.notebook} (ex.<name>.check(...), .hint(), .solution(), .use(...)):"]
        for ident, title, status in rows:
            icon = STATUSES.get(status, ("?",))[0]
            lines.append(f"  {icon} {ident:<{width}}  {status.replace('_', ' '):<15} {title}")
        done = sum(status == "correct" for _, _, status in rows)
        lines.append(f"  {done} of {len(rows)} correct.")
        return "\n".join(lines)

    def _repr_html_(self):
        """The status table; every cell is left-aligned inline (JupyterLab right-aligns table cells)."""
        import html

        from course_utils.checking.exercises.feedback import STATUSES

        left = 'style="text-align:left;vertical-align:top"'
        cells = "".join(
            f"<tr><td {left}>{STATUSES.get(status, ('?',))[0]}</td>"
            f"<td {left}><code>ex.{html.escape(ident)}</code></td>"
            f"<td {left}>{html.escape(status.replace('_', ' '))}</td><td {left}>{html.escape(title)}</td></tr>"
            for ident, title, status in self.status_table()
        )
        header = "".join(f"<th {left}>{name}</th>" for name in ("result", "exercise", "status", "task"))
        return (f"<b>Exercises of {html.escape(self.notebook)}</b><table class=\"course-exercises\">"
                f"<tr>{header}</tr>{cells}</table>")

    def verify(self):
        """Problems with the definitions: each reference must pass its own check. Returns ``[]`` when fine."""
        problems = []
        for item in self.exercises:
            feedback = item.evaluate(item._reference_answer())
            if not feedback.correct:
                problems.append(f"{item.id}: the reference fails its own check ({feedback.status}: "
                                f"{feedback.message})")
        return problems


__all__ = ["Exercise", "ExerciseSet", "Problem", "reference_source"]
