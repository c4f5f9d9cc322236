"""Misconception catalogues: the classic wrong answers of an exercise and its right-but-different answers.

Every exercise lists, next to its reference, ``mistakes`` (each must fail with its own diagnosis) and
``alternatives`` (each must pass); ``tests/test_catalogue.py`` runs every catalogue. ``equivalents``: mutants of the
reference that ``tests/test_mutation.py`` found accepted and that are right after all, each with its reason. A mistake with a
``message`` is also used by the checker: a student's answer that behaves like it gets that message.
"""

from dataclasses import dataclass, field

_UNRESOLVED = object()


@dataclass(eq=False)
class Mistake:
    """A classic wrong answer.

    ``answer``: the wrong answer exactly as a student would submit it (with ``lazy=True``: a callable with no
    arguments that makes it, for anything expensive or needing Keras). ``says``: words the feedback must
    contain, its own diagnosis. ``message``: when given, the checker recognises this mistake by behaviour and
    shows this message (it must contain ``says``); ``status`` is then the feedback's status.
    """

    answer: object
    says: str
    message: str | None = None
    status: str = "wrong"
    lazy: bool = False
    _resolved: object = field(default=_UNRESOLVED, init=False, repr=False)

    def __post_init__(self):
        if not isinstance(self.says, str) or not self.says.strip():
            raise ValueError("Mistake: 'says' must be the words of its diagnosis.")
        if self.message is not None and self.says.casefold() not in self.message.casefold():
            raise ValueError(f"Mistake: the message must contain its own diagnosis {self.says!r}: {self.message!r}")

    def resolve(self):
        """The wrong answer itself (made once when ``lazy``)."""
        if not self.lazy:
            return self.answer
        if self._resolved is _UNRESOLVED:
            self._resolved = self.answer()
        return self._resolved


@dataclass(eq=False)
class Alternative:
    """A right-but-different answer that must pass (``lazy=True``: ``answer`` is a callable that makes it)."""

    answer: object
    note: str = ""
    lazy: bool = False

    def resolve(self):
        return self.answer() if self.lazy else self.answer


@dataclass(eq=False)
class Equivalent:
    """A mutant of the reference (``course_utils.checking.exercises.mutation``) that the checker may accept, with the reason:
    it computes the same thing on every input a student's code meets, or differs only where the exercise allows
    (a tolerance, an accepted alternative). ``mutation`` is the mutant's id as the mutation report prints it."""

    mutation: str
    why: str

    def __post_init__(self):
        if not isinstance(self.why, str) or len(self.why.split()) < 3:
            raise ValueError(f"Equivalent({self.mutation!r}): say why the mutant is equivalent.")


__all__ = ["Alternative", "Equivalent", "Mistake"]
