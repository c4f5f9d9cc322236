"""Checkers for answers that are functions of Keras objects (notebook 05): ``KerasFunction``, the base, and
``Augmentation`` for ``with_augmentation(model)`` (``residual_checks`` has the residual block's).

Checked by behaviour on small inputs built here, never by reading the code: outputs in training and inference
mode, and what the augmentation does to random images (moved, flipped, values kept in range).
"""

import numpy as np

from course_utils.checking.exercises import Exercise, Problem
from course_utils.checking.exercises.compare import describe
from course_utils.checking.exercises.core import reference_source
from course_utils.checking.exercises.functions import call_with_time_limit, describe_error, is_placeholder

_CACHE = {}


def base_model():
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
    clear = scores[best] > 0.5 and scores[best] > scores["", 0, 0] + 0.1  # a real match, not chance
    return best if clear else ("", 0, 0)


#: Random layers that move pixels other than the task's flips and shifts (found in the returned model)
OTHER_GEOMETRY = ("RandomRotation", "RandomZoom", "RandomCrop", "RandomShear", "RandomPerspective",
                  "RandomElasticTransform", "RandAugment", "AugMix", "RandomErasing", "RandomGrayscale")


def other_geometry(model, inner):
    """Names of random layers in ``model`` (nested ones too, ``inner``'s own layers not) that do more than flip and
    shift, sorted."""
    found, seen = set(), set()

    def walk(layer):
        if id(layer) in seen or layer is inner:
            return
        seen.add(id(layer))
        if type(layer).__name__ in OTHER_GEOMETRY:
            found.add(type(layer).__name__)
        for child in getattr(layer, "layers", None) or []:
            walk(child)

    walk(model)
    return tuple(sorted(found))


def _factor_range(factor):
    """``(lower, upper)`` of a RandomTranslation factor (one number f means (-f, f))."""
    if isinstance(factor, (int, float)):
        return -abs(float(factor)), abs(float(factor))
    return float(factor[0]), float(factor[1])


def translation_problem(model, inner):
    """A short description of the first RandomTranslation in ``model`` whose factors are not a symmetric,
    moderate range on both axes (0 < f <= 0.3, as in (-f, f)); None when there is none."""
    seen = set()

    def walk(layer):
        if id(layer) in seen or layer is inner:
            return None
        seen.add(id(layer))
        if type(layer).__name__ == "RandomTranslation":
            for axis, factor in (("height", layer.height_factor), ("width", layer.width_factor)):
                low, high = _factor_range(factor)
                if not (abs(low + high) < 1e-9 and 0 < high <= 0.3):
                    return f"{axis}_factor={factor!r}"
        for child in getattr(layer, "layers", None) or []:
            found = walk(child)
            if found:
                return found
        return None

    return walk(model)


def augmentation_content(function, time_limit=60.0):
    """What ``function`` does to images in training: ``(flips, shifts, flips_vertically, largest_value,
    other_layers)``, from three training-mode draws on random 20x20 images in [0, 1] passed through a model that
    shows its input (``other_layers``: its random layers that neither flip nor shift), and ``translation``
    (``translation_problem``). ``None`` when the function cannot be called that way."""
    import keras

    pixels = _pixels_model()
    outcome = call_with_time_limit(function, (pixels,), {}, time_limit)
    if outcome.error is not None or outcome.timed_out or not isinstance(outcome.value, keras.Model):
        return None
    x = np.random.default_rng(3).random((16, 20, 20, 1)).astype("float32")
    try:
        keras.utils.set_random_seed(13)
        draws = [np.asarray(outcome.value(x, training=True)).reshape(x.shape) for _ in range(3)]
    except Exception:  # noqa: BLE001 - reported by the main check
        return None
    flips = shifts = vertical = False
    for draw in draws:
        for view, image in zip(draw[..., 0], x[..., 0], strict=True):
            flip, dy, dx = _best_transform(view, image)
            flips = flips or "h" in flip
            shifts = shifts or (dy, dx) != (0, 0)
            vertical = vertical or "v" in flip
    largest = float(max(np.abs(d).max() for d in draws))
    return (flips, shifts, vertical, round(largest) if largest > 2 else 1, other_geometry(outcome.value, pixels),
            translation_problem(outcome.value, pixels))


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

        base = base_model()
        try:
            new, problem = self._call(function, base)
            trainable = problem is None and _keeps_trainable(new, base)
        finally:
            base.trainable = True  # the checker's model is shared: undo an answer's freezing
            for layer in base.layers:
                layer.trainable = True
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
                content, trainable)

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
        if facts[:5] == (True, True, True, True, True) and facts[7] and content and content == (
                True, True, False, 1, (), None):
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
        if not facts[7]:
            return Problem("wrong", "`model`'s own weights are frozen in the model you return (model.trainable = "
                           "False, or a layer's trainable set to False): `fit` would then train nothing. Augmentation "
                           "only changes the images; leave `model` trainable.")
        return _content_problem(content)


def _keeps_trainable(new, base):
    """True when every trainable weight of ``base`` is still trainable in ``new``."""
    import keras

    if not isinstance(new, keras.Model):
        return True
    return {id(v) for v in base.weights} <= {id(v) for v in new.trainable_weights}


def _content_problem(content):
    if content is None:
        return Problem("wrong", "Your function does not work with another model (the checker also passes a "
                       "20x20 one): build the input from `model.input_shape[1:]` and call `model(x)`.")
    flips, shifts, vertical, largest, others, translation = content
    if largest > 1:
        return Problem("wrong", f"In training your augmentation gives pixel values up to {largest}, far outside "
                       f"the images' range [0, 1]: RandomBrightness and RandomContrast assume "
                       f"value_range=(0, 255) by default. Pass value_range=(0, 1) for images scaled to [0, 1] "
                       f"(and the task asks for flips and shifts).")
    if vertical:
        return Problem("wrong", "Your augmentation turns images upside down (a vertical flip): clothes are "
                       "never photographed upside down, so the model trains on images unlike the test images. "
                       "Flip horizontally only: RandomFlip('horizontal').")
    if others:
        return Problem("wrong", f"Your augmentation also uses {', '.join(others)}: the task asks for random flips "
                       f"and shifts only, RandomFlip('horizontal') and RandomTranslation (a rotation or a zoom "
                       f"is another experiment: try it after the exercise).")
    if translation and flips and shifts:
        return Problem("wrong", f"Your RandomTranslation has {translation}: shift by a moderate amount, the same "
                       f"in both directions and on both axes, 0 < f <= 0.3 for height_factor and width_factor, "
                       f"e.g. RandomTranslation(0.1, 0.1) (up to 10% of the size either way). A large shift pushes "
                       f"the garment out of the image; a zero or one-sided range never shifts one way.")
    if flips and not shifts:
        return Problem("wrong", "In training your augmentation flips the images but never shifts them: the task "
                       "asks for random flips and shifts; add RandomTranslation(0.1, 0.1) after the RandomFlip.")
    if shifts and not flips:
        return Problem("wrong", "In training your augmentation shifts the images but never flips them: the task "
                       "asks for random flips and shifts; add RandomFlip('horizontal') before the "
                       "RandomTranslation.")
    return Problem("wrong", "In training your augmentation never flips or shifts the images (checked on random "
                   "test images): the task asks for random flips and shifts, RandomFlip('horizontal') and "
                   "RandomTranslation. Noise, dropout, brightness or contrast change pixel values, not their "
                   "positions.")
