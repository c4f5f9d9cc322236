"""Answers that are Keras models (or functions that build one), compared with a reference builder:
layer kinds in order, output shape, parameter count (total and per layer). Keras is imported only here,
inside the check."""

from course_utils.exercises.compare import Problem, a_type, describe
from course_utils.exercises.core import Exercise, reference_source
from course_utils.exercises.functions import call_with_time_limit, describe_error, is_placeholder


def _layer_rows(model, ignore):
    """``[(class name, parameter count)]`` of the model's top-level layers, input layers and ``ignore``
    left out."""
    return [(type(layer).__name__, int(layer.count_params())) for layer in model.layers
            if type(layer).__name__ not in ("InputLayer", *ignore)]


def _shape(shape):
    return tuple(shape) if isinstance(shape, (tuple, list)) else shape


class Model(Exercise):
    """The answer is a Keras model, or a function with no arguments that builds one. ``reference`` is such
    a function. ``ignore_layers``: layer class names left out of the comparison (e.g. ``("Dropout",)``).
    An unbuilt student model is built for the reference's input shape."""

    kind = "model"

    def __init__(self, id, reference, *, ignore_layers=(), check_params=True, time_limit=60.0, **options):
        super().__init__(id, **options)
        self.reference = reference
        self.ignore_layers = tuple(ignore_layers)
        self.check_params = check_params
        self.time_limit = time_limit
        self._spec = None

    def _reference_answer(self):
        return self.reference()

    def _reference_source(self):
        return reference_source(self.reference)

    def spec(self):
        """The reference's ``{"layers": [(kind, params)], "input_shape", "output_shape", "params"}``."""
        if self._spec is None:
            model = self.reference()
            self._spec = {
                "layers": _layer_rows(model, self.ignore_layers),
                "input_shape": _shape(model.input_shape),
                "output_shape": _shape(model.output_shape),
                "params": int(model.count_params()),
            }
        return self._spec

    def _not_attempted_message(self, answer):
        return (f"Build your model (replace the placeholder), run the cell, then check "
                f"again. Stuck? Try `ex.{self.id}.hint()`.")

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
        if not model.built or not hasattr(model, "output_shape"):
            try:
                model.build(spec["input_shape"])
            except Exception as err:  # noqa: BLE001
                return Problem("error", f"Your model could not be built for inputs of shape "
                               f"{spec['input_shape']}: {type(err).__name__}: {str(err)[:200]}")
        return self._compare_layers(model, spec) or self._compare_output(model, spec) or self._compare_params(
            model, spec)

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

    def _compare_layers(self, model, spec):
        got = [kind for kind, _ in _layer_rows(model, self.ignore_layers)]
        expected = [kind for kind, _ in spec["layers"]]
        if got == expected:
            return None
        detail = f"expected: {' -> '.join(expected)}\nyours:    {' -> '.join(got) or '(no layers)'}"
        for index, (exp, mine) in enumerate(zip(expected, got, strict=False)):
            if exp != mine:
                return Problem("wrong_layers", f"Layer {index + 1} should be a {exp}, but yours is a {mine}.",
                               detail)
        if len(got) < len(expected):
            missing = ", ".join(expected[len(got):])
            return Problem("wrong_layers", f"Your model has {len(got)} layers, the reference {len(expected)}: "
                           f"after your last layer it continues with {missing}.", detail)
        extra = ", ".join(got[len(expected):])
        return Problem("wrong_layers", f"Your model has {len(got)} layers, the reference {len(expected)}: "
                       f"remove the extra {extra} at the end.", detail)

    def _compare_output(self, model, spec):
        got = _shape(model.output_shape)
        if got == spec["output_shape"]:
            return None
        note = ""
        if isinstance(got, tuple) and len(got) == len(spec["output_shape"]) and got[:-1] == spec["output_shape"][:-1]:
            note = f" Check the size of the last layer: it should give {spec['output_shape'][-1]} values."
        return Problem("wrong_output_shape", f"Your model's output shape is {got}, expected "
                       f"{spec['output_shape']}.{note}")

    def _compare_params(self, model, spec):
        if not self.check_params:
            return None
        total = int(model.count_params())
        if total == spec["params"]:
            return None
        rows = _layer_rows(model, self.ignore_layers)
        for index, ((kind, mine), (_, exp)) in enumerate(zip(rows, spec["layers"], strict=False)):
            if mine != exp:
                return Problem("wrong_params", f"Your model has {total:,} parameters, expected {spec['params']:,}. "
                               f"The first layer that differs is layer {index + 1} ({kind}): {mine:,} parameters "
                               f"instead of {exp:,}; check its units/filters, kernel size and use_bias.")
        return Problem("wrong_params", f"Your model has {total:,} parameters, expected {spec['params']:,}.")


__all__ = ["Model"]
