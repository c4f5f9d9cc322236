"""A quiz: concrete questions, the student's tries at each, the score and the summary.

Each question gets two tries (one for true/false and two-choice questions), a hint after a wrong first try, and
the answer after the last wrong try or on request (``course_utils.checking.quiz.tries``). Every graded try is recorded
in the progress file (``course_utils.checking.progress``) under the notebook that teaches the question's topic.
"""

import difflib
from dataclasses import dataclass
from typing import NamedTuple

from course_utils import catalog
from course_utils.checking import progress
from course_utils.checking.quiz import tries
from course_utils.checking.quiz.questions import Feedback
from course_utils.checking.quiz.text import markup, render

# Questions shown most recently, by id: what the module-level ``course_utils.quiz.answer()`` answers.
LIVE = {}


def is_ready(notebook):
    """True when ``notebook`` is a written notebook of the course (``catalog``: ready)."""
    entry = catalog.find(notebook)
    return entry is not None and entry.ready


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
                ready = [f"{nb}.ipynb" for nb in notebooks if is_ready(nb)]
                later = [nb for nb in notebooks if not is_ready(nb)]
                where = f"revisit {', '.join(ready)}" if ready else ""
                if later:
                    where += ("; " if where else "") + f"{', '.join(later)} (coming soon) will teach it"
                lines.append(f"  - {topic}: {where}")
        elif self.score.answered:
            lines.append("No missed topics: well done!")
        if self.unanswered:
            lines.append(f"Not answered yet ({len(self.unanswered)}): {', '.join(self.unanswered)}")
        return "\n".join(lines)

    __repr__ = __str__


class Quiz:
    """Concrete questions with the student's answers. Build with ``load``, ``final_quiz`` or ``ask``.

    ``how_to_call``: the name the text version tells the student to answer with (``quiz.answer(...)``);
    ``note``: a line shown under the title.
    """

    def __init__(self, title, notebook, questions, seed=None, how_to_call="quiz", note=""):
        self.title = title
        self.notebook = notebook
        self.seed = seed
        self.questions = list(questions)
        self.how_to_call = how_to_call
        self.note = note
        self.results = {}  # id -> latest graded Feedback
        self.standing = {}  # id -> tries.Standing: tries so far, counted right, settled
        self.widgets = {}  # id -> {"input", "button", "feedback", "card"} once shown as widgets
        self.score_widget = None
        for question in self.questions:
            LIVE[question.id] = (self, question)

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

    def answer(self, question_id, value, quiet=False, how_to_reveal=None):
        """Grade ``value`` for ``question_id`` (a try), show the feedback, record it; ``"?"`` shows the answer.

        A wrong try before the last gets "Not yet" and a hint; the last wrong try shows the answer and the
        explanation (``course_utils.checking.quiz.tries``). Returns the ``Feedback``. Input that is not an answer is
        explained, not recorded and not counted. ``how_to_reveal``: how the student asks for the answer
        (default: the ``reveal`` call of the text version).
        """
        question = self._find(question_id)
        if question is None:
            feedback = Feedback(str(question_id), None, "unknown", self._unknown_id_message(question_id))
        elif tries.asks_for_answer(value):
            return self.reveal(question.id, quiet=quiet)
        else:
            feedback = question.check(value)
            if feedback.correct is not None:
                feedback = self._try(question, feedback, value, how_to_reveal or self._reveal_call(question))
        if not quiet:
            feedback.show()
        return feedback

    def reveal(self, question_id, quiet=False):
        """Show the answer and the explanation of a question (its id or its number, 1 for Q1).

        A question not yet answered right then counts as missed; the request is recorded.
        """
        question = self._find(question_id)
        if question is None:
            feedback = Feedback(str(question_id), None, "unknown", self._unknown_id_message(question_id))
        else:
            standing = self.standing.setdefault(question.id, tries.Standing())
            feedback = tries.revealed_feedback(question)
            if not standing.done:
                standing.done = standing.revealed = True
                count = f"{standing.tries} tr{'y' if standing.tries == 1 else 'ies'}"
                self._record(question, feedback, "?", standing, f"answer shown on request after {count}")
        if not quiet:
            feedback.show()
        return feedback

    def _find(self, question_id):
        """The question named by its id, or by its number in this quiz (1 for Q1); None if neither."""
        if isinstance(question_id, int) and not isinstance(question_id, bool):
            return self.questions[question_id - 1] if 1 <= question_id <= len(self.questions) else None
        return self.question(question_id) if isinstance(question_id, str) else None

    def _reveal_call(self, question):
        return f'`{self.how_to_call}.reveal("{question.id}")` shows it now'

    def _try(self, question, feedback, value, how_to_reveal):
        """Apply the tries rule to a graded ``feedback``; record the try; return what to show."""
        standing = self.standing.setdefault(question.id, tries.Standing())
        if standing.done:
            shown = tries.practice_feedback(question, feedback, standing)
            self._record(question, feedback, value, standing, "practice: the question was settled before")
            return shown
        standing.tries += 1
        allowed = tries.allowed_tries(question)
        where = f"try {standing.tries} of {allowed}"
        if feedback.correct:
            standing.correct = standing.done = True
            shown = feedback
        elif standing.tries < allowed:
            shown = tries.first_try_feedback(question, feedback, value, how_to_reveal)
            where += "; hint shown"
        else:
            standing.done = standing.revealed = True
            shown = tries.last_try_feedback(question, feedback)
            where += "; answer shown"
        self._record(question, feedback, value, standing, where)
        return shown

    def _record(self, question, feedback, value, standing, where):
        """Record one try: ``correct`` is whether the question counts as right now; ``status`` the try's."""
        self.results[question.id] = feedback
        status = feedback.status
        if where.startswith("practice"):
            status = "practice"
            where += f"; this try {feedback.status}"
        detail = f"{where}; answer={value!r}"
        if question.values:
            detail += f"; values={question.values}"
        if self.notebook != question.notebook:
            detail += f"; in {self.notebook}"
        progress.record("quiz", question.notebook, question.id, standing.correct, status, detail)
        if self.score_widget is not None:
            self.score_widget.value = f"<b>{markup(str(self.score()))}</b>"

    def _unknown_id_message(self, question_id):
        close = difflib.get_close_matches(str(question_id), self.ids, n=3, cutoff=0.5)
        if close:
            return f"There is no question {question_id!r} in this quiz. Did you mean: {', '.join(close)}?"
        return f"There is no question {question_id!r} in this quiz. Its questions are: {', '.join(self.ids)}."

    def score(self):
        """``Score(correct, answered, total)``: right within the question's tries, before the answer was shown."""
        tried = [st for st in self.standing.values() if st.tries or st.revealed]
        return Score(sum(st.correct for st in tried), len(tried), len(self.questions))

    def summary(self):
        """Score, and for each topic answered wrongly the notebook(s) to revisit."""
        missed = {}
        for question in self.questions:
            standing = self.standing.get(question.id)
            if standing is not None and not standing.correct:
                notebooks = missed.setdefault(question.topic, [])
                if question.notebook not in notebooks:
                    notebooks.append(question.notebook)
        unanswered = tuple(q.id for q in self.questions if q.id not in self.standing)
        return Summary(self.score(), {t: tuple(sorted(nbs)) for t, nbs in missed.items()}, unanswered)

    # ---- display ---------------------------------------------------------------------------------

    def text(self):
        """The quiz as numbered plain text with ids, choices and how to answer."""
        return render(self)

    def show(self, widgets=None):
        """Widgets in a live notebook that can render them, numbered text elsewhere.

        ``widgets=False`` always prints the text version; ``widgets=True`` says why widgets cannot be shown.
        """
        from course_utils.checking.quiz import widgets as ui

        if widgets is not False:
            reason = ui.unavailable_reason()
            if reason is None and ui.display_quiz(self):
                return
            if widgets:
                why = reason or "display failed"
                print(f"Widgets cannot be shown here ({why}); here is the text version.\n")
        print(self.text())

    def build_widgets(self):
        """Build (and keep in ``self.widgets``) the cards and the score line; returns the container."""
        from course_utils.checking.quiz import widgets as ui

        return ui.build(self)
