"""Answers that are Keras models (or functions that build one), compared with a reference builder by
behaviour, not bookkeeping: the input shape, then layer by layer its kind, output shape and activation
(activations written as separate layers - ``ReLU()``, ``Activation("relu")``, ``Softmax()`` - are folded into
the layer before them), then the output activation, then the parameter counts. Keras is imported only here,
inside the check."""

import difflib

from course_utils.checking.exercises.compare import Problem, a_type, describe
from course_utils.checking.exercises.core import Exercise, reference_source
from course_utils.checking.exercises.functions import call_with_time_limit, describe_error, is_placeholder

#: Layers that only apply an activation; they are folded into the layer before them.
ACTIVATION_LAYERS = ("ReLU", "Activation", "Softmax", "LeakyReLU", "ELU", "PReLU")


def activation_name(layer):
    """``"relu"``, ``"softmax"``, ``"linear"`` ... that ``layer`` applies, or ``None`` when it has none."""
    kind = type(layer).__name__
    if kind == "ReLU":
        plain = layer.max_value is None and not layer.negative_slope and not layer.threshold
        return "relu" if plain else "relu (with max_value, negative_slope or threshold)"
    if kind == "Softmax":
        return "softmax" if _last_axis(layer, layer.axis) else f"softmax over axis {layer.axis} (not the classes)"
    if kind in ("LeakyReLU", "ELU", "PReLU"):
        return {"LeakyReLU": "leaky_relu", "ELU": "elu", "PReLU": "prelu"}[kind]
    if kind == "Lambda":  # Lambda(lambda x: keras.ops.softmax(x)): an activation when it computes one
        name = function_name(layer.function)
        return name if name in _KNOWN or name == "abs" else None
    function = getattr(layer, "activation", None)
    if function is None:
        return None
    return function_name(function)


#: Activations recognised by behaviour, whatever their spelling (``tf.nn.softmax`` is named ``softmax_v2``).
_KNOWN = ("linear", "relu", "softmax", "sigmoid", "tanh", "elu", "selu", "gelu", "silu", "softplus", "softsign",
          "leaky_relu", "relu6", "hard_sigmoid", "exponential", "log_softmax", "mish")


def function_name(function):
    """The name of an activation function by what it does: ``"softmax"`` for ``keras.activations.softmax``,
    ``tf.nn.softmax`` or ``lambda x: keras.ops.softmax(x)`` alike (each is applied to a probe tensor and
    compared with Keras' activations); otherwise its ``__name__``."""
    import keras
    import numpy as np

    own = getattr(function, "__name__", type(function).__name__)
    if own in _KNOWN and getattr(keras.activations, own, None) is function:
        return own
    # values past 6 and far below 0 tell relu6 and clipped or capped variants from relu
    probe = np.array([[-3.0, -0.5, 0.0, 0.7, 2.5], [1.5, -2.0, 4.0, 0.1, -0.2], [10.0, -10.0, 7.0, -6.5, 30.0]],
                     dtype="float32")
    try:
        got = np.asarray(keras.ops.convert_to_numpy(function(keras.ops.convert_to_tensor(probe))), dtype=float)
    except Exception:  # noqa: BLE001 - a function that fails on a tensor is named as written
        return own
    for name in _KNOWN:
        known = getattr(keras.activations, name, None)
        if known is None:
            continue
        expected = np.asarray(keras.ops.convert_to_numpy(known(keras.ops.convert_to_tensor(probe))), dtype=float)
        if got.shape == expected.shape and np.allclose(got, expected, rtol=1e-4, atol=1e-5):
            return name
    if got.shape == probe.shape and np.allclose(got, np.abs(probe), rtol=1e-4, atol=1e-5):
        return "abs"  # Lambda(tf.abs): the absolute value, an activation no Keras name covers
    return own


def _last_axis(layer, axis):
    """True when ``axis`` (an int, or a list of one) is the last axis of ``layer``'s input."""
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            return False
        axis = axis[0]
    if axis == -1:
        return True
    try:
        return axis == len(layer.output.shape) - 1
    except Exception:  # noqa: BLE001 - no known rank: only -1 is surely the last axis
        return False


def _flat_layers(model):
    """``model.layers`` with nested Sequential and functional models opened up, in order."""
    for layer in model.layers:
        if hasattr(layer, "layers") and _has_shapes(layer):
            yield from _flat_layers(layer)
        else:
            yield layer


def _output_shape(layer):
    try:
        return tuple(layer.output.shape)
    except Exception:  # noqa: BLE001 - subclassed models and the like: the shape is simply not compared
        return None


def layer_rows(model, ignore=()):
    """The model's layers as ``[{"kind", "activation", "shape", "params"}]``: input layers and ``ignore`` left
    out, activation layers folded into the row before them (``"activation"`` then reads e.g. ``"relu"``, or
    ``"relu then softmax"`` for two in a row)."""
    rows = []
    for layer in _flat_layers(model):
        kind = type(layer).__name__
        if kind == "InputLayer" or kind in ignore:
            continue
        name = activation_name(layer)
        params = int(layer.count_params())
        if kind in ("Activation", "Lambda") and name == "linear" and rows:  # the identity: changes nothing
            continue
        if (kind in ACTIVATION_LAYERS or (kind == "Lambda" and name is not None)) and rows:
            row = _target_row(rows, name)
            before = row["activation"]
            if before not in (None, "linear") and not (before == name == "relu"):  # relu(relu(x)) is relu(x)
                name = f"{before} then {name}"
            row["activation"] = name
            if row is rows[-1]:
                row["shape"] = _output_shape(layer) or row["shape"]
            row["params"] += params
            continue
        rows.append({"kind": kind, "activation": name, "shape": _output_shape(layer), "params": params})
    return rows


#: Layers that commute with an element-wise, non-decreasing activation: ReLU after them equals ReLU before them.
_COMMUTING = ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "GlobalMaxPooling2D", "Flatten", "Reshape", "Dropout")
_MONOTONE = ("relu", "leaky_relu", "elu", "sigmoid", "tanh")


def _target_row(rows, activation):
    """The row an activation layer folds into: the row before it, or, for a monotone activation written after a
    max-pooling or Flatten layer (``Conv2D -> MaxPooling2D -> ReLU``, the same function as ``Conv2D(relu) ->
    MaxPooling2D``), the linear layer before those."""
    if activation in _MONOTONE:
        for row in reversed(rows):
            if row["kind"] not in _COMMUTING:
                if row["activation"] in (None, "linear") and row is not rows[-1]:
                    return row
                break
    return rows[-1]


def _shape(shape):
    return tuple(shape) if isinstance(shape, (tuple, list)) else shape


def _plain(activation):
    return "no activation (linear)" if activation in (None, "linear") else activation


class Model(Exercise):
    """The answer is a Keras model, or a function with no arguments that builds one. ``reference`` is such
    a function. ``ignore_layers``: layer class names left out of the comparison (e.g. ``("Dropout",)``).
    An unbuilt student model is built for the reference's input shape. ``solution()`` ends with the parameter
    count, computed by building the reference."""

    kind = "model"

    def __init__(self, id, reference, *, ignore_layers=(), check_params=True, trains=True, time_limit=60.0,
                 **options):
        super().__init__(id, **options)
        self.reference = reference
        self.ignore_layers = tuple(ignore_layers)
        self.check_params = check_params
        self.trains = trains  # every layer trainable, its weights random (not all equal) at the start
        self.time_limit = time_limit
        self._spec = None

    def _reference_answer(self):
        return self.reference()

    def _reference_source(self):
        return reference_source(self.reference)

    def solution_text(self):
        source = super().solution_text()
        try:
            spec = self.spec()
        except Exception:  # noqa: BLE001 - no Keras: the code alone
            return source
        terms = [f"{row['params']:,}" for row in spec["layers"] if row["params"]]
        total = f"{spec['params']:,}"
        sum_text = f"{' + '.join(terms)} = {total}" if len(terms) > 1 else total
        return f"{source}\n# parameters (counted by building it): {sum_text}"

    def spec(self):
        """The reference's ``{"layers": layer_rows(...), "input_shape", "output_shape", "params"}``."""
        if self._spec is None:
            model = self.reference()
            self._spec = {
                "layers": layer_rows(model, self.ignore_layers),
                "input_shape": _shape(model.input_shape),
                "output_shape": _shape(model.output_shape),
                "params": int(model.count_params()),
            }
        return self._spec

    def _not_attempted_message(self, answer):
        none = (" (`model.add(...)` and `model.summary()` return None: assign the model itself, not their result)"
                if answer is None else "")
        return (f"Build your model (replace the placeholder), run the cell, then check again{none}. Stuck? Try "
                f"`ex.{self.id}.hint()`.")

    def _evaluate(self, answer):
        try:
            import keras
        except ImportError:
            return Problem("checker_error", "Keras is not installed, so models cannot be checked. Run "
                           "`course doctor` to see how to install TensorFlow.")
        spec = self.spec()
        model = answer
        if callable(answer) and not isinstance(answer, (keras.Model, keras.layers.Layer)):
            if is_placeholder(answer):
                return Problem("not_attempted", self._not_attempted_message(answer))
            outcome = call_with_time_limit(answer, (), {}, self.time_limit)
            if outcome.error is not None:
                if isinstance(outcome.error, NotImplementedError):
                    return Problem("not_attempted", self._not_attempted_message(answer))
                return Problem("error", f"Building your model raised {describe_error(outcome.error)}.")
            if outcome.timed_out:
                return Problem("timeout", f"Building your model took longer than {self.time_limit:g} s.")
            model = outcome.value
            if model is None:
                return Problem("returned_none", "Your model-building function returned None: did you forget "
                               "`return model`?")
        problem = self._not_a_model(model, keras)
        if problem:
            return problem
        if not hasattr(type(model), "output_shape") and not _has_shapes(model):
            return Problem("checker_error", f"Your model is a subclassed keras.Model (`class "
                           f"{type(model).__name__}(keras.Model)` with a `call()` method): it may well be right, but "
                           f"this check compares layers and their output shapes, which only Sequential and "
                           f"functional models expose. Write the same layers with `keras.Sequential([...])` or the "
                           f"functional API to have it checked.")
        if not model.built or not _has_shapes(model):
            try:
                model.build(spec["input_shape"])
            except Exception as err:  # noqa: BLE001
                return Problem("error", f"Your model could not be built for inputs of shape "
                               f"{spec['input_shape']}: {type(err).__name__}: {str(err)[:200]}")
        rows = layer_rows(model, self.ignore_layers)
        return (self._compare_input(model, spec) or self._compare_kinds(rows, spec)
                or self._compare_each_layer(rows, spec) or self._compare_output_activation(rows, spec)
                or self._compare_output(model, spec) or self._compare_params(model, rows, spec)
                or (self.trains and _training_problem(model)) or self._compare_calls(model, spec))

    @staticmethod
    def _compare_calls(model, spec):
        """The model called twice, on batches of 1 and 3 images, gives one output row per image."""
        import numpy as np

        for n in (1, 3):
            x = np.random.default_rng(n).random((n, *spec["input_shape"][1:])).astype("float32")
            try:
                out = np.asarray(model(x, training=False))
            except Exception as err:  # noqa: BLE001 - the student's model failing is the finding
                return Problem("error", f"Your model fails on a batch of {n} image(s) of shape "
                               f"{spec['input_shape'][1:]}: {type(err).__name__}: {plain_text(err)}. Keep the "
                               f"batch size free (no `batch_size` in `keras.Input`, no batch axis in a `Reshape`).")
            if out.shape != (n, *spec["output_shape"][1:]):
                return Problem("wrong_shape", f"On a batch of {n} image(s) your model returns shape {out.shape}, "
                               f"expected {(n, *spec['output_shape'][1:])}: one output row per image.")
        return None

    def _not_a_model(self, model, keras):
        if isinstance(model, keras.Model):
            return None
        if isinstance(model, keras.layers.Layer):
            note = f" It is a single {type(model).__name__} layer: put your layers in `keras.Sequential([...])`."
        elif isinstance(model, (list, tuple)) and model and all(isinstance(x, keras.layers.Layer) for x in model):
            note = " It looks like a list of layers: wrap it with `keras.Sequential([...])`."
        else:
            note = " Build it with `keras.Sequential([...])` or `keras.Model(inputs, outputs)`."
        return Problem("not_a_model", f"Your answer should be a Keras model, but it is {describe(model)} "
                       f"({a_type(model)}).{note}")

    def _compare_input(self, model, spec):
        try:
            got = _shape(model.input_shape)
        except Exception:  # noqa: BLE001 - several inputs and the like: the layers will tell
            return None
        dtype = str(getattr(model.inputs[0], "dtype", "float32") if getattr(model, "inputs", None) else "float32")
        if "int" in dtype:
            return Problem("wrong_dtype", f"Your model's input has dtype {dtype}: it takes whole numbers, but the "
                           f"images it gets are floats in [0, 1] (and its weights are floats). Leave out "
                           f"`dtype=...` in `keras.Input({spec['input_shape'][1:]})`: the default is float32.")
        if got == spec["input_shape"]:
            return None
        return Problem("wrong_shape", f"Your model takes inputs of shape {got}, expected {spec['input_shape']}: "
                       f"start it with `keras.Input({spec['input_shape'][1:]})`.")

    def _compare_kinds(self, rows, spec):
        got = [row["kind"] for row in rows]
        expected = [row["kind"] for row in spec["layers"]]
        if got == expected:
            return None
        detail = f"expected: {' -> '.join(expected)}\nyours:    {' -> '.join(got) or '(no layers)'}"
        for tag, e1, e2, g1, g2 in difflib.SequenceMatcher(a=expected, b=got, autojunk=False).get_opcodes():
            if tag == "equal":
                continue
            after = f"after layer {g1} ({got[g1 - 1]})" if g1 else "at the start"
            if tag == "delete":
                return Problem("wrong_layers", f"Your model is missing {_a(expected[e1:e2])} {after}.", detail)
            if tag == "insert":
                return Problem("wrong_layers", f"Your model has {_a(got[g1:g2])} too many {after}: remove "
                               f"{'it' if g2 - g1 == 1 else 'them'}.", detail)
            return Problem("wrong_layers", f"Layer {g1 + 1} should be a {expected[e1]}, but yours is a {got[g1]}.",
                           detail)
        return Problem("wrong_layers", "Your layers differ from the reference.", detail)

    def _compare_each_layer(self, rows, spec):
        last = len(rows) - 1
        for index, (mine, exp) in enumerate(zip(rows, spec["layers"], strict=True)):
            where = f"Layer {index + 1} ({mine['kind']})"
            if mine["shape"] is not None and exp["shape"] is not None and mine["shape"] != exp["shape"]:
                return _shape_problem(where, mine["shape"], exp["shape"], index == last)
            if index != last and _plain(mine["activation"]) != _plain(exp["activation"]):
                return Problem("wrong_activation", _hidden_activation_message(where, mine["activation"],
                                                                              exp["activation"]))
        return None

    def _compare_output_activation(self, rows, spec):
        mine, exp = _plain(rows[-1]["activation"]), _plain(spec["layers"][-1]["activation"])
        if mine == exp:
            return None
        return Problem("wrong_activation", _output_activation_message(mine, exp))

    def _compare_output(self, model, spec):
        got = _shape(model.output_shape)
        if got == spec["output_shape"]:
            return None
        note = ""
        if isinstance(got, tuple) and len(got) == len(spec["output_shape"]) and got[:-1] == spec["output_shape"][:-1]:
            note = f" Check the size of the last layer: it should give {spec['output_shape'][-1]} values."
        return Problem("wrong_output_shape", f"Your model's output shape is {got}, expected "
                       f"{spec['output_shape']}.{note}")

    def _compare_params(self, model, rows, spec):
        if not self.check_params:
            return None
        total = int(model.count_params())
        if total == spec["params"]:
            return None
        for index, (mine, exp) in enumerate(zip(rows, spec["layers"], strict=False)):
            if mine["params"] != exp["params"]:
                return Problem("wrong_params", f"Your model has {total:,} parameters, expected {spec['params']:,}. "
                               f"The first layer that differs is layer {index + 1} ({mine['kind']}): "
                               f"{mine['params']:,} parameters instead of {exp['params']:,}; check its "
                               f"units/filters, kernel size and use_bias.")
        return Problem("wrong_params", f"Your model has {total:,} parameters, expected {spec['params']:,}.")


def plain_text(error, limit=300):
    """An error's message without terminal colour codes, cut at a word near ``limit`` characters."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."


def _training_problem(model):
    """A layer that could not learn as built: frozen, or with all its starting weights equal."""
    import keras
    import numpy as np

    for layer in _flat_layers(model):
        kind = type(layer).__name__
        if layer.weights and not layer.trainable:
            return Problem("wrong", f"Your layer {layer.name!r} ({kind}) is frozen (trainable=False): it would "
                           f"keep its starting weights while the rest trains. Leave `trainable` as it is.")
        for part in ("kernel", "bias", "gamma", "beta", "depthwise_kernel", "pointwise_kernel"):
            variable = getattr(layer, part, None)
            if variable is not None and hasattr(variable, "trainable") and not variable.trainable:
                return Problem("wrong", f"The {part} of your layer {layer.name!r} ({kind}) is frozen ("
                               f"`.{part}.trainable = False`): it would keep its starting values while the rest "
                               f"trains. Leave the variables trainable.")
            if variable is not None and getattr(layer, f"{part}_constraint", None) is not None:
                return Problem("wrong", f"Your layer {layer.name!r} ({kind}) has a {part}_constraint: after each "
                               f"step Keras forces its {part} back into the constraint, so it does not learn the "
                               f"layer asked for. Leave `{part}_constraint` out.")
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        values = np.asarray(keras.ops.convert_to_numpy(kernel))
        if values.size > 1 and np.all(values == values.flat[0]):
            return Problem("wrong", f"Your layer {layer.name!r} ({kind}) starts with all its weights equal "
                           f"({values.flat[0]:g}; kernel_initializer='zeros' or a constant): every filter gets "
                           f"the same gradient and they stay alike (all zeros: nothing flows back through ReLU). "
                           f"Keep the default (random) initializer.")
    return None


def _a(kinds):
    """``"a MaxPooling2D"``, ``"a Dense and a Dense"``: layer kinds for a sentence."""
    return " and ".join(f"{'an' if kind[:1] in 'AEIOU' else 'a'} {kind}" for kind in kinds)


def _shape_problem(where, mine, expected, is_last):
    if is_last:
        note = ""
        if len(mine) == len(expected) and mine[:-1] == expected[:-1]:
            note = f" Check the size of the last layer: it should give {expected[-1]} values."
        return Problem("wrong_output_shape", f"Your model's output shape is {mine}, expected {expected}.{note}")
    if len(mine) == len(expected) and mine[:-1] == expected[:-1]:
        return Problem("wrong_shape", f"{where} outputs shape {mine}: {mine[-1]} channels (filters or units), "
                       f"expected {expected[-1]}. Check its number of filters or units.")
    return Problem("wrong_shape", f"{where} outputs shape {mine}, expected {expected}: its spatial size differs. "
                   f"Check its kernel or pool size, strides and padding (the parameter count alone cannot tell "
                   f"these apart).")


def _has_shapes(model):
    try:
        model.output_shape  # noqa: B018 - raises for a model that was never built
        return True
    except Exception:  # noqa: BLE001
        return False


def _hidden_activation_message(where, mine, expected):
    mine, expected = _plain(mine), _plain(expected)
    if expected == "relu" and mine == "no activation (linear)":
        return (f"{where} has no activation, but it needs activation='relu' (or a `layers.ReLU()` right after "
                f"it): without a non-linearity, stacked layers collapse into one linear map.")
    return f"{where} applies {mine}, but it should apply {expected}."


def _output_activation_message(mine, expected):
    if expected == "softmax":
        if mine == "no activation (linear)":
            return ("Your output layer has no softmax: it gives raw scores (logits), not probabilities that add "
                    "up to 1. Use `Dense(10, activation='softmax')` (or a `layers.Softmax()` after it).")
        if mine == "sigmoid":
            return ("Your output layer uses sigmoid: 10 independent yes/no probabilities that need not add up to "
                    "1. A digit is exactly one of 10 classes: use softmax.")
        if mine.count("softmax") > 1:
            return (f"Your output layer applies {mine}: softmax twice squashes the probabilities towards "
                    f"uniform. Apply softmax once.")
    return (f"Your output layer applies {mine}, but it should apply {expected} (tried on a test input, it does not "
            f"compute {expected}).")


__all__ = ["ACTIVATION_LAYERS", "Model", "activation_name", "function_name", "layer_rows"]
