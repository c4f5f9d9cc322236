"""Exercises of notebook 03 (an MNIST CNN): build an architecture, count parameters, pick the loss,
train a model to an accuracy floor."""

from course_utils import paths
from course_utils.exercises import Choice, Exercise, Model, Problem, Value
from course_utils.exercises.compare import describe

NOTEBOOK = "03_mnist_cnn"

# Accuracy the trained model must reach on 2,000 test digits (fast mode: tests, `course run --fast`).
ACCURACY_FLOOR = 0.96
FAST_ACCURACY_FLOOR = 0.90


def build_small_cnn():
    """Conv(16, 5x5) - MaxPool(2) - Conv(32, 3x3) - MaxPool(2) - Flatten - Dense(10, softmax): 10,682 params."""
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


def accuracy_floor():
    """The floor ``trained_model`` must reach: 0.96, or 0.90 in fast mode."""
    return FAST_ACCURACY_FLOOR if paths.fast_mode() else ACCURACY_FLOOR


class TrainedModel(Exercise):
    """The answer is a trained Keras MNIST model; it passes when its accuracy on ``n_test`` test digits
    (that it never saw in training) reaches ``accuracy_floor()``."""

    kind = "trained model"

    def __init__(self, id, *, n_test=2000, **options):
        super().__init__(id, **options)
        self.n_test = n_test
        self._test = None

    def _test_data(self):
        if self._test is None:
            from course_utils import data, models

            _, (x, y) = data.load_mnist(n_train=10, n_test=self.n_test, verbose=False)
            self._test = models.prepare_images(x), y
        return self._test

    def _evaluate(self, answer):
        import keras
        import numpy as np

        if not isinstance(answer, keras.Model):
            return Problem("not_a_model", f"Pass your trained Keras model, not {describe(answer)}.")
        if tuple(answer.input_shape[1:]) != (28, 28, 1) or answer.output_shape[-1] != 10:
            return Problem("wrong_shape", f"Your model takes {tuple(answer.input_shape[1:])} and gives "
                           f"{answer.output_shape[-1]} outputs; it should take (28, 28, 1) images and give 10.")
        x, y = self._test_data()
        probs = np.asarray(answer.predict(x, batch_size=500, verbose=0))
        if not np.all(np.isfinite(probs)):
            return Problem("nan", "Your model predicts NaN: training diverged. Lower the learning rate and train "
                           "again.")
        accuracy = float((probs.argmax(axis=1) == y).mean())
        floor = accuracy_floor()
        if accuracy >= floor:
            return None
        return Problem("too_low", f"Your model's test accuracy is {accuracy:.2%}, below the floor of {floor:.0%}. "
                       f"Train for more epochs, use more training images, or try a hint().")

    def _correct_message(self):
        return f"Correct: your model reaches the accuracy floor of {accuracy_floor():.0%} on unseen test digits."

    def _reference_answer(self):
        from course_utils import models

        return models.quick_mnist_model(verbose=False)


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
    ),
    Value(
        "param_counts", (18_496, 204_928),
        title="Parameters of Conv2D(64, 3x3) on 32 channels, and of Dense(128) on a flattened 5x5x64 map",
        hints=[
            "Each filter has one weight per input value it sees (3*3*32) plus one bias.",
            "Conv2D: (3*3*32 + 1) * 64. Dense: (inputs + 1) * units, with inputs = 5*5*64 = 1600.",
        ],
        solution="param_counts = ((3 * 3 * 32 + 1) * 64, (5 * 5 * 64 + 1) * 128)  # (18496, 204928)",
    ),
    Choice(
        "loss_for_onehot",
        ["sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
         "mean_squared_error"],
        "categorical_crossentropy",
        title="Which loss fits labels shaped (N, 10), one-hot like [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]?",
        explanations={
            "sparse_categorical_crossentropy": "The 'sparse' loss expects one integer per image (shape (N,)), "
                                               "not one-hot rows.",
            "binary_crossentropy": "Binary cross-entropy treats the 10 outputs as 10 independent yes/no "
                                   "questions; a digit is exactly one of 10 classes.",
            "mean_squared_error": "It trains, but slowly: cross-entropy is the loss that matches softmax "
                                  "probabilities.",
        },
        hints=["One-hot labels are already probability vectors with a single 1.",
               "The 'sparse' variant is for integer labels; this one is for one-hot rows."],
    ),
    TrainedModel(
        "trained_model",
        title="Train a CNN that reaches the accuracy floor on unseen test digits",
        hints=[
            "Compile with `loss='sparse_categorical_crossentropy'` for integer labels and train a few epochs.",
            "`models.classic_b()` trained for 5 epochs on 5,000 digits (scaled to [0, 1]) is enough.",
        ],
        solution="""\
trained_model = models.compile_for(models.classic_b())  # Adam + sparse categorical cross-entropy
trained_model.fit(x_train_s, y_train, epochs=5, batch_size=64, validation_split=0.1, verbose=0,
                  callbacks=[course_utils.progress_bar()])""",
    ),
]
