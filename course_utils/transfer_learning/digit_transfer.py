"""Transfer learning that needs no download: pretrain on the digits 0-4, transfer to the digits 5-9.

Notebook 06's fallback where the ImageNet photos or weights cannot be reached (and a compact demonstration
anywhere). The backbone is notebook 03's recommended CNN (``models.recommended``), trained by the course on the
digits 0-4 only; its features (the ``flatten`` layer, 1,600 numbers) then feed a linear head for the digits 5-9,
trained on a few labelled examples per class. The comparison is the same CNN trained from scratch on those few
examples. Everything runs on the MNIST the course can always load (``course_utils.load_mnist``).
"""

import numpy as np

from course_utils.building import models
from course_utils.transfer_learning.transfer import extract_features, fit_linear_head, per_class_sample

SOURCE_DIGITS = (0, 1, 2, 3, 4)
TARGET_DIGITS = (5, 6, 7, 8, 9)
FEATURE_LAYER = "flatten"


def split_by_digits(x, y, digits):
    """The images of ``digits`` only, with labels renumbered 0..len(digits)-1 (e.g. 5-9 -> 0-4)."""
    y = np.asarray(y)
    keep = np.isin(y, digits)
    lookup = {d: i for i, d in enumerate(digits)}
    return np.asarray(x)[keep], np.array([lookup[int(v)] for v in y[keep]], dtype=np.int64)


def pretrain_backbone(x, y, epochs=3, seed=0):
    """``models.recommended()`` trained on images ``x`` (uint8 28x28) of the source digits with labels ``y`` (0-4).
    Returns ``(model, seconds)``."""
    model, _, seconds = models.train_recommended(x, y, epochs=epochs, seed=seed)
    return model, seconds


def digit_features(backbone, images):
    """The backbone's ``flatten`` features ``(N, 1600)`` for uint8 digits (inference mode, no augmentation)."""
    import keras

    extractor = keras.Model(backbone.inputs, backbone.get_layer(FEATURE_LAYER).output)
    pixels = models.prepare_images(images)
    return extract_features(extractor, pixels, preprocess=np.asarray, batch_size=256, verbose=False)


def scratch_accuracy(x, y, x_test, y_test, steps=150, seed=0):
    """Test accuracy of ``models.recommended()`` trained from scratch on ``x, y`` (labels 0-4) for about ``steps``
    gradient steps (small sets get more epochs, so every size gets a comparable amount of training)."""
    batch = min(64, len(x))
    epochs = max(3, int(np.ceil(steps / np.ceil(len(x) / batch))))
    model, _, _ = models.train_recommended(x, y, epochs=epochs, batch_size=batch, seed=seed)
    pixels = models.prepare_images(x_test)
    # Eager calls in batches: model.predict would compile a new predict function for every model of the curve, and
    # TensorFlow then warns about retracing in the notebook.
    predicted = np.concatenate([np.asarray(model(pixels[i:i + 500], training=False)).argmax(axis=1)
                                for i in range(0, len(pixels), 500)])
    return float((predicted == np.asarray(y_test)).mean())


def learning_curve(backbone, train, test, sizes=(5, 10, 50), repeats=3, l2=1e-3, scratch_steps=150, seed=0):
    """Test accuracy on the target digits with ``n`` labelled examples per class, for each ``n`` in ``sizes``.

    ``train`` / ``test``: ``(images, labels)`` of the target digits (labels 0-4). Returns
    ``{"transfer": {n: [accuracy per repeat]}, "scratch": {n: [...]}}``: the frozen backbone's features with a
    linear head, and the same CNN trained from scratch on the same examples (each repeat draws other examples).
    """
    (x, y), (x_test, y_test) = train, test
    features, test_features = digit_features(backbone, x), digit_features(backbone, x_test)
    curve = {"transfer": {}, "scratch": {}}
    for n in sizes:
        curve["transfer"][n], curve["scratch"][n] = [], []
        for r in range(repeats):
            index = per_class_sample(y, n, seed=seed + 1000 * r + n)
            head = fit_linear_head(features[index], y[index], l2=l2, n_classes=len(TARGET_DIGITS))
            curve["transfer"][n].append(head.accuracy(test_features, y_test))
            curve["scratch"][n].append(scratch_accuracy(x[index], y[index], x_test, y_test, scratch_steps,
                                                        seed=seed + r))
    return curve
