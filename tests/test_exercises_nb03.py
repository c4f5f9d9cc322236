"""Every exercise of notebook 03 accepts its reference answer and rejects a wrong one with a useful message."""

import numpy as np
import pytest

import course_utils
from course_utils.exercises import nb03_mnist_cnn as defs

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def ex():
    return course_utils.exercises.load("03_mnist_cnn")


def test_small_cnn_reference_has_10682_parameters():
    assert defs.build_small_cnn().count_params() == (5 * 5 * 1 + 1) * 16 + (3 * 3 * 16 + 1) * 32 + (800 + 1) * 10


def test_small_cnn_accepts_the_reference_model_and_builder(ex):
    assert ex.small_cnn.evaluate(defs.build_small_cnn()).correct
    assert ex.small_cnn.evaluate(defs.build_small_cnn).correct


def test_small_cnn_rejects_a_wrong_kernel_size_by_its_parameter_count(ex):
    layers = keras.layers
    wrong = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 3, activation="relu"),
                              layers.MaxPooling2D(2), layers.Conv2D(32, 3, activation="relu"),
                              layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10, activation="softmax")])
    feedback = ex.small_cnn.evaluate(wrong)
    assert feedback.status == "wrong_params"


def test_small_cnn_rejects_a_missing_pooling_layer(ex):
    layers = keras.layers
    wrong = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 5, activation="relu"),
                              layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                              layers.Flatten(), layers.Dense(10, activation="softmax")])
    feedback = ex.small_cnn.evaluate(wrong)
    assert feedback.status == "wrong_layers" and "MaxPooling2D" in feedback.message


def test_param_counts_right_and_wrong(ex):
    assert ex.param_counts.evaluate((18_496, 204_928)).correct
    assert ex.param_counts.evaluate([18496.0, 204928]).correct
    wrong = ex.param_counts.evaluate((18_432, 204_928))  # forgot the biases of the conv layer
    assert wrong.status == "wrong" and "Item 0" in wrong.message


def test_loss_for_onehot_right_and_wrong_with_explanation(ex):
    assert ex.loss_for_onehot.evaluate("categorical_crossentropy").correct
    wrong = ex.loss_for_onehot.evaluate("sparse_categorical_crossentropy")
    assert wrong.status == "wrong" and "integer" in wrong.message


def test_accuracy_floor_is_lower_in_fast_mode(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert defs.accuracy_floor() == 0.90
    monkeypatch.setenv("COURSE_FAST", "0")
    assert defs.accuracy_floor() == 0.96


def test_trained_model_rejects_an_untrained_model(ex, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    keras.utils.set_random_seed(0)
    untrained = defs.build_small_cnn()
    feedback = ex.trained_model.evaluate(untrained)
    assert feedback.status == "too_low" and "below the floor of 90%" in feedback.message


def test_trained_model_accepts_a_model_that_predicts_the_labels(ex, monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "0")
    x, y = ex.trained_model._test_data()

    onehot = np.eye(10, dtype="float32")[y]

    class Oracle(keras.Sequential):  # "predicts" the true label of every test image: 100% accurate
        def predict(self, images, **kwargs):
            return onehot[: len(images)]

    oracle = Oracle([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    assert ex.trained_model.evaluate(oracle).correct


def test_trained_model_rejects_what_is_not_a_model_and_wrong_shapes(ex):
    assert ex.trained_model.evaluate("my model").status == "not_a_model"
    other = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)])
    assert ex.trained_model.evaluate(other).status == "wrong_shape"


def test_every_exercise_has_hints_and_a_title(ex):
    assert len(ex) == 4
    for item in ex:
        assert item.title and item.hints
