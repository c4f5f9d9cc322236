"""Defects found by the independent review of notebooks 00-04 (issue 8): right answers that were rejected, wrong
ones accepted, and feedback that pointed at the wrong cause. Each test is one such case."""

import importlib
import sys

import numpy as np
import pytest

from course_utils.checking.answers import match_choice
from course_utils.checking.exercises import Choice, load
from course_utils.checking.exercises.compare import compare
from course_utils.checking.exercises.functions import call_with_time_limit, timeout_problem
from course_utils.checking.quiz import load as load_quiz

POOL = ["3, the pool size", "4", "2 (the stride)", "none: pooling has no weights"]


# --- one answering convention: a line of the listing, as printed -------------------------------------------------

@pytest.mark.parametrize("value, index", [
    ("c) 2 (the stride)", 2), ("C)  2 (the stride).", 2), ("(d) none: pooling has no weights", 3), ("b. 4", 1),
])
def test_a_copied_line_of_the_listing_names_its_choice(value, index):
    assert match_choice(value, POOL) == index


@pytest.mark.parametrize("value", ["a) 4", "e) 4", "b) 5"])
def test_a_letter_and_a_text_that_disagree_name_no_choice(value):
    assert match_choice(value, POOL) is None


def test_a_choice_exercise_accepts_the_line_printed_by_show_options():
    gradient = load("02").max_pool_gradient
    assert gradient.evaluate("b) only the input that holds the maximum").correct
    assert not gradient.evaluate("a) only the input that holds the maximum").correct


def test_a_quiz_question_accepts_the_line_printed_by_show():
    question = next(q for q in load_quiz("01").questions if q.id == "conv-kernel-shape")
    assert question.check("b) (3, 3, 3, 16)").correct


@pytest.mark.parametrize("value", ["a c", "a; c", "A ; C", "c a"])
def test_a_multiple_choice_answer_may_separate_its_letters_with_spaces_or_semicolons(value):
    question = next(q for q in load_quiz("02").questions if q.id == "pool-local-invariance")
    assert question.check(value).correct


def test_glued_letters_are_read_when_unambiguous_and_otherwise_the_message_says_how_to_separate_them():
    """Every letter a choice, none repeated: "ac" is a and c (review 2026-12-07); otherwise the reader asks again."""
    question = next(q for q in load_quiz("02").questions if q.id == "pool-local-invariance")
    assert question.check("ac").correct and question.check("ca").correct
    for glued in ("aac", "acz"):
        feedback = question.check(glued)
        assert feedback.status == "invalid" and '"a, c"' in feedback.message


def test_a_loss_that_is_not_an_option_is_named_not_dumped():
    class KLDivergence:  # a loss object: callable, with a long repr
        def __call__(self, y_true, y_pred):
            return 0.0

    pick = Choice("loss", ["mse", "categorical_crossentropy"], "categorical_crossentropy")
    feedback = pick.evaluate(KLDivergence())
    assert feedback.status == "not_an_option" and "`KLDivergence` is not one of the options" in feedback.message


# --- messages that point at the real cause ---------------------------------------------------------------------------

def test_a_one_number_tensor_where_a_number_is_expected_says_how_to_convert_it():
    class Scalar:  # what tf.size(...) returns: a tensor of shape ()
        shape = ()

        def numpy(self):
            return np.int32(784)

    problem = compare(784, Scalar())
    assert problem.status == "wrong_type" and "int(...)" in problem.message


def test_a_function_timed_out_by_a_first_import_is_told_so_and_the_import_completes(tmp_path, monkeypatch):
    (tmp_path / "slow_review_package.py").write_text("import time\ntime.sleep(1.0)\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def normalize(images):
        importlib.import_module("slow_review_package")
        return images

    outcome = call_with_time_limit(normalize, (1,), {}, 0.2)
    finished = "slow_review_package" in sys.modules  # never stopped half-way through an import
    sys.modules.pop("slow_review_package", None)
    assert finished and outcome.timed_out and "slow_review_package" in outcome.imported
    message = timeout_problem(outcome, 0.2).message
    assert "importing slow_review_package" in message and "loop that never ends" not in message


def test_an_endless_loop_still_gets_the_loop_advice():
    def spin(x):
        while True:
            pass

    outcome = call_with_time_limit(spin, (1,), {}, 0.2)
    assert outcome.timed_out and not outcome.imported
    assert "loop that never ends" in timeout_problem(outcome, 0.2).message


def test_a_max_pool_that_starts_from_minus_one_is_caught():
    def max_pool(image, size=2):
        out = np.zeros((image.shape[0] // size, image.shape[1] // size))
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                best = -1
                for value in image[i * size:(i + 1) * size, j * size:(j + 1) * size].flat:
                    best = max(best, value)
                out[i, j] = best
        return out

    feedback = load("02").max_pool.evaluate(max_pool)
    assert not feedback.correct and "fixed start value" in feedback.message


# --- models (Keras) ------------------------------------------------------------------------------------------------

def _small_cnn(*head, nested=False):
    import keras
    from keras import layers

    first = [layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2)]
    body = [keras.Sequential(first)] if nested else first
    return keras.Sequential([keras.Input((28, 28, 1)), *body, layers.Conv2D(32, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Flatten(), *head])


def test_a_softmax_over_the_batch_axis_is_not_the_softmax_of_the_classes():
    pytest.importorskip("keras")
    from keras import layers

    feedback = load("03").small_cnn.evaluate(_small_cnn(layers.Dense(10), layers.Softmax(axis=0)))
    assert feedback.status == "wrong_activation" and "axis 0" in feedback.message


def test_right_but_different_models_pass():
    pytest.importorskip("keras")
    from keras import layers

    exercise = load("03").small_cnn
    assert exercise.evaluate(_small_cnn(layers.Dense(10, activation="softmax"), layers.Activation("linear"))).correct
    assert exercise.evaluate(_small_cnn(layers.Dense(10, activation="softmax"), nested=True)).correct


def test_a_subclassed_model_gets_a_clear_message_not_a_course_bug():
    keras = pytest.importorskip("keras")
    from keras import layers

    class SmallCNN(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(16, 5, activation="relu")
            self.head = layers.Dense(10, activation="softmax")

        def call(self, x):
            return self.head(layers.Flatten()(self.conv(x)))

    feedback = load("03").small_cnn.evaluate(SmallCNN())
    assert feedback.status == "checker_error"
    assert "subclassed" in feedback.message and "course bug" not in feedback.message


def test_a_model_answer_of_none_mentions_what_returns_none():
    assert "model.summary()" in load("03").small_cnn.evaluate(None).message


# --- trained models -------------------------------------------------------------------------------------------------

class _FixedOutputs:
    """A stand-in for a Keras model: ``predict`` returns fixed outputs."""

    def __init__(self, outputs):
        self.outputs = np.asarray(outputs, dtype="float32")

    def predict(self, images, batch_size=None, verbose=0):
        return self.outputs


def test_sigmoid_outputs_are_scored_as_probabilities_not_as_logits():
    from course_utils.checking.exercises.trained import model_scores

    labels = np.array([0, 1, 2])
    confident = np.full((3, 10), 0.001) + 0.989 * np.eye(10)[labels]  # one sigmoid per class, near one-hot
    muddled = np.full((3, 10), 0.6)  # the same sigmoids on inputs they were not trained on
    accuracy, sure = model_scores(_FixedOutputs(confident), None, labels)
    _, unsure = model_scores(_FixedOutputs(muddled), None, labels)
    assert accuracy == 1.0 and sure < 0.05 < unsure  # a softmax of values in [0, 1] would give about 1.5 for both


def test_raw_scores_trained_with_a_probability_loss_are_diagnosed():
    keras = pytest.importorskip("keras")
    from course_utils.checking.exercises.trained import logits_with_probability_loss

    def model(activation, loss):
        built = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                                  keras.layers.Dense(10, activation=activation)])
        built.compile(optimizer="adam", loss=loss)
        return built

    assert logits_with_probability_loss(model(None, "sparse_categorical_crossentropy"))
    assert logits_with_probability_loss(model(None, keras.losses.CategoricalCrossentropy()))
    assert not logits_with_probability_loss(model(None, keras.losses.SparseCategoricalCrossentropy(from_logits=True)))
    assert not logits_with_probability_loss(model("softmax", "sparse_categorical_crossentropy"))
    assert not logits_with_probability_loss(model(None, "mse"))


# --- notebook 04: GradientTape mistakes said in words -----------------------------------------------------------

def _saliency_feedback(function):
    pytest.importorskip("tensorflow")
    return load("04").saliency.evaluate(function)


def test_model_predict_inside_the_tape_is_explained():
    import tensorflow as tf

    def saliency(score_model, image, class_index):
        x = tf.convert_to_tensor(image[None], dtype="float32")
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = score_model.predict(x, verbose=0)[0, class_index]
        return np.abs(tape.gradient(score, x)[0].numpy()).max(axis=-1)

    assert "`model.predict(...)`" in _saliency_feedback(saliency).message


def test_watching_a_numpy_array_is_explained():
    import tensorflow as tf

    def saliency(score_model, image, class_index):
        x = image[None].astype("float32")
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = score_model(x)[0, class_index]
        return np.abs(tape.gradient(score, x)[0].numpy()).max(axis=-1)

    assert "convert_to_tensor" in _saliency_feedback(saliency).message


def test_a_missing_batch_axis_is_explained():
    import tensorflow as tf

    def saliency(score_model, image, class_index):
        x = tf.convert_to_tensor(image, dtype="float32")
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = score_model(x)[0, class_index]
        return np.abs(tape.gradient(score, x).numpy()).max(axis=-1)

    assert "image[None]" in _saliency_feedback(saliency).message


def test_the_input_layer_of_a_functional_model_is_not_its_input():
    keras = pytest.importorskip("keras")

    def build_feature_extractor(model):
        return keras.Model(inputs=model.layers[0].input,
                           outputs=[layer.output for layer in model.layers if isinstance(layer, keras.layers.Conv2D)])

    feedback = load("04").feature_extractor.evaluate(build_feature_extractor)
    assert not feedback.correct and "model.inputs" in feedback.message
