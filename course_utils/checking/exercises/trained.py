"""Answers that are trained Keras MNIST classifiers, scored on digits the notebooks never load.

The score comes from ``course_utils.heldout`` (test digits that ``data.load_mnist()`` never returns), fed the
way the model expects: the model is tried on pixels scaled to [0, 1] and on raw 0-255 pixels, and the feed with
the lower cross-entropy is the one it was trained on. A model that expects raw pixels must rescale them itself
(a ``Rescaling`` layer, or a ``Normalization`` adapted on raw pixels), since the course feeds scaled images.
The advice fits the cause: not trained, unscaled inputs, inputs scaled to [-1, 1], inputs scaled twice, no
convolution layer, or too little training. A model that has *memorised* the notebook's test digits (it scores far
better on them than on the held-out ones) is told so; a model trained briefly on the test digits is not
detectable (a CNN trained for a few epochs does not memorise them: measured in the review of 2026-12-07), which
is why the score itself is taken on the held-out digits.
"""

import contextlib
import io
import math

import numpy as np

from course_utils.checking.exercises.compare import Problem, describe
from course_utils.checking.exercises.core import Exercise

#: How many test digits the notebook holds (and the check compares with): notebook 03's fast ``N_TEST``.
NOTEBOOK_TEST_DIGITS = 2_000


def _sublayers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _sublayers(layer)


def rescales_itself(model):
    """True when ``model`` expects raw 0-255 pixels: it holds a ``Rescaling`` layer that shrinks its input, or a
    ``Normalization`` layer adapted on raw pixels."""
    for layer in _sublayers(model):
        kind = type(layer).__name__
        if kind == "Rescaling" and np.all(np.abs(np.asarray(layer.scale, dtype=float)) < 0.5):
            return True
        if kind == "Normalization":
            try:
                if float(np.max(np.asarray(layer.mean))) > 1.5:
                    return True
            except Exception:  # noqa: BLE001 - a layer without adapted statistics
                continue
    return False


def has_convolution(model):
    """True when ``model`` holds a convolution layer (``Conv2D``, ``SeparableConv2D``, ``DepthwiseConv2D`` ...),
    nested models included."""
    return any("Conv" in type(layer).__name__ for layer in _sublayers(model))


def training_steps(model):
    """How many optimizer steps ``model`` was trained for (0 when never fitted; ``None`` if unknown)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return 0
    try:
        return int(np.asarray(optimizer.iterations))
    except Exception:  # noqa: BLE001
        return None


def logits_with_probability_loss(model):
    """True when ``model`` outputs raw scores (its last layer has no softmax or sigmoid) but was compiled with a
    cross-entropy that expects probabilities (a loss name, or a loss object with ``from_logits=False``)."""
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        name, from_logits = loss, False
    elif loss is not None:
        name, from_logits = type(loss).__name__, bool(getattr(loss, "from_logits", False))
    else:
        return False
    if "crossentropy" not in name.replace("_", "").casefold() or from_logits:
        return False
    layers = [layer for layer in getattr(model, "layers", []) if type(layer).__name__ not in ("Dropout", "Flatten")]
    if not layers:
        return False
    last = layers[-1]
    if type(last).__name__ in ("Softmax",):
        return False
    activation = getattr(getattr(last, "activation", None), "__name__", "linear")
    return activation in ("linear", "relu")


def model_scores(model, images, labels):
    """``(accuracy, cross-entropy)`` of ``model`` on ``images``; ``(nan, nan)`` when it predicts NaN. Outputs that
    are not probabilities go through a softmax first (logits); outputs in [0, 1] that do not add up to 1 (one
    sigmoid per class) are divided by their sum."""
    outputs = np.asarray(model.predict(images, batch_size=500, verbose=0), dtype=np.float64).reshape(len(labels), -1)
    if not np.all(np.isfinite(outputs)):
        return math.nan, math.nan
    if outputs.min() < 0 or outputs.max() > 1 + 1e-6:
        shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
        outputs = shifted / shifted.sum(axis=1, keepdims=True)
    elif not np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3):
        outputs = (outputs + 1e-12) / (outputs + 1e-12).sum(axis=1, keepdims=True)
    accuracy = float((outputs.argmax(axis=1) == labels).mean())
    loss = float(-np.log(np.clip(outputs[np.arange(len(labels)), labels], 1e-12, 1.0)).mean())
    return accuracy, loss


def _memorised(seen, unseen, n_seen, n_unseen):
    """True when accuracy ``seen`` (on the notebook's test digits) is far above ``unseen`` (held-out digits):
    more than 2 points and more than 3.5 standard errors of the difference."""
    pooled = (seen * n_seen + unseen * n_unseen) / (n_seen + n_unseen)
    spread = math.sqrt(max(pooled * (1 - pooled), 1e-4) * (1 / n_seen + 1 / n_unseen))
    return seen - unseen > max(0.02, 3.5 * spread)


class TrainedModel(Exercise):
    """The answer is a trained Keras MNIST model; it passes when its accuracy on the held-out digits
    (``course_utils.heldout``) reaches ``floor()`` and it was not trained on the notebook's test digits."""

    kind = "trained model"

    def __init__(self, id, *, floor, **options):
        super().__init__(id, **options)
        self.floor = floor
        self._data = {}

    # --- data ---------------------------------------------------------------------------------------
    def heldout_digits(self):
        """``(x, y)``: the held-out digits, uint8 ``(N, 28, 28)`` and labels."""
        if "heldout" not in self._data:
            from course_utils import heldout

            with contextlib.redirect_stdout(io.StringIO()):  # no "Downloading ..." line from Keras offline
                x, y, _ = heldout.load_mnist_heldout()
            self._data["heldout"] = x, y
        return self._data["heldout"]

    def notebook_digits(self):
        """``(x, y)``: test digits the notebook holds (its fast-mode subset; part of all it holds otherwise)."""
        if "notebook" not in self._data:
            from course_utils import data

            with contextlib.redirect_stdout(io.StringIO()):  # no "asked for more than there is" note
                _, (x, y) = data.load_mnist(n_train=10, n_test=NOTEBOOK_TEST_DIGITS, verbose=False)
            self._data["notebook"] = x, y
        return self._data["notebook"]

    @staticmethod
    def _feed(model, images, raw):
        x = images.astype("float32") if raw else images.astype("float32") / 255.0
        return x.reshape((len(x), *tuple(model.input_shape[1:])))

    @staticmethod
    def _symmetric_feed(model, images):
        """Pixels scaled to [-1, 1] (``x / 127.5 - 1``), another common convention."""
        x = images.astype("float32") / 127.5 - 1.0
        return x.reshape((len(x), *tuple(model.input_shape[1:])))

    # --- the check ----------------------------------------------------------------------------------
    def _evaluate(self, answer):
        import keras

        if type(answer).__name__ == "History":
            return Problem("not_a_model", "You passed what `fit` returns: a History (the loss and accuracy of each "
                           "epoch, in `.history`), not the model. `fit` trains the model in place: call "
                           "`trained_model.fit(...)` on its own line and check `trained_model` itself.")
        if not isinstance(answer, keras.Model):
            return Problem("not_a_model", f"Pass your trained Keras model, not {describe(answer)}.")
        problem = self._shape_problem(answer)
        if problem:
            return problem
        x, y = self.heldout_digits()
        scaled, raw = model_scores(answer, self._feed(answer, x, False), y), model_scores(answer, self._feed(answer, x, True), y)
        if math.isnan(scaled[0]) and math.isnan(raw[0]):
            return Problem("nan", "Your model predicts NaN: training diverged. Lower the learning rate and "
                           "train again.")
        expects_raw = math.isnan(scaled[1]) or raw[1] < scaled[1]  # the feed it was trained on fits it best
        steps = training_steps(answer)
        if steps != 0:  # a model never fitted was not trained on any feed
            problem = self._scaling_problem(rescales_itself(answer), expects_raw, scaled[0], raw[0])
            if problem:
                return problem
            problem = self._symmetric_problem(answer, x, y, raw if expects_raw else scaled)
            if problem:
                return problem
        accuracy = scaled[0]  # scored on what the notebook gives it: digits scaled to [0, 1], nothing else
        x_seen, y_seen = self.notebook_digits()
        seen = model_scores(answer, self._feed(answer, x_seen, False), y_seen)[0]
        if not math.isnan(seen) and _memorised(seen, accuracy, len(y_seen), len(y)):
            return Problem("wrong", f"Your model scores {seen:.1%} on the test digits this notebook loads but only "
                           f"{accuracy:.1%} on {len(y):,} digits it has never seen: it has memorised test digits, "
                           f"so it looks trained on the test digits (x_test). Train on the training split (x_fit, "
                           f"y_fit), validate on x_val, and use the test digits only for the final evaluation.")
        if not has_convolution(answer):
            return Problem("wrong", "Your model has no convolution layer: the exercise asks for a CNN. Start from "
                           "`models.classic_b()` (Conv2D and MaxPooling2D layers, then Dense), or add "
                           "`layers.Conv2D(...)` layers before `Flatten`.")
        floor = self.floor()
        if accuracy >= floor:
            return None
        problem = self._usage_problem(answer, x, y, accuracy, raw[0])
        if problem:
            return problem
        if steps == 0 and accuracy < 0.5:
            return Problem("wrong", "Your model has not been trained yet: compile it and call "
                           "`fit(x_fit, y_fit, ...)` before checking it.")
        if logits_with_probability_loss(answer):
            return Problem("too_low", f"Your model's accuracy on {len(y):,} digits it never saw is {accuracy:.1%}, "
                           f"below the floor of {floor:.0%}. Its last layer gives raw scores (no softmax), but its "
                           f"loss expects probabilities: add `activation='softmax'` to the last Dense layer, or "
                           f"compile with `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`, then "
                           f"train again.")
        return Problem("too_low", self._too_low_message(accuracy, floor, None if steps == 0 else steps, len(y)))

    def _usage_problem(self, model, x, y, accuracy, on_raw):
        """A trained model used another way than the notebook uses it: it needs raw 0-255 pixels (a Rescaling
        layer of its own, or trained unscaled), inverted images, or its outputs are the digits in another order."""
        if not math.isnan(on_raw) and on_raw > accuracy + 0.3:
            inside = (" It has its own Rescaling (or Normalization) layer, so it divides the scaled pixels by 255 "
                      "once more: remove that layer (or do not wrap the trained model in one)."
                      if rescales_itself(model) else " Train it on x_fit (divided by 255).")
            return Problem("wrong", f"Your model works on raw 0-255 pixels ({on_raw:.1%}) but not on pixels scaled "
                           f"to [0, 1] ({accuracy:.1%}), which is what the notebook gives it (x_fit, x_val and "
                           f"x_test are divided by 255).{inside}")
        inverted = model_scores(model, 1.0 - self._feed(model, x, False), y)[0]
        if not math.isnan(inverted) and inverted > accuracy + 0.3:
            return Problem("wrong", f"Your model recognises inverted digits (1 - x: dark strokes on white, "
                           f"{inverted:.1%}) but not the digits as the notebook gives them (white strokes on "
                           f"black, {accuracy:.1%}). Train it on x_fit as it is.")
        outputs = np.asarray(model.predict(self._feed(model, x, False), batch_size=500, verbose=0))
        predicted = outputs.reshape(len(y), -1).argmax(axis=1)
        mapping = {int(k): int(np.bincount(y[predicted == k], minlength=10).argmax())
                   for k in np.unique(predicted)}
        remapped = float(np.mean([mapping[int(k)] == label for k, label in zip(predicted, y, strict=True)]))
        moved = sorted(k for k, digit in mapping.items() if k != digit)
        if remapped > accuracy + 0.3 and moved:
            k = moved[0]
            return Problem("wrong", f"Your model knows the digits but its outputs are in another order: output "
                           f"{k} mostly fires for the digit {mapping[k]} (accuracy {remapped:.1%} once the outputs "
                           f"are renamed, {accuracy:.1%} as they are). Output i must be the digit i: train on the "
                           f"labels y_fit as they are (not shifted, reversed or re-coded).")
        return None

    def _shape_problem(self, model):
        try:
            shape, outputs = tuple(model.input_shape[1:]), model.output_shape[-1]
        except Exception:  # noqa: BLE001 - a Sequential model without Input, never fitted
            return Problem("wrong", "Your model has not been built or trained yet (it does not know its input "
                           "shape): compile it and call `fit(...)` before checking it.")
        if int(np.prod([d or 0 for d in shape])) != 28 * 28 or outputs != 10:
            return Problem("wrong_shape", f"Your model takes {shape} and gives {outputs} outputs; it should take "
                           f"(28, 28, 1) images and give 10 outputs, one per digit.")
        return None

    def _symmetric_problem(self, model, x, y, best):
        """A model that fits pixels in [-1, 1] clearly better than the feed it is checked on."""
        accuracy, loss = model_scores(model, self._symmetric_feed(model, x), y)
        if math.isnan(loss) or math.isnan(best[1]) or not (loss < 0.5 * best[1] and accuracy > best[0] + 0.05):
            return None
        return Problem("wrong", f"Your model was trained on pixels scaled to [-1, 1] (x / 127.5 - 1): it fits them "
                       f"far better ({accuracy:.1%}) than pixels scaled to [0, 1], which is how the course feeds it "
                       f"({best[0]:.1%}). Train it on x_fit (divided by 255), or put "
                       f"`layers.Rescaling(1 / 127.5, offset=-1)` first in the model and train on raw pixels.")

    @staticmethod
    def _scaling_problem(rescales, expects_raw, on_scaled, on_raw):
        """Inputs scaled the wrong way: a model without its own Rescaling that fits raw 0-255 pixels best (it was
        trained on unscaled inputs), or one with a Rescaling layer that fits pixels already in [0, 1]."""
        if expects_raw and not rescales:
            return Problem("wrong", f"Your model was trained on unscaled inputs (raw 0-255 pixels): it fits them "
                           f"better than pixels scaled to [0, 1], which is how the course feeds it (accuracy "
                           f"{on_raw:.1%} raw, {on_scaled:.1%} scaled). Train it on x_fit (divided by 255), or put "
                           f"`layers.Rescaling(1 / 255)` first in the model.")
        if rescales and not expects_raw:
            return Problem("wrong", f"Your model has its own Rescaling (or Normalization) layer, yet it fits pixels "
                           f"already scaled to [0, 1] best ({on_scaled:.1%}, raw: {on_raw:.1%}): it scales the "
                           f"inputs twice. Train it on the raw pixels, or remove the layer.")
        return None

    def _too_low_message(self, accuracy, floor, steps, n):
        start = (f"Your model's accuracy on {n:,} digits it never saw is {accuracy:.1%}, below the floor of "
                 f"{floor:.0%}.")
        guessing = (f"{start} That is close to guessing: check that the labels match the images, the loss "
                    f"matches the labels (integers: sparse_categorical_crossentropy) and the learning rate is "
                    f"not too large.")
        if accuracy < 0.2 and (steps is None or steps >= 50):
            return guessing
        if steps is not None and steps < 200:
            return (f"{start} It was trained for only {steps} steps (batches): train for more epochs, or on "
                    f"more digits.")
        if accuracy < 0.2:
            return guessing
        return f"{start} Train for more epochs, use more training digits, or try a hint()."

    def _correct_message(self):
        return (f"Correct: your model reaches the accuracy floor of {self.floor():.0%} on held-out digits that "
                f"no notebook loads.")

    def _reference_answer(self):
        from course_utils.building import models

        return models.quick_mnist_model(verbose=False)


__all__ = ["NOTEBOOK_TEST_DIGITS", "TrainedModel", "has_convolution", "logits_with_probability_loss",
           "rescales_itself", "training_steps"]
