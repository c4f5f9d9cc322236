"""Exercises of notebook 04: build a feature-extraction model, compute a saliency map, compute Grad-CAM
from feature maps and their gradients.

The first two answers are functions of a Keras model; they are checked on small CNNs built here (a
Sequential and a functional one), never on the notebook's model, so the check is fast and independent of
what notebook 03 saved.
"""

import functools
import warnings

import numpy as np

from course_utils.checking.exercises import Exercise, Function, Problem, case
from course_utils.checking.exercises.compare import compare, describe
from course_utils.checking.exercises.functions import (
    call_with_time_limit,
    describe_error,
    is_placeholder,
    timeout_problem,
)
from course_utils.checking.exercises.misconceptions import nb04 as catalogue
from course_utils.checking.exercises.model_copies import copy_of, model_changed

NOTEBOOK = "04_visualizing_cnns"


# ----------------------------------------------------------------------------------------- references


def build_feature_extractor(model):
    """A Keras model from ``model``'s input to the outputs of all its Conv2D layers (a list, in order)."""
    import keras

    conv_outputs = [layer.output for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    return keras.Model(inputs=model.inputs, outputs=conv_outputs)


def saliency(score_model, image, class_index):
    """|d score / d pixel| for one image (H, W, C), the largest over channels: (H, W).
    ``score_model`` outputs class scores (logits, no softmax)."""
    import tensorflow as tf

    x = tf.convert_to_tensor(image[None], dtype="float32")  # a batch of one image
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = score_model(x, training=False)[0, class_index]  # inference: augmentation layers off
    grad = tape.gradient(score, x)[0]  # (H, W, C)
    return np.abs(grad.numpy()).max(axis=-1)


def grad_cam_from_maps(maps, grads):
    """Grad-CAM from a layer's feature maps ``maps`` (h, w, k) and the gradients of the class score with
    respect to them ``grads`` (h, w, k): (h, w), in [0, 1]."""
    weights = grads.mean(axis=(0, 1))  # one weight per channel: (k,)
    cam = np.maximum((maps * weights).sum(axis=-1), 0)  # weighted sum over channels, then ReLU
    top = cam.max()
    return cam / top if top > 0 else cam


def grad_cam_cases(rng):
    yield case(rng.random((4, 4, 3)), rng.normal(size=(4, 4, 3)), note="4x4 maps, 3 channels")
    yield case(rng.random((7, 5, 8)), rng.normal(size=(7, 5, 8)), note="7x5 maps, 8 channels")
    maps = rng.random((3, 3, 2))
    yield case(maps, -np.abs(rng.normal(size=(3, 3, 2))), note="every gradient negative: the answer is all 0")
    grads = np.zeros((6, 6, 4))
    grads[..., 1] = 1.0
    yield case(rng.random((6, 6, 4)), grads, note="only channel 1 has a gradient")
    yield case(rng.random((5, 3, 1)), rng.normal(size=(5, 3, 1)) + 0.5, note="one channel, 5x3 maps")
    yield case(rng.random((4, 4, 3)), rng.normal(size=(4, 4, 3)), note="4x4x3 again, other values (no caching)")


# ----------------------------------------------------------------------------------------- test models


_MODELS = {}


def checking_models():
    """Two small CNNs with fixed weights: a Sequential (two convs and a pool) and a functional one."""
    if not _MODELS:
        import keras

        keras.utils.set_random_seed(4)
        sequential = keras.Sequential([
            keras.Input(shape=(12, 12, 1)),
            keras.layers.Conv2D(3, 3, activation="relu", name="first"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(4, 3, activation="relu", name="second"),
            keras.layers.Flatten(),
            keras.layers.Dense(5, name="logits"),
        ], name="check_sequential")
        inputs = keras.Input(shape=(9, 9, 2))
        hidden = keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="only_conv")(inputs)
        outputs = keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(hidden))
        _MODELS["models"] = [sequential, keras.Model(inputs, outputs, name="check_functional")]
        # Dropout makes training mode visible: a saliency computed with training=True differs (tests/test_mutation.py)
        dropout = keras.Sequential([keras.Input(shape=(7, 7, 3)), keras.layers.Conv2D(3, 3, name="conv"),
                                    keras.layers.Flatten(), keras.layers.Dropout(0.5), keras.layers.Dense(2)],
                                   name="check_dropout")
        _MODELS["models"].append(dropout)
        for model in _MODELS["models"]:
            _random_biases(model, seed=6)
    return _MODELS["models"]


def _random_biases(model, seed):
    """Non-zero biases (Keras starts them at 0): a ReLU network without biases is scale-invariant, so a map
    computed on ``image / 255`` would only shrink; with biases it changes shape (tests/test_exercises_nb04.py)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        bias = getattr(layer, "bias", None)
        if bias is not None:
            bias.assign(rng.normal(0.0, 0.5, tuple(bias.shape)).astype("float32"))


def mixed_convs_model():
    """A CNN whose convolutions trip selections by class name, by layer name or by width: a DepthwiseConv2D
    and a SeparableConv2D (not Conv2D layers, though 'Conv' is in their class names), Conv2D layers named out
    of alphabetical order, two of them with the same number of filters."""
    if "mixed" not in _MODELS:
        import keras
        from keras import layers

        keras.utils.set_random_seed(6)
        _MODELS["mixed"] = keras.Sequential([
            keras.Input(shape=(14, 14, 2)),
            layers.Conv2D(4, 3, activation="relu", name="conv_b"),
            layers.DepthwiseConv2D(3, name="depthwise"),
            layers.Conv2D(4, 1, activation="relu", name="conv_c"),
            layers.SeparableConv2D(4, 3, name="separable"),
            layers.Conv2D(6, 3, name="conv_10"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(3, name="logits"),
        ], name="check_mixed_convs")
    return _MODELS["mixed"]


def _augmented_model():
    """A small CNN with a random augmentation layer (on in a plain call, as in training) and Dropout: only a
    call with ``training=False`` gives the same scores twice."""
    if "augmented" not in _MODELS:
        import keras

        keras.utils.set_random_seed(5)
        _MODELS["augmented"] = keras.Sequential([
            keras.Input(shape=(10, 10, 1)),
            keras.layers.RandomContrast(0.5, seed=11, name="augment"),
            keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
            keras.layers.Dropout(0.5),
            keras.layers.Flatten(),
            keras.layers.Dense(4, name="logits"),
        ], name="check_augmented")
        _random_biases(_MODELS["augmented"], seed=7)
    return _MODELS["augmented"]


def _images(model, n, seed):
    shape = tuple(model.input_shape[1:])
    return np.random.default_rng(seed).random((n, *shape)).astype("float32")


class _ModelFunction(Exercise):
    """The answer is a function whose first argument is a Keras model; it is called on the test models."""

    kind = "function"

    def __init__(self, id, reference, *, time_limit=30.0, **options):
        super().__init__(id, **options)
        self.reference = reference
        self.time_limit = time_limit

    def _empty_body_message(self):
        return (f"Write the body of your function (in place of `# YOUR CODE HERE` or `raise NotImplementedError()`), run the cell, then "
                f"check again. Stuck? Try `ex.{self.id}.hint()`.")

    def _reference_answer(self):
        return self.reference

    def _reference_source(self):
        from course_utils.checking.exercises.core import reference_source

        return reference_source(self.reference)

    def _call(self, function, *args):
        """``(value, None)`` or ``(None, Problem)``."""
        outcome = call_with_time_limit(function, args, {}, self.time_limit)
        if outcome.timed_out:
            return None, timeout_problem(outcome, self.time_limit)
        if outcome.error is not None:
            if isinstance(outcome.error, NotImplementedError):
                return None, Problem("not_attempted", self._empty_body_message())
            if "`outputs` argument cannot be empty" in str(outcome.error):
                return None, Problem("error", "Your extractor has no outputs: no layer was selected. Select the "
                                     "convolution layers by their type, `isinstance(layer, keras.layers.Conv2D)`: "
                                     "layer names are free text and need not contain 'conv'.")
            if "`inputs` argument cannot be empty" in str(outcome.error):
                return None, Problem("error", "Your extractor's `inputs` are empty: on a functional model "
                                     "`model.layers[0]` is the InputLayer, and its `.input` is not the model's "
                                     "input tensor. Use `model.inputs`, which every built model has.")
            if "has never been called and thus has no defined input" in str(outcome.error):
                return None, Problem("error", "`model.input` fails on a Keras 3 Sequential model (\"has never been "
                                     "called and thus has no defined input\"): use `model.inputs`, which every "
                                     "built model has.")
            return None, Problem("error", f"Your function raised {describe_error(outcome.error)}.")
        if outcome.value is None:
            return None, Problem("returned_none", "Your function returned None: did you forget `return`?")
        return outcome.value, None

    def test_models(self):
        """The Keras models the answer is called on."""
        return checking_models()

    def _evaluate(self, answer):
        if not callable(answer):
            return Problem("wrong_type", f"Your answer should be a function (`def {self.name}(...):`), "
                           f"not {describe(answer)}.")
        if is_placeholder(answer):
            return Problem("not_attempted", self._empty_body_message())
        for model in self.test_models():
            problem = self._evaluate_on(answer, model)
            if problem is not None and problem.status == "not_attempted":
                return problem
            if problem is not None:
                return Problem(problem.status, f"On the test model {model.name!r}: {problem.message}",
                               problem.detail)
        return None


class FeatureExtractor(_ModelFunction):
    """``build_feature_extractor(model)`` must return a Keras model whose outputs equal the outputs of every
    Conv2D layer of ``model``, in order."""

    def test_models(self):
        """The plain test models, then one with depthwise and separable convolutions and unsorted names."""
        return [*checking_models(), mixed_convs_model()]

    def _evaluate_on(self, answer, model):
        import keras

        given = copy_of(model)  # the answer gets a copy: the reference maps come from the untouched model
        before = _trainable_flags(given)
        try:
            extractor, problem = self._call(answer, given)
        finally:
            after = _trainable_flags(given)
            _restore_trainable(given, before)
        if problem:
            return problem
        changed = model_changed(model, given)
        if after != before and not changed:
            return Problem("mutated_input", "your function changed the model it was given (its `trainable` "
                           "flags): building an extractor must leave the model as it was. Remove the line that "
                           "sets `trainable`.")
        if changed:
            return Problem("mutated_input", f"your function changed the model it was given ({changed}): "
                           f"building an extractor must leave the model as it was, since the notebook goes on "
                           f"using it. Only read its layers (`layer.output`); do not set activations, assign "
                           f"weights or remove layers.")
        if not isinstance(extractor, keras.Model):
            return Problem("wrong_type", f"Your function should return a keras.Model, not {describe(extractor)}. "
                           f"Build one with keras.Model(inputs=..., outputs=...).")
        for n, seed in ((2, 0), (3, 7)):  # called twice, on batches of different sizes
            problem = self._compare_on(extractor, model, _images(model, n, seed=seed))
            if problem:
                return problem
        return None

    def _compare_on(self, extractor, model, images):
        import keras

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns when a model built on [input] gets a bare tensor
            expected = _as_list(self.reference(model)(images))
            raw = extractor(images)
        if isinstance(raw, dict):
            return Problem("wrong_outputs", f"your extractor's outputs are a dict ({len(raw)} maps by name): give "
                           f"`outputs` as a list, one map per Conv2D layer in the order of the layers, "
                           f"`[layer.output for layer in ...]`, so that its maps come out by position.")
        got = _as_list(raw)
        n_conv = len(expected)
        if len(got) < n_conv:
            return Problem("wrong_outputs", f"the model has {n_conv} Conv2D layer(s) but your extractor has "
                           f"only {len(got)} output(s): use one output per convolution layer, all of them, in "
                           f"order.")
        if len(got) > n_conv:
            return Problem("wrong_outputs", f"the model has {n_conv} Conv2D layer(s) but your extractor has "
                           f"{len(got)} outputs: keep only the Conv2D layers "
                           f"(`isinstance(layer, keras.layers.Conv2D)`). DepthwiseConv2D and SeparableConv2D "
                           f"are other layers, though their class names contain 'Conv' too.")
        want_shapes = [np.shape(want) for want in expected]
        have_shapes = [np.shape(have) for have in got]
        if have_shapes != want_shapes:
            inputs = [(len(images), *tuple(layer.input.shape)[1:]) for layer in model.layers
                      if isinstance(layer, keras.layers.Conv2D)]
            if have_shapes == inputs:
                return Problem("wrong_shape", "your outputs have the shapes of the convolution layers' inputs: "
                               "take `layer.output`, not `layer.input`.")
            if have_shapes == want_shapes[::-1]:
                return Problem("wrong_shape", "your outputs are in reversed order: keep the order of the "
                               "layers, first convolution first.")
            i = next(i for i, (want, have) in enumerate(zip(want_shapes, have_shapes, strict=True)) if want != have)
            return Problem("wrong_shape", f"output {i} has shape {have_shapes[i]}, but convolution layer {i} "
                           f"outputs {want_shapes[i]}. Take layer.output of the Conv2D layers, in the order of "
                           f"`model.layers` (not sorted by name: 'conv_10' sorts before 'conv_2').")
        for i, (want, have) in enumerate(zip(expected, got, strict=True)):
            if not np.allclose(np.asarray(want), np.asarray(have), rtol=1e-4, atol=1e-5):
                return Problem("wrong_values", f"output {i} has the right shape but not the values of "
                               f"convolution layer {i}: is it the layer's output (after its activation), taken "
                               f"from this model (not a copy with new weights)?")
        return None


class Saliency(_ModelFunction):
    """``saliency(score_model, image, class_index)`` must return |d score / d pixel|, max over channels. A map
    returned as a tensor or a list is fine: ``use()`` hands on a function that returns a NumPy array."""

    def _handed_on(self, answer):
        @functools.wraps(answer)
        def saliency_as_array(*args, **kwargs):
            return _numpy(answer(*args, **kwargs))
        return saliency_as_array

    def test_models(self):
        """The two plain test models, then one with a random augmentation layer and Dropout."""
        return [*checking_models(), _augmented_model()]

    def _evaluate_on(self, answer, model):
        for i, image in enumerate(_images(model, 2, seed=1)):
            class_index = (i + 1) % int(model.output_shape[-1])
            given = image.copy()
            got, problem = self._call(answer, model, given, class_index)
            if problem:
                return (_gradient_none_problem(answer, problem) or _tape_problem(problem)
                        or _batch_axis_problem(model, image, problem) or problem)
            if not np.array_equal(given, image):
                return Problem("mutated_input", "your function wrote into the `image` it was given: the caller's "
                               "picture changes. Compute on a copy (`image.copy()`) or on a new array.")
            got = _numpy(got)
            if getattr(got, "dtype", None) == np.float16:
                return Problem("wrong_dtype", "Your map is float16, which keeps only about 3 significant digits "
                               "(other exercises refuse it too): compute in float32 (`.astype(np.float32)`) or "
                               "float64.")
            problem = compare(self.reference(model, image, class_index), got, rtol=1e-3, atol=1e-5,
                              reveal=False, what=f"your map for class {class_index}")
            if problem is not None:
                return (self.diagnose(functools.partial(_behaves_like, model, image, class_index, got))
                        or self._random_problem(answer, model, image, class_index, got) or problem)
        return None

    def _random_problem(self, answer, model, image, class_index, got):
        """A map that changes from call to call on the same image: the model ran in training mode."""
        again, problem = self._call(answer, model, image.copy(), class_index)
        if problem is not None or np.shape(_numpy(again)) != np.shape(got):
            return None
        if np.allclose(_numpy(again), got, rtol=1e-6, atol=1e-8):
            return None
        return Problem("wrong", "Your map changes from call to call on the same image: the model ran in training "
                       "mode, where its random augmentation layer is on (a plain call `score_model(x)` runs it, "
                       "in Keras 3). Call the model with `training=False`: "
                       "`score_model(x, training=False)[0, class_index]`.")


def _trainable_flags(model):
    return model.trainable, [layer.trainable for layer in model.layers]


def _restore_trainable(model, flags):
    model.trainable = flags[0]
    for layer, trainable in zip(model.layers, flags[1], strict=False):  # layers the answer removed are gone
        layer.trainable = trainable


def _behaves_like(model, image, class_index, got, wrong):
    """True when the catalogued ``wrong`` saliency function gives the student's map ``got`` on this image."""
    theirs = np.asarray(wrong(model, image.copy(), class_index))
    return theirs.shape == np.shape(got) and np.allclose(theirs, got, rtol=1e-3, atol=1e-5)


def _names(function):
    """Every name the function's code uses (attributes and globals), nested code included."""
    names, stack = set(), [getattr(function, "__code__", None)]
    while stack:
        code = stack.pop()
        if code is not None:
            names.update(code.co_names)
            stack.extend(const for const in code.co_consts if hasattr(const, "co_names"))
    return names


def _has_return_value(function):
    """False only when the function's source is readable and no ``return`` in it gives a value."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return True
    return any(isinstance(node, ast.Return) and node.value is not None for node in ast.walk(tree))


def _gradient_none_problem(answer, problem):
    """A gradient that came out None (the function returned it, or failed using it): say why, rather than
    "did you forget return?"."""
    none_error = problem.status == "error" and "NoneType" in problem.message
    if not (none_error or (problem.status == "returned_none" and _has_return_value(answer))):
        return None
    names = _names(answer)
    if "watch" not in names and "Variable" not in names:
        return Problem("wrong", "tape.gradient returned None: the tape did not watch your input. A tape only "
                       "follows variables by itself, so call `tape.watch(x)` right after opening it (before "
                       "computing the score), or make x a `tf.Variable`.")
    return Problem("wrong", "tape.gradient returned None: the score is not connected to the tensor you "
                   "differentiate by. Watch the very tensor you pass to the model, and compute the score inside "
                   "the `with tf.GradientTape() as tape:` block.")


def _tape_problem(problem):
    """Classic GradientTape errors, said in words: a NumPy array watched, or a score computed with predict()."""
    if problem.status != "error":
        return None
    if "Passed in object" in problem.message:
        return Problem("error", "`tape.watch` was given something that is not a tensor (a NumPy array?): a tape "
                       "can only watch tensors. Convert the image first, "
                       "`x = tf.convert_to_tensor(image[None], dtype='float32')`, and watch x.")
    if "has no attribute '_id'" in problem.message:
        return Problem("error", "The tape could not follow your score: it is a NumPy value, not a tensor. "
                       "`model.predict(...)` and `.numpy()` return NumPy arrays, which leave the tape; compute the "
                       "score by calling the model, `score_model(x, training=False)[0, class_index]`.")
    return None


def _batch_axis_problem(model, image, problem):
    """The student's function failed the way the model fails on an image without its batch axis."""
    if problem.status != "error":
        return None
    import tensorflow as tf

    try:
        model(tf.convert_to_tensor(image, dtype="float32"), training=False)
    except Exception as err:  # noqa: BLE001 - the failure we compare with
        if f"{type(err).__name__}:" in problem.message:
            return Problem("error", f"Your function raised {type(err).__name__} inside the model, as a model does "
                           f"when it gets one image of shape {image.shape} without the batch axis. Keras models "
                           f"take batches: pass `image[None]`, shape (1, {', '.join(map(str, image.shape))}).")
    return None


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _numpy(value):
    try:
        return np.asarray(value)
    except Exception:  # noqa: BLE001 - let compare() describe odd objects
        return value


EXERCISES = [
    FeatureExtractor(
        "feature_extractor", build_feature_extractor, name="build_feature_extractor",
        title="Build a model that outputs the feature maps of every Conv2D layer",
        hints=[
            "In Keras 3 every layer of a built model has `layer.output`, a symbolic tensor; `model.inputs` is "
            "the model's input.",
            "Keep the layers with `isinstance(layer, keras.layers.Conv2D)` and collect their `.output`.",
            "`keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers if "
            "isinstance(layer, keras.layers.Conv2D)])`",
        ],
        **catalogue.FEATURE_EXTRACTOR,
    ),
    Saliency(
        "saliency", saliency,
        title="Saliency: |d score / d pixel| with tf.GradientTape",
        hints=[
            "Add a batch axis (`image[None]`), convert it to a tensor and `tape.watch` it: the tape only "
            "follows variables unless told otherwise.",
            "Inside the tape compute `score_model(x, training=False)[0, class_index]`; outside, `tape.gradient(score, x)`.",
            "The gradient has shape (1, H, W, C): take `[0]`, its absolute value, and the max over the last "
            "axis (`.max(axis=-1)`).",
        ],
        **catalogue.SALIENCY,
    ),
    Function(
        "grad_cam_from_maps", grad_cam_from_maps, grad_cam_cases, rtol=1e-5, atol=1e-6,
        title="Grad-CAM from feature maps and their gradients",
        hints=[
            "Each channel k gets one weight: the average of its gradients over all positions.",
            "`weights = grads.mean(axis=(0, 1))` has shape (k,); `(maps * weights).sum(axis=-1)` is the "
            "weighted sum of the maps, shape (h, w).",
            "Keep the positive part with `np.maximum(cam, 0)`, then divide by `cam.max()` unless it is 0.",
        ],
        **catalogue.GRAD_CAM_FROM_MAPS,
    ),
]
