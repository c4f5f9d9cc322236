"""course_utils.transfer_learning.transfer: features, the exact linear head, cross-validation, freezing, and the BatchNormalization
behaviour notebook 06 teaches (pinned on the installed Keras, so an upgrade that changes it fails here first)."""

import numpy as np
import pytest

from course_utils.transfer_learning import transfer

KERAS_CHANGED = (
    "Keras changed how BatchNormalization behaves while fine-tuning: update notebook 06 (section 'BatchNormalization "
    "while fine-tuning'), its quiz bank (06_transfer_learning.yaml) and the final quiz's fine-tuning question.")


def _nested_bn_model(seed=0):
    """A base (Conv - BatchNorm - ReLU) inside an outer model that calls it with ``training=False``, as the
    TensorFlow tutorial and keras-io's guide do."""
    import keras

    keras.utils.set_random_seed(seed)
    inner = keras.Input((8, 8, 3))
    hidden = keras.layers.BatchNormalization(name="bn")(keras.layers.Conv2D(4, 3, name="conv")(inner))
    base = keras.Model(inner, keras.layers.ReLU()(hidden), name="base")
    inputs = keras.Input((8, 8, 3))
    features = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(features))
    return base, model


def _fit_once(model):
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (32, 8, 8, 3)).astype("float32")  # far from BN's initial statistics (0, 1)
    y = np.arange(32) % 2
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = transfer.batchnorm_statistics(model)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return transfer.statistics_change(before, transfer.batchnorm_statistics(model))


def test_training_false_does_not_protect_batchnorm_once_the_base_is_trainable():
    """Keras 3: fit() calls the outer model with training=True, and Functional.call passes that value on to every
    layer that takes `training`, replacing the training=False recorded when the base was called. So the moving
    statistics change (the TensorFlow tutorial's and keras-io's advice assumes they do not)."""
    base, model = _nested_bn_model()
    base.trainable = True
    largest, changed = _fit_once(model)
    assert changed == 1 and largest > 0.05, KERAS_CHANGED


def test_freezing_batchnorm_layers_keeps_their_statistics():
    base, model = _nested_bn_model()
    base.trainable = True
    assert transfer.freeze_batchnorm(model) == 1
    assert _fit_once(model) == (0.0, 0), KERAS_CHANGED
    assert base.get_layer("conv").trainable  # only the BatchNormalization layer is frozen


def test_a_frozen_base_keeps_its_statistics():
    base, model = _nested_bn_model()
    base.trainable = False
    assert _fit_once(model) == (0.0, 0), KERAS_CHANGED


def test_keras_preprocess_input_divides_float_arrays_in_place():
    """Why the course's mobilenet_preprocess works on a copy (notebook 06 says so)."""
    import keras

    pixels = np.full((1, 2, 2, 3), 255.0, dtype="float32")
    result = keras.applications.mobilenet_v2.preprocess_input(pixels)
    assert result is pixels and pixels.max() == 1.0, "Keras' preprocess_input no longer works in place: update 06"
    mine = np.full((1, 2, 2, 3), 255.0, dtype="float32")
    assert transfer.mobilenet_preprocess(mine).max() == 1.0 and mine.max() == 255.0
    assert transfer.mobilenet_preprocess(np.zeros((1, 1, 1, 3), np.uint8)).min() == -1.0


def test_linear_head_matches_a_keras_dense_softmax_layer():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(60, 5)).astype("float32")
    labels = (features[:, 0] + 0.3 * rng.normal(size=60) > 0).astype(int)
    head = transfer.fit_linear_head(features, labels, l2=1e-2)
    assert head.n_parameters == (5 + 1) * 2
    dense = head.as_dense()
    np.testing.assert_allclose(np.asarray(dense(features)), head.predict_proba(features), atol=1e-5)
    assert head.accuracy(features, labels) > 0.85


def test_linear_head_is_the_optimum_of_the_regularized_loss():
    """The gradient of mean cross-entropy + l2 * ||W||^2 vanishes at the solution (checked numerically)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3))
    y = rng.integers(0, 3, 40)
    l2 = 0.05
    head = transfer.fit_linear_head(x, y, l2=l2, n_classes=3)

    def loss(w, b):
        logits = x @ w + b
        logits = logits - logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return -log_p[np.arange(40), y].mean() + l2 * (w ** 2).sum()

    w, b = head.weights.astype("float64"), head.bias.astype("float64")
    best = loss(w, b)
    for step in (1e-2, -1e-2):
        for i in range(3):
            nudge = np.zeros(3)
            nudge[i] = step  # one class's score moves (moving all of them together changes nothing)
            assert loss(w + nudge, b) > best and loss(w, b + nudge) > best


def test_stratified_folds_cover_every_example_once():
    labels = np.array([0] * 10 + [1] * 7)
    folds = transfer.fold_indices(labels, folds=5, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(17))
    assert all(0 < len(f) <= 4 for f in folds)
    assert all(set(labels[f]) == {0, 1} for f in folds[:2])


def test_choose_l2_prefers_the_stronger_penalty_on_ties():
    features = np.vstack([np.ones((10, 2)), -np.ones((10, 2))])
    labels = np.array([0] * 10 + [1] * 10)
    best, scores = transfer.choose_l2(features, labels, candidates=(1e-3, 1e-1), folds=5)
    assert scores == {1e-3: 1.0, 1e-1: 1.0} and best == 1e-1


def test_per_class_sample_takes_n_of_each_class():
    labels = np.array([0, 1] * 20 + [2] * 3)
    index = transfer.per_class_sample(labels, 5, seed=0)
    assert np.bincount(labels[index]).tolist() == [5, 5, 3]
    assert len(set(index.tolist())) == len(index)


def test_unfreeze_from_keeps_lower_layers_and_batchnorm_frozen():
    import keras

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(2, 3, name="low")(inputs)
    x = keras.layers.BatchNormalization(name="low_bn")(x)
    x = keras.layers.Conv2D(2, 3, name="high")(x)
    x = keras.layers.BatchNormalization(name="high_bn")(x)
    base = keras.Model(inputs, x)
    base.trainable = False
    names = transfer.unfreeze_from(base, "high")
    assert names == ["high"]
    assert not base.get_layer("low").trainable and not base.get_layer("high_bn").trainable
    assert transfer.trainable_count(base) == 3 * 3 * 2 * 2 + 2
    with pytest.raises(ValueError, match="no layer 'nope'"):
        transfer.unfreeze_from(base, "nope")


def test_extract_features_averages_positions_and_flips():
    import keras

    inputs = keras.Input((4, 4, 1))
    base = keras.Model(inputs, keras.layers.Lambda(lambda t: t)(inputs))  # identity: features = mean pixel
    images = np.arange(2 * 16, dtype="float32").reshape(2, 4, 4, 1)
    features = transfer.extract_features(base, images, preprocess=np.asarray, flip=True, verbose=False)
    np.testing.assert_allclose(features[:, 0], images.mean(axis=(1, 2, 3)))
    with pytest.raises(ValueError, match="batch"):
        transfer.extract_features(base, images[0], verbose=False)


def test_split_at_gives_two_parts_that_compose_to_the_base():
    import keras

    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="low")(inputs)
    x = keras.layers.Conv2D(5, 3, padding="same", name="high")(x)
    base = keras.Model(inputs, keras.layers.ReLU(name="out")(x))
    bottom, top = transfer.split_at(base, "high")
    images = np.random.default_rng(0).normal(size=(2, 8, 8, 3)).astype("float32")
    assert bottom.output_shape == (None, 8, 8, 4)
    np.testing.assert_allclose(np.asarray(top(bottom(images))), np.asarray(base(images)), atol=1e-6)
    assert top.get_layer("high") is base.get_layer("high")  # shared: training the top changes the base
    with pytest.raises(ValueError, match="no layer"):
        transfer.split_at(base, "nope")


def test_photo_views_and_predict():
    import keras

    images = np.random.default_rng(0).integers(0, 256, (3, 10, 10, 3), dtype=np.uint8)
    views = transfer.photo_views(images)
    assert list(views) == ["photo", "mirror", "zoom", "mirror + zoom"]
    assert all(v.shape == images.shape and v.dtype == np.uint8 for v in views.values())
    np.testing.assert_array_equal(views["mirror"], images[:, :, ::-1])
    inputs = keras.Input((10, 10, 3))
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(inputs))
    out = transfer.predict(model, images, batch_size=2)
    np.testing.assert_allclose(out, images.mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(transfer.predict_with_flips(model, images), out, rtol=1e-5)


def test_nearest_neighbour_similarity_marks_the_odd_one_out():
    features = np.array([[1.0, 0.1], [1.0, 0.0], [0.9, 0.1], [-1.0, 1.0]])
    similarity = transfer.nearest_neighbour_similarity(features)
    assert int(np.argmin(similarity)) == 3 and similarity[:3].min() > 0.99


def test_the_from_scratch_baseline_is_small():
    model = transfer.small_photo_cnn(image_size=64, working_size=32)
    assert model.count_params() == 98_418 and model.output_shape == (None, 2)
