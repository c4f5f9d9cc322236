"""Conventions every exercise keeps: each status a checker returns has a style in ``STATUSES``; each notebook
cell checks the variable that ``solution()`` defines; ``use()`` hands on what later cells can use."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils.checking.exercises import Exercise, Value, available, load
from course_utils.checking.exercises.feedback import STATUSES, as_html, as_text

PACKAGE = Path(__file__).resolve().parents[1] / "course_utils" / "checking" / "exercises"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

_STATUS_PATTERNS = [
    re.compile(r"""Problem\(\s*["'](\w+)["']"""),
    re.compile(r"""Feedback\([^,()]+,\s*["'](\w+)["']"""),
    re.compile(r"""status\s*=\s*["'](\w+)["']"""),
]


def _statuses_in_source():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        for pattern in _STATUS_PATTERNS:
            for status in pattern.findall(text):
                found.setdefault(status, path.name)
    return found


def test_every_status_a_checker_returns_has_its_style():
    found = _statuses_in_source()
    assert {"wrong", "wrong_type", "too_low", "wrong_activation", "wrong_values"} <= set(found)  # the scan works
    missing = {status: where for status, where in found.items() if status not in STATUSES}
    assert not missing, f"statuses returned but not listed in feedback.STATUSES: {missing}"


def test_every_catalogued_status_has_its_style():
    for notebook in available():
        for exercise in load(notebook):
            for mistake in exercise.mistakes:
                assert mistake.status in STATUSES, (exercise.id, mistake.status)


def test_a_wrong_status_never_looks_like_a_hint():
    assert "Hint" not in as_text("some_new_status", "message")
    assert "#1a73e8" not in as_html("some_new_status", "message")  # the blue of hints
    for status in ("too_low", "wrong_values"):
        assert "Hint" not in as_text(status, "m") and "#c62828" in as_html(status, "m")


# --- solution() defines the variable that the notebook cell checks ---------------------------------------------

_CHECK = re.compile(r"\bex\.(\w+)\.(?:check|use)\((\w*)\)")


def _checked_names():
    """``[(notebook, exercise id, variable)]`` for every ``ex.<id>.check(<variable>)`` in the notebooks."""
    found = []
    modules = {name[:2]: name for name in available()}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        if path.name[:2] not in modules:
            continue
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found += [(modules[path.name[:2]], ident, variable) for ident, variable in _CHECK.findall(cell.source)]
    return found


CHECKED = _checked_names()


def test_the_notebooks_check_their_exercises():
    assert {notebook[:2] for notebook, _, _ in CHECKED} >= {"00", "01", "02", "03", "04"}


@pytest.mark.parametrize("notebook, ident, variable", CHECKED, ids=[f"{n[:2]}.{i}" for n, i, _ in CHECKED])
def test_the_cell_checks_the_variable_that_the_solution_defines(notebook, ident, variable):
    exercise = load(notebook)[ident]
    variable = variable or exercise.name
    assert exercise.name == variable, f"check() reads {exercise.name!r}, the cell passes {variable!r}"
    solution = exercise.solution_text()
    binds = re.search(rf"^(def\s+{variable}\s*\(|{variable}\s*=)", solution, re.MULTILINE)
    assert binds, f"solution() of {ident} does not define {variable!r}:\n{solution}"


def test_small_cnn_solution_prints_the_parameter_count_of_the_model():
    pytest.importorskip("keras")
    exercise = load("03").small_cnn
    counted = exercise.reference().count_params()
    assert f"= {counted:,}" in exercise.solution_text()
    assert counted == (5 * 5 * 1 + 1) * 16 + (3 * 3 * 16 + 1) * 32 + (5 * 5 * 32 + 1) * 10 == 13_066


# --- use() hands on what the cells that follow can use ------------------------------------------------------------


def test_use_hands_on_an_array_for_a_list_kernel(capsys):
    kernel = load("01").horizontal_edge_kernel.use([[-1, -2, -1], [0, 0, 0], [1, 2, 1]])
    assert isinstance(kernel, np.ndarray) and kernel.dtype == float and kernel.shape == (3, 3)


def test_a_function_that_returns_a_list_is_not_handed_on(capsys):
    exercise = load("01").conv2d_loop

    def conv_as_lists(image, kernel):
        return exercise.reference(image, kernel).tolist()

    feedback = exercise.evaluate(conv_as_lists)
    assert feedback.status == "wrong_type" and "NumPy array" in feedback.message
    assert exercise.use(conv_as_lists) is exercise.reference


def test_a_list_where_an_array_is_expected_fails_with_a_clear_message():
    grid = Value("grid", np.arange(4).reshape(2, 2))
    feedback = grid.evaluate([[0, 1], [2, 3]])
    assert feedback.status == "wrong_type" and "np.array(...)" in feedback.message
    assert grid.evaluate(np.array([[0, 1], [2, 3]])).correct


# --- messages in the student's own words ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, words", [
    ("748", "Remove the quotes: write 748, not '748'"),
    (" 784 ", "Remove the quotes: write 784, not ' 784 '"),
    ("seven hundred", "not text in quotes"),
])
def test_a_quoted_number_is_answered_with_the_students_own_number(text, words):
    feedback = Value("n", 784).evaluate(text)
    assert feedback.status == "wrong_type" and words in feedback.message
    assert "784, not '784'" not in feedback.message or text.strip() == "784"


def test_exercise_base_class_hands_on_the_answer_unchanged():
    assert Exercise._handed_on(None, [1, 2]) == [1, 2]


def test_use_hands_on_a_saliency_function_that_returns_arrays():
    pytest.importorskip("tensorflow")
    from course_utils.checking.exercises.misconceptions import nb04
    from course_utils.checking.exercises.nb04_visualizing_cnns import _images, checking_models

    exercise = load("04").saliency
    handed_on = exercise.use(nb04._as_list)
    model = checking_models()[0]
    assert isinstance(handed_on(model, _images(model, 1, seed=0)[0], 1), np.ndarray)


# --- the test cases reach the boundaries ----------------------------------------------------------------------------


def _args(exercise):
    return [item.args for item, _ in exercise.prepared_cases()]


def test_test_cases_cover_even_odd_non_square_strided_and_channel_boundaries():
    ex01, ex02 = load("01"), load("02")
    images_and_kernels = [(np.shape(a[0]), np.shape(a[1])) for a in _args(ex01.conv2d_loop)]
    assert any(i[0] != i[1] for i, _ in images_and_kernels) and any(k[0] != k[1] for _, k in images_and_kernels)
    assert {k[0] % 2 for _, k in images_and_kernels} == {0, 1} and {i[0] % 2 for i, _ in images_and_kernels} == {0, 1}
    strided = _args(ex01.conv2d_strided)
    assert any(s > 1 and p > 0 and np.shape(im)[0] != np.shape(im)[1] for im, _, s, p in strided)
    same = [(n, size, stride) for n, size, stride, padding in _args(ex02.pool_output_size) if padding == "same"]
    assert any(n % 2 == 0 and size % 2 == 0 and stride > 1 for n, size, stride in same)  # catches "pads size // 2"
    assert any(n % stride for n, _, stride in same) and any(stride == 1 for _, _, stride in same)
    pooled = [np.shape(a[0]) for a in _args(ex02.max_pool)]
    assert any(h != w for h, w in pooled) and any(h % 2 for h, _ in pooled)
    channels = {np.shape(a[0])[-1] for a in _args(load("04").grad_cam_from_maps)}
    assert 1 in channels and max(channels) > 1


def test_the_saliency_test_models_have_one_channel_and_several():
    pytest.importorskip("keras")
    from course_utils.checking.exercises.nb04_visualizing_cnns import checking_models

    assert {1, 2} <= {model.input_shape[-1] for model in checking_models()}
