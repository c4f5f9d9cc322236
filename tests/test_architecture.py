"""The layout of ARCHITECTURE.md holds: imports go down the layers only, no import circles, no private helper used
across modules, no module over 500 lines, notebooks import the student-facing layers only.

Read statically (``ast``), so imports inside functions count too and nothing is imported to check.
"""

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "course_utils"

# Layers from the bottom up (ARCHITECTURE.md). A module may import its own layer and the layers below it.
# Top-level modules of course_utils/ are the student layer; each subpackage sits in one layer.
LAYERS = {
    "student": 0,  # course_utils/*.py: what every notebook imports (data, plot, conv, training, paths, ...)
    "chapters": 1,  # one subpackage per chapter's machinery
    "checking": 2,  # exercises, quizzes, progress, grading
    "instructor": 3,  # the `course` command and its tools
}
SUBPACKAGE_LAYER = {
    "building": "chapters",
    "visualizing": "chapters",
    "transfer_learning": "chapters",
    "checking": "checking",
    "instructor": "instructor",
}
ENTRY_POINTS = {f"{PACKAGE}.__main__": "instructor"}  # `python -m course_utils` runs the `course` command
MAX_LINES = 500
# Modules being split on other branches (issue 16 left them alone); remove a line once its split lands.
LONG_FOR_NOW = {"course_utils/checking/exercises/nb05_better_cnns.py",
                "course_utils/checking/exercises/nb06_transfer_learning.py"}


def modules(root):
    """``{dotted name: (path, is_package)}`` for every module under ``root/course_utils``."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _defined_names(path):
    """Names a module defines at its top level (functions, classes, assignments)."""
    tree = ast.parse(path.read_text(encoding="utf-8")) if path.is_file() else ast.Module(body=[])
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


def imports(root):
    """``{module: {(imported module, line)}}``: every course_utils import, at top level or inside functions.

    ``from course_utils.x import y`` counts as importing ``course_utils.x.y`` when that is a module, else
    ``course_utils.x``; relative imports are resolved. Names that are no module (e.g. a facade alias) are kept
    as they are written, so that the checks can name them.
    """
    known = modules(root)
    facade = _defined_names(root / PACKAGE / "__init__.py")  # `from course_utils import lazy_submodules`
    edges = {}
    for name, (path, is_package) in known.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    package = package[: len(package) - node.level + 1]
                    base = ".".join(package + ([node.module] if node.module else []))
                targets = [base if base == PACKAGE and a.name in facade else
                           f"{base}.{a.name}" if f"{base}.{a.name}" in known or base == PACKAGE else base
                           for a in node.names]
            else:
                continue
            found |= {(target, node.lineno) for target in targets
                      if target.split(".")[0] == PACKAGE and target != name}
        edges[name] = found
    return edges


def layer_of(name):
    """The layer of a dotted module name, or ``None`` for the package itself (the lazy facade)."""
    if name in ENTRY_POINTS:
        return ENTRY_POINTS[name]
    parts = name.split(".")
    if len(parts) == 1:
        return None
    if len(parts) == 2 and parts[1] not in SUBPACKAGE_LAYER:
        return "student"
    return SUBPACKAGE_LAYER.get(parts[1], "unknown")


def upward_imports(root):
    """``["a imports b (line n): layer x -> layer y", ...]`` for every import that goes up or is unknown."""
    known = modules(root)
    problems = []
    for name, targets in sorted(imports(root).items()):
        for target, line in sorted(targets):
            where = f"{name} imports {target} (line {line})"
            if target == PACKAGE:
                continue  # the facade (`__version__`, `lazy_submodules`): it imports nothing eagerly
            if target not in known:
                problems.append(f"{where}: no such module; import the module itself, not an alias of "
                                f"course_utils/__init__.py")
                continue
            source_layer, target_layer = layer_of(name), layer_of(target)
            if "unknown" in (source_layer, target_layer):
                problems.append(f"{where}: a subpackage without a layer; add it to ARCHITECTURE.md and "
                                f"SUBPACKAGE_LAYER in tests/test_architecture.py")
            elif source_layer is not None and LAYERS[target_layer] > LAYERS[source_layer]:
                problems.append(f"{where}: the {source_layer} layer imports the {target_layer} layer above it")
    return problems


def import_circles(root):
    """Sets of modules that import each other, directly or round a circle (strongly connected components)."""
    graph = {name: {target for target, _ in targets} for name, targets in imports(root).items()}
    index, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(node):  # Tarjan, iterative enough for a few hundred modules
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.add(item)
                if item == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return circles


def private_uses(root):
    """``from course_utils.x import _helper`` and ``x._helper`` (``x`` a course_utils module) across modules."""
    problems = []
    for name, (path, _) in sorted(modules(root).items()):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        problems.append(f"{name} (line {node.lineno}): from {node.module} import {alias.name}")
                    aliases[alias.asname or alias.name] = True
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(PACKAGE):
                        aliases[alias.asname or alias.name.split(".")[0]] = True
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                value = node.value
                while isinstance(value, ast.Attribute):
                    value = value.value
                if isinstance(value, ast.Name) and value.id in aliases:
                    problems.append(f"{name} (line {node.lineno}): {ast.unparse(node)}")
    return problems


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports(ROOT) == []


def test_no_import_circles():
    assert import_circles(ROOT) == []


def test_no_private_helper_is_used_across_modules():
    assert private_uses(ROOT) == [], "make the helper public (no underscore) in the module that owns it"


def test_no_module_is_over_500_lines():
    long = {path.relative_to(ROOT).as_posix(): length for path, _ in modules(ROOT).values()
            if (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= LONG_FOR_NOW, f"split by job (ARCHITECTURE.md): {long}"


def test_every_subpackage_has_a_layer():
    subpackages = {p.name for p in (ROOT / PACKAGE).iterdir() if (p / "__init__.py").is_file()}
    assert subpackages <= set(SUBPACKAGE_LAYER), "add the new subpackage to ARCHITECTURE.md and SUBPACKAGE_LAYER"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")), ids=lambda p: p.name)
def test_notebooks_use_the_student_facing_layers_only(path):
    """Notebooks reach checking through the aliases ``course_utils.exercises`` and ``course_utils.quiz``."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    for deeper in (f"{PACKAGE}.instructor", f"{PACKAGE}.checking", f"{PACKAGE} import instructor",
                   f"{PACKAGE} import checking"):
        assert deeper not in code, f"{path.name} uses {deeper}"


# --- the checks catch what they are for (a small package written for the test) -----------------------------
def _write(root, files):
    for name, text in files.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checks_see_upward_imports_inside_functions_circles_and_private_helpers(tmp_path):
    root = _write(tmp_path, {
        "__init__.py": "def lazy_submodules(package):\n    pass\n",
        "data.py": "def load():\n    from course_utils.instructor import runner\n",
        "plot.py": "from . import conv\n",
        "conv.py": "import course_utils.plot\nfrom course_utils.data import _secret\n",
        "instructor/__init__.py": "",
        "instructor/runner.py": "from course_utils import data\n\ndata._cache.clear()\n",
        "checking/__init__.py": "from course_utils import lazy_submodules\n",
        "checking/quiz.py": "from course_utils import exercises\n",
    })
    upward = upward_imports(root)
    assert any("course_utils.data imports course_utils.instructor.runner (line 2)" in p for p in upward)
    assert any("course_utils.checking.quiz imports course_utils.exercises" in p and "alias" in p for p in upward)
    assert not any(p.startswith(("course_utils.instructor.runner", "course_utils.checking imports")) for p in upward)
    assert sorted(map(tuple, import_circles(root))) == [("course_utils.conv", "course_utils.plot"),
                                                       ("course_utils.data", "course_utils.instructor.runner")]
    assert private_uses(root) == ["course_utils.conv (line 2): from course_utils.data import _secret",
                                  "course_utils.instructor.runner (line 3): data._cache"]
