"""Safe arithmetic for generated questions: ``safe_eval("(n - k) // s + 1", {"n": 28, "k": 3, "s": 1})``."""

import ast
import math


class ExpressionError(ValueError):
    """An answer expression uses something other than arithmetic and the whitelisted functions."""


FUNCTIONS = {
    "ceil": math.ceil, "floor": math.floor, "max": max, "min": min, "abs": abs, "round": round,
    "sqrt": math.sqrt, "log2": math.log2,
}
_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}


def safe_eval(expression, names=None):
    """Evaluate an arithmetic ``expression`` (a str) with ``names`` (a dict of numbers); no builtins.

    Allowed: numbers, names, ``+ - * / // % **``, parentheses and the calls in ``FUNCTIONS``.
    Anything else raises ``ExpressionError``.
    """
    names = names or {}
    try:
        tree = ast.parse(str(expression).strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"{expression!r} is not a valid arithmetic expression ({err.msg}).") from None
    try:
        return _eval_node(tree.body, names)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError) as err:
        if isinstance(err, ExpressionError):
            raise
        raise ExpressionError(f"{expression!r} could not be evaluated with {names}: {err}.") from None


def _eval_node(node, names):
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            raise ExpressionError(f"unknown name {node.id!r} (known: {', '.join(sorted(names)) or 'none'}).")
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval_node(node.left, names), _eval_node(node.right, names)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ExpressionError("exponents larger than 64 are not allowed.")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval_node(node.operand, names))
    if (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
        and not node.keywords
    ):
        return FUNCTIONS[node.func.id](*[_eval_node(arg, names) for arg in node.args])
    raise ExpressionError(
        f"{ast.unparse(node)!r} is not allowed: use numbers, names, + - * / // % ** and "
        f"{', '.join(sorted(FUNCTIONS))}."
    )


def tidy_number(value):
    """Integral floats become ints (``14.0`` -> ``14``) so templates read naturally."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
