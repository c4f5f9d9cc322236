"""The checkers of notebook 06's exercises (``nb06_transfer_learning``): small test networks and photo files the
checker builds itself (never ImageNet weights, so checks are fast and work offline), and the exercise classes that
call a student's function on them. A test base is built fresh for each call, because answers change its
``trainable`` flags."""

import re
import tempfile
from pathlib import Path

import numpy as np

from course_utils.exercises import Exercise, Function, Problem
from course_utils.exercises.compare import a_type, describe
from course_utils.exercises.functions import call_with_time_limit, describe_error, is_placeholder


class ArrayFunction(Function):
    """A ``Function`` exercise whose answer must return a NumPy array, as the reference does (a list or a tensor
    would not work where the notebook uses the result like photos: ``.shape``, ``.min()``, slicing)."""

    def _outcome_problem(self, index, item, expected, outcome, expected_signature):
        got = outcome.value
        if outcome.error is None and not outcome.timed_out and got is not None and not isinstance(got, np.ndarray):
            return Problem("wrong_type", f"Your function returns {a_type(got)}: return a NumPy array, e.g. with "
                           f"np.asarray(...), like the photos it works on.", self._header(index, item))
        return super()._outcome_problem(index, item, expected, outcome, expected_signature)

# (input side, channels of the last feature maps, classes, the layer fine-tuning starts from)
_BASES = ((32, 16, 3, "block_1_conv"), (24, 12, 2, "block_2_conv"))


# ----------------------------------------------------------------------------------------- test networks


def test_base(side=32, channels=16, seed=0):
    """A small MobileNet-like base: stem and two blocks of Conv - BatchNorm - ReLU (the last ReLU is ``out_relu``),
    output ``(side / 4, side / 4, channels)``. Weights and BatchNorm statistics are fixed by ``seed``."""
    import keras

    layers = keras.layers
    inputs = keras.Input((side, side, 3), name="image")
    x = inputs
    # BatchNormalization layers named three ways (as MobileNetV2's bn_Conv1 and block_1_expand_BN, and otherwise):
    # an answer must find them by type, not by name.
    for name, norm, filters, stride in (("stem", "bn_stem", 8, 2), ("block_1", "block_1_BN", 8, 1),
                                        ("block_2", "block_2_norm", channels, 2)):
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(name=norm)(x)
        x = layers.ReLU(name="out_relu" if name == "block_2" else f"{name}_relu")(x)
    base = keras.Model(inputs, x, name="test_base")
    rng = np.random.default_rng(seed)
    weights = []
    for w in base.weights:
        if "moving_variance" in w.path:
            weights.append(rng.uniform(0.5, 2.0, w.shape))
        elif "gamma" in w.path:
            weights.append(rng.uniform(0.8, 1.2, w.shape))
        else:
            weights.append(rng.normal(0, 0.3, w.shape))
    base.set_weights([np.asarray(w, dtype="float32") for w in weights])
    return base


def _images(side, n=4, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (n, side, side, 3)).astype("float32")


def _call(function, args, time_limit=60.0):
    """``(value, None)`` or ``(None, Problem)`` for a student's function called on ``args``."""
    outcome = call_with_time_limit(function, args, {}, time_limit)
    if outcome.timed_out:
        return None, Problem("timeout", f"Your function took longer than {time_limit:g} s and was stopped.")
    if outcome.error is not None:
        if isinstance(outcome.error, NotImplementedError):
            return None, Problem("not_attempted", "Write the body of your function, run the cell, then check again.")
        return None, Problem("error", f"Your function raised {describe_error(outcome.error)}.")
    return outcome.value, None


class _FunctionAnswer(Exercise):
    """The answer is a function, compared by behaviour with ``reference``."""

    kind = "function"

    def __init__(self, id, reference, **options):
        super().__init__(id, **options)
        self.reference = reference

    def _reference_answer(self):
        return self.reference

    def _reference_source(self):
        from course_utils.exercises.core import reference_source

        return reference_source(self.reference)

    def _not_a_function(self, answer):
        """A ``Problem`` when ``answer`` is not a function or still a placeholder, else ``None``."""
        if not callable(answer):
            return Problem("wrong_type", f"Your answer should be a function (`def {self.name}(...):`), not "
                           f"{describe(answer)}. Pass the function itself: `check({self.name})`.")
        if is_placeholder(answer):
            return Problem("not_attempted", "Write the body of your function, run the cell, then check again.")
        return None


class _OnTestBases(_FunctionAnswer):
    """The answer is a function whose first argument is a Keras base; it is checked on fresh test bases."""

    def _evaluate(self, answer):
        problem = self._not_a_function(answer)
        if problem is not None:
            return problem
        for spec in _BASES:
            problem = self._evaluate_on(answer, spec)
            if problem is not None:
                return problem
        return None


def _behaviour(model, side):
    """``(trainable parameters, outputs)``: outputs on fixed images after giving every Dense layer outside the
    base fixed weights (so that two models with the same architecture give the same numbers)."""
    import keras

    from course_utils.transfer import _all_layers, trainable_count

    dense = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.Dense)]  # nested heads too
    for index, layer in enumerate(dense):
        rng = np.random.default_rng([index, *layer.kernel.shape])
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
    return trainable_count(model), np.asarray(model(_images(side), training=False), dtype="float64")


class Classifier(_OnTestBases):
    """``build_classifier(base, n_classes)`` must behave like the reference: same trainable parameters, same
    outputs once its Dense layers get the same weights."""

    def _evaluate_on(self, answer, spec):
        import keras

        side, channels, n_classes, _ = spec
        model, problem = _call(answer, (test_base(side, channels), n_classes))
        if problem:
            return problem
        if model is None:
            return Problem("returned_none", "Your function returned None: did you forget `return model`?")
        if not isinstance(model, keras.Model):
            return Problem("wrong_type", f"Your function should return a keras.Model, not {describe(model)}.")
        if tuple(model.input_shape) != (None, side, side, 3):
            return Problem("wrong_shape", f"Your model takes inputs of shape {model.input_shape}; it should take "
                           f"the base's input, {(None, side, side, 3)}.")
        if tuple(model.output_shape) != (None, n_classes):
            return Problem("wrong_output_shape", f"Your model's output shape is {model.output_shape}; with "
                           f"n_classes={n_classes} it should be (None, {n_classes}): one probability per class.")
        want = _behaviour(self.reference(test_base(side, channels), n_classes), side)
        got = _behaviour(model, side)
        if got[0] == want[0] and np.allclose(got[1], want[1], atol=1e-5):
            return None

        def same_as(wrong):
            other = _behaviour(wrong(test_base(side, channels), n_classes), side)
            return other[0] == got[0] and np.allclose(other[1], got[1], atol=1e-5)

        recognised = self.diagnose(same_as)
        if recognised:
            return recognised
        if got[0] != want[0]:
            return Problem("wrong_params", f"model.fit would train {got[0]:,} parameters of your model; the frozen "
                           f"base with a pooled Dense head has {want[0]:,} on this test base.")
        if not np.allclose(got[1].sum(axis=1), 1, atol=1e-4) or got[1].min() < 0:
            return Problem("wrong_activation", "Your model's outputs are not probabilities: end with "
                           "Dense(n_classes, activation='softmax').")
        return Problem("wrong_values", "Your model has the right shape and parameters but computes something "
                       "else: base (inference mode) -> GlobalAveragePooling2D -> Dense(softmax), nothing more.")


def _frozen_base(spec):
    base = test_base(spec[0], spec[1])
    base.trainable = False  # as after feature extraction
    return base


def _trainable_state(function, spec):
    """Which of a fresh (frozen) test base's weights are trainable after ``function(base, first_layer)``: the set of
    layer names, the outcome (``None`` or a ``Problem``), and the base."""
    base = _frozen_base(spec)
    _, problem = _call(function, (base, spec[3]))
    names = sorted({w.path.split("/")[-2] for w in base.trainable_weights})
    return names, problem, base


class FineTuning(_OnTestBases):
    """After ``prepare_fine_tuning(base, first_layer)`` exactly the reference's layers must be trainable."""

    def _evaluate_on(self, answer, spec):
        import keras

        got, problem, base = _trainable_state(answer, spec)
        if problem:
            return problem
        fresh = _frozen_base(spec)
        returned = _call(answer, (fresh, spec[3]))[0]
        if isinstance(returned, keras.Model) and returned is not fresh:
            return Problem("wrong", "Your function returns another model: change the flags of `base` itself "
                           "(its layers are the ones inside your classifier).")
        want, _, _ = _trainable_state(self.reference, spec)
        if got == want:
            return None
        recognised = self.diagnose(lambda wrong: _trainable_state(wrong, spec)[0] == got)
        if recognised:
            return recognised
        first = spec[3]
        order = [layer.name for layer in base.layers]
        if not got:
            return Problem("wrong", "After your function nothing in the base is trainable. Check "
                           "base.trainable: while it is False, the layers inside stay frozen whatever their own flags.")
        bn = [n for n in got if isinstance(base.get_layer(n), keras.layers.BatchNormalization)]
        if bn:
            return Problem("wrong", f"The BatchNormalization layer {bn[0]!r} is trainable: freeze every "
                           f"BatchNormalization layer (layer.trainable = False), found by its type, "
                           f"isinstance(layer, keras.layers.BatchNormalization), not by its name.")
        early = [n for n in got if order.index(n) < order.index(first)]
        if early:
            return Problem("wrong", f"{early[0]!r} comes before {first!r} but is trainable: only {first!r} and the "
                           f"layers after it should be.")
        missing = [n for n in want if n not in got]
        return Problem("wrong", f"{missing[0]!r} should be trainable: it is {first!r} or comes after it.")


_PHOTO_FILES = {}
PHOTO_CLASSES = ["red", "green", "blue"]
_PHOTO_INPUT = (40, 56)  # (height, width): not square, so that (width, height) mistakes show


def photo_model():
    """A test classifier that takes 40x56 RGB photos, pixels 0-255 (its preprocessing inside) and tells which colour
    dominates: Rescaling(1/127.5, -1) -> GlobalAveragePooling2D -> Dense(3, softmax). A new one for every call: a
    wrong call can leave Keras' predict function of a model in a state that changes how later calls fail."""
    import keras

    inputs = keras.Input((*_PHOTO_INPUT, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    dense = keras.layers.Dense(3, activation="softmax")
    outputs = dense(x)
    dense.set_weights([np.eye(3, dtype="float32") * 6.0, np.zeros(3, dtype="float32")])
    return keras.Model(inputs, outputs, name="colour_classifier")


def photo_files():
    """Test photos written once to a temporary folder: a wide and a tall picture whose edges differ from their
    centre (so squashing instead of cropping changes the answer), and a real photo (scikit-image's cat)."""
    if "files" not in _PHOTO_FILES:
        from PIL import Image

        from course_utils.data import sample_image

        folder = Path(tempfile.mkdtemp(prefix="course-photos-"))
        wide = np.zeros((60, 180, 3), np.uint8)
        wide[:, :, 2] = 150
        wide[:, :45] = (255, 40, 40)  # a red band on the left, outside the centre crop
        tall = np.zeros((200, 90, 3), np.uint8)
        tall[:, :, 0] = 120
        tall[:60] = (30, 230, 30)  # a green band on top, outside the centre crop
        cat = (sample_image("chelsea") * 255).astype(np.uint8)
        files = []
        for name, pixels in (("wide.png", wide), ("tall.jpg", tall), ("cat.jpg", cat)):
            Image.fromarray(pixels).save(folder / name, quality=95)
            files.append(folder / name)
        _PHOTO_FILES["files"] = files
    return _PHOTO_FILES["files"]


def _outcome(function, path):
    """What ``function`` returns for one test photo (on a new test model), or the error it raises, for comparisons."""
    return _outcome_of(call_with_time_limit(function, (photo_model(), str(path), list(PHOTO_CLASSES)), {}, 30.0))


def _outcome_of(outcome):
    if outcome.error is not None or outcome.timed_out:
        text = re.sub(r"(_\d+)+\b", "", str(outcome.error))[:300]  # layer names are numbered per model: drop that
        return ("error", type(outcome.error).__name__ if outcome.error else "timeout", text)
    return outcome.value


def _same(a, b):
    if isinstance(a, tuple) and a[:1] == ("error",):
        return a == b
    try:
        return len(a) == len(b) == 2 and str(a[0]) == str(b[0]) and abs(float(a[1]) - float(b[1])) < 0.02
    except Exception:  # noqa: BLE001
        return False


class PredictPhoto(_FunctionAnswer):
    """``predict_photo(model, path, class_names)`` must give the reference's class name, and its probability
    within 0.02 (any good resizing method passes; squashing instead of cropping does not)."""

    def _evaluate(self, answer):
        problem = self._not_a_function(answer)
        if problem is not None:
            return problem
        import logging

        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.ERROR)  # each test model traces its own predict function: TF would warn about it
        try:
            return self._evaluate_photos(answer)
        finally:
            logger.setLevel(level)

    def _evaluate_photos(self, answer):
        files = photo_files()
        answers = {}  # the answer's outcome on each test photo, computed when a diagnosis needs it
        for path in files:
            outcome = call_with_time_limit(answer, (photo_model(), str(path), list(PHOTO_CLASSES)), {}, 30.0)
            if outcome.error is not None and isinstance(outcome.error, NotImplementedError):
                return Problem("not_attempted", "Write the body of your function, run the cell, then check again.")
            got = _outcome_of(outcome)
            want = self.reference(photo_model(), str(path), list(PHOTO_CLASSES))
            if _same(got, want):
                continue
            where = f"For the test photo {path.name} (model input {_PHOTO_INPUT[0]}x{_PHOTO_INPUT[1]}, classes " \
                    f"{PHOTO_CLASSES}): "
            # A catalogued mistake is recognised only if it behaves like the answer on every test photo: on one
            # photo, different mistakes can give the same (saturated) prediction.

            def behaves_like(wrong, path=path, got=got):
                if not _same(_outcome(wrong, path), got):
                    return False
                for other in files:
                    if other not in answers:
                        answers[other] = _outcome(answer, other)
                    if not _same(_outcome(wrong, other), answers[other]):
                        return False
                return True

            recognised = self.diagnose(behaves_like)
            if recognised:
                return Problem(recognised.status, where + recognised.message)
            if outcome.error is not None:
                return Problem("error", where + f"your function raised {describe_error(outcome.error)}.")
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                return Problem("wrong_outputs", where + f"return two values, (class name, probability), not "
                               f"{describe(got)}.")
            if not isinstance(got[0], str):
                return Problem("wrong_type", where + f"the first value should be the class name (a string from "
                               f"class_names), not {describe(got[0])}.")
            if not isinstance(got[1], (int, float, np.number)) or not 0 <= float(got[1]) <= 1:
                return Problem("wrong_type", where + f"the second value should be a probability between 0 and 1, "
                               f"not {describe(got[1])}.")
            return Problem("wrong", where + f"you return {describe(tuple(got))}; the model predicts another class "
                           "or probability for this photo. Resize it to the model's input (height, width) with a "
                           "centre crop, keep pixels 0-255 and RGB, add a batch axis.")
        return None


