"""Misconception catalogue of notebook 02: max and average pooling by hand, the pooled size, a parameter
count, the gradient of max pooling."""

import math

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Equivalent, Mistake


def _pool(image, size, reduce, *, stride=None, keep_partial=False, dtype=None, swap=False):
    """A loop pooling with one thing changed: the reduction, the stride, partial windows, the output dtype,
    or rows and columns swapped."""
    image = np.asarray(image, dtype=float)
    stride = stride or size
    h, w = image.shape
    if keep_partial:
        out_h, out_w = math.ceil(h / size), math.ceil(w / size)
    else:
        out_h, out_w = (h - size) // stride + 1, (w - size) // stride + 1
    out = np.zeros((out_h, out_w), dtype=dtype or float)
    for i in range(out_h):
        for j in range(out_w):
            r, c = (j, i) if swap else (i, j)
            out[i, j] = reduce(image[r * stride:r * stride + size, c * stride:c * stride + size])
    return out


def _max_from_zero(window):
    best = 0
    for value in window.flat:
        best = max(best, value)
    return best


def _max_from_minus_one(window):
    best = -1
    for value in window.flat:
        best = max(best, value)
    return best


def _max_from_minus_ten(window):
    best = -10
    for value in window.flat:
        best = max(best, value)
    return best


# --------------------------------------------------------------------------- max_pool(image, size=2)

MAX_POOL = {
    "mistakes": [
        Mistake(lambda image, size=2: _pool(image, size, _max_from_zero), "starts from 0",
                message="Your maximum starts from 0, so a window of negative values gives 0 instead of its "
                        "largest value. Start from the window's first value, or use `window.max()`."),
        Mistake(lambda image, size=2: _pool(image, size, _max_from_minus_one), "fixed start value",
                message="Your maximum starts from a fixed start value (-1, say): a window whose values are all "
                        "below it gives that value instead of its largest one. Start from the window's first "
                        "value (or -np.inf), or use `window.max()`."),
        Mistake(lambda image, size=2: _pool(image, size, _max_from_minus_ten), "starts from a fixed value"),
        Mistake(lambda image, size=2: _pool(image, size, np.max, stride=1), "overlap",
                message="Your windows overlap: pooling moves the window by its own size (stride = size), so the "
                        "output has H // size rows and W // size columns."),
        Mistake(lambda image, size=2: _pool(np.pad(image, ((0, -len(image) % size), (0, -image.shape[1] % size)),
                                                   constant_values=-np.inf), size, np.max, keep_partial=True),
                "partial windows",
                message="You kept the partial windows at the bottom and right edges: 'valid' pooling drops them, "
                        "so the output has H // size rows (5 // 2 = 2)."),
        Mistake(lambda image, size=2: _pool(image, size, np.mean), "averaged",
                message="You averaged each window: max pooling keeps its largest value (`window.max()`)."),
        Mistake(lambda image, size=2: _pool(image, size, np.max).tolist(), "NumPy array"),
        Mistake(lambda image, size=2: _pool(image, size, np.max, dtype=int), "floats are expected"),
        Mistake(lambda image, size=2: _pool(image, 2, np.max), "`size` argument",
                message="Your function always pools 2x2 windows: use the `size` argument for the window and the "
                        "output size."),
        Mistake(lambda image, size=3: _pool(image, size, np.max), "default window size",
                message="Called without `size`, your function pools windows of another size: the default window "
                        "size is 2, `def max_pool(image, size=2):`."),
        Mistake(lambda image, size=2: _pool(image, size, np.max, dtype=np.float16), "float16"),
        Mistake(lambda image, size=2: _pool(image, size, np.max, swap=True), "swapped rows and columns",
                message="You swapped rows and columns: output pixel (i, j) pools rows i*size to (i+1)*size and "
                        "columns j*size to (j+1)*size."),
    ],
    "alternatives": [
        Alternative(lambda image, size=2: image[:len(image) // size * size, :image.shape[1] // size * size]
                    .reshape(len(image) // size, size, image.shape[1] // size, size).max(axis=(1, 3)),
                    note="reshape into blocks"),
        Alternative(lambda image, size=2: np.lib.stride_tricks.sliding_window_view(image, (size, size))
                    [::size, ::size].max(axis=(-2, -1)), note="sliding_window_view"),
        Alternative(lambda image, size=2: _pool(np.float32(image), size, np.max).astype(np.float32),
                    note="float32"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("statement: image = np.asarray(image) -> (dropped)", why="the function is called with NumPy arrays (the notebook's images, the checker's cases); np.asarray only matters for lists."),
        Equivalent("unwrap: np.asarray(image) -> image", why="the function is called with NumPy arrays (the notebook's images, the checker's cases); np.asarray only matters for lists."),
        Equivalent("keyword: np.zeros(..., dtype=image.dtype) -> (dropped)", why="a float array of the same maxima: "
                   "whole numbers are exact in float64, and the checker compares values (int and float are both "
                   "numbers)."),
    ],
}

# --------------------------------------------------------------------------- avg_pool(image, size=2)


def _avg_padded(image, size=2):
    image = np.asarray(image, float)
    padded = np.pad(image, ((0, -len(image) % size), (0, -image.shape[1] % size)))
    return _pool(padded, size, np.mean)


def _avg_in_input_dtype(image, size=2):
    """The max_pool solution's output array, ``np.zeros(..., dtype=image.dtype)``, filled with means."""
    return _pool(image, size, np.mean, dtype=np.asarray(image).dtype)


def _avg_pixel_by_pixel(image, size=2):
    """A running sum in the input's own dtype: uint8 pixels wrap around past 255."""
    image = np.asarray(image)
    out = np.zeros((len(image) // size, image.shape[1] // size))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            total = image.dtype.type(0)
            for value in image[i * size:(i + 1) * size, j * size:(j + 1) * size].flat:
                total = total + value
            out[i, j] = total / (size * size)
    return out


AVG_POOL = {
    "mistakes": [
        Mistake(_avg_in_input_dtype, "input's dtype", status="wrong_dtype",
                message="Your output array takes the input's dtype (`dtype=image.dtype`): for uint8 pixels (raw "
                        "digits) every average is cut to a whole number (2.5 becomes 2). Create the output as "
                        "floats, e.g. `np.zeros((out_h, out_w))`."),
        Mistake(_avg_pixel_by_pixel, "wraps around",
                message="Your sum wraps around: uint8 pixels add up modulo 256 (200 + 100 gives 44). Convert the "
                        "image to floats first (`np.asarray(image, dtype=float)`) or use `window.mean()`."),
        Mistake(lambda image, size=2: _pool(image, size, np.sum), "added the window up",
                message="You added the window up: average pooling divides the sum by the number of values "
                        "(size * size)."),
        Mistake(lambda image, size=2: _pool(image, size, lambda window: window.sum() / size), "size * size",
                message="You divided by `size`: a window holds size * size values, so divide by size * size (or "
                        "use `window.mean()`)."),
        Mistake(_avg_padded, "padded",
                message="You padded the image with zeros so that the partial edge windows count: 'valid' pooling "
                        "drops them (H // size rows), and averaging the padding's zeros would darken the border."),
        Mistake(lambda image, size=2: _pool(image, size, np.max), "largest value",
                message="You kept each window's largest value: that is max pooling. Average pooling takes the "
                        "mean."),
        Mistake(lambda image, size=2: _pool(image, size, np.mean, stride=1), "overlap",
                message="Your windows overlap: pooling moves the window by its own size (stride = size)."),
        Mistake(lambda image, size=2: _pool(image, size, lambda window: window.sum() // (size * size)),
                "rounds down",
                message="`//` rounds down: use `/` (or `window.mean()`) to keep the fractions of the average."),
        Mistake(lambda image, size=2: _pool(image, size, np.mean).tolist(), "NumPy array"),
        Mistake(lambda image, size=2: _pool(image, 2, np.mean), "always pools 2x2",
                message="Your function always pools 2x2 windows: use the `size` argument for the window and the "
                        "output size."),
        Mistake(lambda image, size=3: _pool(image, size, np.mean), "default window size",
                message="Called without `size`, your function pools windows of another size: the default window "
                        "size is 2, `def avg_pool(image, size=2):`."),
        Mistake(lambda image, size=2: _pool(image, size, np.mean, dtype=np.float16), "about 3 significant digits"),
    ],
    "alternatives": [
        Alternative(lambda image, size=2: image[:len(image) // size * size, :image.shape[1] // size * size]
                    .reshape(len(image) // size, size, image.shape[1] // size, size).mean(axis=(1, 3)),
                    note="reshape into blocks"),
        Alternative(lambda image, size=2: np.lib.stride_tricks.sliding_window_view(image, (size, size))
                    [::size, ::size].mean(axis=(-2, -1)), note="sliding_window_view"),
        Alternative(lambda image, size=2: _pool(image, size, lambda window: window.sum() / window.size)
                    .astype(np.float32), note="sum / size, float32"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("statement: image = np.asarray(image, dtype=float) -> (dropped)", why=".mean() of an int or uint8 window is a float and `out` is a float array (the function is called with NumPy arrays (the notebook's images, the checker's cases); np.asarray only matters for lists)."),
        Equivalent("unwrap: np.asarray(image, dtype=float) -> image", why=".mean() of an int or uint8 window is a float and `out` is a float array."),
        Equivalent("keyword: np.asarray(..., dtype=float) -> (dropped)", why=".mean() of an int or uint8 window is a float and `out` is a float array."),
    ],
}

# --------------------------------------------------------------------------- pool_output_size(n, size, stride, padding)


def _same_pads_half(n, size, stride, padding):
    if padding == "same":
        return (n + 2 * (size // 2) - size) // stride + 1
    return (n - size) // stride + 1


def _same_keeps_n(n, size, stride, padding):
    return n if padding == "same" else (n - size) // stride + 1


def _same_rounds_down(n, size, stride, padding):
    return n // stride if padding == "same" else (n - size) // stride + 1


def _valid_true_division(n, size, stride, padding):
    return math.ceil(n / stride) if padding == "same" else (n - size) / stride + 1


def _valid_no_plus_one(n, size, stride, padding):
    return math.ceil(n / stride) if padding == "same" else (n - size) // stride


def _same_np_ceil(n, size, stride, padding):
    return np.ceil(n / stride) if padding == "same" else (n - size) // stride + 1


def _valid_rounds_up(n, size, stride, padding):
    return math.ceil(n / stride) if padding == "same" else math.ceil((n - size) / stride) + 1


POOL_OUTPUT_SIZE = {
    "mistakes": [
        Mistake(_same_pads_half, "size // 2",
                message="For 'same' you padded size // 2 zeros on each side: that works for odd windows only. "
                        "Keras pads just enough that the output has ceil(n / stride) pixels whatever the window: "
                        "28 pixels, window 2, stride 2 give 14, not 15."),
        Mistake(_same_keeps_n, "keeps the size only with stride 1",
                message="'same' keeps the size only with stride 1: with stride s the output has ceil(n / s) "
                        "pixels."),
        Mistake(_same_rounds_down, "round up",
                message="For 'same', round up: the partial window at the end is kept (padded), so the output has "
                        "ceil(n / stride) pixels; n // stride drops it."),
        Mistake(_valid_true_division, "use `//`", status="wrong_dtype",
                message="For 'valid' you used `/`: it gives a float (14.0) or a fraction (12.5). Windows come in "
                        "whole steps: use `//`."),
        Mistake(_valid_no_plus_one, "+ 1",
                message="For 'valid' you forgot the + 1: (n - size) // stride counts the steps between the first "
                        "and the last window; there is one more window than steps."),
        Mistake(_same_np_ceil, "np.ceil returns a float", status="wrong_dtype",
                message="Right numbers, but as floats (14.0): np.ceil returns a float, and so does any "
                        "arithmetic with a float in it. A size must be a whole number: use `math.ceil` (it returns "
                        "an int) or `int(np.ceil(...))`."),
        Mistake(_valid_rounds_up, "dropped",
                message="For 'valid' you rounded up: a window that would stick out past the input is dropped, so "
                        "round down (`//`)."),
    ],
    "alternatives": [
        Alternative(lambda n, size, stride, padding: -(-n // stride) if padding == "same"
                    else (n - size) // stride + 1, note="ceiling by negative floor division"),
        Alternative(lambda n, size, stride, padding: (n + stride - 1) // stride if padding == "same"
                    else len(range(0, n - size + 1, stride)), note="integer arithmetic, counting positions"),
        Alternative(lambda n, size, stride, padding: int(np.ceil(n / stride)) if padding.lower() == "same"
                    else int(np.floor((n - size) / stride)) + 1, note="int(np.ceil(...))"),
    ],
}

# --------------------------------------------------------------------------- flatten_params: Dense(10) after Flatten of 7x7x64


def _dense_params_by_keras():
    import keras

    layer = keras.layers.Dense(10)
    layer.build((None, 7 * 7 * 64))
    return layer.count_params()


FLATTEN_PARAMS = {
    "mistakes": [
        Mistake(7 * 7 * 64 * 10, "bias", message="31,360 leaves out the biases: Dense(10) has one bias per output, "
                                                 "10 more."),
        Mistake(64 * 10 + 10, "Flatten keeps",
                message="650 is the count after GlobalAveragePooling2D (64 inputs). Flatten keeps every value: "
                        "7 * 7 * 64 = 3,136 inputs."),
        Mistake(7 * 7 * 10 + 10, "64 channels",
                message="500 forgets the 64 channels: the flattened vector has 7 * 7 * 64 = 3,136 values."),
        Mistake(7 * 7 * 64 * 10 + 7 * 7 * 64, "one bias per output",
                message="34,496 gives each input a bias: Dense has one bias per output (10)."),
        Mistake(7 * 7 * 64, "no parameters",
                message="3,136 is the length of the flattened vector; Flatten itself has no parameters. Count the "
                        "weights of the Dense(10) layer that follows it."),
    ],
    "alternatives": [
        Alternative(31_370.0, note="a float"),
        Alternative(np.int64(31_370), note="a NumPy integer"),
        Alternative(_dense_params_by_keras, lazy=True, note="counted by Keras"),
    ],
}

# --------------------------------------------------------------------------- max_pool_gradient (a choice)

MAX_POOL_GRADIENT = {
    "mistakes": [
        Mistake("all four inputs, 1/4 each", "average pooling",
                message="That is average pooling: each input contributes a quarter of the mean. Max pooling's "
                        "output is just the maximum."),
        Mistake("none: pooling has no weights", "still flows",
                message="No weights to update, but the gradient still flows through to the layer below; "
                        "otherwise nothing under a pooling layer could learn."),
        Mistake("the two largest inputs", "nudging 3",
                message="Only the maximum decides the output: nudging 3 (or 1, or 2) a little changes nothing."),
        Mistake(5, "not one of the options"),
        Mistake(["only the input that holds the maximum", "the two largest inputs"], "exactly one of the options"),
    ],
    "alternatives": [
        Alternative("b", note="a letter"),
        Alternative("B)", note="a letter as shown"),
        Alternative("Only the input that holds the maximum.", note="the text, capitalised, with a full stop"),
    ],
}
