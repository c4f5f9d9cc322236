"""Does a mutant behave differently from the reference? Broad inputs per exercise, wider than the checkers' own.

``probe_for(exercise)`` gives an object with ``behaviour(answer)`` (what the answer does on the probe's inputs) and
``difference(reference_behaviour, answer_behaviour)`` (a short text saying where they differ, or ``None``).
Inputs are generated here, never taken only from the checker: uint8 and float inputs, odd sizes, negative values,
default arguments, other batch sizes, Keras models called twice, in and out of training. The Keras-function
probes live in ``mutation_keras``. Used by ``tests/test_mutation.py``.
"""

import copy

import numpy as np

from course_utils.checking.exercises.compare import compare
from course_utils.checking.exercises.functions import call_with_time_limit, case

TIME_LIMIT = 5.0  # seconds per call of a mutant: a mutant that loops for longer behaves differently


def _outcome(function, item, check_inputs=True):
    """``("value", output, inputs_changed)``, ``("error", type name)`` or ``("timeout",)``."""
    args, kwargs = copy.deepcopy(item.args), copy.deepcopy(item.kwargs)
    outcome = call_with_time_limit(function, args, kwargs, TIME_LIMIT)
    if outcome.timed_out:
        return ("timeout",)
    if outcome.error is not None:
        return ("error", type(outcome.error).__name__)
    changed = check_inputs and any(
        isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
        and not np.array_equal(a, b, equal_nan=True) for a, b in zip(item.args, args, strict=True))
    return ("value", outcome.value, changed)


def _variants(item, rng):
    """The same call with its arrays made uint8, negated, float32, integer or drawn afresh (same shapes)."""
    arrays = [i for i, a in enumerate(item.args) if isinstance(a, np.ndarray) and a.dtype.kind in "fiu" and a.size]
    if not arrays:
        return []

    def remade(change):
        args = list(item.args)
        for i in arrays:
            args[i] = change(i, args[i])
        return case(*args, **item.kwargs)

    first = arrays[0]
    return [
        remade(lambda i, a: rng.integers(0, 256, a.shape, dtype=np.uint8) if i == first else a),
        remade(lambda i, a: -a.astype(float) - 0.5 if a.dtype.kind in "fc" else a),
        remade(lambda i, a: a.astype(np.float32)),
        remade(lambda i, a: rng.integers(-4, 5, a.shape) if i == first else a),
        remade(lambda i, a: rng.normal(0.0, 3.0, a.shape) if a.dtype.kind == "f" else a),
    ]


def _with_defaults(item, function):
    """The same call with its trailing arguments left out where they equal the function's defaults."""
    import inspect

    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    args = list(item.args)
    while args and len(args) <= len(parameters):
        default = parameters[len(args) - 1].default
        if default is inspect.Parameter.empty or not _equal(args[-1], default):
            break
        args.pop()
    return [case(*args, **item.kwargs)] if len(args) < len(item.args) else []


def _equal(a, b):
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - arrays and the like are no defaults
        return False


class FunctionProbe:
    """A ``Function`` exercise: its own cases, each remade with other dtypes and values and with the default
    arguments left out, plus ``extra(rng)``.
    Outputs are compared as the checker compares (its ``rtol``, ``atol``, ``dtype``); inputs changed in place
    count when the exercise forbids it. Calls where the reference itself raises are left out."""

    def __init__(self, exercise, extra=None):
        self.exercise = exercise
        rng = np.random.default_rng(1234)
        items = [item for item, _ in exercise.prepared_cases()]
        items += [variant for item in items for variant in _variants(item, rng)]
        items += [variant for item in items for variant in _with_defaults(item, exercise.reference)]
        if extra is not None:
            items += [item if isinstance(item, case) else case(*item) for item in extra(rng)]
        reference = exercise.reference
        self.cases = []
        for item in items:
            outcome = _outcome(reference, item)
            if outcome[0] == "value" and outcome[1] is not None and not _has_nan(outcome[1]):
                self.cases.append(item)

    def behaviour(self, answer):
        if not callable(answer):
            return [("error", "not callable")] * len(self.cases)
        return [_outcome(answer, item, not self.exercise.allow_mutation) for item in self.cases]

    def difference(self, want, got):
        ex = self.exercise
        for item, a, b in zip(self.cases, want, got, strict=True):
            if a[0] != b[0]:
                return f"{b[0]} where the reference gives a value, on {_show(item)}"
            if a[0] != "value":
                continue
            if b[2]:
                return f"changes its input in place, on {_show(item)}"
            try:
                problem = compare(a[1], b[1], rtol=ex.rtol, atol=ex.atol, dtype=ex.dtype)
            except Exception as err:  # noqa: BLE001
                return f"output not comparable ({type(err).__name__}) on {_show(item)}"
            if problem is not None:
                return f"{problem.message[:80]} on {_show(item)}"
        return None


def _has_nan(value):
    try:
        return bool(np.isnan(np.asarray(value, dtype=float)).any())
    except (TypeError, ValueError):
        return False


def _show(item):
    parts = [f"{a.dtype}{a.shape}" if isinstance(a, np.ndarray) else repr(a)[:20] for a in item.args]
    parts += [f"{k}={v!r}"[:24] for k, v in item.kwargs.items()]
    return f"({', '.join(parts)})"


class ValueProbe:
    """A ``Value``: the value itself, compared as the checker compares."""

    def __init__(self, exercise):
        self.exercise = exercise

    def behaviour(self, answer):
        return answer

    def difference(self, want, got):
        ex = self.exercise
        problem = compare(want, got, rtol=ex.rtol, atol=ex.atol, dtype=ex.dtype, reveal=False)
        return None if problem is None else f"the value {got!r} is not {want!r}"


class ChoiceProbe:
    """A ``Choice``: the option named."""

    def __init__(self, exercise):
        self.exercise = exercise

    def behaviour(self, answer):
        return self.exercise._find(answer)

    def difference(self, want, got):
        return None if want == got else f"names the option {got!r}"


# --------------------------------------------------------------------------- broad inputs per function exercise


def _images(rng, shapes, kinds=("uint8", "float", "negative")):
    for shape in shapes:
        for kind in kinds:
            if kind == "uint8":
                yield rng.integers(0, 256, shape, dtype=np.uint8)
            elif kind == "float":
                yield rng.uniform(0, 255, shape)
            else:
                yield rng.normal(0.0, 2.0, shape) - 1.0


def _normalize(rng):
    for image in _images(rng, [(1,), (2, 3), (5, 1), (3, 9, 7), (2, 4, 4, 3)], ("uint8", "float")):
        yield case(image)
    yield case(np.array([0, 1, 254, 255], dtype=np.uint8))
    yield case(rng.integers(0, 256, (3, 3)).astype(np.int64), note="int64 pixels")


def _conv_loop(rng):
    for shape, kernel in [((5, 7), (3, 3)), ((6, 4), (2, 3)), ((4, 4), (1, 1)), ((9, 3), (3, 3)), ((3, 8), (3, 1)),
                          ((7, 7), (5, 5)), ((2, 2), (2, 2))]:
        for image in _images(rng, [shape]):
            yield case(image, rng.normal(size=kernel))
        yield case(rng.normal(size=shape), rng.integers(-2, 3, kernel), note="an integer kernel")


def _conv_output_size(rng):
    for n in range(1, 20):
        for k in range(1, 6):
            for stride in (1, 2, 3, 4):
                for padding in (0, 1, 2, 3):
                    if n + 2 * padding >= k and (n + k + stride + padding) % 3 == 0:
                        yield case(n, k, stride, padding)
    for n, k in [(28, 3), (5, 5), (1, 1), (100, 7), (13, 4)]:
        yield case(n, k)  # the default stride and padding
        yield case(n, k, 2)


def _conv_strided(rng):
    for shape, kernel, stride, padding in [((7, 5), (3, 3), 2, 0), ((6, 6), (2, 2), 3, 1), ((5, 9), (3, 1), 1, 2),
                                           ((8, 8), (3, 3), 4, 3), ((4, 4), (4, 4), 1, 0), ((9, 7), (2, 4), 2, 2),
                                           ((3, 3), (1, 1), 2, 1)]:
        for image in _images(rng, [shape]):
            yield case(image, rng.normal(size=kernel), stride, padding)
    yield case(rng.normal(size=(6, 5)), rng.normal(size=(3, 3)), note="default stride and padding")
    yield case(rng.normal(size=(6, 5)), rng.normal(size=(3, 3)), 2, note="default padding")


def _pool(rng):
    for shape, size in [((4, 4), None), ((7, 5), None), ((6, 9), 3), ((5, 5), 1), ((9, 8), 4), ((3, 7), 3),
                        ((2, 2), 2), ((11, 6), 5)]:
        for image in _images(rng, [shape]):
            yield case(image) if size is None else case(image, size)
        yield case(rng.integers(-9, 0, shape)) if size is None else case(rng.integers(-9, 0, shape), size)
    yield case(rng.uniform(-200.0, -100.0, (6, 6)), 2, note="large negative values")
    yield case(rng.uniform(-12.0, -6.0, (4, 4)), 2, note="every value below -5")


def _pool_output_size(rng):
    for n in range(1, 30):
        for size in range(1, 6):
            for stride in (1, 2, 3):
                for padding in ("valid", "same"):
                    if n >= size and (n + size + stride) % 2 == 0:
                        yield case(n, size, stride, padding)


def _grad_cam(rng):
    for shape in [(1, 1, 1), (2, 3, 4), (6, 6, 1), (5, 7, 16), (3, 3, 2)]:
        yield case(rng.random(shape), rng.normal(size=shape))
        yield case(rng.random(shape).astype(np.float32), rng.normal(size=shape).astype(np.float32))
        yield case(rng.normal(size=shape), rng.normal(size=shape), note="maps with negative values")
        yield case(rng.random(shape) * 100, rng.normal(size=shape) * 1e-3, note="large maps, tiny gradients")
    yield case(np.zeros((4, 4, 2)), rng.normal(size=(4, 4, 2)), note="all-zero maps")
    grads = rng.normal(size=(5, 5, 3))
    grads[2] = 4.0
    yield case(rng.random((5, 5, 3)), grads, note="gradients larger in one row")


def _batch_norm(rng):
    for shape in [(2, 3, 3, 2), (5, 1, 1, 3), (16, 4), (3, 7, 5, 1), (1, 2, 2, 4), (4, 6, 6, 8), (2, 5)]:
        c = shape[-1]
        x = rng.normal(rng.normal(0, 3), rng.uniform(0.1, 5), shape)
        yield case(x, rng.normal(1, 0.5, c), rng.normal(0, 1, c))
        yield case(x.astype(np.float32), rng.normal(1, 0.5, c).astype(np.float32), np.zeros(c, np.float32))
        yield case(x, rng.normal(1, 0.5, c), rng.normal(0, 1, c), 0.1, note="epsilon 0.1, positional")
        yield case(x, rng.normal(1, 0.5, c), rng.normal(0, 1, c), epsilon=1e-5)
    yield case(np.full((3, 2, 2, 2), 4.0), np.ones(2), np.zeros(2), note="a constant batch: only epsilon")


def _preprocess(rng):
    for image in _images(rng, [(1, 1, 1, 3), (3, 5, 7, 3), (8, 8, 3), (2, 2, 2, 1)], ("uint8", "float")):
        yield case(image)
    yield case(np.array([[[0, 255, 128]]], dtype=np.uint8))
    yield case(rng.integers(0, 256, (2, 3, 3, 3)).astype(np.int64), note="int64 pixels")
    yield case(rng.uniform(0, 255, (2, 2, 3)).astype(np.float32), note="float32 pixels")


FUNCTION_INPUTS = {"normalize": _normalize, "conv2d_loop": _conv_loop, "conv_output_size": _conv_output_size,
                   "conv2d_strided": _conv_strided, "max_pool": _pool, "avg_pool": _pool,
                   "pool_output_size": _pool_output_size, "grad_cam_from_maps": _grad_cam,
                   "batch_norm": _batch_norm, "preprocess": _preprocess}


def probe_for(exercise):
    """The probe for ``exercise`` (``None`` when it has none)."""
    from course_utils.checking.exercises import mutation_keras_more
    from course_utils.checking.exercises.functions import Function
    from course_utils.checking.exercises.values import Choice, Value

    if isinstance(getattr(exercise, "reference", None), np.ndarray):
        return EdgeProbe(exercise)  # a kernel (01): judged by its spec
    special = mutation_keras_more.probe_for(exercise)
    if special is not None:
        return special
    if isinstance(exercise, Function):
        return FunctionProbe(exercise, FUNCTION_INPUTS.get(exercise.id))
    if isinstance(exercise, Choice):
        return ChoiceProbe(exercise)
    if isinstance(exercise, Value):
        return ValueProbe(exercise)
    return None


__all__ = ["FUNCTION_INPUTS", "ChoiceProbe", "FunctionProbe", "ValueProbe", "probe_for"]


# --------------------------------------------------------------------------- 01 horizontal_edge_kernel


class EdgeProbe:
    """A kernel, judged by its spec on broad images: it responds to every horizontal edge (steps up and down, at
    every row, any contrast), to no vertical edge, and to no flat image (any level)."""

    def __init__(self, exercise):
        from course_utils.checking.exercises.nb01_convolution_by_hand import conv2d_loop

        self.conv = conv2d_loop
        self.horizontal, self.vertical, self.flat = [], [], []
        for rows, cols in ((8, 8), (9, 7), (6, 11)):
            for row in range(2, rows - 1):
                for low, high in ((0.0, 1.0), (1.0, 0.0), (-3.0, 5.0)):
                    image = np.full((rows, cols), low)
                    image[row:] = high
                    self.horizontal.append(image)
                    self.vertical.append(image.T.copy())
            for level in (0.0, 0.7, 5.0, -3.0):
                self.flat.append(np.full((rows, cols), level))

    def behaviour(self, answer):
        try:
            kernel = np.asarray(answer, dtype=float)
            if kernel.ndim != 2 or not np.isfinite(kernel).all() or min(kernel.shape) < 1 or max(kernel.shape) > 5:
                return "not a small kernel"
            response = [[np.abs(self.conv(image, kernel)).max() for image in images]
                        for images in (self.horizontal, self.vertical, self.flat)]
        except Exception as err:  # noqa: BLE001
            return f"error {type(err).__name__}"
        scale = np.abs(kernel).sum() or 1.0
        horizontal, vertical, flat = min(response[0]), max(response[1]), max(response[2])
        if horizontal < 0.1 * scale:
            return "misses a horizontal edge"
        if flat > 1e-6 * horizontal:
            return "responds to a flat image"
        if vertical > 0.1 * horizontal:
            return "responds to a vertical edge"
        return "a horizontal-edge kernel"

    def difference(self, want, got):
        return None if want == got else got


def edge_kernel_mutants(exercise):
    """Each weight +1, -1, x2, 0; the kernel transposed, negated, its rows swapped, a row dropped."""
    from course_utils.checking.exercises.mutation import Mutant

    kernel = np.asarray(exercise.reference, dtype=float)
    result = []
    for (i, j), value in np.ndenumerate(kernel):
        for new in dict.fromkeys([value + 1, value - 1, value * 2, 0.0]):
            if new != value:
                wrong = kernel.copy()
                wrong[i, j] = new
                result.append(Mutant(f"kernel: [{i}, {j}] {value:g} -> {new:g}", wrong.tolist()))
    for name, wrong in (("transposed", kernel.T), ("negated", -kernel), ("rows reversed", kernel[::-1]),
                        ("last row dropped", kernel[:-1]), ("columns rolled", np.roll(kernel, 1, axis=1))):
        if not np.array_equal(wrong, kernel):
            result.append(Mutant(f"kernel: {name}", wrong.tolist()))
    return result


# --------------------------------------------------------------------------- running it all


def mutants_for(exercise):
    """``(reference answer, [Mutant])`` for ``exercise``: the answer the probe compares with, and its mutants."""
    from course_utils.checking.exercises import mutation, mutation_keras
    from course_utils.checking.exercises.values import Choice, Value

    if isinstance(exercise, Choice):
        return exercise.answer, mutation.choice_mutants(exercise)
    if isinstance(exercise, Value):
        return exercise._reference_answer(), mutation.value_mutants(exercise)
    if exercise.id == "trained_model":
        good, made = mutation_keras.trained_mutants()
        return good, [mutation.Mutant(ident, model) for ident, model in made]
    if isinstance(getattr(exercise, "reference", None), np.ndarray):
        return exercise._reference_answer(), edge_kernel_mutants(exercise)
    return exercise.reference, mutation.function_mutants(exercise.reference)


def _raising(error):
    def mutant(*args, **kwargs):
        raise SyntaxError(error)
    return mutant


def examine(exercise, limit=None):
    """Each selected mutant of ``exercise`` with its fate: ``[(mutant, fate, why)]``, fate one of ``"killed"``,
    ``"same"`` (accepted, behaves like the reference on every probe), ``"equivalent"`` (accepted, declared
    ``Equivalent``), ``"survivor"`` (accepted, behaves differently, not declared), ``"strict"`` (rejected though it
    behaves like the reference: a right answer judged wrong?). Also returns the declared ids no mutant has."""
    from course_utils.checking.exercises.mutation import select

    probe = probe_for(exercise)
    reference, every = mutants_for(exercise)
    declared = {item.mutation: item for item in getattr(exercise, "equivalents", [])}
    chosen = select(every, limit)  # the same selection whatever is declared; declared mutants always run too
    chosen += [m for m in every if m.id in declared and m not in chosen]
    want = probe.behaviour(reference)
    results = []
    for mutant in sorted(chosen, key=every.index):
        answer = mutant.answer if mutant.error is None else _raising(mutant.error)
        difference = probe.difference(want, probe.behaviour(answer))
        verdict = exercise.evaluate(answer)
        if not verdict.correct:
            fate = "killed" if difference is not None else "strict"
        elif difference is None:
            fate = "equivalent" if mutant.id in declared else "same"
        else:
            fate = "equivalent" if mutant.id in declared else "survivor"
        why = difference if fate != "equivalent" else declared[mutant.id].why
        results.append((mutant, fate, why if fate != "strict" else verdict.message[:120]))
    stale = sorted(set(declared) - {m.id for m in every})
    return results, len(every), stale
