"""Every exercise's misconception catalogue: each classic mistake fails with its own diagnosis, each
right-but-different answer passes. The catalogues live next to the references (course_utils/checking/exercises/nbNN_*.py)."""

import pytest

from course_utils.checking.exercises import available, load

EXERCISES = [exercise for notebook in available() for exercise in load(notebook)]
MISTAKES = [(exercise, mistake) for exercise in EXERCISES for mistake in exercise.mistakes]
ALTERNATIVES = [(exercise, alternative) for exercise in EXERCISES for alternative in exercise.alternatives]


def _name(exercise):
    return f"{exercise.notebook[:2]}.{exercise.id}"


@pytest.mark.parametrize("exercise, mistake", MISTAKES,
                         ids=[f"{_name(e)}-{m.says}" for e, m in MISTAKES])
def test_each_mistake_fails_with_its_own_diagnosis(exercise, mistake):
    feedback = exercise.evaluate(mistake.resolve())
    assert not feedback.correct, f"{_name(exercise)} accepts the mistake {mistake.says!r}"
    assert feedback.status not in ("checker_error", "not_attempted"), feedback.message
    text = f"{feedback.message}\n{feedback.detail}".casefold()
    assert mistake.says.casefold() in text, f"expected the diagnosis {mistake.says!r}, got: {feedback.message}"


@pytest.mark.parametrize("exercise, alternative", ALTERNATIVES,
                         ids=[f"{_name(e)}-{a.note or i}" for i, (e, a) in enumerate(ALTERNATIVES)])
def test_each_right_but_different_answer_passes(exercise, alternative):
    feedback = exercise.evaluate(alternative.resolve())
    assert feedback.correct, f"{_name(exercise)} rejects {alternative.note or 'an alternative'}: {feedback.message}"


@pytest.mark.parametrize("exercise", EXERCISES, ids=[_name(e) for e in EXERCISES])
def test_diagnoses_of_one_exercise_are_distinct(exercise):
    phrases = [mistake.says.casefold() for mistake in exercise.mistakes]
    assert len(set(phrases)) == len(phrases)


@pytest.mark.parametrize("exercise", EXERCISES, ids=[_name(e) for e in EXERCISES])
def test_every_exercise_has_a_catalogue_of_at_least_4_mistakes_and_2_alternatives(exercise):
    """Every notebook's exercises, 05 and 06 included as they land (``available()`` finds every module)."""
    assert len(exercise.mistakes) >= 4, f"{_name(exercise)} lists {len(exercise.mistakes)} mistakes"
    assert len(exercise.alternatives) >= 2, f"{_name(exercise)} lists {len(exercise.alternatives)} alternatives"


def test_the_catalogues_cover_every_notebook_with_exercises():
    assert {e.notebook[:2] for e in EXERCISES} >= {"00", "01", "02", "03", "04"}


# --- the mechanism itself, on small self-contained exercises -------------------------------------------------

def _scale(images):
    import numpy as np

    return np.asarray(images, dtype=float) / 255.0


def _scale_cases(rng):
    yield rng.integers(0, 256, (3, 4))


def test_a_recognised_mistake_gets_its_message_and_others_the_generic_diagnosis():
    import numpy as np

    from course_utils.checking.exercises import Alternative, Choice, Function, Mistake, Value

    by_256 = Mistake(lambda x: np.asarray(x) / 256, "256", message="You divided by 256: 255 must become 1.")
    scale = Function("scale", _scale, _scale_cases, mistakes=[by_256],
                     alternatives=[Alternative(lambda x: np.true_divide(x, 255))])
    assert "divided by 256" in scale.evaluate(lambda x: np.asarray(x) / 256).message
    assert "divided by 256" not in scale.evaluate(lambda x: np.asarray(x) / 2).message
    assert scale.evaluate(scale.alternatives[0].resolve()).correct

    no_bias = Mistake(288, "bias", message="288 leaves out the bias.")
    count = Value("count", 320, mistakes=[no_bias])
    assert count.evaluate(288).message == "288 leaves out the bias."
    assert "bias" not in count.evaluate(100).message

    pick = Choice("loss", ["mse", "sparse"], "sparse", mistakes=[Mistake("mse", "distances", message="MSE "
                  "treats classes as distances.")])
    assert pick.evaluate("a").message == "MSE treats classes as distances."
    assert pick.evaluate("b").correct


def test_a_catalogue_entry_must_name_its_diagnosis():
    from course_utils.checking.exercises import Mistake, Value

    with pytest.raises(ValueError):
        Mistake(1, "bias", message="wrong")  # the message does not contain its diagnosis
    with pytest.raises(TypeError):
        Value("count", 3, mistakes=[1])


def test_a_lazy_mistake_is_made_once():
    from course_utils.checking.exercises import Mistake

    calls = []
    mistake = Mistake(lambda: calls.append(1) or 5, "five", lazy=True)
    assert mistake.resolve() == mistake.resolve() == 5 and calls == [1]
