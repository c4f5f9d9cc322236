"""The checker of ``residual_block(x, filters, stride)`` (notebook 05), by behaviour on small symbolic inputs:
the output shape; inference deterministic and independent of the batch (called twice, on parts of the batch,
before and after a training-mode call); then, with some weights set to known values (BatchNorm's gamma at 1,
3x3 kernels at zero, shifts at +1), what the shortcut carries and whether the main path can lower the output.
Layer types are read only to name a diagnosis (a Concatenate, where the stride sits, how many 3x3 convolutions).
"""

import math
import re

import numpy as np

from course_utils.checking.exercises import Problem
from course_utils.checking.exercises.functions import call_with_time_limit, describe_error
from course_utils.checking.exercises.keras_checks import KerasFunction
from course_utils.checking.exercises.residual_structure import block_structure, structure_message
from course_utils.transfer_learning.transfer import all_layers

RESIDUAL_CASES = [  # (input shape without the batch, filters, stride, note)
    ((8, 8, 16), 16, 1, "same channels, stride 1: the identity shortcut"),
    ((8, 8, 16), 32, 1, "16 -> 32 channels, stride 1"),
    ((9, 9, 16), 32, 2, "16 -> 32 channels, stride 2 on an odd size"),
    ((7, 5, 8), 8, 2, "same channels, stride 2, non-square"),
    ((6, 6, 8), 16, None, "8 -> 16 channels, stride left out (its default, 1)"),
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
        if len(x[part]) == 0:  # a batch of one has no second part (an empty batch is an error on older Keras)
            continue
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
        arguments = (inputs, filters) if stride is None else (inputs, filters, stride)
        stride = stride or 1
        outcome = call_with_time_limit(function, arguments, {}, self.time_limit)
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
            return ("ok", got) + (None,) * 10, ""
        structure = block_structure(inputs, out, filters, stride)
        model = keras.Model(inputs, out)
        x = _probe_batch(shape, index)
        inference = _inference(model, x)
        model(x, training=True)  # one training-mode call, as in fit (BatchNorm updates its moving statistics)
        inference = inference if inference != "ok" else _inference(model, x)
        every = list(all_layers(model))  # nested models (a keras.Sequential main path) included
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
                stride_first, concatenates, structure), ""

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
            given = f"stride={stride}" if stride is not None else "no stride"
            where = f"With an input of shape (batch, {', '.join(map(str, shape))}), filters={filters}, {given} ({note}): "
            if problem.status in ("not_attempted", "timeout"):
                return problem
            recognised = self.diagnose(lambda wrong: all(
                self._known_behaviour(wrong, i) == seen for i, seen in enumerate(history)))
            if recognised:
                return Problem(recognised.status, where + recognised.message, detail)
            return Problem(problem.status, where + problem.message, problem.detail)
        return None

    def _problem(self, facts, detail, shape, filters, stride):  # noqa: C901 - one test per sentence
        kind, stride = facts[0], stride or 1
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
        _, _, inference, left, projection, main_used, n_spatial, can_lower, clean, stride_first, concat, structure = facts
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
        if structure and structure.startswith(("merge:", "lambda", "setting:")):
            return Problem("wrong", structure_message(structure, filters, stride, identity_case))
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
        if structure and structure.startswith(("after:", "preact")):
            return Problem("wrong", structure_message(structure, filters, stride, identity_case))
        if n_spatial > 2:
            return Problem("wrong", "your block has more than two 3x3 convolutions: the main path has exactly "
                           "two (Conv-BN-ReLU-Conv-BN), and a projection shortcut is a 1x1 convolution.")
        if n_spatial < 2:
            return Problem("wrong", "your main path has one 3x3 convolution: the second Conv2D(filters, 3, "
                           "padding='same') and its BatchNormalization are missing (Conv-BN-ReLU-Conv-BN).")
        if not stride_first:
            return Problem("wrong", "the stride belongs on the first 3x3 convolution of the main path (it "
                           "shrinks the maps; the second keeps their size): yours is on a later one.")
        if structure:
            return Problem("wrong", structure_message(structure, filters, stride, identity_case))
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
