"""``%%run_if CONDITION``: a cell magic that runs its cell only when ``CONDITION`` is true, and says so otherwise.

Notebook 06 uses it for the cells that need the ImageNet photos and weights: where they cannot be reached, those
cells print one line instead of failing. Load it once with ``%load_ext course_utils.cells``::

    %%run_if IMAGENET
    features = transfer.extract_features(base, train.images)

``CONDITION`` is any Python expression, evaluated in the notebook. A cell that runs behaves exactly like a normal
cell: its variables stay defined, errors are raised, and the value of its last line is displayed.
"""

import ast


def run_if(line, cell):
    """The body of ``%%run_if``: run ``cell`` when ``line`` evaluates to true in the notebook."""
    from IPython import get_ipython
    from IPython.core.error import UsageError

    shell = get_ipython()
    condition = line.strip()
    if not condition:
        raise UsageError("%%run_if needs a condition on the same line, e.g. `%%run_if IMAGENET`.")
    if not shell.ev(condition):
        print(f"⏭ Skipped: `{condition}` is false in this session (see the note at the start of this part).")
        return None
    source = shell.transform_cell(cell)
    tree = shell.transform_ast(shell.compile.ast_parse(source))
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    filename = shell.compile.cache(source)  # tracebacks show the cell's lines
    exec(compile(tree, filename, "exec"), shell.user_ns)  # noqa: S102 - the notebook's own cell
    if last is not None:
        return eval(compile(last, filename, "eval"), shell.user_ns)  # noqa: S307 - the notebook's own cell
    return None


def load_ipython_extension(ipython):
    """``%load_ext course_utils.cells`` registers ``%%run_if``."""
    ipython.register_magic_function(run_if, "cell", "run_if")
