"""Mutation testing of the checkers: wrong variants of every exercise's reference, made automatically.

``mutants(exercise)`` gives ``Mutant(id, answer, error)`` objects: for a Python reference (a ``Function``, a model
builder, a function of Keras objects), one AST mutation of its source each; for a ``Value``, nearby wrong values
(and mutations of its solution's arithmetic); for a ``Choice``, every other option. ``tests/test_mutation.py``
requires each checker to reject every mutant that behaves differently from the reference
(``course_utils.checking.exercises.mutation_probes``), unless the catalogue declares it ``Equivalent(id, why=...)``.

A mutant's ``id`` names the operator and the code it changed (``"arith: a / b -> a * b"``), never a line number,
so that declarations survive edits elsewhere in the reference. ``OPERATORS`` lists what the engine does.
"""

import ast
import copy
import inspect
import itertools
import linecache
import textwrap
import warnings
from dataclasses import dataclass

OPERATORS = {
    "arith": "an arithmetic operator swapped (+ -, * /, / //, ** *)",
    "compare": "a comparison swapped (< <=, > >=, == !=, is / is not, in / not in)",
    "bool": "and <-> or, `not` dropped, True <-> False (training=False -> True, trainable flags)",
    "constant": "a number changed: +1, -1, x2, 0 (sizes, axes, strides, indices)",
    "string": "a string option swapped ('same' <-> 'valid', activations, flip modes, dtypes, interpolation)",
    "name": "a function or layer swapped (max <-> min, mean <-> sum, MaxPooling <-> AveragePooling, Add -> Subtract)",
    "keyword": "a keyword argument dropped (dtype= -> the input's dtype, axis=, training=, padding=, activation=)",
    "unwrap": "a call replaced by its first argument (np.abs(x) -> x, a layer or an activation skipped)",
    "operand": "a term or factor dropped (a * b -> a, a + b -> b)",
    "bound": "a slice or range bound off by one (x[i:i + k] -> x[i:i + k + 1], range(n) -> range(n - 1))",
    "element": "an element of a list or tuple dropped (a layer of a Sequential, a returned value)",
    "statement": "a statement dropped",
    "branch": "an if forced one way (if c: -> if True: / if False:), a conditional expression reduced to one side",
    "return": "the return value replaced by the first argument, or a returned tuple swapped",
    "activation": "an activation moved before the addition it follows (ReLU(Add([y, s])) -> Add([ReLU(y), s]))",
    "freeze": "a layer's variables frozen instead of the layer (layer.trainable = v -> each variable's trainable = v)",
    "value": "a Value answer off by one, doubled, halved, or a factor of its solution dropped",
    "option": "a Choice answered with another option",
}

_ARITH = {ast.Add: [ast.Sub], ast.Sub: [ast.Add], ast.Mult: [ast.Div], ast.Div: [ast.Mult, ast.FloorDiv],
          ast.FloorDiv: [ast.Div], ast.Pow: [ast.Mult], ast.Mod: [ast.FloorDiv]}
_COMPARE = {ast.Lt: [ast.LtE], ast.LtE: [ast.Lt], ast.Gt: [ast.GtE], ast.GtE: [ast.Gt], ast.Eq: [ast.NotEq],
            ast.NotEq: [ast.Eq], ast.Is: [ast.IsNot], ast.IsNot: [ast.Is], ast.In: [ast.NotIn], ast.NotIn: [ast.In]}
_STRINGS = {"same": ["valid"], "valid": ["same"], "relu": ["sigmoid", "linear"], "softmax": ["sigmoid", "linear"],
            "sigmoid": ["softmax"], "horizontal": ["vertical"], "vertical": ["horizontal"],
            "float32": ["uint8", "int32"], "float64": ["float16"], "bilinear": ["nearest"], "constant": ["reflect"],
            "max": ["avg"], "avg": ["max"]}
_NAMES = {"max": ["min", "mean"], "min": ["max"], "mean": ["sum", "max"], "sum": ["mean"], "maximum": ["minimum"],
          "minimum": ["maximum"], "argmax": ["argmin"], "argmin": ["argmax"], "abs": ["negative"],
          "MaxPooling2D": ["AveragePooling2D"], "AveragePooling2D": ["MaxPooling2D"],
          "GlobalAveragePooling2D": ["GlobalMaxPooling2D", "Flatten"], "GlobalMaxPooling2D": ["GlobalAveragePooling2D"],
          "Add": ["Subtract", "Multiply"], "add": ["subtract", "multiply"], "ReLU": ["ELU"],
          "BatchNormalization": ["LayerNormalization"], "std": ["var"], "sqrt": ["abs"], "var": ["std"],
          "trainable_weights": ["weights"], "inputs": ["outputs"], "floor": ["ceil"], "ceil": ["floor"]}
_KEEP = {"range", "len", "isinstance", "enumerate", "zip", "print"}
_ACTIVATIONS = {"ReLU", "relu", "Activation", "ELU", "LeakyReLU"}


@dataclass(eq=False)
class Mutant:
    """One wrong variant: ``id`` (operator and change), ``answer`` (what a student would pass; ``None`` when the
    mutated source does not compile) and ``error`` (the compile error, else ``None``)."""

    id: str
    answer: object = None
    error: str | None = None

    @property
    def operator(self):
        return self.id.split(":", 1)[0]


def _short(node, width=48):
    try:
        text = ast.unparse(node) if not isinstance(node, str) else node
    except Exception:  # noqa: BLE001
        text = type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def _num(value):
    return ast.Constant(value)


def _is_number(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def _call_name(node):
    """``"Add"`` for ``layers.Add()`` / ``layers.Add()(...)``-style calls, else ``None``."""
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Call):
        func = func.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _sites(node, params):
    """``(operator, before, replacement)`` for every mutation of ``node`` itself (not its children).
    ``replacement`` is a node, a list of statements (for a statement), or ``None`` (drop the statement)."""
    if isinstance(node, ast.BinOp):
        for other in _ARITH.get(type(node.op), []):
            yield "arith", node, ast.BinOp(node.left, other(), node.right)
        yield "operand", node, node.left
        yield "operand", node, node.right
    elif isinstance(node, ast.AugAssign):
        for other in _ARITH.get(type(node.op), []):
            yield "arith", node, ast.AugAssign(node.target, other(), node.value)
    elif isinstance(node, ast.Compare) and len(node.ops) == 1:
        for other in _COMPARE.get(type(node.ops[0]), []):
            yield "compare", node, ast.Compare(node.left, [other()], node.comparators)
    elif isinstance(node, ast.BoolOp):
        yield "bool", node, ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values)
        for value in node.values:
            yield "operand", node, value
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        yield "bool" if isinstance(node.op, ast.Not) else "arith", node, node.operand
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            yield "bool", node, _num(not node.value)
        elif _is_number(node):
            value = node.value
            for new in dict.fromkeys([value + 1, value - 1, value * 2, 0 * value]):
                if new != value:
                    yield "constant", node, _num(new)
        elif isinstance(node.value, str) and node.value in _STRINGS:
            for new in _STRINGS[node.value]:
                yield "string", node, _num(new)
    elif isinstance(node, ast.Attribute) and node.attr in _NAMES:
        for new in _NAMES[node.attr]:
            yield "name", node, ast.Attribute(node.value, new, node.ctx)
    elif isinstance(node, ast.Call):
        yield from _call_sites(node)
    elif isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > 1 and isinstance(node.ctx, ast.Load):
        for index in range(len(node.elts)):
            yield "element", node, type(node)(node.elts[:index] + node.elts[index + 1:], node.ctx)
    elif isinstance(node, ast.Slice):
        for part in ("lower", "upper"):
            bound = getattr(node, part)
            if bound is not None and not _is_number(bound):
                for op in (ast.Add, ast.Sub):
                    yield "bound", node, ast.Slice(**{**{k: getattr(node, k) for k in ("lower", "upper", "step")},
                                                      part: ast.BinOp(bound, op(), _num(1))})
    elif isinstance(node, ast.IfExp):
        yield "branch", node, node.body
        yield "branch", node, node.orelse
    elif isinstance(node, ast.Return) and node.value is not None:
        if params and not (isinstance(node.value, ast.Name) and node.value.id == params[0]):
            yield "return", node, ast.Return(ast.Name(params[0], ast.Load()))
        if isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
            yield "return", node, ast.Return(ast.Tuple(node.value.elts[::-1], ast.Load()))
    if isinstance(node, ast.If):
        for forced in (True, False):
            yield "branch", node, ast.If(_num(forced), node.body, node.orelse)
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute) \
            and node.targets[0].attr == "trainable":
        loop = ast.parse(f"for _variable in ({ast.unparse(node.targets[0].value)}).weights:\n"
                         f"    _variable.trainable = ({ast.unparse(node.value)})").body[0]
        yield "freeze", node, [loop]
    if isinstance(node, ast.stmt) and not isinstance(node, (ast.Return, ast.FunctionDef, ast.Import, ast.ImportFrom)):
        yield "statement", node, None


def _call_sites(node):
    if node.args and not isinstance(node.args[0], ast.Starred) and _call_name(node) not in _KEEP:
        yield "unwrap", node, node.args[0]
    for index, keyword in enumerate(node.keywords):
        if keyword.arg is not None:
            named = f"{_short(node.func, 36)}(..., {keyword.arg}={_short(keyword.value, 24)})"
            yield "keyword", named, ast.Call(node.func, node.args, node.keywords[:index] + node.keywords[index + 1:])
    if _call_name(node) == "range" and node.args:
        last = node.args[-1] if len(node.args) == 1 else node.args[1]
        if not _is_number(last):
            position = len(node.args) - 1 if len(node.args) == 1 else 1
            args = list(node.args)
            args[position] = ast.BinOp(last, ast.Sub(), _num(1))
            yield "bound", node, ast.Call(node.func, args, node.keywords)
    if isinstance(node.func, ast.Call) and _call_name(node) in _ACTIVATIONS and len(node.args) == 1:
        inner = node.args[0]  # activation(add([y, s])) -> add([activation(y), s]) and add([y, activation(s)])
        if isinstance(inner, ast.Call) and inner.args and isinstance(inner.args[0], (ast.List, ast.Tuple)):
            for index, element in enumerate(inner.args[0].elts):
                elts = list(inner.args[0].elts)
                elts[index] = ast.Call(node.func, [element], [])
                moved = ast.Call(inner.func, [type(inner.args[0])(elts, ast.Load())], inner.keywords)
                yield "activation", node, moved
                yield "activation", node, ast.Call(node.func, [moved], [])


class _Locate(ast.NodeVisitor):
    """Every node of a function body in order, with its parent field, so a mutation can be applied to a copy."""

    def __init__(self):
        self.found = []

    def generic_visit(self, node):
        for field, value in ast.iter_fields(node):
            if isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, ast.AST):
                        self.found.append((node, field, index, item))
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.found.append((node, field, None, value))
                self.visit(value)


def _function_tree(function):
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    definition = tree.body[0]
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise TypeError(f"{function!r} is not defined by a def statement")
    definition.decorator_list = []
    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        definition.body = body[1:] or [ast.Pass()]  # the docstring is no code to mutate
    return tree


def _is_type_hint_or_import(parent, field):
    return field in ("annotation", "returns") or isinstance(parent, (ast.Import, ast.ImportFrom, ast.alias))


_COUNTER = itertools.count()


def compile_function(tree, function):
    """The function that ``tree`` (a module holding one def) defines, in ``function``'s globals."""
    source = ast.unparse(ast.fix_missing_locations(tree))
    filename = f"<mutant {next(_COUNTER)} of {function.__name__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(function.__globals__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "'str' object is not callable": such a mutant fails later
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own reference, mutated
    return namespace[tree.body[0].name]


def function_mutants(function):
    """Every single-site mutant of ``function``'s source (its docstring and imports left alone), in source order."""
    tree = _function_tree(function)
    definition = tree.body[0]
    params = [a.arg for a in definition.args.args]
    finder = _Locate()
    finder.visit(definition)
    found = [(p, f, i, n) for p, f, i, n in finder.found if not _is_type_hint_or_import(p, f)
             and not (p is definition and f == "args") and not isinstance(n, ast.arguments)]
    result, seen = [], {ast.unparse(tree)}
    for parent, field, index, node in found:
        for operator, before, replacement in _sites(node, params):
            if operator == "unwrap" and field == "func":
                continue  # a layer's constructor: unwrapping the call that uses it is the mutation
            mutated = copy.deepcopy(tree)
            mutated_parent = _same_node(tree, mutated, parent)
            if not _replace(mutated_parent, field, index, copy.deepcopy(replacement)):
                continue
            text = ast.unparse(mutated)
            if text in seen:
                continue
            seen.add(text)
            after = "(dropped)" if replacement is None or operator == "keyword" else _short(
                replacement[0] if isinstance(replacement, list) else replacement)
            ident = f"{operator}: {_short(before)} -> {after}"
            try:
                result.append(Mutant(ident, compile_function(mutated, function)))
            except Exception as err:  # noqa: BLE001 - counted: the checker must reject it too
                result.append(Mutant(ident, None, f"{type(err).__name__}: {err}"))
    return _unique_ids(result)


def _same_node(original, copied, target):
    """The node of ``copied`` at the position ``target`` has in ``original``."""
    for a, b in zip(ast.walk(original), ast.walk(copied), strict=True):
        if a is target:
            return b
    raise LookupError("node not found")


def _replace(parent, field, index, replacement):
    if index is None:
        if replacement is None or isinstance(replacement, list):
            return False
        setattr(parent, field, replacement)
        return True
    items = getattr(parent, field)
    if replacement is None:
        items[index:index + 1] = []
        if not items:
            items.append(ast.Pass())
    elif isinstance(replacement, list):
        items[index:index + 1] = replacement
    else:
        items[index] = replacement
    return True


def _unique_ids(mutants):
    counts = {}
    for mutant in mutants:
        counts[mutant.id] = counts.get(mutant.id, 0) + 1
        if counts[mutant.id] > 1:
            mutant.id = f"{mutant.id} #{counts[mutant.id]}"
    return mutants


def _nearby(value):
    """Nearby wrong numbers: off by one, doubled, halved (whole numbers stay whole)."""
    out = [value + 1, value - 1, value * 2]
    out.append(value // 2 if isinstance(value, int) else value / 2)
    return [v for v in dict.fromkeys(out) if v != value]


def value_mutants(exercise):
    """Wrong values near ``exercise.answer``: each number (or each item of a tuple) off by one, x2, /2, and every
    mutation of the solution's arithmetic (a factor dropped, a constant changed ...)."""
    answer, result = exercise.answer, []
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        result += [Mutant(f"value: {answer!r} -> {v!r}", v) for v in _nearby(answer)]
    elif isinstance(answer, tuple):
        for index, item in enumerate(answer):
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                for v in _nearby(item):
                    wrong = answer[:index] + (v,) + answer[index + 1:]
                    result.append(Mutant(f"value: item {index} {item!r} -> {v!r}", wrong))
        if len(answer) == 2 and answer[0] != answer[1]:
            result.append(Mutant("value: items swapped", answer[::-1]))
    result += _solution_mutants(exercise)
    seen, unique = set(), []
    for mutant in result:
        key = repr(mutant.answer)
        if key not in seen and key != repr(answer):
            seen.add(key)
            unique.append(mutant)
    return unique


def _solution_mutants(exercise):
    """Mutations of the expression in ``exercise``'s solution text (``n = (3 * 3 * 32 + 1) * 64  # ...``)."""
    try:
        statement = ast.parse(exercise.solution_text()).body[0]
        expression = statement.value
    except Exception:  # noqa: BLE001 - no parsable solution: the nearby values only
        return []
    wrapper = ast.Module([ast.Expr(expression)], [])
    finder = _Locate()
    finder.visit(wrapper)
    result = []
    for parent, field, index, node in finder.found:
        for operator, before, replacement in _sites(node, []):
            if operator in ("statement", "return") or replacement is None or isinstance(replacement, list):
                continue
            mutated = copy.deepcopy(wrapper)
            _replace(_same_node(wrapper, mutated, parent), field, index, copy.deepcopy(replacement))
            try:
                value = _arithmetic(mutated.body[0].value)
            except Exception:  # noqa: BLE001 - not plain arithmetic
                continue
            result.append(Mutant(f"value: {_short(before)} -> {_short(replacement)}", value))
    return result


def _arithmetic(node):
    """The value of an expression of numbers, + - * / // ** and tuples (nothing else is evaluated)."""
    if _is_number(node):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_arithmetic(item) for item in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_arithmetic(node.operand)
    if isinstance(node, ast.BinOp):
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        operations = {ast.Add: lambda: left + right, ast.Sub: lambda: left - right, ast.Mult: lambda: left * right,
                      ast.Div: lambda: left / right, ast.FloorDiv: lambda: left // right,
                      ast.Pow: lambda: left ** right if abs(right) < 10 else 0}
        return operations[type(node.op)]()
    raise ValueError(ast.unparse(node))


def choice_mutants(exercise):
    """Every option but the answer."""
    return [Mutant(f"option: {option}", option) for option in exercise.options if option != exercise.answer]


def select(mutants, limit):
    """At most ``limit`` mutants, taken in turn from each operator (so every operator is represented)."""
    if limit is None or len(mutants) <= limit:
        return list(mutants)
    groups = {}
    for mutant in mutants:
        groups.setdefault(mutant.operator, []).append(mutant)
    chosen = []
    for batch in itertools.zip_longest(*groups.values()):
        chosen += [m for m in batch if m is not None]
    return sorted(chosen[:limit], key=mutants.index)


__all__ = ["OPERATORS", "Mutant", "choice_mutants", "compile_function", "function_mutants", "select",
           "value_mutants"]
