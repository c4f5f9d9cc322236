"""Notebook 01's exercises: every reference passes its own check, and typical mistakes are caught."""

import numpy as np
import pytest

from course_utils import conv
from course_utils.checking.exercises import load


@pytest.fixture(scope="module")
def ex():
    return load("01_convolution_by_hand")


def test_every_reference_passes_its_own_check(ex):
    assert ex.verify() == []
    assert [e.id for e in ex] == ["conv2d_loop", "conv_output_size", "conv2d_strided", "horizontal_edge_kernel",
                                  "n_params"]


def test_the_reference_loop_convolution_agrees_with_course_conv2d():
    from course_utils.checking.exercises.nb01_convolution_by_hand import conv2d_loop, conv2d_strided

    rng = np.random.default_rng(1)
    image, kernel = rng.normal(size=(9, 7)), rng.normal(size=(3, 2))
    np.testing.assert_allclose(conv2d_loop(image, kernel), conv.conv2d(image, kernel), atol=1e-12)
    np.testing.assert_allclose(conv2d_strided(image, kernel, 2, 1), conv.conv2d(image, kernel, 2, 1), atol=1e-12)


def test_conv2d_loop_accepts_a_right_vectorized_answer(ex):
    assert ex.conv2d_loop.evaluate(lambda image, kernel: conv.conv2d(np.asarray(image, float), kernel)).correct


def test_conv2d_loop_rejects_a_flipped_kernel(ex):
    feedback = ex.conv2d_loop.evaluate(lambda image, kernel: conv.conv2d(np.asarray(image, float),
                                                                         np.asarray(kernel)[::-1, ::-1]))
    assert feedback.status == "wrong"
    assert "flipped kernel" in feedback.message and "cross-correlation" in feedback.message


def test_conv2d_loop_rejects_an_output_one_pixel_too_small(ex):
    feedback = ex.conv2d_loop.evaluate(lambda image, kernel: conv.conv2d(np.asarray(image, float), kernel)[:-1])
    assert not feedback.correct
    assert "shape" in feedback.message


def test_conv_output_size_accepts_the_formula_and_rejects_a_missing_plus_one(ex):
    assert ex.conv_output_size.evaluate(lambda n, k, stride=1, padding=0: (n + 2 * padding - k) // stride + 1).correct
    wrong = ex.conv_output_size.evaluate(lambda n, k, stride=1, padding=0: (n + 2 * padding - k) // stride)
    assert wrong.status == "wrong"


def test_conv_output_size_rejects_forgetting_that_padding_is_on_both_sides(ex):
    wrong = ex.conv_output_size.evaluate(lambda n, k, stride=1, padding=0: (n + padding - k) // stride + 1)
    assert not wrong.correct


def test_conv2d_strided_accepts_a_right_answer_and_rejects_ignoring_the_stride(ex):
    right = ex.conv2d_strided.evaluate(lambda x, k, stride=1, padding=0: conv.conv2d(np.asarray(x, float), k,
                                                                                     stride, padding))
    assert right.correct
    wrong = ex.conv2d_strided.evaluate(lambda x, k, stride=1, padding=0: conv.conv2d(np.asarray(x, float), k,
                                                                                     1, padding))
    assert not wrong.correct


@pytest.mark.parametrize("kernel", [
    [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    [[0, 0, 0], [-1, -1, -1], [1, 1, 1]],  # the step one row lower
])
def test_horizontal_edge_kernel_accepts_horizontal_edge_detectors(ex, kernel):
    assert ex.horizontal_edge_kernel.evaluate(np.array(kernel, dtype=float)).correct


@pytest.mark.parametrize("kernel, words", [
    ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "finds vertical edges"),  # Sobel x
    ([[0, 0, 0], [0, 0, 0], [0, 0, 0]], "barely responds to a horizontal edge"),
    ([[0, 0, 0], [0, 1, 0], [1, 1, 1]], "add up to 0"),
    ([[-1, -1, 0], [0, 0, 0], [0, 1, 1]], "vertical edges"),
    ([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]], "3x3 kernel"),
    ([[-1, -1], [1, 1]], "3x3 kernel"),
    ([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], "signs the wrong way round"),
    ([[-1, -1, -1], [2, 2, 2], [-1, -1, -1]], "line detector"),
    (1e-6 * np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]), "barely responds"),
    ("edges", "2-D array of numbers"),
])
def test_horizontal_edge_kernel_explains_what_is_wrong(ex, kernel, words):
    feedback = ex.horizontal_edge_kernel.evaluate(kernel)
    assert not feedback.correct
    assert words in feedback.message


def test_n_params_accepts_the_formula_and_rejects_a_forgotten_bias(ex):
    assert ex.n_params.evaluate((3 * 3 * 32 + 1) * 64).correct
    assert ex.n_params.evaluate(3 * 3 * 32 * 64).status == "wrong"


def test_n_params_matches_keras():
    import keras

    layer = keras.layers.Conv2D(64, 3)
    layer.build((None, 16, 16, 32))
    assert layer.count_params() == load("01").n_params.answer


def test_placeholders_count_as_not_attempted(ex):
    assert ex.n_params.evaluate(None).status == "not_attempted"
    assert ex.horizontal_edge_kernel.evaluate(None).status == "not_attempted"
