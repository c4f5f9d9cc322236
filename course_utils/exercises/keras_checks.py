"""Checkers for answers that are functions of Keras objects (notebook 05): ``with_augmentation(model)`` and
``residual_block(x, filters, stride)``.

Both are checked by behaviour on small inputs built here, never by reading the code: outputs in training and
inference mode, called twice and on parts of the batch, with some weights set to known values (3x3 kernels at
zero, BatchNorm's gamma at 1 and beta at +1). Layer types are read only to name a diagnosis (a Concatenate,
where the stride sits).
"""

import math
import re

import numpy as np

from course_utils.exercises import Exercise, Problem
from course_utils.exercises.compare import describe
from course_utils.exercises.core import reference_source
from course_utils.exercises.functions import call_with_time_limit, describe_error, is_placeholder
from course_utils.transfer import _all_layers

_CACHE = {}


def _base_model():
    """A small functional CNN with fixed weights, 12x12x1 -> 4 softmax outputs (for with_augmentation)."""
    if "base" not in _CACHE:
        import keras

        keras.utils.set_random_seed(5)
        inputs = keras.Input((12, 12, 1), name="picture")
        x = keras.layers.Conv2D(4, 3, activation="relu", name="check_conv")(inputs)
        x = keras.layers.Flatten(name="check_flatten")(x)
        outputs = keras.layers.Dense(4, activation="softmax", name="check_output")(x)
        _CACHE["base"] = keras.Model(inputs, outputs, name="check_model")
    return _CACHE["base"]


def _pixels_model():
    """A model without weights that returns its 20x20x1 input flattened: what the augmentation shows it."""
    import keras

    return keras.Sequential([keras.Input((20, 20, 1)), keras.layers.Flatten()], name="pixels")


def _images(shape, n=6, seed=0):
    """Random images with a bright left half, so that a horizontal flip changes them."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, *shape)).astype("float32") * 0.3
    x[:, :, : shape[1] // 2] += 0.7
    return x


class KerasFunction(Exercise):
    """The answer is a function of Keras objects; subclasses implement ``_evaluate_function``."""

    kind = "function"

    def __init__(self, id, reference, *, time_limit=60.0, **options):
        super().__init__(id, **options)
        self.reference = reference
        self.time_limit = time_limit

    def _reference_answer(self):
        return self.reference

    def _reference_source(self):
        return reference_source(self.reference)

    def _empty_body_message(self):
        return (f"Write the body of your function (in place of `# YOUR CODE HERE` or `raise NotImplementedError()`), "
                f"run the cell, then check again. Stuck? Try `ex.{self.id}.hint()`.")

    def _call(self, function, *args):
        """``(value, None)`` or ``(None, Problem)``."""
        outcome = call_with_time_limit(function, args, {}, self.time_limit)
        if outcome.timed_out:
            return None, Problem("timeout", f"Your function took longer than {self.time_limit:g} s.")
        if outcome.error is not None:
            if isinstance(outcome.error, NotImplementedError):
                return None, Problem("not_attempted", self._empty_body_message())
            return None, Problem("error", f"Your function raised {describe_error(outcome.error)}.")
        if outcome.value is None:
            return None, Problem("returned_none", "Your function returned None: did you forget `return`?")
        return outcome.value, None

    def _evaluate(self, answer):
        if not callable(answer):
            return Problem("wrong_type", f"Your answer should be a function (`def {self.name}(...):`), not "
                           f"{describe(answer)}. Pass the function itself, without calling it.")
        if is_placeholder(answer):
            return Problem("not_attempted", self._empty_body_message())
        return self._evaluate_function(answer)


# ------------------------------------------------------------------------ with_augmentation(model)

class _Outputs:
    """Inference outputs as a fact that compares with ``np.allclose`` (None when not worth comparing)."""

    def __init__(self, array=None):
        self.array = array

    def __eq__(self, other):
        if not isinstance(other, _Outputs) or (self.array is None) != (other.array is None):
            return False
        return self.array is None or (self.array.shape == other.array.shape
                                      and np.allclose(self.array, other.array, atol=1e-5))


def _shifted(image, dy, dx):
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = image[max(-dy, 0):h + min(-dy, 0),
                                                                      max(-dx, 0):w + min(-dx, 0)]
    return out


def _best_transform(view, image):
    """``(flip, dy, dx)`` of the flip ("", "h", "v", "hv") and shift (up to 3 px) that best explains ``view``
    as a moved copy of ``image`` (by correlation; a change of pixel values alone keeps ``("", 0, 0)``)."""
    flips = {"": image, "h": image[:, ::-1], "v": image[::-1], "hv": image[::-1, ::-1]}
    view = view - view.mean()
    if not np.any(view):
        return ("", 0, 0)
    scores = {}
    for flip, flipped in flips.items():
        for dy in range(-3, 4):
            for dx in range(-3, 4):
                moved = _shifted(flipped, dy, dx)
                moved = moved - moved.mean()
                scores[flip, dy, dx] = float((view * moved).sum()
                                             / (np.linalg.norm(view) * np.linalg.norm(moved) + 1e-12))
    best = max(scores, key=scores.get)
    return best if scores[best] > scores["", 0, 0] + 0.05 else ("", 0, 0)


def augmentation_content(function, time_limit=60.0):
    """What ``function`` does to images in training: ``(moves, flips_vertically, largest_value)``, from three
    training-mode draws on random 20x20 images in [0, 1] passed through a model that shows its input. ``None``
    when the function cannot be called that way."""
    import keras

    outcome = call_with_time_limit(function, (_pixels_model(),), {}, time_limit)
    if outcome.error is not None or outcome.timed_out or not isinstance(outcome.value, keras.Model):
        return None
    x = np.random.default_rng(3).random((16, 20, 20, 1)).astype("float32")
    try:
        keras.utils.set_random_seed(13)
        draws = [np.asarray(outcome.value(x, training=True)).reshape(x.shape) for _ in range(3)]
    except Exception:  # noqa: BLE001 - reported by the main check
        return None
    moves = vertical = False
    for draw in draws:
        for view, image in zip(draw[..., 0], x[..., 0], strict=True):
            flip, dy, dx = _best_transform(view, image)
            moves = moves or (flip, dy, dx) != ("", 0, 0)
            vertical = vertical or "v" in flip
    largest = float(max(np.abs(d).max() for d in draws))
    return (moves, vertical, round(largest) if largest > 2 else 1)


class Augmentation(KerasFunction):
    """``with_augmentation(model)`` must return a Keras model that (1) in inference mode gives exactly
    ``model``'s outputs, (2) in training mode changes them at random, (3) uses ``model``'s own weights, (4)
    applies the randomness before ``model``, and (5) flips or shifts the images (horizontally), keeping their
    values in range."""

    def __init__(self, id, reference, **options):
        super().__init__(id, reference, **options)
        self._known = {}  # id of a catalogued wrong function -> its behaviour

    def _behaviour(self, function):
        """What the answer does on the test model: ``("error", status, text)``, ``("not_a_model", kind)`` or
        the facts ``(same_at_inference, deterministic_at_inference, changes_in_training, shares_weights,
        outputs_probabilities, inference_outputs, content)`` (the outputs only when they are fixed but wrong;
        ``content`` from ``augmentation_content``)."""
        import keras

        base = _base_model()
        new, problem = self._call(function, base)
        if problem:
            return ("error", problem.status, problem.message)
        if not isinstance(new, keras.Model):
            return ("not_a_model", type(new).__name__)
        x = _images(base.input_shape[1:], n=16)
        reference = np.asarray(base(x, training=False))
        keras.utils.set_random_seed(11)
        try:
            first = np.asarray(new(x, training=False))
            second = np.asarray(new.predict(x, verbose=0))
        except Exception as err:  # noqa: BLE001 - a model that cannot run on images is reported
            return ("error", "error", f"Calling the model your function returned raised {describe_error(err)}. "
                    f"Random augmentation layers act on images: put them before `model`, on its input.")
        same = bool(first.shape == reference.shape and np.allclose(first, reference, atol=1e-5)
                    and np.allclose(second, reference, atol=1e-5))
        deterministic = bool(first.shape == second.shape and np.allclose(first, second, atol=1e-5))
        draws = [np.asarray(new(x, training=True)) for _ in range(3)]
        changes = any(d.shape != reference.shape or not np.allclose(d, reference, atol=1e-5) for d in draws)
        own = {id(v) for v in base.weights}
        shares = bool(own) and own <= {id(v) for v in new.weights}
        probabilities = all(d.shape == reference.shape and np.allclose(d.sum(axis=-1), 1.0, atol=1e-4)
                            for d in draws)
        wrong_but_fixed = deterministic and not same  # recognised by its outputs, not by its facts alone
        content = augmentation_content(function, self.time_limit) if same and changes else None
        return (same, deterministic, changes, shares, probabilities, _Outputs(first if wrong_but_fixed else None),
                content)

    def _known_behaviour(self, wrong):
        if id(wrong) not in self._known:
            self._known[id(wrong)] = self._behaviour(wrong)
        return self._known[id(wrong)]

    def _evaluate_function(self, answer):
        facts = self._behaviour(answer)
        if facts[0] == "error":
            return Problem(facts[1], facts[2].replace("Your function", "with_augmentation(model)"))
        if facts[0] == "not_a_model":
            return Problem("not_a_model", f"Your function should return a keras.Model, not a {facts[1]}. Wrap "
                           f"the layers: `keras.Model(inputs, model(x))` or `keras.Sequential([...])`.")
        content = facts[6]
        if facts[:5] == (True, True, True, True, True) and content and content[0] and not content[1] \
                and content[2] == 1:
            return None
        recognised = self.diagnose(lambda wrong: self._known_behaviour(wrong) == facts)
        if recognised:
            return recognised
        same, _, varies, shares, probabilities = facts[:5]
        if not shares:
            return Problem("wrong", "Your model does not use `model`'s own weights: call the model you were "
                           "given on the augmented input, `model(x)`, instead of building or copying one.")
        if not same:
            return Problem("wrong", "In inference mode (`predict`, or `training=False`) your model's outputs "
                           "differ from `model`'s: augmentation must be off at inference.")
        if not varies:
            return Problem("wrong", "In training mode your model gives exactly `model`'s outputs: no random "
                           "augmentation is active in training.")
        if not probabilities:
            return Problem("wrong", "Your model changes `model`'s outputs after the fact: the random layers "
                           "belong before `model`, on the images.")
        return _content_problem(content)


def _content_problem(content):
    if content is None:
        return Problem("wrong", "Your function does not work with another model (the checker also passes a "
                       "20x20 one): build the input from `model.input_shape[1:]` and call `model(x)`.")
    moves, vertical, largest = content
    if largest > 1:
        return Problem("wrong", f"In training your augmentation gives pixel values up to {largest}, far outside "
                       f"the images' range [0, 1]: RandomBrightness and RandomContrast assume "
                       f"value_range=(0, 255) by default. Pass value_range=(0, 1) for images scaled to [0, 1] "
                       f"(and the task asks for flips and shifts).")
    if vertical:
        return Problem("wrong", "Your augmentation turns images upside down (a vertical flip): clothes are "
                       "never photographed upside down, so the model trains on images unlike the test images. "
                       "Flip horizontally only: RandomFlip('horizontal').")
    return Problem("wrong", "In training your augmentation never flips or shifts the images (checked on random "
                   "test images): the task asks for random flips and shifts, RandomFlip('horizontal') and "
                   "RandomTranslation. Noise, dropout, brightness or contrast change pixel values, not their "
                   "positions.")


# ------------------------------------------------------------------------ residual_block(x, filters, stride)

RESIDUAL_CASES = [  # (input shape without the batch, filters, stride, note)
    ((8, 8, 16), 16, 1, "same channels, stride 1: the identity shortcut"),
    ((8, 8, 16), 32, 1, "16 -> 32 channels, stride 1"),
    ((9, 9, 16), 32, 2, "16 -> 32 channels, stride 2 on an odd size"),
    ((7, 5, 8), 8, 2, "same channels, stride 2, non-square"),
]


def _probe_batch(shape, index):
    """4 random inputs with different scales and offsets, so that their batch statistics differ."""
    x = np.random.default_rng(index).normal(0.0, 1.0, (4, *shape)).astype("float32")
    scale = np.array([1.0, 3.0, 0.5, 2.0], "float32").reshape(4, 1, 1, 1)
    return x * scale + np.array([0.0, 1.0, -0.5, 0.3], "float32").reshape(4, 1, 1, 1)


def _inference(model, x):
    """``"random"`` when two inference calls differ, ``"batch"`` when an image's output depends on the rest of
    its batch, else ``"ok"``."""
    first, second = np.asarray(model(x, training=False)), np.asarray(model(x, training=False))
    if not np.allclose(first, second, atol=1e-5):
        return "random"
    for part in (slice(0, 1), slice(1, 3)):
        if not np.allclose(np.asarray(model(x[part], training=False)), first[part], atol=1e-4, rtol=1e-4):
            return "batch"
    return "ok"


def _fill(variable, value):
    variable.assign(np.full(tuple(variable.shape), value, dtype=str(variable.dtype)))


def _set_shifts(norms, spatial, value):
    """BatchNorm's beta and the 3x3 convolutions' biases at ``value``."""
    for layer in norms:
        if getattr(layer, "beta", None) is not None:
            _fill(layer.beta, value)
    for layer in spatial:
        if getattr(layer, "bias", None) is not None:
            _fill(layer.bias, value)


def _x_plus_constant(x, y):
    """True when ``y`` is ``x + c`` or ``ReLU(x + c)``, with one constant ``c`` per channel."""
    if y.shape != x.shape:
        return False
    flat_x, flat_y = x.reshape(-1, x.shape[-1]), y.reshape(-1, y.shape[-1])
    for relu in (False, True):
        offsets = []
        for channel in range(flat_y.shape[1]):
            keep = flat_y[:, channel] > 1e-3 if relu else slice(None)
            diff = (flat_y[:, channel] - flat_x[:, channel])[keep]
            offsets.append(float(np.median(diff)) if diff.size else 0.0)
        predicted = flat_x + np.array(offsets, "float32")
        if np.allclose(flat_y, np.maximum(predicted, 0) if relu else predicted, atol=1e-3, rtol=1e-4):
            return True
    return False


def _what_is_left(x, y):
    """What a block gives with its 3x3 kernels at zero: ``"zero"``, ``"identity"`` (x or ReLU(x)),
    ``"scaled"`` (k x or ReLU(k x), k > 0), ``"negated"`` (k < 0) or ``"other"``."""
    if np.allclose(y, 0.0, atol=1e-6):
        return "zero"
    if y.shape != x.shape:
        return "other"
    for k in (1.0, _factor(x, y)):
        if np.allclose(y, k * x, atol=1e-3) or np.allclose(y, np.maximum(k * x, 0), atol=1e-3):
            return "identity" if k == 1.0 else "scaled" if k > 0 else "negated"
    return "other"


def _factor(x, y):
    keep = (np.abs(x) > 0.1) & (np.abs(y) > 1e-3)
    return float(np.median(y[keep] / x[keep])) if keep.any() else 0.0


class ResidualBlock(KerasFunction):
    """``residual_block(x, filters, stride)`` is called on symbolic inputs of several shapes; its output must
    have the right shape, its inference must be deterministic and independent of the batch, and the shortcut and
    the main path must do their jobs: with every 3x3 kernel at zero what is left is the shortcut (x itself, or its
    1x1 projection), and with random kernels the main path must be able to lower the output (no ReLU before the
    addition)."""

    def __init__(self, id, reference, **options):
        super().__init__(id, reference, **options)
        self._known = {}  # (id of a catalogued wrong function, case index) -> its behaviour

    def _behaviour(self, function, index):
        """``(facts, detail)``: what ``function`` does on case ``index``. ``facts`` is comparable between
        answers: ``("error", type, first line)``, ``("type", name)``, or ``("ok", output shape, inference,
        left, projection, main_used, n_spatial, can_lower, clean_shortcut, stride_first, concatenates)``;
        ``detail`` is the student's error with its line, for messages."""
        import keras

        shape, filters, stride, _ = RESIDUAL_CASES[index]
        inputs = keras.Input(shape)
        outcome = call_with_time_limit(function, (inputs, filters, stride), {}, self.time_limit)
        if outcome.timed_out:
            return ("timeout",), ""
        if outcome.error is not None:
            if isinstance(outcome.error, NotImplementedError):
                return ("not_attempted",), ""
            text = str(outcome.error).strip().splitlines()[0] if str(outcome.error).strip() else ""
            return ("error", type(outcome.error).__name__, text), describe_error(outcome.error)
        out = outcome.value
        if not isinstance(out, keras.KerasTensor):
            return ("type", type(out).__name__), ""
        got = tuple(out.shape[1:])
        if len(got) != 3:
            return ("ok", got) + (None,) * 9, ""
        model = keras.Model(inputs, out)
        x = _probe_batch(shape, index)
        inference = _inference(model, x)
        model(x, training=True)  # one training-mode call, as in fit (BatchNorm updates its moving statistics)
        inference = inference if inference != "ok" else _inference(model, x)
        every = list(_all_layers(model))  # nested models (a keras.Sequential main path) included
        spatial = [layer for layer in every
                   if getattr(layer, "kernel_size", None) is not None and max(layer.kernel_size) > 1]
        norms = [layer for layer in every if isinstance(layer, keras.layers.BatchNormalization)]
        projection = any(getattr(layer, "kernel_size", None) == (1, 1) for layer in every)
        for layer in norms:  # gamma 1 (a zero-initialised gamma hides the main path), moving variance 4
            for name, value in (("gamma", 1.0), ("moving_mean", 0.0), ("moving_variance", 4.0)):
                if getattr(layer, name, None) is not None:
                    _fill(getattr(layer, name), value)
        _set_shifts(norms, spatial, 0.0)
        with_kernels = np.asarray(model(x, training=False))
        for layer in spatial:  # every weight but the bias (depthwise and separable kernels too)
            for weight in layer.weights:
                if weight is not getattr(layer, "bias", None):
                    _fill(weight, 0.0)
        y = np.asarray(model(x, training=False))
        left = _what_is_left(x, y)
        main_used = not np.allclose(with_kernels, y, atol=1e-5)
        positive = y > 0.3  # where the shortcut passes a clearly positive value
        can_lower = bool(not positive.any() or np.any(with_kernels[positive] < y[positive] - 1e-3))
        clean = True
        if stride == 1 and shape[-1] == filters and not projection:
            _set_shifts(norms, spatial, 1.0)  # the main path now gives a constant: x + c, or ReLU(x + c)
            clean = _x_plus_constant(x, np.asarray(model(x, training=False)))
        stride_first = stride == 1 or (bool(spatial) and tuple(spatial[0].strides) == (stride, stride)
                                       and all(tuple(layer.strides) == (1, 1) for layer in spatial[1:]))
        concatenates = any(isinstance(layer, keras.layers.Concatenate) for layer in every)
        return ("ok", got, inference, left, projection, main_used, min(len(spatial), 3), can_lower, clean,
                stride_first, concatenates), ""

    def _known_behaviour(self, wrong, index):
        key = (id(wrong), index)
        if key not in self._known:
            self._known[key] = self._behaviour(wrong, index)[0]
        return self._known[key]

    def _evaluate_function(self, answer):
        history = []
        for index, (shape, filters, stride, note) in enumerate(RESIDUAL_CASES):
            facts, detail = self._behaviour(answer, index)
            history.append(facts)
            problem = self._problem(facts, detail, shape, filters, stride)
            if problem is None:
                continue
            where = (f"With an input of shape (batch, {', '.join(map(str, shape))}), filters={filters}, "
                     f"stride={stride} ({note}): ")
            if problem.status in ("not_attempted", "timeout"):
                return problem
            recognised = self.diagnose(lambda wrong: all(
                self._known_behaviour(wrong, i) == seen for i, seen in enumerate(history)))
            if recognised:
                return Problem(recognised.status, where + recognised.message, detail)
            return Problem(problem.status, where + problem.message, problem.detail)
        return None

    def _problem(self, facts, detail, shape, filters, stride):  # noqa: C901 - one test per sentence
        kind = facts[0]
        if kind == "timeout":
            return Problem("timeout", f"Building the block took longer than {self.time_limit:g} s.")
        if kind == "not_attempted":
            return Problem("not_attempted", self._empty_body_message())
        if kind == "error":
            return Problem("error", f"building the block raised {detail}.{_explain_add_error(facts[2])}")
        if kind == "type":
            return Problem("wrong_type", f"your function returned a {facts[1]}; return the block's output tensor "
                           f"(what the last layer gives), e.g. `return layers.ReLU()(y)`.")
        expected = (math.ceil(shape[0] / stride), math.ceil(shape[1] / stride), filters)
        if facts[1] != expected:
            return Problem("wrong_shape", f"the output has shape (batch, {', '.join(map(str, facts[1]))}), "
                           f"expected (batch, {', '.join(map(str, expected))}).")
        _, _, inference, left, projection, main_used, n_spatial, can_lower, clean, stride_first, concat = facts
        identity_case = stride == 1 and shape[-1] == filters
        if inference == "random":
            return Problem("wrong", "called twice on the same inputs in inference mode (training=False, as in "
                           "predict), your block gives two different outputs: something random at inference "
                           "(a Lambda with keras.random, noise added by hand). A residual block needs no "
                           "randomness; Keras' own random layers switch it off outside training.")
        if inference == "batch":
            return Problem("wrong", "in inference mode an input's output depends on the other inputs of its "
                           "batch (alone it gives another output than inside a batch of 4): your block "
                           "normalises with the batch statistics at inference. Section 3 showed why that must not "
                           "happen: layers.BatchNormalization() uses its moving averages at inference (a "
                           "batch_norm function in a Lambda does not).")
        if concat:
            return Problem("wrong", "your block merges the two paths with Concatenate: a residual block adds the "
                           "shortcut to the main path, element by element, layers.Add()([y, shortcut]); a 1x1 "
                           "convolution belongs on the shortcut, and only when the shape changes.")
        if left == "zero" and n_spatial > 2:
            return Problem("wrong", "your block has more than two 3x3 convolutions, and with all of them at zero "
                           "it outputs 0: if the third one is your shortcut's projection, make it a 1x1 "
                           "convolution, Conv2D(filters, 1, strides=stride), which only changes the channels "
                           "(and, with a stride, the size).")
        if left == "zero":
            return Problem("wrong", "with every 3x3 kernel set to zero your block outputs 0: there is no "
                           "shortcut carrying the input (or its 1x1 projection) to the output.")
        if not main_used:
            return Problem("wrong", "your block's output does not depend on its 3x3 convolutions (even with "
                           "BatchNorm's gamma set to 1): the main path F(x) must be added to the shortcut, "
                           "y = F(x) + shortcut.")
        if identity_case and left == "negated" and not projection:
            return Problem("wrong", "when nothing changes shape the shortcut is the input itself, added: with the "
                           "3x3 kernels at zero your block gives -x (or ReLU(-x)) back, so x is not subtracted "
                           "but added, layers.Add()([y, shortcut]).")
        if identity_case and left != "identity" and not projection:
            return Problem("wrong", "when nothing changes shape the shortcut is the input itself: with the 3x3 "
                           "kernels at zero your block should give x (or ReLU(x)) back, and it gives something "
                           "else. Add x unchanged (not subtracted, multiplied or normalised), and put nothing "
                           "after the Add but the ReLU: BatchNormalization belongs at the end of the main path.")
        if not clean:
            return Problem("wrong", "with its 3x3 kernels at zero and every shift (BatchNorm's beta, the biases) "
                           "at +1, your block should give ReLU(x + 1): the main path adds a constant to x. It "
                           "does not: the shortcut passes through something before the Add. Leave the identity "
                           "shortcut alone: shortcut = x.")
        if not can_lower:
            return Problem("wrong", "with random kernels your block's output is never below what the shortcut "
                           "brings, so the main path F(x) is never negative: there is a ReLU before the "
                           "addition. F must correct x in both directions: end the main path with "
                           "BatchNormalization (no activation) and apply the ReLU after the Add, "
                           "ReLU(F(x) + shortcut).")
        if n_spatial > 2:
            return Problem("wrong", "your block has more than two 3x3 convolutions: the main path has exactly "
                           "two (Conv-BN-ReLU-Conv-BN), and a projection shortcut is a 1x1 convolution.")
        if n_spatial < 2:
            return Problem("wrong", "the main path needs two 3x3 convolutions (both with padding='same').")
        if not stride_first:
            return Problem("wrong", "the stride belongs on the first 3x3 convolution of the main path (it "
                           "shrinks the maps; the second keeps their size): yours is on a later one.")
        return None


def _explain_add_error(text):
    """A sentence about an ``Add`` shape error (``"... Received shapes (8, 8, 16) and (4, 4, 16)"``), or ``""``."""
    shapes = re.findall(r"\(([\d, ]+)\)", text)
    if "incompatible shapes" not in text.lower() or len(shapes) < 2:
        return ""
    first, second = ([int(v) for v in s.split(",") if v.strip()] for s in shapes[:2])
    notes = []
    if first[:-1] != second[:-1]:
        notes.append("the heights and widths differ: use padding='same', and the same stride on both branches")
    if first[-1:] != second[-1:]:
        notes.append("the channels differ: project the shortcut with a 1x1 convolution")
    return (" Add needs both branches in the same shape; " + "; ".join(notes) + ".") if notes else ""
