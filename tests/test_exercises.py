"""The exercise framework: every kind of wrong answer gets its own specific message, and check() never raises."""

import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from course_utils.checking import progress
from course_utils.checking.exercises import Choice, ExerciseSet, Feedback, Function, Model, Value, case, load
from course_utils.checking.exercises.feedback import as_html

# --- small self-contained exercise definitions ------------------------------------------------------


def halve(x):
    return np.asarray(x) / 2


def halve_cases(rng):
    yield case(rng.integers(1, 9, size=(3, 4)), note="3x4 integers")
    yield case(np.zeros((2, 5), dtype=int), note="all zeros")


def min_max(x):
    return x.min(), x.max()


def center(x):
    return x - x.mean()


def float_cases(rng):
    yield rng.normal(size=(4, 3))
    yield np.ones((2, 2))


HALVE = Function("halve", halve, halve_cases, time_limit=0.3, hints=["Divide.", "Use `/`.", "`x / 2`"])
MIN_MAX = Function("min_max", min_max, float_cases)
CENTER = Function("center", center, float_cases)
PIXELS = Value("pixels", 784)
GRID = Value("grid", np.arange(6).reshape(2, 3) * 0.5)
ACTIVATION = Value("activation", "relu")
SHAPE = Value("shape", (26, 26, 32))
LOSS = Choice("loss", ["mse", "sparse_categorical_crossentropy", "binary_crossentropy"],
              "sparse_categorical_crossentropy", explanations={"mse": "MSE treats class numbers as distances."})


def tiny_cnn():
    import keras

    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                             keras.layers.Dense(3)])


def model_from(*layers, with_input=True):
    import keras

    return keras.Sequential(([keras.Input((8, 8, 1))] if with_input else []) + list(layers))


TINY_CNN = Model("tiny_cnn", tiny_cnn)
SET = ExerciseSet("99_test", [HALVE, MIN_MAX, CENTER, PIXELS, GRID, ACTIVATION, SHAPE, LOSS, TINY_CNN])


# --- student answers, right and wrong -----------------------------------------------------------------


def placeholder(x):
    # YOUR CODE HERE
    raise NotImplementedError()


def empty_body(x):
    """Write your code here."""


def floor_halve(x):
    return np.asarray(x) // 2


def third(x):
    return np.asarray(x) / 3


def flattened(x):
    return (np.asarray(x) / 2).ravel()


def with_nan(x):
    return np.asarray(x) / 2 * np.nan


def with_inf(x):
    return np.full(np.shape(x), np.inf)


def raises_name_error(x):
    y = np.asarray(x)
    return y / undefined_scale  # noqa: F821 - the student's bug under test


def slow(x):
    time.sleep(0.8)
    return np.asarray(x) / 2


def forgot_return(x):
    x / 2


def two_arguments(x, factor):
    return x / factor


def returns_text(x):
    return "half of x"


def returns_list(x):
    return (np.asarray(x) / 2).tolist()


def yields(x):
    yield np.asarray(x) / 2


def only_min(x):
    return x.min()


def center_in_place(x):
    x -= x.mean()
    return x


WRONG_ANSWERS = [
    # (exercise, answer, expected status, phrase the message must contain)
    (HALVE, None, "not_attempted", "placeholder"),
    (HALVE, Ellipsis, "not_attempted", "placeholder"),
    (HALVE, placeholder, "not_attempted", "NotImplementedError"),
    (HALVE, empty_body, "not_attempted", "body of your function"),
    (HALVE, floor_halve, "wrong_dtype", "floats are expected"),
    (HALVE, third, "wrong", "largest difference is at index"),
    (HALVE, flattened, "wrong_shape", "has shape (12,), expected (3, 4)"),
    (HALVE, with_nan, "nan", "NaN"),
    (HALVE, with_inf, "nan", "infinity"),
    (HALVE, raises_name_error, "error", "NameError: name 'undefined_scale' is not defined (in raises_name_error"),
    (HALVE, slow, "timeout", "longer than 0.3 s"),
    (HALVE, forgot_return, "returned_none", "forget the `return`"),
    (HALVE, two_arguments, "wrong_signature", "should accept (x), but yours takes (x, factor)"),
    (HALVE, returns_text, "wrong_type", "should be a NumPy array"),
    (HALVE, 3, "wrong_type", "should be a function"),
    (HALVE, yields, "wrong_type", "generator"),
    (MIN_MAX, only_min, "wrong_outputs", "should return 2 values"),
    (CENTER, center_in_place, "mutated_input", "changed its input `x` in place"),
    (PIXELS, "784", "wrong_type", "Remove the quotes"),
    (PIXELS, 700, "wrong", "too small"),
    (PIXELS, [784], "wrong_type", "single number"),
    (PIXELS, float("nan"), "nan", "NaN"),
    (GRID, np.zeros((3, 2)), "wrong_shape", "looks transposed"),
    (GRID, np.zeros((2, 3)), "wrong", "5 of 6 value(s) are not right"),
    (GRID, [[0, 1], [2]], "wrong_type", "a NumPy array is expected"),
    (GRID, [[0, 0.5, 1], [1.5, 2, 2.5]], "wrong_type", "a NumPy array is expected"),  # later cells use .shape
    (HALVE, returns_list, "wrong_type", "Turn it into one with `np.array(...)`"),
    (ACTIVATION, "sigmoid", "wrong", "not the expected text"),
    (ACTIVATION, 1, "wrong_type", "should be text"),
    (SHAPE, (26, 26), "wrong_shape", "has 2 items, expected 3"),
    (LOSS, "MSE", "wrong", "treats class numbers as distances"),
    (LOSS, "hinge", "not_an_option", "a) mse, b) sparse_categorical_crossentropy, c) binary_crossentropy"),
    (LOSS, ["mse"], "wrong_type", "exactly one of the options"),
]


@pytest.mark.parametrize(("exercise", "answer", "status", "phrase"), WRONG_ANSWERS,
                         ids=[f"{row[0].id}-{row[2]}-{i}" for i, row in enumerate(WRONG_ANSWERS)])
def test_each_wrong_answer_gets_its_specific_message(exercise, answer, status, phrase, capsys):
    feedback = exercise.check(answer)
    assert isinstance(feedback, Feedback)
    assert (feedback.status, feedback.correct) == (status, False), feedback.message
    assert phrase in feedback.message
    assert phrase in capsys.readouterr().out  # shown at once, headless as plain text


RIGHT_ANSWERS = [
    (HALVE, halve), (HALVE, lambda x: x * 0.5), (MIN_MAX, lambda x: [x.min(), x.max()]),
    (PIXELS, 784), (PIXELS, 784.0), (PIXELS, np.int64(784)), (PIXELS, np.array(784)), (PIXELS, 28 * 28),
    (GRID, np.arange(6).reshape(2, 3) / 2 + 1e-9),
    (ACTIVATION, "  ReLU "), (SHAPE, [26, 26, 32]), (SHAPE, np.array([26, 26, 32])),
    (LOSS, "Sparse_Categorical_Crossentropy"),
]


@pytest.mark.parametrize(("exercise", "answer"), RIGHT_ANSWERS,
                         ids=[f"{row[0].id}-{i}" for i, row in enumerate(RIGHT_ANSWERS)])
def test_right_answers_of_every_kind_are_accepted(exercise, answer):
    feedback = exercise.check(answer)
    assert (feedback.status, feedback.correct, bool(feedback)) == ("correct", True, True), feedback.message


def test_function_feedback_shows_the_failing_case_inputs_and_the_student_line():
    feedback = HALVE.evaluate(raises_name_error)
    assert "Test case 1 of 2 (3x4 integers)" in feedback.detail
    assert "x = [[" in feedback.detail and "(shape (3, 4), int64)" in feedback.detail
    assert "return y / undefined_scale" in feedback.message
    wrong = HALVE.evaluate(third)
    assert "expected: [[" in wrong.detail and "got:      [[" in wrong.detail


def test_value_feedback_never_reveals_the_expected_answer():
    for answer in (700, 900, 783.5):
        assert "784" not in PIXELS.evaluate(answer).message + PIXELS.evaluate(answer).detail
    assert "2.5" not in GRID.evaluate(np.zeros((2, 3))).message


# --- model answers (Keras imported only here) -------------------------------------------------------------


def test_model_answers_are_compared_by_layers_output_shape_and_parameters():
    import keras

    layers = keras.layers
    assert TINY_CNN.check(tiny_cnn()).correct
    assert TINY_CNN.check(tiny_cnn).correct  # a builder function is fine
    unbuilt = model_from(layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(3), with_input=False)
    assert TINY_CNN.check(unbuilt).correct  # built for the reference's input shape

    cases = [
        ("a list", "not_a_model", "should be a Keras model"),
        ([layers.Dense(3)], "not_a_model", "wrap it with `keras.Sequential"),
        (model_from(layers.Conv2D(2, 3), layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3)),
         "wrong_layers", "a MaxPooling2D too many after layer 1 (Conv2D): remove it"),
        (model_from(layers.Conv2D(2, 3), layers.MaxPooling2D(), layers.Dense(3)), "wrong_layers",
         "Layer 2 should be a Flatten, but yours is a MaxPooling2D"),
        (model_from(layers.Conv2D(2, 3), layers.Flatten()), "wrong_layers", "missing a Dense after layer 2 (Flatten)"),
        (model_from(layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(4)), "wrong_output_shape",
         "output shape is (None, 4), expected (None, 3)"),
        (model_from(layers.Conv2D(2, 3, use_bias=False), layers.Flatten(), layers.Dense(3)), "wrong_params",
         "layer 1 (Conv2D): 18 parameters instead of 20"),
    ]
    for answer, status, phrase in cases:
        feedback = TINY_CNN.check(answer)
        assert feedback.status == status, feedback.message
        assert phrase in feedback.message


# --- check() never raises --------------------------------------------------------------------------------


class RaisingEq:
    def __eq__(self, other):
        raise RuntimeError("no comparisons")

    __hash__ = object.__hash__


class RaisingArray:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("no arrays")

    def __len__(self):
        raise RuntimeError("no length")


class RaisingRepr:
    def __repr__(self):
        raise RuntimeError("no repr")


ODD_ANSWERS = [RaisingEq(), RaisingArray(), RaisingRepr(), (i for i in range(3)), np.zeros((2000, 2000)),
               10**400, "x" * 100_000, object, {"a": 1}, {1, 2}, b"784", float("inf"), -1, True, []]


@pytest.mark.parametrize("exercise", [HALVE, MIN_MAX, PIXELS, GRID, ACTIVATION, SHAPE, LOSS],
                         ids=lambda item: item.id)
def test_check_never_raises_and_never_accepts_odd_answers(exercise, capsys):
    for answer in ODD_ANSWERS:
        feedback = exercise.check(answer)
        assert isinstance(feedback, Feedback) and not feedback.correct
        assert feedback.status != "checker_error", (answer, feedback.message)
    output = capsys.readouterr().out
    assert "Traceback" not in output and len(output) < 40_000  # huge answers are summarised, not printed


def test_check_never_raises_when_the_students_function_returns_odd_objects_or_exits():
    for result in ODD_ANSWERS:
        assert not HALVE.check(lambda x, result=result: result).correct
    assert HALVE.check(lambda x: sys.exit(1)).status == "error"
    assert "SystemExit" in HALVE.evaluate(lambda x: sys.exit(1)).message


def test_time_limit_is_measured_after_the_fact_outside_the_main_thread():
    results = []
    worker = threading.Thread(target=lambda: results.append(HALVE.evaluate(slow)))
    worker.start()
    worker.join()
    assert results[0].status == "timeout"


def test_feedback_is_displayed_once_not_again_as_a_cells_last_value(capsys):
    feedback = HALVE.check(halve)
    assert capsys.readouterr().out.count("Well done") == 1
    assert feedback._ipython_display_() is None and capsys.readouterr().out == ""


def test_in_jupyter_feedback_is_a_coloured_box_with_an_icon(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setenv("COURSE_HEADLESS", "0")
    monkeypatch.setattr("course_utils.paths.headless", lambda: False)
    monkeypatch.setattr(IPython.display, "display", lambda *objects: shown.extend(objects))
    PIXELS.check(700)
    assert len(shown) == 1 and "✘" in shown[0].data and "#c62828" in shown[0].data
    assert "✔" in as_html("correct", "a < b") and "a &lt; b" in as_html("correct", "a < b")
    assert "✎" in as_html("not_attempted", "later")


# --- hints, solutions, use() ----------------------------------------------------------------------------


def test_hints_advance_one_level_at_a_time_then_point_to_the_solution(capsys):
    exercise = Function("h", halve, halve_cases, hints=["first", "second"])
    assert exercise.hint() == "first" and "Hint 1 of 2" in capsys.readouterr().out
    assert exercise.hint() == "second" and "last hint" in capsys.readouterr().out
    assert "No more hints - see `ex.h.solution()`" in exercise.hint()
    assert exercise.hint(level=1) == "first"
    assert "no hints" in Value("bare", 1).hint()


def test_solution_shows_the_reference_source(capsys):
    source = HALVE.solution()
    assert "def halve(x):" in source and "return np.asarray(x) / 2" in source
    assert "def halve(x):" in capsys.readouterr().out
    assert PIXELS.solution() == "pixels = 784"


def test_use_returns_the_students_answer_when_correct_and_the_reference_otherwise(capsys):
    def also_halves(x):
        return np.asarray(x) * 0.5

    assert HALVE.use(also_halves) is also_halves
    assert capsys.readouterr().out == ""
    assert HALVE.use(returns_list) is halve  # a list would break the cells that follow
    assert HALVE.use(placeholder) is halve
    assert "the reference solution is used" in capsys.readouterr().out
    assert PIXELS.use(None) == 784
    assert TINY_CNN.use("not a model").count_params() == 3 * 36 * 2 + 3 + 20


def test_check_without_argument_reads_the_notebook_variable():
    pixels = 784  # noqa: F841 - read by check() from this frame
    assert PIXELS.check().correct


# --- progress and notebook modules ---------------------------------------------------------------------


def fresh_set():
    """New exercise objects, as after a kernel restart."""
    return ExerciseSet("98_fresh", [Value("pixels", 784), Function("halve", halve, halve_cases)])


def test_every_check_is_recorded_in_the_progress_file(_private_progress):
    ex = fresh_set()
    ex.pixels.check(700)
    ex.halve.check(halve)
    records = progress.load(_private_progress)["records"]
    assert [(r["kind"], r["notebook"], r["item"], r["correct"], r["status"]) for r in records] == [
        ("exercise", "98_fresh", "pixels", False, "wrong"),
        ("exercise", "98_fresh", "halve", True, "correct"),
    ]
    assert "too small" in records[0]["detail"]


def test_the_exercise_list_shows_each_status_also_after_a_restart():
    ex = fresh_set()
    assert "0 of 2 correct" in repr(ex) and "not attempted" in repr(ex)
    ex.halve.check(halve)
    restarted = fresh_set()
    assert restarted.status_table() == [("pixels", "", "not_attempted"), ("halve", "", "correct")]
    assert "✔ halve" in repr(restarted) and "1 of 2 correct" in repr(restarted)
    assert "<code>ex.halve</code>" in restarted._repr_html_()


def test_the_exercise_table_is_left_aligned_in_every_cell():
    """JupyterLab right-aligns table cells; the task sentences must start on the left (inline style)."""
    import re

    table = fresh_set()._repr_html_()
    cells = re.findall(r"<(t[hd])\b([^>]*)>", table)
    assert len(cells) == 4 * 3  # header + 2 exercises, 4 columns
    assert all("text-align:left" in attributes for _, attributes in cells), table


def test_an_unwritable_progress_location_does_not_break_check(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(blocker / "progress.json"))
    assert PIXELS.check(784).correct


def test_load_finds_a_notebook_by_id_or_number():
    for key in ("00_start_here", "00", 0, "nb00", "notebooks/00_start_here.ipynb"):
        assert load(key).notebook == "00_start_here"
    with pytest.raises(LookupError, match="00_start_here"):
        load("99")
    with pytest.raises(AttributeError, match="Did you mean `ex.normalize`"):
        load("00").normalise  # noqa: B018


def test_notebook_00_demo_exercises_pass_with_the_reference_and_fail_when_wrong():
    ex = load("00")
    assert ex.verify() == []
    assert ex.normalize.evaluate(lambda images: images // 255).status == "wrong_dtype"
    assert ex.normalize.evaluate(lambda images: images / 256).status == "wrong"
    assert ex.n_pixels.evaluate(28 * 28).correct and ex.n_pixels.evaluate(28 + 28).status == "wrong"
    cases = [item.note for item, _ in ex.normalize.prepared_cases()]
    assert "an all-zero image" in cases and "an all-255 image" in cases


def test_importing_the_exercises_does_not_import_tensorflow_keras_or_matplotlib():
    code = ("import sys, course_utils.checking.exercises as e; e.load('00'); "
            "print([m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
