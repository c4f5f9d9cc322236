"""Notebook 05's exercises: references pass, placeholders are "not attempted", and ten more wrong answers per
exercise (beyond the catalogue, which tests/test_catalogue.py runs) are all rejected."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = pytest.importorskip("keras")
layers = keras.layers

import course_utils.checking.exercises as exercises  # noqa: E402

ex = exercises.load("05_better_cnns")


def rejected(exercise, answer):
    feedback = exercise.evaluate(answer)
    return not feedback.correct and feedback.status not in ("checker_error", "not_attempted")


def test_every_reference_passes_and_every_exercise_has_a_catalogue():
    assert ex.verify() == []
    for exercise in ex:
        assert len(exercise.mistakes) >= 4 and len(exercise.alternatives) >= 2, exercise.id


@pytest.mark.parametrize("answer", [(96, 192), (192,), "192, 96", 192, (4 * 48, 4 * 48), (2 * 48, 2 * 48),
                                    (192, 96, 0), (191, 96), (192, 95), {"total": 192, "trainable": 96}])
def test_bn_params_rejects_ten_more_wrong_answers(answer):
    assert rejected(ex.bn_params, answer)


def _per_position(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon) + beta


def _layer_norm(x, gamma, beta, epsilon=1e-3):
    m, v = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)
    return gamma * (x - m) / np.sqrt(v + epsilon) + beta


def _in_place(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    x -= x.mean(axis=axes)
    x /= np.sqrt(x.var(axis=axes) + epsilon)
    return gamma * x + beta


def _median(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - np.median(x, axis=axes)) / np.sqrt(x.var(axis=axes) + epsilon) + beta


def _with_stats(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + epsilon) + beta, x.mean(axis=axes)


BATCH_NORM_WRONG = [
    lambda x, gamma, beta, epsilon=1e-3: x,
    _per_position, _layer_norm, _in_place, _median, _with_stats,
    lambda x, gamma, beta, epsilon=1e-3: (gamma * (x - x.mean()) / np.sqrt(x.var() + epsilon) + beta).tolist(),
    lambda x, gamma, beta, epsilon=1e-3: gamma * (x - x.min(axis=0)) / (np.ptp(x, axis=0) + epsilon) + beta,
    lambda x, gamma, beta, epsilon=1e-3: gamma * x / np.sqrt((x ** 2).mean(axis=tuple(range(x.ndim - 1))) + epsilon) + beta,
    lambda x, gamma, beta: gamma * (x - x.mean(axis=tuple(range(x.ndim - 1)))) / np.sqrt(x.var(axis=tuple(range(x.ndim - 1))) + 1e-3) + beta,
]


@pytest.mark.parametrize("answer", BATCH_NORM_WRONG, ids=range(len(BATCH_NORM_WRONG)))
def test_batch_norm_rejects_ten_more_wrong_answers(answer):
    assert rejected(ex.batch_norm, answer)


@pytest.mark.parametrize("answer", ["a", "b", "d", "e", "f", "Train for more epochs", "more data", ["c"], 3, ""])
def test_gap_fix_rejects_ten_more_wrong_answers(answer):
    assert rejected(ex.gap_fix, answer)


def _aug_unused(model):
    inputs = keras.Input(model.input_shape[1:])
    layers.RandomFlip("horizontal")(inputs)
    return keras.Model(inputs, model(inputs))


def _aug_function(model):
    return lambda x: model(x)


def _aug_new_layers(model):
    return keras.Sequential([keras.Input(model.input_shape[1:]), layers.RandomFlip("horizontal"),
                             layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
                             layers.Dense(4, activation="softmax")])


def _aug_after_flip(model):
    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, layers.Dropout(0.5)(model(inputs)))


def _aug_returns_layers(model):
    return layers.RandomFlip("horizontal")


def _aug_raises(model):
    return keras.Model(model.input, layers.RandomFlip("horizontal")(model.output))


def _aug_none(model):
    keras.Model(model.input, model.output)


def _aug_input_dropped(model):
    inputs = keras.Input(model.input_shape[1:])
    x = layers.Lambda(lambda t: t * 0.5)(inputs)
    return keras.Model(inputs, model(x))


def _aug_flip_vertical_always(model):
    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, model(layers.Lambda(lambda t: keras.ops.flip(t, axis=1))(inputs)))


AUG_WRONG = [_aug_unused, _aug_function, _aug_new_layers, _aug_after_flip, _aug_returns_layers, _aug_raises,
             _aug_none, _aug_input_dropped, _aug_flip_vertical_always, "RandomFlip"]


@pytest.mark.parametrize("answer", AUG_WRONG, ids=range(len(AUG_WRONG)))
def test_augmentation_rejects_ten_more_wrong_answers(answer):
    assert rejected(ex.augmentation, answer)


def _res_subtract(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    if stride != 1 or x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.ReLU()(layers.Subtract()([y, x]))


def _res_shortcut_only(x, filters, stride=1):
    layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
    return layers.Conv2D(filters, 1, strides=stride)(x) if stride != 1 or x.shape[-1] != filters else x


def _res_multiply(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    if stride != 1 or x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.Multiply()([y, x])


def _res_model(x, filters, stride=1):
    return keras.Model(x, layers.Conv2D(filters, 3, strides=stride, padding="same")(x))


def _res_list(x, filters, stride=1):
    return [layers.Conv2D(filters, 3, strides=stride, padding="same")(x), x]


def _res_one_conv_valid(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = layers.Conv2D(filters, 3)(y)
    return layers.Add()([y, x])


def _res_no_stride(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    shortcut = x if x.shape[-1] == filters else layers.Conv2D(filters, 1)(x)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def _res_single_conv(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
    if stride != 1 or x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.ReLU()(layers.Add()([y, x]))


def _res_pool_shortcut(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    shortcut = layers.MaxPooling2D(stride, padding="same")(x) if stride != 1 else x
    return layers.ReLU()(layers.Add()([y, shortcut]))


RES_WRONG = [_res_subtract, _res_shortcut_only, _res_multiply, _res_model, _res_list, _res_one_conv_valid,
             _res_no_stride, _res_single_conv, _res_pool_shortcut, lambda x, filters: x]


@pytest.mark.parametrize("answer", RES_WRONG, ids=range(len(RES_WRONG)))
def test_residual_block_rejects_ten_more_wrong_answers(answer):
    assert rejected(ex.residual_block, answer)


def test_placeholders_are_not_attempted():
    def residual_block(x, filters, stride=1):
        raise NotImplementedError()

    def with_augmentation(model):
        raise NotImplementedError()

    def batch_norm(x, gamma, beta, epsilon=1e-3):
        raise NotImplementedError()

    for exercise, answer in ((ex.residual_block, residual_block), (ex.augmentation, with_augmentation),
                             (ex.batch_norm, batch_norm), (ex.bn_params, None), (ex.gap_fix, None)):
        assert exercise.evaluate(answer).status == "not_attempted", exercise.id


def test_an_add_shape_error_is_explained():
    def half_fixed(x, filters, stride=1):
        y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
        y = layers.Conv2D(filters, 3)(y)  # forgot padding here only
        return layers.Add()([y, x])

    message = ex.residual_block.evaluate(half_fixed).message
    assert "padding='same'" in message and "(8, 8, 16)" in message


# --- the probes of residual_block and augmentation, with inputs students pass -------------------------------

def test_residual_block_verdicts_do_not_change_when_checked_again():
    """The checker builds, calls, trains (one training-mode call) and re-weights the student's block; checking
    twice, or the same right block written twice, gives the same verdicts."""
    from course_utils.checking.exercises.misconceptions import nb05_residual

    right = [ex.residual_block.reference] + [a.resolve() for a in nb05_residual.RESIDUAL_BLOCK["alternatives"]]
    for answer in right + right[:1]:
        assert ex.residual_block.evaluate(answer).correct


def test_inference_probe_after_training_calls_and_other_batch_sizes():
    """A right BatchNorm block stays batch-independent after fit (moving statistics updated), for batches of
    1, 3 and 5; the section-3 batch_norm in a Lambda depends on its batch; noise at inference is random."""
    from course_utils.checking.exercises.misconceptions import nb05_residual
    from course_utils.checking.exercises.residual_checks import _inference

    def block_model(function):
        inputs = keras.Input((6, 6, 8))
        return keras.Model(inputs, function(inputs, 8, 1))

    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (5, 6, 6, 8)).astype("float32") * np.arange(1, 6, dtype="float32").reshape(5, 1, 1, 1)
    model = block_model(ex.residual_block.reference)
    model.compile(optimizer="adam", loss="mse")
    assert _inference(model, x) == "ok"
    model.fit(x, rng.normal(0, 1, (5, 6, 6, 8)), epochs=2, batch_size=2, verbose=0)
    for n in (1, 3, 5):
        assert _inference(model, x[:n]) == "ok"
    assert _inference(block_model(nb05_residual._variant(normalise=nb05_residual._batch_statistics)), x) == "batch"
    assert _inference(block_model(nb05_residual._variant(normalise=nb05_residual._noise)), x) == "random"


def _res_relu_then_bn_before_add(x, filters, stride=1):
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=stride, padding="same")(x))
    y = layers.ReLU()(y)
    y = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y)))
    s = x if stride == 1 and x.shape[-1] == filters else layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.ReLU()(layers.Add()([y, s]))


def _res_explicit_relu_no_bn(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, strides=stride, padding="same")(x)
    y = layers.Activation("relu")(layers.Conv2D(filters, 3, padding="same")(layers.ReLU()(y)))
    s = x if stride == 1 and x.shape[-1] == filters else layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.ReLU()(y + s)


@pytest.mark.parametrize("answer", [_res_relu_then_bn_before_add, _res_explicit_relu_no_bn])
def test_every_form_of_relu_before_the_addition_is_named(answer):
    feedback = ex.residual_block.evaluate(answer)
    assert not feedback.correct and "relu before the addition" in feedback.message.casefold()


def _aug_rotation_only(model):
    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, model(layers.RandomRotation(0.05)(inputs)))


def _aug_contrast_default_range(model):
    inputs = keras.Input(model.input_shape[1:])
    x = layers.RandomTranslation(0.1, 0.1)(layers.RandomFlip("horizontal")(inputs))
    return keras.Model(inputs, model(layers.RandomContrast(0.5)(x)))


def test_augmentation_content_is_checked():
    assert "also uses RandomRotation" in ex.augmentation.evaluate(_aug_rotation_only).message
    assert ex.augmentation.evaluate(_aug_contrast_default_range).correct  # contrast keeps the range: allowed


def test_placeholder_messages_name_the_stub_of_the_release():
    """The release replaces a solution by `# YOUR CODE HERE` (and `raise NotImplementedError()` in a function)."""
    def residual_block(x, filters, stride=1):
        """A residual block that runs."""
        # YOUR CODE HERE

    def with_augmentation(model):
        raise NotImplementedError()

    for exercise, answer in ((ex.residual_block, residual_block), (ex.augmentation, with_augmentation)):
        feedback = exercise.evaluate(answer)
        assert feedback.status == "not_attempted" and "# YOUR CODE HERE" in feedback.message


def test_a_frozen_model_is_rejected_and_the_checkers_model_restored():
    """Review 05-06 #2: `model.trainable = False` in with_augmentation is wrong (fit would train nothing), and the
    checker's shared test model is trainable again afterwards, so later answers are checked on the same model."""
    from course_utils.checking.exercises.keras_checks import base_model
    from course_utils.checking.exercises.misconceptions.nb05 import _aug_frozen

    feedback = ex.augmentation.evaluate(_aug_frozen)
    assert not feedback.correct and "leave `model` trainable" in feedback.message
    assert base_model().trainable and all(w.trainable for w in base_model().weights)
    assert ex.augmentation.evaluate(ex.augmentation.reference).correct


def test_residual_structure_reads_a_nested_functional_main_path():
    """The structure check follows a main path written as a functional keras.Model too (and rejects the block
    without its final ReLU, review 05-06 #1)."""
    def residual_block(x, filters, stride=1):
        inner_in = keras.Input(x.shape[1:])
        y = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=stride, padding="same")(inner_in)))
        y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
        main = keras.Model(inner_in, y)
        s = x
        if stride != 1 or x.shape[-1] != filters:
            s = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride)(x))
        return layers.ReLU()(layers.Add()([main(x), s]))

    assert ex.residual_block.evaluate(residual_block).correct
