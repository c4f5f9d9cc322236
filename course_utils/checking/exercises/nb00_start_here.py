"""Exercises of notebook 00 (demo): scale pixel values, count the pixels of an image."""

import numpy as np

from course_utils.checking.exercises import Function, Value, case
from course_utils.checking.exercises.misconceptions import nb00 as catalogue

NOTEBOOK = "00_start_here"


def normalize(images):
    """Scale uint8 pixel values 0-255 to floats in [0, 1]; same shape as ``images``."""
    return np.asarray(images, dtype=np.float32) / 255.0


def normalize_cases(rng):
    """Random images of odd shapes, plus the extremes (all 0, all 255)."""
    yield case(rng.integers(0, 256, size=(4, 4), dtype=np.uint8), note="a 4x4 image")
    yield case(np.zeros((3, 5), dtype=np.uint8), note="an all-zero image")
    yield case(np.full((5, 3), 255, dtype=np.uint8), note="an all-255 image")
    yield case(rng.integers(0, 256, size=(2, 7, 5), dtype=np.uint8), note="a batch of 2 images of 7x5")
    yield case(rng.integers(0, 256, size=(1, 1), dtype=np.uint8), note="a single pixel")
    yield case(rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8), note="3 MNIST-sized images")


EXERCISES = [
    Function(
        "normalize", normalize, normalize_cases,
        title="Scale uint8 pixels 0-255 to floats in [0, 1]",
        hints=[
            "The largest pixel value is 255, and it should become 1.0.",
            "Divide by 255. Make sure the result holds floats, not integers: `//` would truncate to 0 or 1.",
            "`np.asarray(images, dtype=np.float32) / 255.0` converts and scales in one line.",
        ],
        **catalogue.NORMALIZE,
    ),
    Value(
        "n_pixels", 784,
        title="How many pixels does a 28x28 grayscale image have?",
        hints=["A 28x28 image has 28 rows of 28 pixels each.", "Multiply: 28 * 28."],
        solution="n_pixels = 28 * 28  # 784",
        **catalogue.N_PIXELS,
    ),
]
