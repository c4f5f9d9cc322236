"""MNIST digits that notebooks never see, kept to check trained models (notebook 03's ``trained_model``).

A fixed part of MNIST's *test* split is held out: for each digit, 40% of its test images, at most 200, picked
by a fixed seed from the labels alone, so the same images are held out whatever the source (``COURSE_DATA_DIR``,
Keras' cache or download, the built-in offline sample). ``data.load_mnist()`` never returns them;
``load_mnist_heldout()`` returns exactly them. With the official 10,000 test digits: 2,000 held out and 8,000
for the notebooks; with the built-in offline sample (1,000 test digits): 400 and 600.

A score on these digits is honest even for a model trained on every digit the notebooks hand out.
"""

import numpy as np

from course_utils import data_sources

FRACTION = 0.4
PER_CLASS = 200
SEED = 20_251_123


def heldout_mask(labels):
    """A boolean mask over ``labels`` (the test split's labels): ``True`` for the held-out digits."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(SEED)
    mask = np.zeros(len(labels), dtype=bool)
    for digit in np.unique(labels):
        where = np.flatnonzero(labels == digit)
        count = min(PER_CLASS, int(FRACTION * len(where)))
        mask[rng.choice(where, size=count, replace=False)] = True
    return mask


def without_heldout(test):
    """``(x_test, y_test)`` without the held-out digits (what notebooks get)."""
    x, y = test
    keep = ~heldout_mask(y)
    return x[keep], y[keep]


def load_mnist_heldout():
    """``(x, y, source)``: the held-out MNIST test digits (uint8 ``(N, 28, 28)`` 0-255, labels ``(N,)``) of the
    source ``data.load_mnist()`` uses now."""
    _, (x, y), source, _ = data_sources.mnist_source([])
    held = heldout_mask(y)
    return x[held], y[held], source


__all__ = ["FRACTION", "PER_CLASS", "heldout_mask", "load_mnist_heldout", "without_heldout"]
