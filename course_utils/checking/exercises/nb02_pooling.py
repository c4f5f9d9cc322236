"""Exercises of notebook 02: max and average pooling by hand, the pooled size, a parameter count,
and where the gradient of max pooling goes."""

import math

import numpy as np

from course_utils.checking.exercises import Choice, Function, Value, case
from course_utils.checking.exercises.misconceptions import nb02 as catalogue

NOTEBOOK = "02_pooling"


def max_pool(image, size=2):
    """Max pooling of a (H, W) image with a size x size window, stride = size, 'valid' -> (H // size, W // size)."""
    image = np.asarray(image)
    out_h, out_w = image.shape[0] // size, image.shape[1] // size
    out = np.zeros((out_h, out_w), dtype=image.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = image[i * size:(i + 1) * size, j * size:(j + 1) * size].max()
    return out


def avg_pool(image, size=2):
    """Average pooling of a (H, W) image, window size x size, stride = size, 'valid' -> (H // size, W // size)."""
    image = np.asarray(image, dtype=float)
    out_h, out_w = image.shape[0] // size, image.shape[1] // size
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = image[i * size:(i + 1) * size, j * size:(j + 1) * size].mean()
    return out


def pool_cases(rng):
    yield case(np.arange(16.0).reshape(4, 4), note="a 4x4 ramp, size 2")
    yield case(rng.normal(size=(6, 6)), 2, note="negative values too: start from the window, not from 0")
    yield case(rng.normal(size=(6, 9)), 3, note="size 3 on a 6x9 image")
    yield case(rng.normal(size=(5, 7)), 2, note="odd sizes: the last row and column are dropped ('valid')")
    yield case(-np.ones((4, 4)), 2, note="all -1")
    yield case(rng.normal(size=(8, 8)), 4, note="size 4")
    yield case(rng.normal(size=(7, 5)) - 1, 3, note="size 3 on 7x5: one row and two columns dropped")
    yield case(rng.uniform(-9.0, -2.0, size=(4, 6)), 2, note="every value below -1: no fixed start value works")
    yield case(rng.integers(0, 256, size=(5, 7), dtype=np.uint8), 2,
               note="uint8 pixels (raw digits), odd sizes: compute the averages in floats")
    yield case(rng.uniform(-2e6, -1e6, size=(4, 4)), 2,
               note="values around -1,000,000: a maximum that starts from a fixed value (-5, -1000) fails here")


def pool_output_size(n, size, stride, padding):
    """Pooled length of ``n`` pixels: 'valid' -> (n - size) // stride + 1, 'same' -> ceil(n / stride)."""
    if padding == "same":
        return math.ceil(n / stride)
    return (n - size) // stride + 1


def pool_output_size_cases(rng):
    yield case(28, 2, 2, "valid", note="MaxPooling2D(2) on 28 pixels")
    yield case(27, 2, 2, "valid", note="an odd size: the last pixel is dropped")
    yield case(27, 2, 2, "same", note="'same' keeps the partial last window")
    yield case(13, 3, 2, "valid", note="overlapping 3x3 windows, stride 2 (AlexNet)")
    yield case(13, 3, 2, "same")
    yield case(7, 7, 1, "valid", note="a window as large as the input")
    yield case(28, 2, 2, "same", note="'same' with an even input and an even window")
    yield case(8, 2, 1, "same", note="'same', stride 1: the size is kept")
    yield case(6, 4, 2, "same", note="'same', a window of 4, stride 2")
    yield case(10, 4, 3, "same", note="'same', stride 3 that does not divide evenly")
    yield case(12, 3, 3, "valid")
    yield case(9, 2, 2, "valid", note="an odd input, an even window")
    for _ in range(6):
        size = int(rng.integers(1, 5))
        yield case(int(rng.integers(size, 60)), size, int(rng.integers(1, 4)), str(rng.choice(["valid", "same"])))


EXERCISES = [
    Function(
        "max_pool", max_pool, pool_cases,
        title="Max pooling ('valid', stride = size) with loops",
        hints=[
            "The output has H // size rows and W // size columns; output pixel (i, j) covers rows "
            "i*size to (i+1)*size of the input.",
            "Take the largest value of each window with .max(). Do not start from 0: the inputs can be negative.",
            "out[i, j] = image[i*size:(i+1)*size, j*size:(j+1)*size].max()",
        ],
        **catalogue.MAX_POOL,
    ),
    Function(
        "avg_pool", avg_pool, pool_cases,
        title="Average pooling ('valid', stride = size) with loops",
        hints=[
            "The same windows as max pooling; only the operation changes.",
            "out[i, j] = image[i*size:(i+1)*size, j*size:(j+1)*size].mean() - and compute in floats.",
        ],
        **catalogue.AVG_POOL,
    ),
    Function(
        "pool_output_size", pool_output_size, pool_output_size_cases, dtype="exact",
        title="The pooled size for 'valid' and 'same' padding",
        hints=[
            "'valid' is the convolution formula with no padding.",
            "'valid': (n - size) // stride + 1. 'same': Keras pads so that the output has ceil(n / stride) "
            "pixels, whatever the window size.",
            "import math, then math.ceil(n / stride) for 'same'.",
        ],
        **catalogue.POOL_OUTPUT_SIZE,
    ),
    Value(
        "flatten_params", 7 * 7 * 64 * 10 + 10,
        title="Parameters of Dense(10) after Flatten() of a 7x7x64 feature map",
        hints=[
            "Flatten turns 7x7x64 into one vector: how long is it?",
            "Dense(10) has one weight per (input, output) pair plus one bias per output: inputs * 10 + 10.",
        ],
        solution="flatten_params = 7 * 7 * 64 * 10 + 10  # 31,370 (with GlobalAveragePooling2D: 64 * 10 + 10 = 650)",
        **catalogue.FLATTEN_PARAMS,
    ),
    Choice(
        "max_pool_gradient",
        ["all four inputs, 1/4 each", "only the input that holds the maximum", "none: pooling has no weights",
         "the two largest inputs"],
        "only the input that holds the maximum",
        title="A 2x2 max-pooling window holds [[1, 5], [3, 2]]. Which inputs receive a gradient?",
        hints=["Change each input a tiny bit: which change moves the output?"],
        **catalogue.MAX_POOL_GRADIENT,
    ),
]
