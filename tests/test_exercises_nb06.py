"""Notebook 06's exercises beyond their catalogues: the references pass, stubs are "not attempted", and a few more
wrong answers (tried while building the checkers) get a useful message. The catalogues themselves run in
test_catalogue.py."""

import numpy as np
import pytest

from course_utils.checking.exercises import load

EX = load("06_transfer_learning")


def test_every_reference_passes_its_own_check():
    assert EX.verify() == []


@pytest.mark.parametrize("exercise", ["build_classifier", "preprocess", "prepare_fine_tuning", "predict_photo"])
def test_a_released_stub_is_not_attempted(exercise):
    def stub(*args):
        # YOUR CODE HERE
        raise NotImplementedError()

    assert EX[exercise].evaluate(stub).status == "not_attempted"
    assert EX.n_trainable.evaluate(None).status == "not_attempted"


def test_a_tensor_result_is_not_an_array():
    import tensorflow as tf

    feedback = EX.preprocess.evaluate(lambda images: tf.convert_to_tensor(np.asarray(images, "float32") / 127.5 - 1))
    assert not feedback.correct and "NumPy array" in feedback.message


def test_returning_a_copy_of_the_base_is_explained():
    import keras

    def clone(base, first_layer):
        copy = keras.models.clone_model(base)
        copy.trainable = True
        return copy

    feedback = EX.prepare_fine_tuning.evaluate(clone)
    assert feedback.status == "wrong" and "`base` itself" in feedback.message


def test_a_percentage_is_not_a_probability():
    import keras

    def percent(model, path, class_names):
        photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], keep_aspect_ratio=True)
        p = model.predict(np.asarray(photo)[None], verbose=0)[0]
        return class_names[int(p.argmax())], float(100 * p.max())

    feedback = EX.predict_photo.evaluate(percent)
    assert not feedback.correct and "between 0 and 1" in feedback.message


def test_the_classic_tutorial_head_is_a_catalogued_mistake():
    import keras

    def vgg_style(base, n_classes):
        base.trainable = False
        return keras.Sequential([base, keras.layers.GlobalAveragePooling2D(),
                                 keras.layers.Dense(1024, activation="relu"),
                                 keras.layers.Dense(n_classes, activation="softmax")])

    assert "hidden Dense" in EX.build_classifier.evaluate(vgg_style).message


def test_a_mistake_is_recognised_only_if_it_behaves_alike_on_every_test_photo():
    """A top-left crop gives the BGR mistake's (saturated) prediction on the wide test photo, not on the others:
    it must not be told its channels are reversed."""
    import keras

    def top_left_crop(model, path, class_names):
        height, width = model.input_shape[1:3]
        pixels = np.asarray(keras.utils.load_img(path), dtype="float32")
        side = min(pixels.shape[:2])
        photo = keras.ops.image.resize(pixels[None, :side, :side], (height, width))
        p = model.predict(np.asarray(photo), verbose=0)[0]
        return class_names[int(p.argmax())], float(p.max())

    feedback = EX.predict_photo.evaluate(top_left_crop)
    assert not feedback.correct and "BGR" not in feedback.message and "centre crop" in feedback.message


def test_own_preprocessing_before_a_model_that_rescales_is_scaled_twice():
    import keras

    def preprocessed(model, path, class_names):
        photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], keep_aspect_ratio=True)
        p = model.predict(np.asarray(photo, dtype="float32")[None] / 127.5 - 1, verbose=0)[0]
        return class_names[int(p.argmax())], float(p.max())

    feedback = EX.predict_photo.evaluate(preprocessed)
    assert not feedback.correct and "scaled twice" in feedback.message and "127.5" in feedback.message


def test_a_base_left_frozen_with_its_layer_flags_set_passes_with_a_note():
    """Keras 3.15: the fit of a classifier holding the base trains the layers whose flags are set, whatever
    base.trainable says (pinned in test_library_claims); the answer is accepted and told about base.summary()."""
    from course_utils.checking.exercises.misconceptions import nb06

    feedback = EX.prepare_fine_tuning.evaluate(nb06._base_still_frozen)
    assert feedback.correct and "base.trainable False" in feedback.message
    assert "Note" not in EX.prepare_fine_tuning.evaluate(EX.prepare_fine_tuning.reference).message


def test_the_reference_handed_out_by_use_names_a_file_that_is_not_an_image(tmp_path):
    from course_utils.checking.exercises.photo_checks import PHOTO_CLASSES, photo_model
    from course_utils.data import DataError

    predict = EX.predict_photo.use(lambda model, path, class_names: ("green", 2.0))  # wrong: the reference
    notes = tmp_path / "notes.jpg"
    notes.write_text("not a photo")
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 40)  # a JPEG header, then nothing of an image
    for path in (notes, truncated, tmp_path / "missing.jpg"):
        with pytest.raises(DataError, match=path.name):
            predict(photo_model(), path, PHOTO_CLASSES)


def test_the_test_photos_include_files_that_are_not_3_channel_rgb():
    from PIL import Image

    from course_utils.checking.exercises.photo_checks import photo_files

    modes = {path.name: Image.open(path).mode for path in photo_files()}
    assert {"RGBA", "L", "P"} <= set(modes.values()), modes
