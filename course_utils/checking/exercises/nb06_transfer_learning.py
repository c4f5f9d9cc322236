"""Exercises of notebook 06 (transfer learning): the frozen-base classifier, its trainable parameters, the
preprocessing, a base made ready for fine-tuning, and predicting one photo.

Every check runs on small networks and image files the checker makes itself (``transfer_checks``,
``photo_checks``), never on ImageNet weights, so it is fast and works offline. The classic wrong answers
(``Mistake``) and right-but-different answers (``Alternative``) of each exercise are in ``misconceptions/nb06.py``
and ``misconceptions/nb06_photo.py``.
"""

import numpy as np

from course_utils.checking.exercises import Value, case
from course_utils.checking.exercises.misconceptions import nb06 as catalogue
from course_utils.checking.exercises.misconceptions import nb06_equivalents as equivalents
from course_utils.checking.exercises.misconceptions import nb06_photo
from course_utils.checking.exercises.photo_checks import PredictPhoto
from course_utils.checking.exercises.transfer_checks import ArrayFunction, Classifier, FineTuning

NOTEBOOK = "06_transfer_learning"


def build_classifier(base, n_classes):
    """Freeze ``base``; input -> base (inference mode) -> global average pooling -> Dense(n_classes, softmax)."""
    import keras

    base.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def preprocess(images):
    """Pixels 0-255 (uint8 or float, any shape) -> float32 NumPy array in [-1, 1], the caller's array unchanged."""
    return np.asarray(images, dtype="float32") / 127.5 - 1.0


def preprocess_cases(rng):
    yield case(rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8), note="uint8 photos")
    yield case(rng.uniform(0, 255, (2, 3, 5, 3)).astype("float32"), note="float32 pixels 0-255")
    yield case(rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), note="one photo, no batch axis")
    yield case(np.array([[[0, 255, 128]]], dtype=np.uint8), note="black, white and mid-grey channels")
    yield case(rng.uniform(0, 255, (1, 2, 2, 3)), note="float64 pixels")


def prepare_fine_tuning(base, first_layer):
    """Layers from ``first_layer`` (a name) on trainable, the ones before frozen, every BatchNormalization frozen."""
    import keras

    base.trainable = True
    names = [layer.name for layer in base.layers]
    start = names.index(first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and not isinstance(layer, keras.layers.BatchNormalization)


def predict_photo(model, path, class_names):
    """``(class name, probability)`` for the photo at ``path``: centre-cropped and resized to the model's input."""
    import keras

    height, width = model.input_shape[1:3]
    photo = keras.utils.load_img(path, target_size=(height, width), keep_aspect_ratio=True, interpolation="bilinear")
    probabilities = model.predict(np.asarray(photo, dtype="float32")[None], verbose=0)[0]
    best = int(np.argmax(probabilities))
    return class_names[best], float(probabilities[best])


EXERCISES = [
    Classifier(
        "build_classifier", build_classifier,
        title="The frozen-base classifier: base -> global average pooling -> Dense(softmax)",
        hints=[
            "Freeze first: `base.trainable = False`. Then build a functional model on a new `keras.Input` with the "
            "base's input shape (`base.input_shape[1:]`).",
            "Call the base in inference mode, `base(inputs, training=False)`, then average each feature map over "
            "its positions with `keras.layers.GlobalAveragePooling2D()`.",
            "End with `keras.layers.Dense(n_classes, activation='softmax')` and return `keras.Model(inputs, outputs)`.",
        ],
        **catalogue.CLASSIFIER, equivalents=equivalents.CLASSIFIER_EQUIVALENTS,
    ),
    Value(
        "n_trainable", (1280 + 1) * 2,
        title="Trainable parameters of MobileNetV2 + global average pooling + Dense(2)",
        solution="n_trainable = (1280 + 1) * 2  # the Dense head only: 1,280 pooled features + 1 bias, per class",
        hints=["Only the head is trained: the base is frozen and pooling has no parameters.",
               "A Dense layer has (inputs + 1) * units parameters; global average pooling leaves 1,280 inputs."],
        **catalogue.N_TRAINABLE,
    ),
    ArrayFunction(
        "preprocess", preprocess, preprocess_cases, rtol=1e-5, atol=1e-5, dtype="exact",
        title="MobileNetV2's preprocessing: pixels 0-255 to a float32 NumPy array in [-1, 1], on a copy",
        hints=[
            "MobileNetV2 was trained on pixels in [-1, 1]: 0 must become -1 and 255 must become 1.",
            "x / 127.5 - 1 does it. Convert to float32 first with np.asarray(images, dtype='float32'): the result "
            "must be float32 (images / 127.5 on uint8 pixels gives float64, twice the memory for a batch of photos).",
            "Keras' preprocess_input divides a float array in place: if you use it, give it a copy.",
        ],
        **catalogue.PREPROCESS, equivalents=equivalents.PREPROCESS_EQUIVALENTS,
    ),
    FineTuning(
        "prepare_fine_tuning", prepare_fine_tuning,
        title="Unfreeze the top of a base for fine-tuning, BatchNormalization frozen",
        hints=[
            "Start with `base.trainable = True` (it sets every layer's flag, and `base.trainable_weights` and "
            "`base.summary()` count nothing while it is False). Then set each layer's own flag, and never "
            "base.trainable again: it resets them all.",
            "Find where to start: `names = [layer.name for layer in base.layers]`, `start = names.index(first_layer)`.",
            "`layer.trainable = index >= start and not isinstance(layer, keras.layers.BatchNormalization)`.",
        ],
        **catalogue.FINE_TUNING, equivalents=equivalents.FINE_TUNING_EQUIVALENTS,
    ),
    PredictPhoto(
        "predict_photo", predict_photo,
        title="Predict one photo: load, crop and resize, add a batch axis, predict",
        hints=[
            "`keras.utils.load_img(path, target_size=(height, width), keep_aspect_ratio=True)` reads the photo in "
            "RGB (whatever the file stores: RGBA, grayscale, a palette), centre-crops it to the target's shape and "
            "resizes it; `model.input_shape[1:3]` is (height, width).",
            "Keep pixels 0-255 (the model rescales them itself) and add a batch axis: "
            "`np.asarray(photo, dtype='float32')[None]`.",
            "`p = model.predict(batch, verbose=0)[0]`; the answer is `class_names[p.argmax()], float(p.max())`.",
        ],
        **nb06_photo.PREDICT_PHOTO, equivalents=equivalents.PHOTO_EQUIVALENTS,
    ),
]
