"""course_utils.checking.quiz: answer checking, scores, seeds, progress records, widgets, text fallback, final quiz."""

import subprocess
import sys
import textwrap
from collections import Counter

import pytest

from course_utils import catalog, paths
from course_utils.checking import progress, quiz

BANK = """\
notebook: 09_test_notebook
title: "09 · Test quiz"
questions:
  - id: t-single
    type: single
    topic: pooling
    prompt: Which pooling keeps the largest value?
    choices: ["Average pooling", "Max pooling", "Global average pooling"]
    answer: Max pooling
    explanation: Max pooling keeps the maximum of each window.
  - id: t-multiple
    type: multiple
    topic: activations
    notebook: 03_mnist_cnn
    prompt: Which functions are activations?
    choices: [ReLU, softmax, Adam, Flatten]
    answer: [ReLU, softmax]
    explanation: Adam is an optimizer and Flatten a reshaping layer.
  - id: t-numeric
    type: numeric
    topic: convolution arithmetic
    notebook: 01_convolution_by_hand
    tolerance: 0.5
    params:
      n: {min: 20, max: 64}
      k: {choices: [3, 5, 7]}
    answer: "n - k + 1"
    prompt: "Valid output size for n={n}, k={k}?"
    explanation: "{n} - {k} + 1 = {answer}"
  - id: t-true-false
    type: true_false
    topic: pooling
    answer: false
    prompt: Pooling layers have trainable weights.
    explanation: Pooling is a fixed max or mean.
"""


@pytest.fixture(autouse=True)
def offline_student(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    quiz._LIVE.clear()


@pytest.fixture
def bank_file(tmp_path):
    path = tmp_path / "09_test.yaml"
    path.write_text(BANK, encoding="utf-8")
    return path


@pytest.fixture
def test_quiz(bank_file):
    return quiz.load(bank_file, seed=7)


def numeric_answer(q):
    return q.question("t-numeric").answer


def records():
    return progress.load()["records"]


def write_bank(tmp_path, body, name="broken.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


# ---- loading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["01", "1", "01_convolution_by_hand", "01_convolution_by_hand.ipynb"])
def test_load_accepts_number_or_notebook_name(name):
    loaded = quiz.load(name, seed=0)
    assert loaded.notebook == "01_convolution_by_hand"
    assert "conv-output-size-valid" in loaded.ids


def test_load_final_by_name():
    assert quiz.load("final", seed=0).notebook == "07_final_quiz"


def test_unknown_quiz_name_lists_available_banks():
    with pytest.raises(ValueError, match="no quiz called 'pooling'.*02_pooling"):
        quiz.load("pooling")


# ---- answer checking per type ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Max pooling", "  max POOLING ", "b", "B"])
def test_single_choice_accepts_text_or_letter(test_quiz, value):
    feedback = test_quiz.answer("t-single", value, quiet=True)
    assert feedback.correct is True and feedback.status == "correct"


def test_single_choice_wrong_answer_gets_a_hint_then_the_answer_and_explanation(test_quiz, capsys):
    feedback = test_quiz.answer("t-single", "a")
    out = capsys.readouterr().out
    assert feedback.correct is False
    assert out.startswith('✘ Not yet - t-single: "Average pooling" is not it.')
    assert "Max pooling" not in out and "Why:" not in out
    assert 'quiz.reveal("t-single")' in out
    feedback = test_quiz.answer("t-single", "c")
    out = capsys.readouterr().out
    assert feedback.correct is False
    assert out.startswith("✘ Not yet - t-single: The answer is: Max pooling.")
    assert "    Why: Max pooling keeps the maximum of each window." in out


@pytest.mark.parametrize("value", ["Min pooling", "z", 3, None, ["b"]])
def test_single_choice_not_a_choice_is_a_friendly_message_and_not_counted(test_quiz, value):
    feedback = test_quiz.answer("t-single", value, quiet=True)
    assert feedback.correct is None and feedback.status == "invalid"
    assert "letter" in feedback.message or "choice" in feedback.message
    assert test_quiz.score() == (0, 0, 4)


@pytest.mark.parametrize("value", [["ReLU", "softmax"], ["softmax", "relu"], ["a", "b"], "a, b", ("b", "A")])
def test_multiple_choice_is_a_set_comparison(test_quiz, value):
    assert test_quiz.answer("t-multiple", value, quiet=True).correct is True


def test_multiple_choice_partial_answer_names_missing_and_extra(test_quiz):
    feedback = test_quiz.question("t-multiple").check(["ReLU", "Adam"])
    assert feedback.correct is False and feedback.status == "partial"
    assert feedback.missing == ("softmax",) and feedback.extra == ("Adam",)
    assert feedback.message == "Missing: softmax. Should not be selected: Adam."


def test_multiple_choice_first_try_counts_what_is_wrong_without_naming_it(test_quiz):
    feedback = test_quiz.answer("t-multiple", ["ReLU", "Adam"], quiet=True)
    assert feedback.status == "partial" and feedback.missing == feedback.extra == ()
    assert feedback.message.startswith("1 right choice is missing and 1 of your choices should not be selected.")
    assert "softmax" not in feedback.message and "Adam" not in feedback.message
    feedback = test_quiz.answer("t-multiple", ["ReLU"], quiet=True)
    assert feedback.message == "Missing: softmax. The answer is: ReLU; softmax."


def test_multiple_choice_all_wrong_is_wrong_not_partial(test_quiz):
    feedback = test_quiz.question("t-multiple").check(["Adam", "Flatten"])
    assert feedback.status == "wrong" and feedback.missing == ("ReLU", "softmax")


def test_multiple_choice_unknown_item_is_a_friendly_message(test_quiz):
    feedback = test_quiz.answer("t-multiple", ["ReLU", "tanh"], quiet=True)
    assert feedback.status == "invalid" and "'tanh' is not among the choices" in feedback.message


def test_numeric_answer_within_tolerance_is_correct(test_quiz):
    right = numeric_answer(test_quiz)
    assert test_quiz.answer("t-numeric", right + 0.4, quiet=True).correct is True
    assert test_quiz.answer("t-numeric", str(right), quiet=True).correct is True
    assert test_quiz.answer("t-numeric", right + 0.6, quiet=True).correct is False


def test_numeric_answer_accepts_numpy_scalars(test_quiz):
    np = pytest.importorskip("numpy")
    assert test_quiz.answer("t-numeric", np.int64(numeric_answer(test_quiz)), quiet=True).correct is True


@pytest.mark.parametrize("value", ["twenty", "", None, True, [26], float("nan")])
def test_numeric_non_number_is_a_friendly_message(test_quiz, value):
    feedback = test_quiz.answer("t-numeric", value, quiet=True)
    assert feedback.status == "invalid" and "is not a number" in feedback.message
    assert test_quiz.score().answered == 0


@pytest.mark.parametrize("value, correct", [(False, True), ("false", True), ("F", True), (True, False), ("True", False)])
def test_true_false_accepts_bools_and_strings(test_quiz, value, correct):
    assert test_quiz.answer("t-true-false", value, quiet=True).correct is correct


@pytest.mark.parametrize("value", ["maybe", 2, None])
def test_true_false_other_input_is_a_friendly_message(test_quiz, value):
    feedback = test_quiz.answer("t-true-false", value, quiet=True)
    assert feedback.status == "invalid" and "True or False" in feedback.message


def test_unknown_id_suggests_close_ids_and_does_not_raise(test_quiz, capsys):
    feedback = test_quiz.answer("t-singel", "b")
    assert feedback.correct is None and "Did you mean: t-single" in capsys.readouterr().out


def test_unknown_id_without_close_match_lists_the_ids(test_quiz):
    feedback = test_quiz.answer("zzz", 1, quiet=True)
    assert "t-single, t-multiple, t-numeric, t-true-false" in feedback.message


# ---- one answering convention (course_utils.checking.answers) ------------------------------------------------------

CONVENTION_BANK = """\
notebook: 02_pooling
title: Convention
questions:
  - id: c-pool
    type: single
    topic: pooling
    prompt: How many values does a 3x3 max pooling window compare?
    choices: ["3, the pool size", "9, the values in one window", "1 (the stride)"]
    answer: "9, the values in one window"
    explanation: A 3x3 window holds nine values and max pooling keeps the largest one.
  - id: c-shape
    type: single
    topic: parameter counts
    prompt: Shape of the kernel of Conv2D(16, 3) on RGB input?
    choices: ["(3, 3, 16)", "(3, 3, 3, 16)", "(16, 3, 3, 3)"]
    answer: "(3, 3, 3, 16)"
    explanation: Keras stores kernels as (height, width, input channels, filters).
  - id: c-shapes
    type: multiple
    topic: parameter counts
    prompt: Which are shapes of a Conv2D(16, 3) layer's weights on RGB input?
    choices: ["(3, 3, 3, 16)", "(16,)", "(16, 3, 3, 3)"]
    answer: ["(3, 3, 3, 16)", "(16,)"]
    explanation: The kernel is (3, 3, 3, 16) and the bias has one value per filter.
"""


@pytest.fixture
def convention_quiz(tmp_path):
    return quiz.load(write_bank(tmp_path, CONVENTION_BANK, "convention.yaml"))


@pytest.mark.parametrize("value", [9, "9", 9.0, "b", "B", "(b)", "9, the values in one window",
                                   " 9,the values in ONE window. "])
def test_a_single_choice_is_named_by_letter_text_or_value(convention_quiz, value):
    assert convention_quiz.answer("c-pool", value, quiet=True).correct is True


def test_a_value_names_the_choice_it_starts_with(convention_quiz):
    """Issue 8: the answer 3 to a choice reading "3, the pool size" is that choice (here a wrong one)."""
    feedback = convention_quiz.question("c-pool").check(3)
    assert feedback.status == "wrong" and feedback.message == "The answer is: 9, the values in one window."
    feedback = convention_quiz.answer("c-pool", 3, quiet=True)
    assert feedback.status == "wrong" and feedback.message.startswith('"3, the pool size" is not it.')


@pytest.mark.parametrize("value", ["(3,3,3,16)", "( 3, 3, 3, 16 )", "b"])
def test_spacing_inside_a_choice_does_not_matter(convention_quiz, value):
    assert convention_quiz.answer("c-shape", value, quiet=True).correct is True


@pytest.mark.parametrize("value", [["(3,3,3,16)", "(16,)"], "(3,3,3,16), (16,)", "(3, 3, 3, 16),(16,)", "a, b",
                                   "b,a", ("A", "(16,)")])
def test_multiple_choices_with_commas_inside_are_read_whole(convention_quiz, value):
    assert convention_quiz.answer("c-shapes", value, quiet=True).correct is True


def test_a_multiple_text_that_names_nothing_is_explained(convention_quiz):
    feedback = convention_quiz.answer("c-shapes", "(3, 3), x", quiet=True)
    assert feedback.status == "invalid" and "'(3, 3)', 'x' is not among the choices" in feedback.message
    assert convention_quiz.answer("c-shapes", " , ", quiet=True).status == "invalid"


def test_quiz_and_choice_exercise_read_an_answer_the_same_way(convention_quiz):
    from course_utils.checking.exercises import Choice

    question = convention_quiz.question("c-pool")
    exercise = Choice("pool_values", list(question.choices), question.answer)
    for value in [9, "9", "b", " 9,the values in ONE window ", 3, "c", "(c)", "x", 12, True]:
        quiz_says = convention_quiz.answer("c-pool", value, quiet=True).correct
        exercise_says = exercise.evaluate(value).status
        assert (quiz_says is True) == (exercise_says == "correct"), value
        assert (quiz_says is None) == (exercise_says in ("not_an_option", "wrong_type")), value


# ---- one feedback display, shared with exercises --------------------------------------------------------


@pytest.mark.parametrize("value, status", [("b", "correct"), ("a", "wrong"), ("z", "invalid")])
def test_feedback_is_rendered_by_the_exercises_renderer(test_quiz, value, status):
    from course_utils.checking.exercises.feedback import STATUSES, as_html, as_text

    feedback = test_quiz.answer("t-single", value, quiet=True)
    assert feedback.status == status and status in STATUSES
    assert feedback.html().startswith(as_html(status, feedback.message))
    assert feedback.text.startswith(as_text(status, f"t-single: {feedback.message}"))
    if feedback.correct:  # a wrong first try gets a hint, not the explanation
        assert "Max pooling keeps the maximum of each window." in feedback.html()


def test_every_quiz_status_has_a_style_in_the_shared_table():
    from course_utils.checking.exercises.feedback import STATUSES

    assert {"correct", "wrong", "partial", "invalid", "unknown"} <= set(STATUSES)
    assert STATUSES["partial"][0] != STATUSES["wrong"][0] != STATUSES["correct"][0]


def test_answering_by_id_in_a_live_notebook_shows_the_html_box(test_quiz, monkeypatch):
    shown = []
    monkeypatch.setattr(paths, "headless", lambda: False)
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    test_quiz.answer("t-single", "a")
    test_quiz.answer("t-single", "c")
    assert len(shown) == 2 and "<code>t-single</code>: The answer is: Max pooling." in shown[1].data
    assert "Max pooling keeps the maximum" in shown[1].data and "Max pooling" not in shown[0].data


# ---- score and summary ------------------------------------------------------------------------------


def test_score_counts_correct_answered_and_total(test_quiz):
    test_quiz.answer("t-single", "b", quiet=True)
    test_quiz.answer("t-true-false", True, quiet=True)
    score = test_quiz.score()
    assert score == (1, 2, 4)
    assert str(score) == "Score: 1/4 correct, 2 of 4 answered (50% of those answered)."


def test_right_at_the_second_try_counts(test_quiz):
    test_quiz.answer("t-single", "a", quiet=True)
    test_quiz.answer("t-single", "b", quiet=True)
    assert test_quiz.score() == (1, 1, 4)


def test_summary_points_missed_topics_to_the_question_notebook(test_quiz):
    test_quiz.answer("t-numeric", -1, quiet=True)
    test_quiz.answer("t-multiple", ["ReLU"], quiet=True)
    test_quiz.answer("t-single", "b", quiet=True)
    summary = test_quiz.summary()
    assert summary.missed == {"activations": ("03_mnist_cnn",), "convolution arithmetic": ("01_convolution_by_hand",)}
    assert summary.unanswered == ("t-true-false",)
    text = str(summary)
    assert "convolution arithmetic: revisit 01_convolution_by_hand.ipynb" in text
    assert "pooling" not in text.split("Topics to revisit:")[1].split("Not answered")[0]


# ---- tries: a hint first, the answer after the second wrong try or on request --------------------------------

HINTED_BANK = """\
notebook: 02_pooling
title: Hints
questions:
  - id: h-single
    type: single
    topic: pooling
    prompt: Which pooling keeps the largest value?
    choices: ["Average pooling", "Max pooling", "Global average pooling"]
    answer: Max pooling
    hint: Think of the word that means "largest".
    explanation: Max pooling keeps the maximum of each window.
  - id: h-numeric
    type: numeric
    topic: convolution arithmetic
    params:
      n: {min: 20, max: 30}
    answer: "n - 2"
    hint: "How many positions does a 3x3 kernel have along {n} pixels?"
    prompt: "Valid output size of a 3x3 convolution on {n}x{n}?"
    explanation: "{n} - 3 + 1 = {answer}"
  - id: h-two
    type: single
    topic: pooling
    prompt: Does max pooling have weights?
    choices: ["yes, a kernel", "no weights"]
    answer: "no weights"
    explanation: It takes the maximum.
"""


@pytest.fixture
def hinted(tmp_path):
    return quiz.load(write_bank(tmp_path, HINTED_BANK, "hinted.yaml"), seed=3)


def test_a_wrong_first_try_shows_the_banks_hint_and_not_the_answer(hinted):
    feedback = hinted.answer("h-single", "a", quiet=True)
    assert feedback.status == "wrong" and feedback.explanation == ""
    assert 'Hint: Think of the word that means "largest".' in feedback.message
    assert "Max pooling" not in feedback.message
    n = hinted.question("h-numeric").values["n"]
    feedback = hinted.answer("h-numeric", 1000, quiet=True)
    assert feedback.message.startswith("1000 is too high.")
    assert f"along {n} pixels?" in feedback.message and str(n - 2) not in feedback.message
    assert hinted.answer("h-numeric", 1, quiet=True).message == f"The answer is: {n - 2}."


def test_without_a_hint_the_nudge_points_to_the_notebook_and_topic(test_quiz):
    feedback = test_quiz.answer("t-single", "a", quiet=True)
    assert "Look again at what notebook 09 shows about pooling." in feedback.message


def test_the_score_counts_right_within_two_tries_before_the_answer_was_shown(hinted):
    assert hinted.answer("h-single", "a", quiet=True).correct is False
    assert hinted.score() == (0, 1, 3)
    assert hinted.answer("h-single", "b", quiet=True).correct is True
    assert hinted.score() == (1, 1, 3)
    hinted.answer("h-numeric", 1, quiet=True)
    hinted.answer("h-numeric", 2, quiet=True)  # second wrong try: the answer is shown
    right = hinted.answer("h-numeric", hinted.question("h-numeric").answer, quiet=True)
    assert right.correct is True and "the score keeps this question as missed" in right.message
    assert hinted.score() == (1, 2, 3)
    assert hinted.summary().missed == {"convolution arithmetic": ("02_pooling",)}


def test_two_possible_answers_get_one_try(hinted, test_quiz):
    feedback = hinted.answer("h-two", "a", quiet=True)
    assert feedback.message == "The answer is: no weights." and feedback.explanation == "It takes the maximum."
    assert hinted.answer("h-two", "b", quiet=True).correct is True
    assert hinted.score() == (0, 1, 3)
    assert test_quiz.answer("t-true-false", True, quiet=True).message == "The answer is: False."


@pytest.mark.parametrize("how", ["id", "number", "question mark"])
def test_the_answer_is_shown_on_request_and_then_counts_as_missed(hinted, how, capsys):
    if how == "id":
        feedback = hinted.reveal("h-single")
    elif how == "number":
        feedback = hinted.reveal(1)
    else:
        feedback = hinted.answer("h-single", " ? ")
    out = capsys.readouterr().out
    assert feedback.status == "revealed" and feedback.correct is False
    assert out.startswith("➜ The answer - h-single: Max pooling.")
    assert "Why: Max pooling keeps the maximum" in out
    assert hinted.answer("h-single", "b", quiet=True).correct is True  # graded, but
    assert hinted.score() == (0, 1, 3)  # the answer was shown first
    assert [(r["status"], r["correct"]) for r in records()] == [("revealed", False), ("practice", False)]


def test_every_try_is_recorded_with_its_number_and_what_counts(hinted):
    hinted.answer("h-single", "a", quiet=True)
    hinted.answer("h-single", "b", quiet=True)
    hinted.answer("h-single", "a", quiet=True)  # after a right answer: practice, the question stays right
    rows = records()
    assert [(r["correct"], r["status"]) for r in rows] == [(False, "wrong"), (True, "correct"), (True, "practice")]
    assert rows[0]["detail"].startswith("try 1 of 2; hint shown; answer='a'")
    assert rows[1]["detail"].startswith("try 2 of 2; answer='b'")
    assert rows[2]["detail"].startswith("practice: the question was settled before; this try wrong")


def test_the_text_version_explains_the_tries_and_the_reveal_call(hinted, capsys):
    hinted.show()
    out = capsys.readouterr().out
    assert "Two tries per question" in out and 'quiz.reveal("id")' in out and '"?"' in out


def test_module_level_reveal_and_question_mark(capsys):
    quiz.ask("pool-no-params")
    assert quiz.reveal("pool-no-params").status == "revealed"
    assert "➜ The answer - pool-no-params: " in capsys.readouterr().out
    assert quiz.answer("pool-no-params", "?").status == "revealed"
    assert quiz.reveal("no-such-question").status == "unknown"


def test_reveal_of_an_unknown_question_is_explained(hinted):
    assert hinted.reveal("h-nope", quiet=True).status == "unknown"
    assert hinted.reveal(9, quiet=True).status == "unknown"


# ---- seeds --------------------------------------------------------------------------------------------


def test_generated_question_is_reproducible_with_a_seed(bank_file):
    first, again = quiz.load(bank_file, seed=42), quiz.load(bank_file, seed=42)
    assert first.question("t-numeric") == again.question("t-numeric")
    made = first.question("t-numeric")
    assert made.answer == made.values["n"] - made.values["k"] + 1
    assert made.prompt == f"Valid output size for n={made.values['n']}, k={made.values['k']}?"
    assert made.explanation == f"{made.values['n']} - {made.values['k']} + 1 = {made.answer}"


def test_generated_question_varies_across_seeds_and_without_seed(bank_file):
    seeded = {quiz.load(bank_file, seed=s).question("t-numeric").prompt for s in range(20)}
    fresh = {quiz.load(bank_file).question("t-numeric").prompt for _ in range(20)}
    assert len(seeded) > 3 and len(fresh) > 3


# ---- progress records -----------------------------------------------------------------------------------


def test_every_answer_is_recorded_with_the_question_notebook(test_quiz):
    test_quiz.answer("t-single", "b", quiet=True)
    test_quiz.answer("t-multiple", ["ReLU"], quiet=True)
    test_quiz.answer("t-numeric", "not a number", quiet=True)  # invalid: not recorded
    rows = records()
    assert [(r["kind"], r["notebook"], r["item"], r["correct"], r["status"]) for r in rows] == [
        ("quiz", "09_test_notebook", "t-single", True, "correct"),
        ("quiz", "03_mnist_cnn", "t-multiple", False, "partial"),
    ]
    assert "answer=['ReLU']" in rows[1]["detail"]


def test_generated_values_are_in_the_record(test_quiz):
    test_quiz.answer("t-numeric", numeric_answer(test_quiz), quiet=True)
    values = test_quiz.question("t-numeric").values
    assert f"'n': {values['n']}" in records()[0]["detail"]


# ---- text fallback ----------------------------------------------------------------------------------------


def test_headless_show_prints_every_question_id_and_how_to_answer(capsys):
    loaded = quiz.load("05", seed=1)
    loaded.show()
    out = capsys.readouterr().out
    for number, qid in enumerate(loaded.ids, start=1):
        assert f"Q{number}. [{qid}]" in out
        assert f'quiz.answer("{qid}", ...)' in out
    assert "    a) " in out and "(select all that apply)" in out and "True or False?" in out


def test_ask_shows_one_question_and_module_answer_grades_it(capsys):
    assert quiz.ask("pool-no-params") is None
    out = capsys.readouterr().out
    assert "[pool-no-params]" in out and 'course_utils.quiz.answer("pool-no-params", ...)' in out
    assert quiz.answer("pool-no-params", 0).correct is True
    assert records()[-1]["notebook"] == "02_pooling" and records()[-1]["item"] == "pool-no-params"


def test_module_answer_uses_the_numbers_that_were_shown(capsys):
    quiz.ask("conv-output-size-valid", seed=5)
    shown = quiz.load("01", seed=5).question("conv-output-size-valid")
    assert quiz.answer("conv-output-size-valid", shown.answer).correct is True


def test_ask_unknown_id_suggests_close_ids(capsys):
    assert quiz.ask("pool-no-param") is None
    assert "Did you mean: pool-no-params" in capsys.readouterr().out
    assert quiz.answer("nothing-like-this", 1).status == "unknown"


# ---- final quiz -------------------------------------------------------------------------------------------


def bank_of():
    return {spec.id: name for name, bank in quiz.banks().items() for spec in bank.questions}


def ready_banks():
    """The banks of written notebooks (catalog: ready), the final bank included and the demo bank of 00 left out."""
    return {name for name in quiz.bank_names() if catalog.find(name).ready and name != quiz.DEMO_BANK}


def test_final_quiz_mixes_the_final_bank_with_every_ready_bank():
    final = quiz.final_quiz(n=15, seed=3)
    origin = bank_of()
    sources = Counter(origin[qid] for qid in final.ids)
    assert len(final) == 15 and len(set(final.ids)) == 15
    assert sources["07_final_quiz"] >= 5
    assert set(sources) == ready_banks()


@pytest.mark.parametrize("seed", range(10))
def test_final_quiz_draws_only_questions_on_written_notebooks(seed):
    final = quiz.final_quiz(n=100, seed=seed)
    assert final.questions and all(catalog.find(q.notebook).ready for q in final.questions)
    assert "00_start_here" not in {bank_of()[qid] for qid in final.ids}


def test_final_quiz_follows_the_catalog_when_a_notebook_becomes_ready(monkeypatch):
    """05 and 06 are being written: once the catalog marks them ready, the final quiz draws on them."""
    monkeypatch.setattr(catalog, "NOTEBOOKS", [nb._replace(ready=True) for nb in catalog.NOTEBOOKS])
    final = quiz.final_quiz(n=100, seed=0)
    assert {"05_better_cnns", "06_transfer_learning"} <= {q.notebook for q in final.questions}
    assert "05, 06" in final.note


def test_summary_never_sends_a_student_to_a_notebook_that_is_not_written(monkeypatch):
    monkeypatch.setattr(catalog, "NOTEBOOKS", [nb._replace(ready=nb.id != "05_better_cnns") for nb in catalog.NOTEBOOKS])
    loaded = quiz.load("05", seed=0)
    for question in loaded.questions:
        if question.type == "true_false":
            loaded.answer(question.id, not question.answer, quiet=True)
    text = str(loaded.summary())
    assert "05_better_cnns.ipynb" not in text and "05_better_cnns (coming soon)" in text


@pytest.mark.parametrize("seed", range(5))
def test_final_quiz_spreads_over_topics(seed):
    available = {spec.topic for name in ready_banks() for spec in quiz.banks()[name].questions
                 if catalog.find(spec.notebook).ready}
    topics = Counter(question.topic for question in quiz.final_quiz(n=15, seed=seed).questions)
    assert len(topics) >= min(10, len(available)) and max(topics.values()) <= 3


def test_final_quiz_text_tells_to_answer_with_final(capsys):
    final = quiz.final_quiz(n=5, seed=0)
    final.show()
    out = capsys.readouterr().out
    assert all(f'final.answer("{qid}", ...)' in out for qid in final.ids)


def test_final_quiz_is_reproducible_with_a_seed_and_varies_without():
    assert quiz.final_quiz(n=10, seed=1).questions == quiz.final_quiz(n=10, seed=1).questions
    assert len({tuple(quiz.final_quiz(n=10).ids) for _ in range(5)}) > 1


def test_final_quiz_bad_n_falls_back_with_a_note(capsys):
    assert len(quiz.final_quiz(n="many", seed=0)) == 15
    ready = sum(1 for name in ready_banks() for spec in quiz.banks()[name].questions
                if catalog.find(spec.notebook).ready)
    assert len(quiz.final_quiz(n=10_000, seed=0)) == ready
    out = capsys.readouterr().out
    assert "using 15" in out and "the quiz uses all" in out


def test_final_summary_points_each_missed_topic_to_its_notebook():
    final = quiz.final_quiz(n=15, seed=4)
    wrong = {}
    for question in final.questions:
        if question.type == "true_false":
            final.answer(question.id, not question.answer, quiet=True)
            wrong.setdefault(question.topic, set()).add(question.notebook)
        elif question.type == "numeric":
            final.answer(question.id, question.answer, quiet=True)
    summary = final.summary()
    assert wrong, "seed 4 draws at least one true/false question"
    assert {t: set(nbs) for t, nbs in summary.missed.items()} == wrong
    for topic, notebooks in wrong.items():
        line = next(row for row in str(summary).splitlines() if row.startswith(f"  - {topic}: revisit "))
        assert all(f"{nb}.ipynb" in line for nb in notebooks)
    assert "07_final_quiz" not in "".join(nb for nbs in summary.missed.values() for nb in nbs)


# ---- broken banks ------------------------------------------------------------------------------------------

HEADER = "notebook: 01_convolution_by_hand\ntitle: Broken\nquestions:\n"


@pytest.mark.parametrize(
    "question, message",
    [
        ("  - {id: q-a, type: essay, prompt: P, answer: 1, explanation: E, topic: T}", "'type' must be one of"),
        ("  - {id: q-a, type: single, prompt: P, choices: [x, y], answer: z, explanation: E, topic: T}",
         "the answer must be exactly one of the choices"),
        ("  - {id: q-a, type: single, prompt: P, choices: [x, y], explanation: E, topic: T}", "'answer' is missing"),
        ("  - {id: q-a, type: multiple, prompt: P, choices: [x, y], answer: [x, w], explanation: E, topic: T}",
         "not among the choices"),
        ("  - {id: q-a, type: single, prompt: P, choices: [yes, no], answer: yes, explanation: E, topic: T}",
         "quote words such as 'yes'"),
        ("  - {id: q-a, type: true_false, prompt: P, answer: 'true', explanation: E, topic: T}",
         "must be true or false"),
        ("  - {id: q-a, type: numeric, prompt: P, answer: 3, explanation: '', topic: T}", "'explanation' is missing"),
        ("  - {id: q-a, type: numeric, prompt: 'n={n}', params: {n: {min: 1, max: 3}}, "
         "answer: \"__import__('os').getcwd()\", explanation: E, topic: T}", "is not allowed"),
        ("  - {id: q-a, type: numeric, prompt: 'n={n} m={m}', params: {n: {min: 1, max: 3}}, "
         "answer: n, explanation: E, topic: T}", "uses {m}"),
        ("  - {id: q-a, type: numeric, prompt: 'n={n}', params: {n: {min: 0, max: 3}}, "
         "answer: 1 / n, explanation: E, topic: T}", "could not be evaluated"),
        ("  - {id: q-a, type: numeric, prompt: P, answer: 3, explanation: E, topic: T, anwser: 4}", "unknown key"),
        ("  - {id: q-a, type: numeric, prompt: P, answer: 3, explanation: E, topic: T}\n"
         "  - {id: q-a, type: numeric, prompt: P, answer: 3, explanation: E, topic: T}", "used twice"),
        ("  - {id: q-a, type: true_false, prompt: P, answer: true, explanation: E, topic: T, hint: H}",
         "gets one try, so its hint would never be shown"),
        ("  - {id: q-a, type: single, prompt: P, choices: [xx, yy], answer: xx, explanation: E, topic: T, hint: H}",
         "gets one try"),
        ("  - {id: q-a, type: single, prompt: P, choices: [alpha, beta, gamma], answer: beta, explanation: E, "
         "topic: T, hint: 'Not alpha, it is Beta.'}", "gives the answer away"),
        ("  - {id: q-a, type: multiple, prompt: P, choices: [alpha, beta, gamma], answer: [beta, gamma], "
         "explanation: E, topic: T, hint: 'gamma is one'}", "gives the answer away"),
        ("  - {id: q-a, type: numeric, prompt: P, answer: 255, explanation: E, topic: T, hint: 'up to 255'}",
         "gives the answer away"),
        ("  - {id: q-a, type: numeric, prompt: 'n={n}', params: {n: {min: 1, max: 3}}, answer: n, explanation: E, "
         "topic: T, hint: 'it is {answer}'}", "uses {answer}"),
        ("  - {id: q-a, type: numeric, prompt: P, answer: 3, explanation: E, topic: T, hint: ''}",
         "'hint' must be a non-empty text"),
    ],
)
def test_broken_bank_names_the_file_and_question(tmp_path, question, message):
    path = write_bank(tmp_path, HEADER + question + "\n", name="my_bank.yaml")
    with pytest.raises(quiz.QuizBankError) as caught:
        quiz.load(path)
    text = str(caught.value)
    assert text.startswith("my_bank.yaml, question 'q-a'") and message in text


def test_bank_that_is_not_yaml_is_a_clear_error(tmp_path):
    path = write_bank(tmp_path, "questions: [unclosed\n", name="bad.yaml")
    with pytest.raises(quiz.QuizBankError, match="bad.yaml is not valid YAML"):
        quiz.load(path)


def test_missing_bank_file_is_a_clear_error(tmp_path):
    with pytest.raises(quiz.QuizBankError, match="Could not read the question bank"):
        quiz.load(tmp_path / "missing.yaml")


def test_bank_without_questions_is_a_clear_error(tmp_path):
    path = write_bank(tmp_path, "notebook: x\ntitle: y\nquestions: []\n", name="empty.yaml")
    with pytest.raises(quiz.QuizBankError, match="empty.yaml: 'questions' must be a non-empty list"):
        quiz.load(path)


# ---- safe expressions ----------------------------------------------------------------------------------------


def test_safe_eval_does_arithmetic_and_whitelisted_functions():
    assert quiz.safe_eval("(n + 2*p - k) // s + 1", {"n": 28, "p": 1, "k": 3, "s": 2}) == 14
    assert quiz.safe_eval("ceil(n / s) + max(1, 2) - floor(0.5) + min(3, 4)", {"n": 27, "s": 2}) == 19


@pytest.mark.parametrize(
    "expression",
    ["__import__('os')", "n.__class__", "open('x')", "[1, 2]", "lambda: 1", "2 ** 1000", "m + 1", "n if n else 1"],
)
def test_safe_eval_rejects_everything_else(expression):
    with pytest.raises(quiz.ExpressionError):
        quiz.safe_eval(expression, {"n": 3})


def test_importing_quiz_does_not_import_heavy_libraries():
    code = "import sys, course_utils.checking.quiz; print(sorted(m for m in ('tensorflow', 'keras', 'matplotlib', " \
           "'ipywidgets') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"



# ---- notebook 00 has a demo quiz of its own ---------------------------------------------------------------------


def test_notebook_00_answers_only_its_own_demo_questions():
    """Running 00 must not record an answer to another notebook's question in every student's progress file."""
    import re
    from pathlib import Path

    import nbformat

    notebook = nbformat.read(Path(__file__).resolve().parent.parent / "notebooks" / "00_start_here.ipynb", 4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    loaded = re.findall(r"quiz\.load\(\"([^\"]+)\"", code)
    asked = re.findall(r"\.(?:ask|answer)\(\"([^\"]+)\"", code)
    demo = {spec.id for spec in quiz.banks()[quiz.DEMO_BANK].questions}
    assert loaded == ["00_start_here"] and asked and set(asked) <= demo


# ---- right answers typed as students type them, in the course's own banks (review 2026-12-07 m10) -----------


@pytest.mark.parametrize("bank, question_id, value", [
    ("03", "softmax-output-10-classes", 'Dense(10, activation="softmax")'),
    ("03", "relu-values", "[0, 0.5, 3]"),
    ("02", "global-average-pooling-shape", "(None, 64)"),
    ("03", "mnist-convnet-total-params", "34,826"),
    ("03", "mnist-convnet-total-params", "34_826"),
])
def test_the_banks_accept_right_answers_typed_with_other_quotes_numbers_or_keras_shapes(bank, question_id, value):
    question = quiz.load(bank, seed=0).question(question_id)
    assert question.check(value).status == "correct", question.check(value).message


def test_a_generated_parameter_count_accepts_thousands_separators():
    question = quiz.load("03", seed=0).question("dense-params-count")
    assert question.check(f"{int(question.answer):,}").status == "correct"
    assert question.check("3,5").status == "invalid"


# --------------------------------------------------------------------------- the reader: unambiguous forms accepted


def _question(type, answer, choices=(), tolerance=1e-6):
    from course_utils.checking.quiz.questions import Question

    return Question(id="q", type=type, prompt="?", choices=tuple(choices), answer=answer, explanation="",
                    topic="t", notebook="01_convolution_by_hand", tolerance=tolerance)


SHAPES = ("(3, 3, 16)", "(3, 3, 3, 16)", "(16, 3, 3)", "(32, 32, 3, 16)")


@pytest.mark.parametrize("value", [(3, 3, 3, 16), [3, 3, 3, 16], "[3, 3, 3, 16]", "(3, 3, 3, 16,)", "3x3x3x16",
                                   "3 x 3 x 3 x 16", "(None, 3, 3, 3, 16)"])
def test_single_choice_is_named_by_a_sequence_value(value):
    assert _question("single", "(3, 3, 3, 16)", SHAPES).check(value).correct is True


def test_single_choice_sequence_of_another_choice_is_wrong_and_unknown_sequence_is_refused():
    question = _question("single", "(3, 3, 3, 16)", SHAPES)
    assert question.check((3, 3, 16)).status == "wrong"
    assert question.check((5, 5)).status == "invalid"
    assert question.check([]).status == "invalid"


@pytest.mark.parametrize("value", ["0, 0.5, 3", "(0, .5, 3)", "[0.0 0.5 3.0]", [0, 0.5, 3], "[-0.0, 0.5, 3.0]"])
def test_relu_values_in_any_spelling(value):
    np = pytest.importorskip("numpy")
    question = _question("single", "[0.0, 0.5, 3.0]", ("[0.0, 0.5, 3.0]", "[2.0, 0.5, 3.0]", "[0.0, 0.0, 1.0]"))
    assert question.check(value).correct is True
    assert question.check(np.maximum([-2.0, 0.5, 3.0], 0)).correct is True


@pytest.mark.parametrize("value, correct", [("ac", True), ("CA", True), ("'a, c'", True), ("ab", False)])
def test_multiple_choice_letters_without_separators(value, correct):
    question = _question("multiple", ("ReLU", "softmax"), ("ReLU", "Adam", "softmax"))
    assert question.check(value).correct is correct


@pytest.mark.parametrize("value", ["aa", "ad", "relu softmax adam x"])
def test_multiple_choice_letters_that_are_not_all_choices_are_refused(value):
    question = _question("multiple", ("ReLU", "softmax"), ("ReLU", "Adam", "softmax"))
    assert question.check(value).status == "invalid"


@pytest.mark.parametrize("value", ["34 826", "34\u202f826", "34\u00a0826", "34,826", "'34826'", '"34826"'])
def test_numeric_thousands_separators_and_quotes(value):
    assert _question("numeric", 34826).check(value).correct is True


@pytest.mark.parametrize("value, words", [("18.496", "18496"), ("5,5", "5.5"), ("1.792", "1,792")])
def test_numeric_ambiguous_separators_are_refused_with_how_to_write_them(value, words):
    feedback = _question("numeric", 18496).check(value)
    assert feedback.status == "invalid" and "ambiguous" in feedback.message and words in feedback.message


def test_numeric_dot_is_a_decimal_point_when_the_answer_is_not_whole():
    assert _question("numeric", 1.125, tolerance=1e-3).check("1.125").correct is True


@pytest.mark.parametrize("value, correct", [("1", True), (1, True), ("0", False), (0, False)])
def test_true_false_accepts_1_and_0(value, correct):
    assert _question("true_false", True).check(value).correct is correct


def test_generated_questions_with_fractions_say_how_many_decimals():
    for name in ("00", "01", "02", "03", "04"):
        for question in quiz.load(name).questions:
            if question.type == "numeric" and not float(question.answer).is_integer():
                assert "decimal" in question.prompt, question.id
                assert abs(round(question.answer, 2) - question.answer) <= question.tolerance, question.id
