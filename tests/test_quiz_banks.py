"""Schema and content checks for every question bank in course_utils/quizzes/."""

import math
import re
from collections import Counter

import pytest

from course_utils.checking import answers, quiz

BANKS = quiz.banks()
SPECS = [spec for bank in BANKS.values() for spec in bank.questions]
GENERATED = [spec for spec in SPECS if spec.generated]
SEEDS = range(150)
TEACHING_NOTEBOOKS = {
    "01_convolution_by_hand", "02_pooling", "03_mnist_cnn", "04_visualizing_cnns", "05_better_cnns",
    "06_transfer_learning",
}
REQUIRED_TOPICS = {
    "convolution arithmetic", "parameter counts", "cross-correlation vs convolution", "pooling", "activations",
    "loss and label encodings", "overfitting and regularization", "batch normalization", "residual connections",
    "transfer learning", "equivariance vs invariance", "visualizing CNNs",
}
PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*[^}]*\}")


def by_id(question_id):
    return next(spec for spec in SPECS if spec.id == question_id)


def test_every_notebook_has_a_bank():
    assert sorted(BANKS) == sorted(TEACHING_NOTEBOOKS | {"00_start_here", "07_final_quiz"})
    for name, bank in BANKS.items():
        assert bank.notebook == name and bank.title.startswith(name[:2] + " · ")


def test_there_are_at_least_40_questions_and_7_per_bank():
    assert len(SPECS) >= 40
    assert all(len(bank.questions) >= 7 for name, bank in BANKS.items() if name != quiz.DEMO_BANK)


def test_the_demo_bank_of_00_is_short_and_shows_every_kind_of_choice():
    demo = BANKS[quiz.DEMO_BANK]
    assert 2 <= len(demo.questions) <= 5
    assert {"single", "multiple"} <= {spec.type for spec in demo.questions}
    assert {spec.notebook for spec in demo.questions} == {"00_start_here"}


def test_ids_are_unique_across_banks():
    counts = Counter(spec.id for spec in SPECS)
    assert [qid for qid, n in counts.items() if n > 1] == []


def test_types_are_known_and_every_type_is_used():
    assert {spec.type for spec in SPECS} == set(quiz.TYPES)


def test_questions_point_to_a_teaching_notebook():
    """Even final-quiz questions name the notebook that teaches their topic, so summary() can send you there."""
    assert all(spec.notebook in TEACHING_NOTEBOOKS for spec in SPECS if spec.source != f"{quiz.DEMO_BANK}.yaml")


def test_every_required_topic_is_covered():
    assert REQUIRED_TOPICS <= {spec.topic for spec in SPECS}


@pytest.mark.parametrize("spec", [s for s in SPECS if s.type == "single"], ids=lambda s: s.id)
def test_single_choice_has_exactly_one_correct_answer_among_distinct_choices(spec):
    texts = [c.lower() for c in spec.choices]
    assert len(set(texts)) == len(texts) >= 3
    assert not isinstance(spec.answer, list)
    assert [c for c in spec.choices if c == str(spec.answer)] == [str(spec.answer)]


@pytest.mark.parametrize("spec", [s for s in SPECS if s.type in ("single", "multiple")], ids=lambda s: s.id)
def test_every_choice_is_named_by_its_text_its_letter_and_its_tidied_text(spec):
    """The answering convention (course_utils.checking.answers) reaches every choice of every bank."""
    for index, choice in enumerate(spec.choices):
        for name in (choice, "abcdefghijklmnopqrstuvwxyz"[index], f"  {choice.upper()}  ", choice.replace(", ", ",")):
            assert answers.match_choice(name, spec.choices) == index, name


@pytest.mark.parametrize("spec", [s for s in SPECS if s.type == "multiple"], ids=lambda s: s.id)
def test_multiple_choice_answers_are_among_the_choices(spec):
    assert isinstance(spec.answer, list) and len(spec.answer) >= 1
    assert set(spec.answer) <= set(spec.choices)
    assert len(spec.answer) < len(spec.choices), "at least one choice must be wrong"


def test_true_false_answers_are_bools_and_both_values_occur():
    answers = [spec.answer for spec in SPECS if spec.type == "true_false"]
    assert all(isinstance(a, bool) for a in answers)
    assert set(answers) == {True, False}


def test_correct_single_choice_is_not_always_in_the_same_position():
    positions = Counter(s.choices.index(str(s.answer)) for s in SPECS if s.type == "single")
    assert len(positions) >= 3 and max(positions.values()) <= 0.5 * sum(positions.values())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_prompt_explanation_and_topic_are_written(spec):
    assert len(spec.prompt.strip()) >= 20
    assert len(spec.explanation.strip()) >= 60, "explain why, and why the tempting answers are wrong"
    assert spec.topic.strip()


@pytest.mark.parametrize("spec", [s for s in SPECS if s.type == "numeric"], ids=lambda s: s.id)
def test_numeric_answers_are_numbers_or_valid_expressions(spec):
    if spec.generated:
        assert isinstance(spec.answer, str)
        quiz.safe_eval(spec.answer, {name: 1 for name in [*spec.params, *spec.derived]})  # names are known
    else:
        assert isinstance(spec.answer, (int, float)) and not isinstance(spec.answer, bool)


@pytest.mark.parametrize("spec", GENERATED, ids=lambda s: s.id)
def test_generated_questions_are_complete_for_many_seeds(spec):
    prompts = set()
    for seed in SEEDS:
        made = spec.make(seed)
        assert isinstance(made.answer, (int, float)) and math.isfinite(made.answer)
        for name, rule in spec.params.items():
            value = made.values[name]
            if "choices" in rule:
                assert value in rule["choices"]
            else:
                assert rule["min"] <= value <= rule["max"]
                assert (value - rule["min"]) % rule.get("step", 1) == 0
        assert not PLACEHOLDER.search(made.prompt), made.prompt
        assert not PLACEHOLDER.search(made.explanation), made.explanation
        assert str(made.answer) in made.explanation, "the explanation shows the worked computation"
        prompts.add(made.prompt)
    assert len(prompts) > 1, "a generated question should vary with the seed"


def _positions(n, k, s):
    """How many window starts fit: a brute-force count, independent of the closed-form formulas."""
    return len(range(0, n - k + 1, s))


@pytest.mark.parametrize("seed", range(40))
def test_conv_arithmetic_answers_match_brute_force_counts(seed):
    made = {spec.id: spec.make(seed) for spec in GENERATED}
    v = made["conv-output-size-valid"].values
    assert made["conv-output-size-valid"].answer == _positions(v["n"], v["k"], v["s"])
    v = made["conv-output-size-padding"].values
    assert made["conv-output-size-padding"].answer == _positions(v["n"] + 2 * v["p"], v["k"], v["s"])
    v = made["conv-output-size-same"].values
    assert made["conv-output-size-same"].answer == len(range(0, v["n"], v["s"]))  # TF 'same': one per stride
    v = made["final-conv-stride-output"].values
    assert made["final-conv-stride-output"].answer == len(range(0, v["n"], 2))
    v = made["pool-output-size"].values
    assert made["pool-output-size"].answer == _positions(v["n"], v["p"], v["p"])
    v = made["occlusion-forward-passes"].values
    assert made["occlusion-forward-passes"].answer == _positions(v["n"], v["p"], v["s"]) ** 2


@pytest.mark.parametrize("seed", range(40))
def test_parameter_count_answers_match_weight_shapes(seed):
    made = {spec.id: spec.make(seed) for spec in GENERATED}
    v = made["conv-params-count"].values
    assert made["conv-params-count"].answer == math.prod([v["k"], v["k"], v["c"], v["f"]]) + v["f"]
    v = made["dense-params-count"].values
    assert made["dense-params-count"].answer == v["h"] * v["h"] * v["c"] * v["u"] + v["u"]
    v = made["batchnorm-params"].values
    assert made["batchnorm-params"].answer == 4 * v["c"]  # gamma, beta, moving mean, moving variance
    v = made["final-small-cnn-params"].values
    conv = 3 * 3 * 1 * v["f"] + v["f"]
    dense = (v["n"] // 2) ** 2 * v["f"] * 10 + 10
    assert made["final-small-cnn-params"].answer == conv + dense


def test_fixed_numeric_answer_matches_the_keras_mnist_model():
    conv1, conv2, dense = (3 * 3 * 1 + 1) * 32, (3 * 3 * 32 + 1) * 64, (5 * 5 * 64 + 1) * 10
    assert by_id("mnist-convnet-total-params").answer == conv1 + conv2 + dense == 34826


def test_pooling_has_no_parameters_answer_is_zero():
    assert by_id("pool-no-params").answer == "0"


@pytest.mark.parametrize("name", sorted(BANKS))
def test_every_question_with_a_second_try_has_a_hint(name):
    """A wrong first try shows the bank's hint (course_utils.checking.quiz.tries); one-try questions need none."""
    from course_utils.checking.quiz import tries

    for spec in BANKS[name].questions:
        question = spec.make(0)
        assert bool(question.hint) == (tries.allowed_tries(question) == 2), spec.id


@pytest.mark.parametrize("spec", [s for s in SPECS if s.hint and not s.generated], ids=lambda s: s.id)
def test_a_hint_never_names_the_answer(spec):
    question = spec.make(0)
    right = question.answer if spec.type == "multiple" else [question.answer]
    said = answers.normalize(question.hint)
    assert not any(answers.normalize(str(r)) in said for r in right if len(str(r)) > 2), question.hint
    assert not PLACEHOLDER.search(question.hint)
