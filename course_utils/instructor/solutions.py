"""Solution regions in source notebooks, read the same way by ``release`` (student versions) and
``nbgrader_course`` (nbgrader assignments): the markers, a cell's text, where a region sits (inside a function
or at top level), the names a region binds, and the errors that stop a release.
"""

import ast
import re
from pathlib import Path

SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
CODE_STUB = "# YOUR CODE HERE"
DEF = re.compile(r"^\s*(async\s+)?def\s")


class ReleaseError(ValueError):
    """A source notebook cannot be released (malformed markers, unreadable file, wrong output folder)."""


def cell_source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def where(notebook, index, cell):
    first = next((line.strip() for line in cell_source(cell).splitlines() if line.strip()), "")
    first = first if len(first) <= 60 else first[:57] + "..."
    return f"{notebook}, cell {index} ({cell.get('cell_type', '?')} cell starting {first!r})"


def indent_of(line):
    return line[: len(line) - len(line.lstrip())]


def inside_function(lines, begin):
    """True when line ``begin`` sits in the body of a ``def`` (judged by indentation of the lines above)."""
    target = len(indent_of(lines[begin]))
    for line in reversed(lines[:begin]):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or target == 0:
            continue
        width = len(indent_of(line))
        if width < target:
            if DEF.match(line):
                return True
            target = width
    return False


def parse_code(code):
    code = re.sub(r"(?m)^(\s*)%%?time(\s+|$)", r"\1", code)  # `%time x = f()` still binds x
    try:
        return ast.parse(code)
    except SyntaxError:
        pass
    try:  # IPython syntax (%magic, !shell) in a region
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(code))
    except Exception:  # noqa: BLE001 - not a sequence of statements (e.g. items of a list literal)
        return None


def bound_names(node):
    """Names a statement binds in its own scope, in order (assignments, loops, with, imports, def, class)."""
    names = []

    def targets(target):
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for item in target.elts:
                targets(item)
        elif isinstance(target, ast.Starred):
            targets(target.value)

    def visit(stmt):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(stmt.name)
            return
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                targets(target)
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            targets(stmt.target)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            targets(stmt.target)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    targets(item.optional_vars)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                if alias.name != "*":
                    names.append(alias.asname or alias.name.split(".")[0])
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                visit(child)
            elif isinstance(child, ast.ExceptHandler):
                if child.name:
                    names.append(child.name)
                for inner in child.body:
                    visit(inner)

    visit(node)
    return names


def read_notebook(path):
    """The source notebook at ``path`` (nbformat 4); ``ReleaseError`` with the fix when it cannot be read."""
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except Exception as err:  # noqa: BLE001 - any unreadable notebook gets the same clear message
        raise ReleaseError(f"Cannot read {Path(path).name} as a notebook ({type(err).__name__}: "
                           f"{str(err)[:200]}). Fix or remove it, then release again.") from None


def check_out_dir(out_dir, notebooks_dir):
    out_dir, notebooks_dir = Path(out_dir).resolve(), Path(notebooks_dir).resolve()
    target = out_dir / "notebooks"
    if out_dir == notebooks_dir or target == notebooks_dir or notebooks_dir in out_dir.parents:
        raise ReleaseError(f"Refusing to write student versions into or next to the source notebooks "
                           f"({notebooks_dir}): that would overwrite the solutions. Choose a folder outside it, "
                           f"e.g. `course release release/`.")
    if out_dir.exists() and not out_dir.is_dir():
        raise ReleaseError(f"{out_dir} is a file, not a folder. Choose a folder name for the release.")
    return out_dir
