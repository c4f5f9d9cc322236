"""course_utils.transfer_learning.digit_transfer: notebook 06's fallback, on a few hundred real digits."""

import numpy as np

from course_utils import data
from course_utils.transfer_learning import digit_transfer


def test_split_by_digits_renumbers_the_labels():
    x = np.arange(6)[:, None, None] * np.ones((6, 2, 2))
    y = np.array([5, 0, 9, 7, 4, 5])
    images, labels = digit_transfer.split_by_digits(x, y, digit_transfer.TARGET_DIGITS)
    assert labels.tolist() == [0, 4, 2, 0] and images[:, 0, 0].tolist() == [0, 2, 3, 5]


def test_a_backbone_pretrained_on_0_to_4_transfers_to_5_to_9():
    (x, y), (x_test, y_test) = data.load_mnist(n_train=1500, n_test=500, verbose=False)
    source = digit_transfer.split_by_digits(x, y, digit_transfer.SOURCE_DIGITS)
    target = digit_transfer.split_by_digits(x, y, digit_transfer.TARGET_DIGITS)
    test = digit_transfer.split_by_digits(x_test, y_test, digit_transfer.TARGET_DIGITS)
    backbone, _ = digit_transfer.pretrain_backbone(*source, epochs=2)
    assert digit_transfer.digit_features(backbone, test[0][:3]).shape == (3, 1600)
    curve = digit_transfer.learning_curve(backbone, target, test, sizes=(10,), repeats=1, scratch_steps=20)
    assert set(curve) == {"transfer", "scratch"} and len(curve["transfer"][10]) == 1
    assert curve["transfer"][10][0] > 0.6  # chance is 0.2: the digits 0-4 taught it strokes
