"""Misconception catalogue of notebook 01: the loop convolution, the output-size formula, stride and padding,
a horizontal-edge kernel, a parameter count."""

import math

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Equivalent, Mistake

# --------------------------------------------------------------------------- conv2d_loop(image, kernel)


def _flipped(image, kernel):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)[::-1, ::-1]
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _one_short(image, kernel):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh, image.shape[1] - kw))
    for i in range(image.shape[0] - kh):
        for j in range(image.shape[1] - kw):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _input_sized(image, kernel):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    kh, kw = kernel.shape
    out = np.zeros(image.shape)
    for i in range(image.shape[0] - kh + 1):
        for j in range(image.shape[1] - kw + 1):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _matrix_product(image, kernel):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] @ kernel)
    return out


def _window_mean(image, kernel):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.mean(image[i:i + kh, j:j + kw] * kernel)
    return out


def _keeps_uint8(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1), dtype=image.dtype)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _nested_lists(image, kernel):
    kh, kw = kernel.shape
    return [[float(np.sum(image[i:i + kh, j:j + kw] * kernel)) for j in range(image.shape[1] - kw + 1)]
            for i in range(image.shape[0] - kh + 1)]


def _swapped(image, kernel):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[j:j + kh, i:i + kw] * kernel)
    return out


def _three_by_three(image, kernel):
    image = np.asarray(image, float)
    out = np.zeros((image.shape[0] - 2, image.shape[1] - 2))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + 3, j:j + 3] * kernel)
    return out


def _jumps_by_kernel(image, kernel):
    image, kernel = np.asarray(image, float), np.asarray(kernel, float)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] // kh, image.shape[1] // kw))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i * kh:(i + 1) * kh, j * kw:(j + 1) * kw] * kernel)
    return out


def _scipy(image, kernel):
    from scipy.signal import correlate2d

    return correlate2d(image, kernel, mode="valid")


def _scipy_convolve_flipped(image, kernel):
    from scipy.signal import convolve2d

    return convolve2d(image, np.asarray(kernel)[::-1, ::-1], mode="valid")


def _einsum(image, kernel):
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)  # (H', W', kh, kw)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def _float32_loop(image, kernel):
    image, kernel = image.astype(np.float32), kernel.astype(np.float32)
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1), dtype=np.float32)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (image[i:i + kh, j:j + kw] * kernel).sum()
    return out


def _loop_over_kernel(image, kernel):
    kh, kw = kernel.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((out_h, out_w))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * image[a:a + out_h, b:b + out_w]
    return out


CONV2D_LOOP = {
    "mistakes": [
        Mistake(_flipped, "flipped kernel",
                message="Your output is the result of a flipped kernel: that is true convolution (the textbook "
                        "definition). A Conv2D layer computes cross-correlation: the kernel is used as it is, "
                        "not flipped."),
        Mistake(_one_short, "H - kh + 1",
                message="Your output is one row and one column short: the window fits at H - kh + 1 positions "
                        "down (0 to H - kh) and W - kw + 1 across. Loop over range(H - kh + 1)."),
        Mistake(_input_sized, "size of the input",
                message="Your output has the size of the input, with zeros where the window does not fit: a "
                        "'valid' convolution (no padding) gives (H - kh + 1) x (W - kw + 1) pixels."),
        Mistake(_matrix_product, "element by element",
                message="You multiplied matrices (`@` or `np.dot`): a convolution multiplies the window and the "
                        "kernel element by element (`*`), then adds everything up."),
        Mistake(_window_mean, "adds the products up",
                message="You averaged the products (`np.mean`): a convolution adds the products up (`np.sum`), "
                        "so your output is kh * kw times too small."),
        Mistake(_keeps_uint8, "floats are expected"),
        Mistake(_nested_lists, "NumPy array"),
        Mistake(_swapped, "swapped rows and columns",
                message="You swapped rows and columns: output pixel (i, j) uses the window that starts at row i "
                        "and column j, image[i:i + kh, j:j + kw]."),
        Mistake(_three_by_three, "3x3 kernel",
                message="Your function assumes a 3x3 kernel: read the kernel's size with `kh, kw = kernel.shape` "
                        "and use it for the window and the output size."),
        Mistake(_jumps_by_kernel, "one pixel at a time",
                message="Your windows jump by the kernel's size, like pooling windows: a convolution's window "
                        "moves one pixel at a time (stride 1), so neighbouring windows overlap."),
    ],
    "alternatives": [
        Alternative(_scipy, note="scipy.signal.correlate2d"),
        Alternative(_scipy_convolve_flipped, note="scipy convolve2d with the kernel flipped back"),
        Alternative(_einsum, note="einsum over sliding_window_view"),
        Alternative(_float32_loop, note="float32 loop"),
        Alternative(_loop_over_kernel, note="a loop over the kernel's offsets"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("statement: image = np.asarray(image, dtype=float) -> (dropped)", why="the window times the float kernel is computed in floats (no uint8 overflow) and `out` is a float array."),
        Equivalent("unwrap: np.asarray(image, dtype=float) -> image", why="the window times the float kernel is computed in floats (no uint8 overflow) and `out` is a float array."),
        Equivalent("keyword: np.asarray(..., dtype=float) -> (dropped)", why="the window times the float kernel is computed in floats (no uint8 overflow) and `out` is a float array."),
        Equivalent("statement: kernel = np.asarray(kernel, dtype=float) -> (dropped)", why="the kernel times the float image window is computed in floats, and `out` is a float array."),
        Equivalent("unwrap: np.asarray(kernel, dtype=float) -> kernel", why="the kernel times the float image window is computed in floats, and `out` is a float array."),
        Equivalent("keyword: np.asarray(..., dtype=float) -> (dropped) #2", why="the kernel times the float image window is computed in floats, and `out` is a float array."),
    ],
}

# --------------------------------------------------------------------------- conv_output_size(n, k, stride, padding)


def _true_division(n, k, stride=1, padding=0):
    return (n + 2 * padding - k) / stride + 1


def _padding_once(n, k, stride=1, padding=0):
    return (n + padding - k) // stride + 1


def _no_plus_one(n, k, stride=1, padding=0):
    return (n + 2 * padding - k) // stride


def _divides_the_positions(n, k, stride=1, padding=0):
    return (n + 2 * padding - k + 1) // stride


def _ignores_stride(n, k, stride=1, padding=0):
    return n + 2 * padding - k + 1


def _rounds_up(n, k, stride=1, padding=0):
    return math.ceil((n + 2 * padding - k) / stride) + 1


def _pads_after(n, k, stride=1, padding=0):
    return (n - k) // stride + 1 + 2 * padding


def _np_floor(n, k, stride=1, padding=0):
    return np.floor((n + 2 * padding - k) / stride) + 1


def _swapped_order(n, k, padding=0, stride=1):
    """stride and padding in the other order: the test cases pass them by position."""
    return (n + 2 * padding - k) // stride + 1


_DEFAULTS = ("Called with only n and k, your function gives another size: the defaults are stride=1 and padding=0, "
             "`def conv_output_size(n, k, stride=1, padding=0):`.")

CONV_OUTPUT_SIZE = {
    "mistakes": [
        Mistake(_true_division, "use `//`", status="wrong_dtype",
                message="You used `/`: it gives a float (26.0), and a fraction such as 12.5 when the stride does "
                        "not divide evenly. The window moves in whole steps: use `//`."),
        Mistake(_padding_once, "both sides",
                message="You added the padding once: `padding` zeros go on both sides, so the padded input has "
                        "n + 2 * padding pixels."),
        Mistake(_no_plus_one, "+ 1",
                message="You forgot the + 1: (n + 2p - k) // s counts the steps between the first and the last "
                        "window; the windows are one more than the steps."),
        Mistake(_divides_the_positions, "divided the positions",
                message="You divided the positions of a stride-1 window (n + 2p - k + 1) by the stride and "
                        "rounded down: the first window always counts, so it is (n + 2p - k) // s + 1."),
        Mistake(_ignores_stride, "ignores the stride",
                message="Your formula ignores the stride: with stride s the window jumps s pixels, so divide the "
                        "room it moves in (n + 2p - k) by s."),
        Mistake(_rounds_up, "round down",
                message="You rounded up: a window that would stick out past the padded input does not count, "
                        "so round down (`//`)."),
        Mistake(_pads_after, "before",
                message="You added the padding to the output: the zeros are added to the input before the "
                        "window slides, so they go inside: (n + 2p - k) // s + 1."),
        Mistake(_swapped_order, "another order"),
        Mistake(lambda n, k, stride=2, padding=0: (n + 2 * padding - k) // stride + 1, "defaults are stride=1",
                message=_DEFAULTS),
        Mistake(lambda n, k, stride=1, padding=1: (n + 2 * padding - k) // stride + 1, "and padding=0",
                message=_DEFAULTS),
        Mistake(_np_floor, "np.floor returns a float", status="wrong_dtype",
                message="Right numbers, but as floats (like 26.0 for 26): np.floor returns a float. A size is "
                        "a whole number: use `//` on ints, `math.floor(...)` or `int(...)`."),
    ],
    "alternatives": [
        Alternative(lambda n, k, stride=1, padding=0: int((n + 2 * padding - k) / stride) + 1, note="int(...)"),
        Alternative(lambda n, k, stride=1, padding=0: math.floor((n + 2 * padding - k) / stride) + 1,
                    note="math.floor"),
        Alternative(lambda n, k, stride=1, padding=0: len(range(0, n + 2 * padding - k + 1, stride)),
                    note="counting the window positions"),
        Alternative(lambda n, k, stride=1, padding=0: (n + 2 * padding - k + stride) // stride,
                    note="one fraction"),
    ],
}

# --------------------------------------------------------------------------- conv2d_strided(image, kernel, stride, padding)


def _strided(image, kernel, stride, top, bottom, left, right, mode="constant", flip=False, shift=True):
    """The reference loop with one thing changed: padding per side, padding mode, flipped kernel, or windows
    that do not move by the stride (``shift=False``)."""
    image = np.pad(np.asarray(image, float), ((top, bottom), (left, right)), mode=mode)
    kernel = np.asarray(kernel, float)
    kernel = kernel[::-1, ::-1] if flip else kernel
    kh, kw = kernel.shape
    out = np.zeros(((image.shape[0] - kh) // stride + 1, (image.shape[1] - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            r, c = (i * stride, j * stride) if shift else (i, j)
            out[i, j] = np.sum(image[r:r + kh, c:c + kw] * kernel)
    return out


def _strided_pad_once(image, kernel, stride=1, padding=0):
    return _strided(image, kernel, stride, padding, 0, padding, 0)


def _strided_not_moving(image, kernel, stride=1, padding=0):
    return _strided(image, kernel, stride, padding, padding, padding, padding, shift=False)


def _strided_edge_padding(image, kernel, stride=1, padding=0):
    return _strided(image, kernel, stride, padding, padding, padding, padding, mode="edge")


def _strided_flipped(image, kernel, stride=1, padding=0):
    return _strided(image, kernel, stride, padding, padding, padding, padding, flip=True)


def _strided_unpadded_size(image, kernel, stride=1, padding=0):
    image = np.asarray(image, float)
    kh, kw = np.shape(kernel)
    out = np.zeros(((image.shape[0] - kh) // stride + 1, (image.shape[1] - kw) // stride + 1))
    padded = np.pad(image, padding)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out


def _strided_true_division(image, kernel, stride=1, padding=0):
    image = np.pad(np.asarray(image, float), padding)
    kh, kw = np.shape(kernel)
    out = np.zeros(((image.shape[0] - kh) / stride + 1, (image.shape[1] - kw) / stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out


def _strided_swapped_order(image, kernel, padding=0, stride=1):
    return _strided(image, kernel, stride, padding, padding, padding, padding)


def _strided_subsampled(image, kernel, stride=1, padding=0):
    from scipy.signal import correlate2d

    return correlate2d(np.pad(image, padding), kernel, mode="valid")[::stride, ::stride]


def _strided_windows(image, kernel, stride=1, padding=0):
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(image, padding), np.shape(kernel))
    return np.einsum("ijkl,kl->ij", windows[::stride, ::stride], kernel)


def _strided_float32(image, kernel, stride=1, padding=0):
    image = np.pad(image.astype(np.float32), padding)
    kernel = kernel.astype(np.float32)
    kh, kw = kernel.shape
    out_h, out_w = (image.shape[0] - kh) // stride + 1, (image.shape[1] - kw) // stride + 1
    return np.array([[(image[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel).sum()
                      for j in range(out_w)] for i in range(out_h)], dtype=np.float32)


CONV2D_STRIDED = {
    "mistakes": [
        Mistake(_strided_pad_once, "every side",
                message="You padded only the top and the left: np.pad(image, padding) puts `padding` zeros on "
                        "every side (top, bottom, left and right)."),
        Mistake(_strided_not_moving, "i * stride",
                message="Your windows do not move by the stride: output pixel (i, j) starts at row i * stride and "
                        "column j * stride of the padded image, not at (i, j)."),
        Mistake(_strided_edge_padding, "zeros",
                message="You padded with copies of the border pixels: zero padding adds zeros (np.pad's default "
                        "mode='constant')."),
        Mistake(_strided_flipped, "flipped kernel",
                message="You used a flipped kernel: that is true convolution; a Conv2D layer (and this exercise) "
                        "uses the kernel as it is (cross-correlation)."),
        Mistake(_strided_unpadded_size, "padded size",
                message="Your output size ignores the padding: compute it from the padded size, "
                        "(H + 2 * padding - kh) // stride + 1."),
        Mistake(_strided_swapped_order, "parameters are in another order"),
        Mistake(_strided_true_division, "with `//`",
                message="`/` gives a float size, and np.zeros needs whole numbers: compute the output size "
                        "with `//`."),
    ],
    "alternatives": [
        Alternative(_strided_subsampled, note="scipy on the padded image, then every stride-th pixel"),
        Alternative(_strided_windows, note="sliding_window_view and einsum"),
        Alternative(_strided_float32, note="float32, a list comprehension turned into an array"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("unwrap: np.asarray(image, dtype=float) -> image", why="np.pad keeps the dtype, then the window times the float kernel is computed in floats (no uint8 overflow) and `out` is a float array."),
        Equivalent("keyword: np.asarray(..., dtype=float) -> (dropped)", why="np.pad keeps the dtype, then the window times the float kernel is computed in floats (no uint8 overflow) and `out` is a float array."),
        Equivalent("statement: kernel = np.asarray(kernel, dtype=float) -> (dropped)", why="the kernel times the float image window is computed in floats, and `out` is a float array."),
        Equivalent("unwrap: np.asarray(kernel, dtype=float) -> kernel", why="the kernel times the float image window is computed in floats, and `out` is a float array."),
        Equivalent("keyword: np.asarray(..., dtype=float) -> (dropped) #2", why="the kernel times the float image window is computed in floats, and `out` is a float array."),
    ],
}

# --------------------------------------------------------------------------- horizontal_edge_kernel

HORIZONTAL_EDGE_KERNEL = {
    "mistakes": [
        Mistake(np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]), "vertical edges",
                message="Your kernel finds vertical edges (changes from left to right): that is Sobel x. For "
                        "horizontal edges the change runs from top to bottom: transpose it."),
        Mistake(np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]), "add up to 0"),
        Mistake(np.zeros((3, 3)), "barely responds"),
        Mistake(np.array([-1.0, 0.0, 1.0]), "shape (3,)"),
        Mistake(np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]), "every direction",
                message="Your kernel responds to edges in every direction (like a Laplacian): it must respond to "
                        "horizontal edges only, so keep the weights equal along each row."),
        Mistake(np.array([[-1.0, -2.0, 0.0], [0.0, 0.0, 0.0], [0.0, 2.0, 1.0]]), "also responds to vertical"),
        Mistake(np.array([[-1.0, -1.0, 0.0], [-1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), "diagonal edges"),
        Mistake([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]], "like a 45° Sobel"),
        Mistake("sobel", "array of numbers"),
        Mistake(np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.2]]), "add up to 0.2"),  # a typo
        Mistake(np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]), "signs the wrong way round"),  # -Sobel y
        Mistake([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], "gives negative values"),  # -Prewitt
        Mistake(np.array([[-1.0, -1.0, -1.0], [2.0, 2.0, 2.0], [-1.0, -1.0, -1.0]]), "like a line detector"),
        Mistake(1e-6 * np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]), "barely responds: a step"),
        Mistake([[-1, -1], [1, 1]], "asks for a 3x3 kernel"),
        Mistake(np.array([[-1.0], [0.0], [1.0]]), "(3, 1)"),
        Mistake(np.array([[-1.0], [1.0]]), "3 rows, 3 columns"),
        Mistake(np.repeat([[-1.0], [0.0], [1.0]], 5, axis=1), "shape (3, 5)"),
        Mistake(np.repeat([[-1.0], [-1.0], [1.0], [1.0]], 4, axis=1), "shape (4, 4)"),
        Mistake(np.outer([-1.0, -2.0, 0.0, 2.0, 1.0], [1.0, 4.0, 6.0, 4.0, 1.0]), "shape (5, 5)"),  # 5x5 Sobel-like
    ],
    "alternatives": [
        Alternative(np.array([[-1.0, -1.0, -1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]), note="Prewitt"),
        Alternative(np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]), note="Sobel, integers"),
        Alternative([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], note="a list of lists"),
        Alternative(np.array([[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]) / 8, note="normalised Sobel"),
        Alternative([[0, 0, 0], [-1, -1, -1], [1, 1, 1]], note="the step one row lower"),
        Alternative([[0, -1, 0], [0, 0, 0], [0, 1, 0]], note="the centre column only"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("kernel: columns rolled", why="the bottom row is minus the top row and the middle row is 0: no response to vertical edges or flat areas, a full response to horizontal edges."),
    ],
}

# --------------------------------------------------------------------------- n_params: Conv2D(64, 3x3) on 32 channels


def _conv_params_by_keras():
    import keras

    layer = keras.layers.Conv2D(64, 3)
    layer.build((None, 28, 28, 32))
    return layer.count_params()


N_PARAMS = {
    "mistakes": [
        Mistake(3 * 3 * 32 * 64, "bias", message="18,432 leaves out the biases: each of the 64 filters has one bias "
                                                 "too, (3*3*32 + 1) * 64."),
        Mistake((3 * 3 + 1) * 64, "input channel",
                message="640 forgets the input channels: each filter has a 3x3 weight for every one of the 32 "
                        "input channels."),
        Mistake((3 * 3 + 1) * 32 * 64, "one bias per filter",
                message="20,480 gives each input channel its own bias: there is one bias per filter (64), not per "
                        "channel."),
        Mistake(3 * 3 * 32 + 1, "64 filters", message="289 is one filter: the layer has 64 filters."),
        Mistake("18,496", "text in quotes"),
    ],
    "alternatives": [
        Alternative(18_496.0, note="a float"),
        Alternative(np.int64(18_496), note="a NumPy integer"),
        Alternative(_conv_params_by_keras, lazy=True, note="counted by Keras"),
    ],
}
