"""Exercises of notebook 03 (an MNIST CNN): build an architecture, count parameters, pick the loss,
train a model to an accuracy floor."""

import re

from course_utils import paths
from course_utils.checking.exercises import Choice, Model, Value
from course_utils.checking.exercises.compare import Problem
from course_utils.checking.exercises.misconceptions import nb03 as catalogue
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


_LOSS_ALIASES = {"mse": "meansquarederror", "cce": "categoricalcrossentropy", "bce": "binarycrossentropy"}


def _letters(text):
    return re.sub(r"[^a-z]", "", str(text).casefold())


def _keras_loss_name(answer):
    """The name of a Keras loss (a ``keras.losses.Loss`` instance or class, or a function of ``keras.losses``);
    ``None`` for anything else, a ``keras.metrics`` object included (it cannot train a model)."""
    import keras

    if isinstance(answer, type):
        return answer.__name__ if issubclass(answer, keras.losses.Loss) else None
    if isinstance(answer, keras.losses.Loss):
        return answer.name
    name = getattr(answer, "__name__", None)
    if isinstance(name, str) and getattr(keras.losses, name, None) is answer:
        return name
    return None


def is_metric(answer):
    """True for a ``keras.metrics.Metric`` object or class (a loss's look-alike that ``fit`` cannot train with)."""
    if isinstance(answer, str) or answer is None:
        return False
    import keras

    kind = answer if isinstance(answer, type) else type(answer)
    return issubclass(kind, keras.metrics.Metric) and not issubclass(kind, keras.losses.Loss)


def loss_name(answer):
    """The option a loss answer names: a Keras loss object (``CategoricalCrossentropy()``), class or function
    (``keras.losses.categorical_crossentropy``), or its name in any spelling ("Categorical cross-entropy",
    "mse"); ``None`` for anything else (a ``keras.metrics`` object: it is not a loss)."""
    name = answer if isinstance(answer, str) else _keras_loss_name(answer)
    if not name:
        return None
    key = _LOSS_ALIASES.get(_letters(name), _letters(name))
    return next((option for option in LOSS_OPTIONS if _letters(option) == key), None)


class LossChoice(Choice):
    """The loss exercise: a ``keras.metrics`` object is told that it is a metric, not a loss."""

    def _evaluate(self, answer):
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
        **catalogue.TRAINED_MODEL,
    ),
]
