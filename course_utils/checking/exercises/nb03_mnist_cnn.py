"""Exercises of notebook 03 (an MNIST CNN): build an architecture, count parameters, pick the loss,
train a model to an accuracy floor."""

import re

from course_utils import paths
from course_utils.checking.exercises import Choice, Model, Value
from course_utils.checking.exercises.compare import Problem
from course_utils.checking.exercises.misconceptions import nb03 as catalogue
from course_utils.checking.exercises.misconceptions import nb03_trained
from course_utils.checking.exercises.trained import TrainedModel

NOTEBOOK = "03_mnist_cnn"

# Accuracy the trained model must reach on the held-out digits (fast mode: tests, `course run --fast`).
ACCURACY_FLOOR = 0.96
FAST_ACCURACY_FLOOR = 0.90


def build_small_cnn():
    """Conv(16, 5x5) - MaxPool(2) - Conv(32, 3x3) - MaxPool(2) - Flatten - Dense(10, softmax)."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 5, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])


SMALL_CNN_SOLUTION = """\
small_cnn = keras.Sequential([
    keras.Input((28, 28, 1)),
    layers.Conv2D(16, 5, activation="relu"),   # 28x28 -> 24x24x16
    layers.MaxPooling2D(2),                    # -> 12x12x16
    layers.Conv2D(32, 3, activation="relu"),   # -> 10x10x32
    layers.MaxPooling2D(2),                    # -> 5x5x32
    layers.Flatten(),                          # -> 800
    layers.Dense(10, activation="softmax"),
])"""


def accuracy_floor():
    """The floor ``trained_model`` must reach: 0.96, or 0.90 in fast mode."""
    return FAST_ACCURACY_FLOOR if paths.fast_mode() else ACCURACY_FLOOR


def _letters(text):
    return re.sub(r"[^a-z]", "", str(text).casefold())


def _keras_loss_name(answer):
    """The name of the function a Keras loss computes (a ``keras.losses.Loss`` instance or class, or a function
    of ``keras.losses``), read from what it runs, never from its ``name`` (``SparseCategoricalCrossentropy(
    name="categorical_crossentropy")`` is still the sparse loss); ``None`` for anything else, a ``keras.metrics``
    object included (it cannot train a model), and for a loss class of the student's own (then its value decides)."""
    import keras

    if isinstance(answer, type):
        if issubclass(answer, keras.losses.Loss) and getattr(keras.losses, answer.__name__, None) is answer:
            return answer.__name__
        return None
    if isinstance(answer, keras.losses.Loss):
        function = getattr(answer, "fn", None)
        name = getattr(function, "__name__", None)
        if isinstance(name, str) and getattr(keras.losses, name, None) is function:
            return name
        kind = type(answer).__name__
        return kind if getattr(keras.losses, kind, None) is type(answer) else None
    name = getattr(answer, "__name__", None)
    if isinstance(name, str) and getattr(keras.losses, name, None) is answer:
        return name
    return None


def _keras_string_name(text):
    """The loss function ``compile(loss=text)`` would use (``keras.losses.get``: "mse", "CategoricalCrossentropy"
    ...), or ``None`` when Keras refuses the string ("cce", "categorical-crossentropy")."""
    import keras

    try:
        found = keras.losses.get(text)
    except Exception:  # noqa: BLE001 - Keras refuses the name
        return None
    return _keras_loss_name(found)


def is_metric(answer):
    """True for a ``keras.metrics.Metric`` object or class (a loss's look-alike that ``fit`` cannot train with)."""
    if isinstance(answer, str) or answer is None:
        return False
    import keras

    kind = answer if isinstance(answer, type) else type(answer)
    return issubclass(kind, keras.metrics.Metric) and not issubclass(kind, keras.losses.Loss)


def _probe_inputs():
    """One-hot labels and softmax-like predictions for 4 images of 10 classes (float32)."""
    import numpy as np

    rng = np.random.default_rng(3)
    labels = np.eye(10, dtype="float32")[[1, 3, 5, 7]]
    return labels, rng.dirichlet(np.ones(10), 4).astype("float32")


def _mean_value(loss, labels, predictions):
    import keras
    import numpy as np

    return float(np.mean(keras.ops.convert_to_numpy(loss(labels, predictions))))


def loss_computed(answer):
    """The option a loss function of the student's (a wrapper ``lambda y, p: ...``, a NumPy formula) computes,
    found by calling it on one-hot labels and probabilities; ``None`` when it computes none of them."""
    import keras
    import numpy as np

    if isinstance(answer, type) or not callable(answer) or is_metric(answer):
        return None
    labels, predictions = _probe_inputs()
    try:
        got = _mean_value(answer, labels, predictions)
    except Exception:  # noqa: BLE001 - a function that cannot take (labels, predictions) is no loss
        return None
    for option in LOSS_OPTIONS:
        try:
            want = _mean_value(getattr(keras.losses, option), labels, predictions)
        except Exception:  # noqa: BLE001 - the sparse loss refuses one-hot labels
            continue
        if np.isfinite(got) and abs(got - want) <= 1e-4 * max(1.0, abs(want)):
            return option
    return None


def loss_name(answer):
    """The option a loss answer names: a Keras loss object (``CategoricalCrossentropy()``), class or function
    (``keras.losses.categorical_crossentropy``), a name ``compile(loss=...)`` accepts ("mse",
    "CategoricalCrossentropy", "loss='categorical_crossentropy'"; not "cce"), or a function of the student's that computes it; ``None`` for
    anything else (a ``keras.metrics`` object: it is not a loss)."""
    if isinstance(answer, str):
        found = re.fullmatch(r"\s*loss\s*=\s*(['\"])(.*)\1\s*", answer)
        name = _keras_string_name(found.group(2) if found else answer)
    else:
        name = _keras_loss_name(answer)
        if not name:
            return loss_computed(answer)
    if not name:
        return None
    key = _letters(name)
    return next((option for option in LOSS_OPTIONS if _letters(option) == key), None)


def loss_configuration_problem(answer):
    """A Keras loss object configured to compute something else: cross-entropy over another axis than the
    classes', or targets smoothed past the label. ``label_smoothing`` below 0.5 is accepted: it is still the
    cross-entropy of one-hot labels (Keras allows it for one-hot labels only), softened as a regulariser.
    ``from_logits=True`` is accepted too: on the output of a softmax layer Keras 3 (TensorFlow backend) finds
    the logits the softmax was applied to (``_keras_logits``) and computes the same loss (pinned by a test)."""
    import keras

    if isinstance(answer, type) or not isinstance(answer, keras.losses.Loss):
        return None
    config = answer.get_config()
    axis = config.get("axis", -1)
    if axis not in (-1, 1):
        return Problem("wrong", f"Your loss computes the cross-entropy along axis={axis} (across the images of a "
                       f"batch), not along the 10 classes of each image: a model trained with it barely learns. "
                       f"Keep the default axis=-1.")
    smoothing = config.get("label_smoothing") or 0.0
    if smoothing >= 0.5:
        return Problem("wrong", f"label_smoothing={smoothing} moves the targets closer to a uniform guess than to "
                       f"the label: the model learns little. Leave it out (or keep it small, like 0.1).")
    return None


class LossChoice(Choice):
    """The loss exercise: a ``keras.metrics`` object is told that it is a metric, not a loss; a loss object
    configured to compute something else (another axis) is refused."""

    def _evaluate(self, answer):
        if isinstance(answer, str) and not re.fullmatch(r"\s*\(?[a-zA-Z][).]?\s*", answer):
            found = re.fullmatch(r"\s*loss\s*=\s*(['\"])(.*)\1\s*", answer)
            name = found.group(2) if found else answer
            if _keras_string_name(name) is None and self._find(answer) is not None:
                return Problem("wrong", f"{name!r} is not a name Keras knows: with `compile(loss={name!r})`, `fit` "
                               f"fails (\"Could not interpret loss identifier\"). Spell the loss as Keras does (like 'categorical_crossentropy'), or answer with a letter.")
        try:
            metric = is_metric(answer)
        except Exception:  # noqa: BLE001 - an odd answer is simply not a metric
            metric = False
        if metric:
            import keras

            kind = answer.__name__ if isinstance(answer, type) else type(answer).__name__
            example = f"`keras.losses.{kind}()`" if hasattr(keras.losses, kind) else "`keras.losses.MeanSquaredError()`"
            return Problem("wrong_type", f"`{kind}` from keras.metrics is a metric, not a loss: it measures, but "
                           f"`compile(loss=...)` with it makes `fit` fail (\"No gradients provided for any "
                           f"variable\"). Give a loss: its name, or a loss from keras.losses (like {example}).")
        if self._find(answer) == self.answer:
            configured = loss_configuration_problem(answer)
            if configured is not None:
                return configured
        return super()._evaluate(answer)


LOSS_OPTIONS = ["sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
                "mean_squared_error"]

EXERCISES = [
    Model(
        "small_cnn", build_small_cnn,
        title="Build Conv(16, 5x5) - MaxPool - Conv(32, 3x3) - MaxPool - Flatten - Dense(10)",
        hints=[
            "Start from `keras.Sequential([keras.Input((28, 28, 1)), ...])` and add the layers in the order given.",
            "`layers.Conv2D(16, 5, activation='relu')` is 16 filters of 5x5; `layers.MaxPooling2D(2)` halves the "
            "size; the last layer is `layers.Dense(10, activation='softmax')`.",
            "Shapes: 28 -> 24 (5x5 conv) -> 12 -> 10 (3x3 conv) -> 5, so Flatten gives 5*5*32 = 800 values.",
        ],
        solution=SMALL_CNN_SOLUTION,
        **catalogue.SMALL_CNN,
    ),
    Value(
        "param_counts", (18_496, 204_928),
        title="Parameters of Conv2D(64, 3x3) on 32 channels, and of Dense(128) on a flattened 5x5x64 map",
        hints=[
            "Each filter has one weight per input value it sees (3*3*32) plus one bias.",
            "Conv2D: (3*3*32 + 1) * 64. Dense: (inputs + 1) * units, with inputs = 5*5*64 = 1600.",
        ],
        solution="param_counts = ((3 * 3 * 32 + 1) * 64, (5 * 5 * 64 + 1) * 128)  # (18496, 204928)",
        **catalogue.PARAM_COUNTS,
    ),
    LossChoice(
        "loss_for_onehot", LOSS_OPTIONS, "categorical_crossentropy", read=loss_name,
        title="Which loss fits labels shaped (N, 10), one-hot like [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]?",
        hints=["One-hot labels are already probability vectors with a single 1.",
               "The 'sparse' variant is for integer labels; this one is for one-hot rows."],
        **catalogue.LOSS_FOR_ONEHOT,
    ),
    TrainedModel(
        "trained_model", floor=accuracy_floor,
        title="Train a CNN that reaches the accuracy floor on held-out digits no notebook loads",
        hints=[
            "Compile with `loss='sparse_categorical_crossentropy'` for integer labels and train a few epochs.",
            "`models.classic_b()` trained for 5 epochs on 5,000 digits (scaled to [0, 1]) is enough.",
        ],
        solution="""\
trained_model = models.compile_for(models.classic_b())  # Adam + sparse categorical cross-entropy
trained_model.fit(x_fit, y_fit, epochs=5, batch_size=64, validation_data=(x_val, y_val), verbose=0,
                  callbacks=[course_utils.progress_bar()])""",
        **nb03_trained.TRAINED_MODEL,
    ),
]
