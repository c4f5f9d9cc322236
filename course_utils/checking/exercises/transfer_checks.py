"""The checkers of notebook 06's exercises on networks (``nb06_transfer_learning``; photos: ``photo_checks``):
small test networks the checker builds itself (never ImageNet weights, so checks are fast and work offline), and
the exercise classes that call a student's function on them. A test base is built fresh for each call, because
answers change its ``trainable`` flags."""


import numpy as np

from course_utils.checking.exercises import Exercise, Function, Problem
from course_utils.checking.exercises.compare import a_type, describe
from course_utils.checking.exercises.functions import call_with_time_limit, describe_error, is_placeholder


class ArrayFunction(Function):
    """A ``Function`` exercise whose answer must return a NumPy array, as the reference does (a list or a tensor
    would not work where the notebook uses the result like photos: ``.shape``, ``.min()``, slicing)."""

    def _outcome_problem(self, index, item, expected, outcome, expected_signature):
        got = outcome.value
        if outcome.error is None and not outcome.timed_out and got is not None and not isinstance(got, np.ndarray):
            return Problem("wrong_type", f"Your function returns {a_type(got)}: return a NumPy array, e.g. with "
                           f"np.asarray(...), like the photos it works on.", self._header(index, item))
        return super()._outcome_problem(index, item, expected, outcome, expected_signature)

# (input side, channels of the last feature maps, classes, the layer fine-tuning starts from, whether a 1x1
# "block_2_expand" convolution sits right before block_2_conv: the layer before first_layer then has weights)
_BASES = ((32, 16, 3, "block_1_conv", False), (24, 12, 2, "block_2_conv", True))


# ----------------------------------------------------------------------------------------- test networks


def test_base(side=32, channels=16, seed=0, expand=False):
    """A small MobileNet-like base: stem and two blocks of Conv - BatchNorm - ReLU (the last ReLU is ``out_relu``),
    output ``(side / 4, side / 4, channels)``; with ``expand`` a 1x1 convolution "block_2_expand" right before
    "block_2_conv". Weights and BatchNorm statistics are fixed by ``seed``."""
    import keras

    layers = keras.layers
    inputs = keras.Input((side, side, 3), name="image")
    x = inputs
    # BatchNormalization layers named three ways (as MobileNetV2's bn_Conv1 and block_1_expand_BN, and otherwise):
    # an answer must find them by type, not by name.
    for name, norm, filters, stride in (("stem", "bn_stem", 8, 2), ("block_1", "block_1_BN", 8, 1),
                                        ("block_2", "block_2_norm", channels, 2)):
        if expand and name == "block_2":
            x = layers.Conv2D(8, 1, use_bias=False, name="block_2_expand")(x)
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


class FunctionAnswer(Exercise):
    """The answer is a function, compared by behaviour with ``reference``."""

    kind = "function"

    def __init__(self, id, reference, **options):
        super().__init__(id, **options)
        self.reference = reference

    def _reference_answer(self):
        return self.reference

    def _reference_source(self):
        from course_utils.checking.exercises.core import reference_source

        return reference_source(self.reference)

    def _not_a_function(self, answer):
        """A ``Problem`` when ``answer`` is not a function or still a placeholder, else ``None``."""
        if not callable(answer):
            return Problem("wrong_type", f"Your answer should be a function (`def {self.name}(...):`), not "
                           f"{describe(answer)}. Pass the function itself: `check({self.name})`.")
        if is_placeholder(answer):
            return Problem("not_attempted", "Write the body of your function, run the cell, then check again.")
        return None


class _OnTestBases(FunctionAnswer):
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


def model_behaviour(model, side):
    """``(trainable parameters, outputs)``: outputs on fixed images after giving every Dense layer outside the
    base fixed weights (so that two models with the same architecture give the same numbers). A subclassed model
    that was never called is built by a first call."""
    import keras

    from course_utils.transfer_learning.transfer import all_layers, trainable_count

    model(_images(side), training=False)  # builds a subclassed model; a functional one is built already
    dense = [layer for layer in all_layers(model) if isinstance(layer, keras.layers.Dense)]  # nested heads too
    for index, layer in enumerate(dense):
        rng = np.random.default_rng([index, *layer.kernel.shape])
        layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
    return trainable_count(model), np.asarray(model(_images(side), training=False), dtype="float64")


def _input_shape(model):
    """The model's input shape from ``model.inputs`` (functional and Sequential models), or ``None`` for a
    subclassed model, which has no fixed input."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    return tuple(inputs[0].shape) if inputs else None


def _drifting_batchnorm(model, side, n_classes):
    """The BatchNormalization layers of ``model`` whose moving statistics change in one step of ``model.fit``
    (that is what a frozen base must never do), as ``(layer, variables frozen but layer not)`` pairs."""
    import keras

    from course_utils.transfer_learning.transfer import all_layers

    norms = [layer for layer in all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
    before = [keras.ops.convert_to_numpy(layer.moving_mean).copy() for layer in norms]
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
    model.fit(_images(side, n=8, seed=2), np.arange(8) % n_classes, batch_size=8, epochs=1, verbose=0)
    return [(layer, layer.trainable and not any(w.trainable for w in layer.weights))
            for layer, mean in zip(norms, before) if not np.array_equal(keras.ops.convert_to_numpy(layer.moving_mean), mean)]


VARIABLES_NOT_LAYER = (
    "you froze the variables, not the layer: BatchNormalization decides on the layer's own flag (it normalises "
    "with each batch's statistics and updates its moving mean and variance when `training and layer.trainable`), "
    "and fit runs the model with training=True, so {name!r} still changes in fit although none of its variables "
    "is trainable. Freeze the layers: {fix}.")


class Classifier(_OnTestBases):
    """``build_classifier(base, n_classes)`` must behave like the reference: same trainable parameters, same
    outputs once its Dense layers get the same weights, and no BatchNormalization statistics moving in ``fit``."""

    def _evaluate_on(self, answer, spec):
        import keras

        side, channels, n_classes, _, expand = spec
        model, problem = _call(answer, (test_base(side, channels, expand=expand), n_classes))
        if problem:
            return problem
        if model is None:
            return Problem("returned_none", "Your function returned None: did you forget `return model`?")
        if not isinstance(model, keras.Model):
            return Problem("wrong_type", f"Your function should return a keras.Model, not {describe(model)}.")
        shape = _input_shape(model)
        if shape is not None and shape != (None, side, side, 3):
            return Problem("wrong_shape", f"Your model takes inputs of shape {shape}; it should take "
                           f"the base's input, {(None, side, side, 3)}.")
        try:
            outputs = model(_images(side), training=False)
        except Exception as err:  # noqa: BLE001 - a subclassed model's call() is the student's code
            return Problem("error", f"Calling your model on a batch of {side}x{side} RGB images raised "
                           f"{describe_error(err)}.")
        if tuple(outputs.shape)[1:] != (n_classes,):
            return Problem("wrong_output_shape", f"Your model's output shape is {(None, *tuple(outputs.shape)[1:])}; "
                           f"with n_classes={n_classes} it should be (None, {n_classes}): one probability per class.")
        want = model_behaviour(self.reference(test_base(side, channels, expand=expand), n_classes), side)
        got = model_behaviour(model, side)
        if got[0] == want[0] and np.allclose(got[1], want[1], atol=1e-5):
            drifting = _drifting_batchnorm(model, side, n_classes)
            if not drifting:
                return None
            layer, variables_only = drifting[0]
            if variables_only:
                return Problem("wrong", "Your model computes the right thing, but " + VARIABLES_NOT_LAYER.format(
                    name=layer.name, fix="base.trainable = False (it also freezes their variables)"))
            return Problem("wrong", f"The BatchNormalization layer {layer.name!r} updates its moving statistics in "
                           "fit: freeze the whole base with base.trainable = False.")

        def same_as(wrong):
            other = model_behaviour(wrong(test_base(side, channels, expand=expand), n_classes), side)
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
    base = test_base(spec[0], spec[1], expand=spec[4])
    base.trainable = False  # as after feature extraction
    return base


def _trainable_state(function, spec):
    """What ``fit`` of a classifier holding a fresh (frozen) test base would train after ``function(base,
    first_layer)``: the names of the layers with trainable variables (a nested model's fit collects every trainable
    variable, whatever ``base.trainable`` says) and of the BatchNormalization layers whose own flag is True (they
    would normalise with batch statistics and update them); the outcome (``None`` or a ``Problem``), and the base."""
    import keras

    base = _frozen_base(spec)
    _, problem = _call(function, (base, spec[3]))
    names = sorted({w.path.split("/")[-2] for w in base.weights if w.trainable})
    norms = sorted(layer.name for layer in base.layers
                   if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable)
    return (names, norms), problem, base


class FineTuning(_OnTestBases):
    """After ``prepare_fine_tuning(base, first_layer)`` exactly the reference's layers must be trainable (by their
    variables, as ``fit`` sees them) and every BatchNormalization layer frozen (by its own flag)."""

    _NOTE = ("Well done! Note: your function leaves base.trainable False. On Keras 3 the fit of a classifier "
             "holding the base trains exactly the layers you unfroze (it collects every trainable variable), but "
             "base.trainable_weights is empty and base.summary() reports 0 trainable parameters. Setting "
             "base.trainable = True first keeps the two consistent.")

    def _evaluate(self, answer):
        self._note = None
        return super()._evaluate(answer)

    def _correct_message(self):
        return self._note or super()._correct_message()

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
            if not base.trainable:
                self._note = self._NOTE
            return None
        answers = {}

        def same_as(wrong):  # on every test base: two mistakes can agree on one
            for other in _BASES:
                if other not in answers:
                    answers[other] = got if other == spec else _trainable_state(answer, other)[0]
                if _trainable_state(wrong, other)[0] != answers[other]:
                    return False
            return True

        recognised = self.diagnose(same_as)
        if recognised:
            return recognised
        (names, norms), first = got, spec[3]
        order = [layer.name for layer in base.layers]
        if not names:
            return Problem("wrong", "After your function no layer of the base has trainable weights: set "
                           "base.trainable = True (it sets every layer's flag), then set the flags of the layers "
                           f"before {first!r} and of every BatchNormalization layer to False.")
        bn = [n for n in names if isinstance(base.get_layer(n), keras.layers.BatchNormalization)]
        if bn:
            return Problem("wrong", f"The BatchNormalization layer {bn[0]!r} is trainable: freeze every "
                           f"BatchNormalization layer (layer.trainable = False), found by its type, "
                           f"isinstance(layer, keras.layers.BatchNormalization), not by its name.")
        if norms:
            return Problem("wrong", "The right weights are trainable, but " + VARIABLES_NOT_LAYER.format(
                name=norms[0], fix="layer.trainable = False for every BatchNormalization layer"))
        early = [n for n in names if order.index(n) < order.index(first)]
        if early:
            return Problem("wrong", f"{early[0]!r} comes before {first!r} but is trainable: only {first!r} and the "
                           f"layers after it should be.")
        missing = [n for n in want[0] if n not in names]
        return Problem("wrong", f"{missing[0]!r} should be trainable: it is {first!r} or comes after it.")
