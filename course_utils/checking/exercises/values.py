"""Answers that are values: numbers, strings, tuples/shapes, NumPy arrays (``Value``) and one of a list of
options (``Choice``)."""

import copy

import numpy as np

from course_utils.checking import answers
from course_utils.checking.exercises.compare import Problem, a_type, compare, describe, safe_repr
from course_utils.checking.exercises.core import Exercise


class Value(Exercise):
    """The answer is a value compared with ``answer``: numbers within ``rtol``/``atol`` (784.0 for 784 is
    fine), strings ignoring case and spacing, tuples item by item (a list is fine), arrays with ``np.allclose``
    (only a NumPy array passes where one is expected). The expected value is never shown in feedback.
    ``solution`` defaults to ``"<name> = <answer>"``.
    """

    kind = "value"

    def __init__(self, id, answer, *, rtol=1e-6, atol=1e-9, dtype="kind", **options):
        super().__init__(id, **options)
        self.answer = np.asarray(answer) if isinstance(answer, np.ndarray) else answer
        self.rtol, self.atol, self.dtype = rtol, atol, dtype

    def _evaluate(self, answer):
        problem = compare(self.answer, answer, rtol=self.rtol, atol=self.atol, dtype=self.dtype, reveal=False)
        if problem is None:
            return None
        return self.diagnose(lambda wrong: compare(wrong, answer, rtol=self.rtol, atol=self.atol, dtype=None,
                                                   reveal=False) is None) or problem

    def _reference_answer(self):
        return copy.deepcopy(self.answer)

    def _reference_source(self):
        return f"{self.name} = {safe_repr(self.answer)}"


class Choice(Exercise):
    """The answer is one of ``options``, named as in quizzes (``course_utils.checking.answers``): its letter, its text
    (case and spacing ignored) or its value. ``explanations`` (optional) maps a wrong option to a sentence
    saying why it is wrong. ``read`` (optional): a function that turns other ways of naming an option into
    its text (e.g. a Keras loss object into its name); it returns ``None`` for answers it does not know."""

    kind = "choice"

    def __init__(self, id, options, answer, *, explanations=None, read=None, **settings):
        super().__init__(id, **settings)
        self.options = list(options)
        if answer not in self.options:
            raise ValueError(f"Choice {id!r}: the answer {answer!r} is not one of the options {self.options}.")
        self.answer = answer
        self.explanations = dict(explanations or {})
        self.read = read

    def show_options(self):
        """Print the options with their letters (answer with a letter, the text, or its value)."""
        lines = [f"  {answers.letter(i)}) {option}" for i, option in enumerate(self.options)]
        print("\n".join([f"{self.title or self.id} Answer with a letter or an option's text:", *lines]))

    def _find(self, answer):
        if self.read is not None:
            try:
                named = self.read(answer)
            except Exception:  # noqa: BLE001 - a reader that fails simply does not know this answer
                named = None
            if named is not None:
                answer = named
        index = answers.match_choice(answer, self.options)
        return None if index is None else self.options[index]

    def _evaluate(self, answer):
        listing = answers.listing(self.options)
        if self.read is not None and self._find(answer) is not None:
            pass  # read() named an option (a loss object, a function ...)
        elif isinstance(answer, (list, tuple, set, dict, np.ndarray)) and self._find(answer) is None:
            return Problem("wrong_type", f"Give exactly one of the options as your answer ({listing}), not "
                           f"{describe(answer)} ({a_type(answer)}).")
        elif callable(answer):
            name = getattr(answer, "__name__", None) or type(answer).__name__
            return Problem("not_an_option", f"`{name}` is not one of the options. Answer with a letter or an "
                           f"option's text: {listing}.")
        option = self._find(answer)
        if option is None:
            return Problem("not_an_option", f"{safe_repr(answer)} is not one of the options. Answer with a "
                           f"letter or an option's text: {listing}.")
        if option == self.answer:
            return None
        recognised = self.diagnose(lambda wrong: self._find(wrong) == option)
        if recognised:
            return recognised
        why = self.explanations.get(option, "Think about it once more, or ask for a hint().")
        return Problem("wrong", f"{option!r} is not the best choice here. {why}")

    def _reference_answer(self):
        return self.answer

    def _reference_source(self):
        return f"{self.name} = {self.answer!r}"
