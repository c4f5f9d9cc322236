"""Every exercise of notebook 04 accepts its reference and rejects typical wrong answers."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = pytest.importorskip("keras")

import course_utils.checking.exercises as exercises  # noqa: E402

ex = exercises.load("04_visualizing_cnns")


def test_every_reference_passes_its_own_check():
    assert ex.verify() == []


def test_feature_extractor_accepts_a_correct_student_version():
    def build_feature_extractor(model):
        convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
        return keras.Model(model.inputs, [layer.output for layer in convs])

    assert ex.feature_extractor.evaluate(build_feature_extractor).correct


def test_feature_extractor_keeps_conv2d_layers_only_and_leaves_the_model_alone():
    def conv_in_class_name(model):  # DepthwiseConv2D and SeparableConv2D too
        convs = [layer for layer in model.layers if "conv" in type(layer).__name__.lower()]
        return keras.Model(model.inputs, [layer.output for layer in convs])

    def freezes(model):
        model.trainable = False
        return keras.Model(model.inputs, [layer.output for layer in model.layers
                                          if isinstance(layer, keras.layers.Conv2D)])

    assert "DepthwiseConv2D" in ex.feature_extractor.evaluate(conv_in_class_name).message
    assert ex.feature_extractor.evaluate(freezes).status == "mutated_input"
    assert all(model.trainable for model in ex.feature_extractor.test_models())


def test_feature_extractor_rejects_only_the_last_conv_layer():
    def last_only(model):
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        return keras.Model(model.inputs, [convs[-1].output])

    feedback = ex.feature_extractor.evaluate(last_only)
    assert feedback.status == "wrong_outputs"
    assert "2 Conv2D layer(s)" in feedback.message


def test_feature_extractor_rejects_the_wrong_layers_and_non_models():
    def every_layer(model):
        return keras.Model(model.inputs, [layer.output for layer in model.layers[:2]])

    assert ex.feature_extractor.evaluate(every_layer).status == "wrong_shape"  # a pooling output
    assert ex.feature_extractor.evaluate(lambda model: [layer.output for layer in model.layers]).status == \
        "wrong_type"
    assert ex.feature_extractor.evaluate(None).status == "not_attempted"


def test_feature_extractor_reports_a_placeholder_as_not_attempted():
    def build_feature_extractor(model):
        raise NotImplementedError()

    feedback = ex.feature_extractor.evaluate(build_feature_extractor)
    assert feedback.status == "not_attempted"
    assert feedback.message.startswith("Write the body of your function")


def test_saliency_rejects_a_signed_gradient_and_a_missing_max():
    import tensorflow as tf

    def signed(score_model, image, class_index):
        x = tf.convert_to_tensor(image[None])
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = score_model(x)[0, class_index]
        return tape.gradient(score, x)[0].numpy().max(axis=-1)  # forgot the absolute value

    def no_channel_max(score_model, image, class_index):
        x = tf.convert_to_tensor(image[None])
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = score_model(x)[0, class_index]
        return np.abs(tape.gradient(score, x)[0].numpy())  # (H, W, C)

    assert not ex.saliency.evaluate(signed).correct
    feedback = ex.saliency.evaluate(no_channel_max)
    assert not feedback.correct and "shape" in feedback.message


def test_saliency_reports_the_students_error_without_raising():
    def broken(score_model, image, class_index):
        return score_model(image)  # no batch axis: Keras raises

    feedback = ex.saliency.evaluate(broken)
    assert feedback.status == "error" and "raised" in feedback.message


def test_grad_cam_from_maps_rejects_a_missing_relu_and_a_missing_mean():
    def no_relu(maps, grads):
        cam = (maps * grads.mean(axis=(0, 1))).sum(axis=-1)
        return cam / np.abs(cam).max()

    def gradient_times_maps(maps, grads):
        cam = np.maximum((maps * grads).sum(axis=-1), 0)
        return cam / cam.max() if cam.max() > 0 else cam

    assert not ex.grad_cam_from_maps.evaluate(no_relu).correct
    assert not ex.grad_cam_from_maps.evaluate(gradient_times_maps).correct
    assert ex.grad_cam_from_maps.evaluate(ex.grad_cam_from_maps.reference).correct


def test_a_gradient_that_is_none_is_diagnosed_as_a_missing_watch_not_a_missing_return():
    import tensorflow as tf

    def returns_the_gradient(score_model, image, class_index):
        x = tf.convert_to_tensor(image[None])
        with tf.GradientTape() as tape:
            score = score_model(x)[0, class_index]
        return tape.gradient(score, x)  # None: nothing was watched

    def uses_the_gradient(score_model, image, class_index):
        x = tf.convert_to_tensor(image[None])
        with tf.GradientTape() as tape:
            score = score_model(x)[0, class_index]
        return np.abs(tape.gradient(score, x)[0].numpy()).max(axis=-1)  # TypeError: None[0]

    def forgot_return(score_model, image, class_index):
        np.abs(image).max(axis=-1)

    for wrong in (returns_the_gradient, uses_the_gradient):
        feedback = ex.saliency.evaluate(wrong)
        assert "tape.watch(x)" in feedback.message and "forget" not in feedback.message, feedback.message
    assert "did you forget `return`" in ex.saliency.evaluate(forgot_return).message


def test_feature_extractor_explains_model_input_on_a_sequential_model():
    def with_model_input(model):
        return keras.Model(model.input, [layer.output for layer in model.layers
                                         if isinstance(layer, keras.layers.Conv2D)])

    feedback = ex.feature_extractor.evaluate(with_model_input)
    assert "use `model.inputs`" in feedback.message
