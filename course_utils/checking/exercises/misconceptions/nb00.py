"""Misconception catalogue of notebook 00: scaling pixels, counting pixels."""

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Equivalent, Mistake

# --------------------------------------------------------------------------- normalize(images)


def _floor_divide(images):
    return images // 255


def _cast_back(images):
    return (images / 255).astype(np.uint8)


def _by_256(images):
    return images / 256


def _min_max(images):
    return (images - images.min()) / (images.max() - images.min())


def _as_lists(images):
    return [[pixel / 255 for pixel in row] for row in images]


def _minus_one_to_one(images):
    return images / 127.5 - 1


def _in_place(images):
    images /= 255
    return images


def _rounded(images):
    return np.round(images / 255, 2)


NORMALIZE = {
    "mistakes": [
        Mistake(_floor_divide, "integer division", status="wrong_dtype",
                message="Your pixels came out as whole numbers (0, and 1 for 255): integer division `//`, or "
                        "turning the result back to integers (`.astype(np.uint8)`, `int(...)`), drops the "
                        "fractions. Use `/` and keep the floats (float32 is fine)."),
        Mistake(_cast_back, "back to integers"),
        Mistake(_by_256, "256", message="You divided by 256: the brightest pixel, 255, must become exactly 1.0, "
                                        "so divide by 255."),
        Mistake(_min_max, "own min and max",
                message="You scaled each image by its own min and max: then the same pixel value means different "
                        "things in different images (and an all-black image divides 0 by 0). Divide by 255, the "
                        "largest possible pixel value, so that every image is scaled the same way."),
        Mistake(_as_lists, "NumPy array"),
        Mistake(_minus_one_to_one, "[-1, 1]",
                message="Your values run from -1 to 1, the [-1, 1] convention (some pretrained models use "
                        "it). Here the pixels should go from 0 to 1: divide by 255 and subtract nothing."),
        Mistake(_in_place, "in place",
                message="`images /= 255` divides in place, but a uint8 array cannot hold fractions (NumPy refuses "
                        "the cast), and it would change the caller's images. Write `images / 255` instead, which "
                        "makes a new float array."),
        Mistake(lambda images: (np.asarray(images) / 255).astype(np.float16), "float16"),
        Mistake(_rounded, "rounded", message="You rounded the result: keep every digit, the network can use them "
                                             "(0.5019... is not 0.5)."),
    ],
    "alternatives": [
        Alternative(lambda images: images / 255, note="float64 division"),
        Alternative(lambda images: np.asarray(images, np.float32) * (1 / 255), note="float32, multiply"),
        Alternative(lambda images: np.divide(images, 255.0), note="np.divide"),
        Alternative(lambda images: images.astype("float32") / 255, note="astype then divide"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("unwrap: np.asarray(images, dtype=np.float32) -> images", why="images / 255.0: true division turns uint8 and int pixels into floats anyway (float64 values are the same; the checker compares the kind of dtype)."),
        Equivalent("keyword: np.asarray(..., dtype=np.float32) -> (dropped)", why="images / 255.0: true division turns uint8 and int pixels into floats anyway (float64 values are the same; the checker compares the kind of dtype)."),
    ],
}

# --------------------------------------------------------------------------- n_pixels

N_PIXELS = {
    "mistakes": [
        Mistake(28 + 28, "added", message="56 is 28 + 28 or 28 * 2: the two sides added, or one side doubled. A "
                                          "28x28 image has 28 rows of 28 pixels each: 28 * 28."),
        Mistake(28 * 2, "doubled"),
        Mistake(28, "one side", message="28 is the length of one side; the image has 28 such rows."),
        Mistake(28 ^ 2, "XOR", message="`28 ^ 2` is 30: in Python `^` is XOR (bitwise exclusive or), not a power. "
                                       "Write `28 ** 2` or `28 * 28`."),
        Mistake("784", "Remove the quotes"),
        Mistake(28 * 28 * 3, "one channel",
                message="2,352 counts 3 colour channels, but MNIST digits are grayscale: one channel."),
        Mistake(27 * 27, "0 to 27",
                message="729 is 27 x 27, but pixel indices run from 0 to 27: that is 28 pixels per side."),
    ],
    "alternatives": [
        Alternative(28 ** 2, note="a power"),
        Alternative(784.0, note="a float"),
        Alternative(np.prod((28, 28)), note="np.prod: a NumPy integer"),
        Alternative(np.zeros((28, 28)).size, note="an array's size"),
    ],
}
