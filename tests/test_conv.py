"""course_utils.conv against SciPy, TensorFlow and Keras: the reference a student's NumPy layer is judged by."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.signal import correlate2d

from course_utils.conv import (
    conv2d,
    conv2d_naive,
    conv_param_count,
    output_size,
    pad2d,
    pool2d,
    same_padding,
)

tf = pytest.importorskip("tensorflow")  # imported once for the whole module
keras = pytest.importorskip("keras")

RANDOM = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
small = st.integers(1, 5)
strides = st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)))
paddings = st.one_of(
    st.sampled_from(["valid", "same", "SAME"]),
    st.integers(0, 2),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
)


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _tf_padding(padding):
    """Our padding argument in ``tf.nn.conv2d``'s form."""
    if isinstance(padding, str):
        return padding.upper()
    rows, cols = _pair(padding)
    return [[0, 0], [rows, rows], [cols, cols], [0, 0]]


# --------------------------------------------------------------------------- conv2d against oracles


@RANDOM
@given(h=st.integers(1, 12), w=st.integers(1, 12), kh=small, kw=small, seed=st.integers(0, 2**16))
def test_conv2d_of_2d_image_equals_scipy_correlate2d_valid(h, w, kh, kw, seed):
    assume(kh <= h and kw <= w)
    rng = np.random.default_rng(seed)
    x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    out = conv2d(x, k)
    assert out.shape == (h - kh + 1, w - kw + 1)
    np.testing.assert_allclose(out, correlate2d(x, k, mode="valid"), atol=1e-10)


@RANDOM
@given(size=st.integers(3, 12), k=st.sampled_from([1, 3, 5]), seed=st.integers(0, 2**16))
def test_conv2d_same_equals_scipy_correlate2d_same_for_odd_kernels(size, k, seed):
    rng = np.random.default_rng(seed)
    x, kernel = rng.normal(size=(size, size + 1)), rng.normal(size=(k, k))
    np.testing.assert_allclose(conv2d(x, kernel, padding="same"), correlate2d(x, kernel, mode="same"),
                               atol=1e-10)


@RANDOM
@given(
    n=st.integers(1, 2), h=st.integers(1, 11), w=st.integers(1, 11), kh=small, kw=small,
    c_in=st.integers(1, 4), c_out=st.integers(1, 4), stride=strides, padding=paddings,
    seed=st.integers(0, 2**16),
)
def test_conv2d_equals_tf_nn_conv2d_and_output_size_gives_its_shape(
    n, h, w, kh, kw, c_in, c_out, stride, padding, seed
):
    sh, sw = _pair(stride)
    top, bottom, left, right = pad2d(np.zeros((h, w)), padding, (kh, kw), stride)[1]
    assume(kh <= h + top + bottom and kw <= w + left + right)
    rng = np.random.default_rng(seed)
    x, k = rng.normal(size=(n, h, w, c_in)), rng.normal(size=(kh, kw, c_in, c_out))

    expected = tf.nn.conv2d(x, k, strides=[1, sh, sw, 1], padding=_tf_padding(padding)).numpy()
    out = conv2d(x, k, stride=stride, padding=padding)

    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, atol=1e-5)
    axis_padding = (padding, padding) if isinstance(padding, str) else _pair(padding)
    assert out.shape[1:3] == (output_size(h, kh, sh, axis_padding[0]), output_size(w, kw, sw, axis_padding[1]))


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(1, 8), w=st.integers(1, 8), kh=st.integers(1, 4), kw=st.integers(1, 4),
    c_in=st.integers(1, 3), c_out=st.integers(1, 3), stride=strides,
    padding=st.sampled_from(["valid", "same", 1, (0, 2)]), three_d=st.booleans(), seed=st.integers(0, 2**16),
)
def test_conv2d_naive_equals_conv2d(h, w, kh, kw, c_in, c_out, stride, padding, three_d, seed):
    rng = np.random.default_rng(seed)
    if three_d:
        x, k = rng.normal(size=(h, w, c_in)), rng.normal(size=(kh, kw, c_in, c_out))
    else:
        x, k = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    try:
        fast = conv2d(x, k, stride=stride, padding=padding)
    except ValueError as error:  # kernel larger than the padded image: both must refuse it
        with pytest.raises(ValueError, match="larger than the image"):
            conv2d_naive(x, k, stride=stride, padding=padding)
        assert "larger than the image" in str(error)
        return
    slow = conv2d_naive(x, k, stride=stride, padding=padding)
    assert slow.shape == fast.shape and slow.ndim == x.ndim
    np.testing.assert_allclose(slow, fast, atol=1e-10)


def test_conv2d_does_not_flip_the_kernel():
    x = np.arange(9.0).reshape(3, 3)
    k = np.array([[1.0, 0.0], [0.0, 0.0]])  # picks the top-left pixel of each window
    np.testing.assert_array_equal(conv2d(x, k), [[0.0, 1.0], [3.0, 4.0]])
    np.testing.assert_array_equal(conv2d_naive(x, k), [[0.0, 1.0], [3.0, 4.0]])


def test_conv2d_adds_one_bias_per_output_channel_like_tf():
    rng = np.random.default_rng(1)
    x, k, b = rng.normal(size=(2, 6, 7, 3)), rng.normal(size=(3, 3, 3, 4)), np.array([0.5, -1.0, 2.0, 0.0])
    expected = tf.nn.bias_add(tf.nn.conv2d(x, k, strides=1, padding="SAME"), b).numpy()
    np.testing.assert_allclose(conv2d(x, k, padding="same", bias=b), expected, atol=1e-10)
    np.testing.assert_allclose(conv2d_naive(x, k, padding="same", bias=b), expected, atol=1e-10)


@pytest.mark.parametrize(
    ("x_shape", "k_shape", "out_shape"),
    [
        ((6, 5), (3, 3), (4, 3)),
        ((6, 5), (3, 3, 1, 2), (4, 3, 2)),
        ((6, 5, 1), (3, 3), (4, 3, 1)),
        ((6, 5, 3), (3, 3, 3, 2), (4, 3, 2)),
        ((4, 6, 5, 3), (3, 3, 3, 2), (4, 4, 3, 2)),
    ],
)
def test_conv2d_output_keeps_the_layout_of_the_input(x_shape, k_shape, out_shape):
    assert conv2d(np.ones(x_shape), np.ones(k_shape)).shape == out_shape
    assert conv2d_naive(np.ones(x_shape), np.ones(k_shape)).shape == out_shape


@pytest.mark.parametrize(
    ("x_dtype", "k_dtype", "out_dtype"),
    [
        (np.float32, np.float32, np.float32),
        (np.uint8, np.float32, np.float32),
        (np.float64, np.float32, np.float64),
        (np.float32, np.float64, np.float64),
        (np.int64, np.int64, np.float64),
    ],
)
def test_conv2d_returns_float32_only_when_inputs_fit_in_float32(x_dtype, k_dtype, out_dtype):
    x, k = np.ones((4, 4), dtype=x_dtype), np.ones((2, 2), dtype=k_dtype)
    assert conv2d(x, k).dtype == out_dtype
    assert conv2d_naive(x, k).dtype == out_dtype
    assert conv2d([[1, 2], [3, 4]], [[1]]).dtype == np.float64


# --------------------------------------------------------------------------- padding and sizes


@pytest.mark.parametrize(
    ("n", "k", "stride", "split"),
    [
        (5, 4, 1, (1, 2)),  # odd total 3: the extra zero goes to the bottom/right
        (6, 2, 1, (0, 1)),
        (6, 3, 2, (0, 1)),
        (5, 3, 1, (1, 1)),  # even total: symmetric
        (7, 5, 1, (2, 2)),
        (4, 4, 2, (1, 1)),  # even total 2 with stride 2
        (4, 1, 3, (0, 0)),
    ],
)
def test_same_padding_split_matches_tensorflow(n, k, stride, split):
    assert same_padding(n, k, stride) == split
    # A one-hot kernel at the window's top-left copies the padded image: TF shows where its zeros went.
    x = np.arange(1.0, n * n + 1).reshape(1, n, n, 1)
    kernel = np.zeros((k, k, 1, 1))
    kernel[0, 0] = 1.0
    expected = tf.nn.conv2d(x, kernel, strides=stride, padding="SAME").numpy()
    np.testing.assert_array_equal(conv2d(x, kernel, stride=stride, padding="same"), expected)
    padded, amounts = pad2d(x[0, :, :, 0], "same", k, stride)
    assert amounts == split + split
    np.testing.assert_array_equal(padded[:: stride, :: stride][: expected.shape[1], : expected.shape[2]],
                                  expected[0, :, :, 0])


def test_pad2d_returns_padded_array_and_top_bottom_left_right_amounts():
    x = np.ones((3, 4, 2))
    padded, amounts = pad2d(x, (1, 2), kernel_size=3)
    assert amounts == (1, 1, 2, 2)
    assert padded.shape == (5, 8, 2)
    assert padded.sum() == x.sum() and padded[1:-1, 2:-2].min() == 1.0
    padded, amounts = pad2d(np.ones((2, 6, 6, 1)), "same", kernel_size=(2, 4))
    assert amounts == (0, 1, 1, 2) and padded.shape == (2, 7, 9, 1)
    assert pad2d(x, "valid", 3)[0].shape == x.shape


@pytest.mark.parametrize(
    ("n", "k", "stride", "padding", "size"),
    [(28, 3, 1, "valid", 26), (28, 3, 1, "same", 28), (28, 5, 2, "same", 14), (7, 2, 2, "same", 4),
     (28, 5, 1, 2, 28), (7, 3, 2, 0, 3), (7, 3, 2, 1, 4), (5, 5, 1, "valid", 1), (10, 3, 3, "valid", 3)],
)
def test_output_size_follows_the_formulas(n, k, stride, padding, size):
    assert output_size(n, k, stride, padding) == size


def test_conv_param_count_follows_the_formula():
    assert conv_param_count(3, 3, 1, 32) == 320
    assert conv_param_count(3, 3, 32, 64) == 18_496
    assert conv_param_count(5, 5, 3, 8, bias=False) == 600


@pytest.mark.parametrize(
    ("kh", "kw", "c_in", "c_out", "bias"), [(3, 3, 1, 32, True), (5, 3, 4, 7, True), (1, 1, 16, 8, False)]
)
def test_conv_param_count_equals_keras_conv2d_count_params(kh, kw, c_in, c_out, bias):
    layer = keras.layers.Conv2D(c_out, (kh, kw), use_bias=bias)
    layer.build((None, 12, 12, c_in))
    assert conv_param_count(kh, kw, c_in, c_out, bias=bias) == layer.count_params()


# --------------------------------------------------------------------------- pooling


@RANDOM
@given(
    n=st.integers(1, 2), h=st.integers(1, 10), w=st.integers(1, 10), c=st.integers(1, 3),
    size=st.one_of(st.integers(1, 4), st.tuples(st.integers(1, 4), st.integers(1, 4))),
    stride=st.one_of(st.none(), strides), padding=st.sampled_from(["valid", "same"]),
    seed=st.integers(0, 2**16),
)
def test_pool2d_equals_tf_max_pool2d_and_avg_pool2d(n, h, w, c, size, stride, padding, seed):
    kh, kw = _pair(size)
    sh, sw = _pair(size if stride is None else stride)
    assume(padding == "same" or (kh <= h and kw <= w))
    x = np.random.default_rng(seed).normal(size=(n, h, w, c)).astype(np.float32) - 3.0  # negatives: pads must not win
    tf_args = {"ksize": [kh, kw], "strides": [sh, sw], "padding": padding.upper()}
    for mode, tf_pool in (("max", tf.nn.max_pool2d), ("average", tf.nn.avg_pool2d)):
        out = pool2d(x, size=size, stride=stride, mode=mode, padding=padding)
        np.testing.assert_allclose(out, tf_pool(x, **tf_args).numpy(), atol=1e-5, err_msg=mode)
        assert out.shape[1:3] == (output_size(h, kh, sh, padding), output_size(w, kw, sw, padding))


def test_pool2d_keeps_the_layout_and_accepts_mode_aliases():
    x = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(pool2d(x), [[5.0, 7.0], [13.0, 15.0]])
    np.testing.assert_array_equal(pool2d(x, mode="average"), [[2.5, 4.5], [10.5, 12.5]])
    for alias in ("avg", "mean", "AVERAGE"):
        np.testing.assert_array_equal(pool2d(x, mode=alias), pool2d(x, mode="average"))
    assert pool2d(np.ones((4, 4, 3))).shape == (2, 2, 3)
    assert pool2d(np.ones((5, 4, 4, 3)), size=3, stride=1).shape == (5, 2, 2, 3)


def test_average_pool_with_same_padding_divides_by_real_pixels_only():
    x = np.ones((3, 3))
    np.testing.assert_array_equal(pool2d(x, size=2, mode="average", padding="same"), np.ones((2, 2)))
    np.testing.assert_array_equal(pool2d(-x, size=2, mode="max", padding="same"), -np.ones((2, 2)))


# --------------------------------------------------------------------------- friendly errors

ERRORS = [
    (lambda: conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 2, 4))), r"3 channel\(s\).*expects 2"),
    (lambda: conv2d(np.ones((5, 5, 3)), np.ones((3, 3))), r"3 channel\(s\).*expects 1"),
    (lambda: conv2d(np.ones((3, 3)), np.ones((5, 5))), r"kernel \(5x5\) is larger than the image after padding \(3x3\)"),
    (lambda: conv2d(np.ones((3, 3)), np.ones((6, 2)), padding=1), r"larger than the image after padding \(5x5\)"),
    (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), padding="full"), r"Unknown padding 'full'.*'valid'.*'same'"),
    (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), padding=-1), r"Unknown padding -1.*'valid', 'same'"),
    (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), padding=None), r"`padding` is None"),
    (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=0), r"`stride` must be positive"),
    (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=(1, -2)), r"`stride` must be positive"),
    (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=1.5), r"`stride` must be an int or a pair"),
    (lambda: conv2d(np.ones(5), np.ones((3, 3))), r"`x` has shape \(5,\).*\(H, W\).*\(N, H, W, C\)"),
    (lambda: conv2d(np.ones((1, 2, 5, 5, 1)), np.ones((3, 3))), r"5 dimensions"),
    (lambda: conv2d(np.ones((5, 5, 3)), np.ones((3, 3, 3))), r"kh, kw, C_in, C_out.*kernel\[\.\.\., None\]"),
    (lambda: conv2d(None, np.ones((3, 3))), r"`x` is None"),
    (lambda: conv2d(np.ones((5, 5)), None), r"`kernel` is None"),
    (lambda: conv2d(np.array([["a", "b"], ["c", "d"]]), np.ones((1, 1))), r"`x` must contain numbers.*dtype"),
    (lambda: conv2d(np.ones((5, 5)), [[1, 2], [3]]), r"`kernel` could not be turned into an array"),
    (lambda: conv2d(np.ones((0, 5)), np.ones((1, 1))), r"`x` is empty"),
    (lambda: conv2d(np.ones((5, 5)), np.ones((3, 3)), bias=[1.0, 2.0]), r"one number per output channel, shape \(1,\)"),
    (lambda: conv2d_naive(np.ones((5, 5, 2)), np.ones((3, 3, 1, 1))), r"2 channel\(s\).*expects 1"),
    (lambda: conv2d_naive(None, np.ones((3, 3))), r"`x` is None"),
    (lambda: pool2d(np.ones((4, 4)), mode="median"), r"Unknown pooling mode 'median'.*'max' or 'average'"),
    (lambda: pool2d(np.ones((4, 4)), padding=1), r"padding='valid' or padding='same'"),
    (lambda: pool2d(np.ones((2, 2)), size=3), r"pooling window \(3x3\) is larger than the image \(2x2\)"),
    (lambda: pool2d(np.ones((4, 4)), stride=0), r"`stride` must be positive"),
    (lambda: pool2d(None), r"`x` is None"),
    (lambda: output_size(3, 5), r"window \(5 pixels\) is larger than the padded input"),
    (lambda: output_size(5, 3, 0), r"`stride` must be a positive int"),
    (lambda: output_size(5, 3, 1, "full"), r"Unknown padding 'full'"),
    (lambda: output_size(5, 3, 1, (1, 2)), r"one int, not a pair"),
    (lambda: conv_param_count(3, 3, 0, 8), r"`c_in` must be a positive int"),
    (lambda: pad2d(np.ones((4, 4)), "same", kernel_size=None), r"`kernel_size` must be an int or a pair"),
]


@pytest.mark.parametrize(("call", "message"), ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_bad_input_raises_a_friendly_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_importing_conv_does_not_import_tensorflow():
    code = "import sys, course_utils.conv; assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_conv2d_restores_the_blas_thread_count_it_lowers():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    conv2d(np.ones((2, 8, 8, 3)), np.ones((3, 3, 3, 4)))
    after = [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    assert after == before
