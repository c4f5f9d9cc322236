"""Notebook 02's exercises: every reference passes its own check, and typical mistakes are caught."""

import math

import numpy as np
import pytest

from course_utils import conv
from course_utils.checking.exercises import load


@pytest.fixture(scope="module")
def ex():
    return load("02_pooling")


def test_every_reference_passes_its_own_check(ex):
    assert ex.verify() == []
    assert [e.id for e in ex] == ["max_pool", "avg_pool", "pool_output_size", "flatten_params", "max_pool_gradient"]


def test_reference_pooling_agrees_with_course_pool2d():
    from course_utils.checking.exercises.nb02_pooling import avg_pool, max_pool

    x = np.random.default_rng(2).normal(size=(7, 9))
    np.testing.assert_allclose(max_pool(x, 3), conv.pool2d(x, 3, mode="max"))
    np.testing.assert_allclose(avg_pool(x, 2), conv.pool2d(x, 2, mode="average"))


def test_max_pool_accepts_a_right_answer(ex):
    assert ex.max_pool.evaluate(lambda image, size=2: conv.pool2d(np.asarray(image), size)).correct


def test_max_pool_rejects_starting_the_maximum_at_zero(ex):
    wrong = ex.max_pool.evaluate(lambda image, size=2: np.maximum(conv.pool2d(np.asarray(image), size), 0))
    assert wrong.status == "wrong"


def test_max_pool_rejects_average_pooling(ex):
    assert not ex.max_pool.evaluate(lambda image, size=2: conv.pool2d(np.asarray(image), size, mode="average")).correct


def test_avg_pool_accepts_a_right_answer_and_rejects_same_padding(ex):
    assert ex.avg_pool.evaluate(lambda image, size=2: conv.pool2d(np.asarray(image), size, mode="avg")).correct
    wrong = ex.avg_pool.evaluate(lambda image, size=2: conv.pool2d(np.asarray(image), size, mode="avg",
                                                                   padding="same"))
    assert not wrong.correct
    assert "shape" in wrong.message


def test_pool_output_size_accepts_both_formulas_and_rejects_floor_for_same(ex):
    def right(n, size, stride, padding):
        return math.ceil(n / stride) if padding == "same" else (n - size) // stride + 1

    def floor_everywhere(n, size, stride, padding):
        return n // stride if padding == "same" else (n - size) // stride + 1

    assert ex.pool_output_size.evaluate(right).correct
    assert ex.pool_output_size.evaluate(floor_everywhere).status == "wrong"


def test_flatten_params_accepts_the_count_and_rejects_the_global_pooling_count(ex):
    assert ex.flatten_params.evaluate(31_370).correct
    assert ex.flatten_params.evaluate(64 * 10 + 10).status == "wrong"


def test_flatten_params_matches_keras():
    import keras

    model = keras.Sequential([keras.Input((7, 7, 64)), keras.layers.Flatten(), keras.layers.Dense(10)])
    assert model.count_params() == load("02").flatten_params.answer


def test_max_pool_gradient_accepts_the_maximum_and_explains_average_pooling(ex):
    assert ex.max_pool_gradient.evaluate("Only the input that holds the maximum").correct
    wrong = ex.max_pool_gradient.evaluate("all four inputs, 1/4 each")
    assert not wrong.correct
    assert "average pooling" in wrong.message


def test_max_pool_gradient_matches_tensorflow():
    import tensorflow as tf

    window = tf.constant([[[[1.0], [5.0]], [[3.0], [2.0]]]])
    with tf.GradientTape() as tape:
        tape.watch(window)
        out = tf.nn.max_pool2d(window, 2, 2, "VALID")
    assert tape.gradient(out, window).numpy().ravel().tolist() == [0.0, 1.0, 0.0, 0.0]


def test_placeholders_count_as_not_attempted(ex):
    assert ex.flatten_params.evaluate(None).status == "not_attempted"
    assert ex.max_pool_gradient.evaluate(None).status == "not_attempted"
