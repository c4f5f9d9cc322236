"""``course release --nbgrader OUTDIR``: an nbgrader course folder made from the course notebooks.

``OUTDIR`` receives::

    nbgrader_config.py                      what autograde needs: cell timeout, fast parameters, offline, data
    source/<notebook>/<notebook>.ipynb      one assignment per notebook, for `nbgrader generate_assignment`
    README.md                               the instructor's steps, from generate to export

The course notebooks themselves stay as self-learners use them; only the copies in ``source/`` change:

- a locked cell after the imports calls ``course_utils.checking.grading.start(...)`` (graded mode: ``solution()``
  closed, progress and models in the submission's own ``course_work/`` folder);
- each cell with a solution region gets nbgrader's "autograded answer" metadata and what keeps its stub
  running once nbgrader has replaced the region by ``# YOUR CODE HERE`` (``ClearSolutions.code_stub``, set in
  ``nbgrader_config.py``): ``name = None`` before a top-level region, the exercise's title as a docstring
  before a region that is a whole function body;
- after it, one locked "autograded test" cell per exercise it checks, worth ``POINTS`` points, that calls
  ``course_utils.checking.grading.grade(...)`` and so fails with the message ``check()`` shows.
"""

import ast
import copy
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from course_utils.instructor import solutions
from course_utils.instructor.solutions import CODE_STUB, ReleaseError

POINTS = 1  # per exercise; an exercise may set its own ``points`` attribute
SCHEMA = 3
IMPORT = re.compile(r"^\s*(import course_utils\b|from course_utils\b)", re.MULTILINE)


@dataclass
class Assignment:
    name: str
    path: Path
    tests: list = field(default_factory=list)  # (exercise id, points)

    @property
    def points(self):
        return sum(points for _, points in self.tests)


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": SCHEMA,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _cell_id(text):
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)[:64]


def _checks(source):
    """``[(exercise id, answer expression or None)]`` for each ``ex.<id>.check(...)`` in a cell, in order."""
    tree = solutions.parse_code(source)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "check"
                and isinstance(node.func.value, ast.Attribute) and isinstance(node.func.value.value, ast.Name)
                and node.func.value.value.id == "ex"):
            argument = ast.unparse(node.args[0]) if node.args else None
            found.append((node.lineno, node.col_offset, node.func.value.attr, argument))
    return [(exercise, argument) for *_, exercise, argument in sorted(found)]


def _prepare_regions(source, exercise_title):
    """The cell's source with what keeps it running after nbgrader stubs each region (see module doc)."""
    lines = source.split("\n")
    out = []
    for number, line in enumerate(lines):
        if solutions.SOLUTION[0] in line:
            indent = solutions.indent_of(line)
            end = next((i for i in range(number + 1, len(lines)) if solutions.SOLUTION[1] in lines[i]), len(lines))
            body = "\n".join(item[len(indent):] if item.startswith(indent) else item.lstrip()
                             for item in lines[number + 1:end])
            previous = next((item for item in reversed(out) if item.strip()), "")
            if solutions.inside_function(lines, number):
                if previous.rstrip().endswith(":"):  # the region is the whole body: keep a body after stubbing
                    out.append(f'{indent}"""{exercise_title}"""')
            else:
                tree = solutions.parse_code(body)
                names = [] if tree is None else list(dict.fromkeys(
                    name for stmt in tree.body for name in solutions.bound_names(stmt)))
                out += [f"{indent}{name} = None" for name in names]
        out.append(line)
    return "\n".join(out)


def _stubbed(source):
    """What nbgrader's ClearSolutions makes of a cell with our ``code_stub`` (to check that it still runs)."""
    out, inside = [], False
    for line in source.split("\n"):
        if solutions.SOLUTION[0] in line:
            inside = True
            out.append(solutions.indent_of(line) + CODE_STUB)
        elif solutions.SOLUTION[1] in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _title(text):
    text = " ".join(str(text).split()).replace('"""', "'''").rstrip(".") or "Your code"
    return text.replace("\\", "/") + "."


def grade_notebook(nb, notebook):
    """The nbgrader source version of the nbformat notebook ``nb``: ``(notebook, [(exercise, points)])``."""
    from course_utils.checking import exercises

    source_nb = copy.deepcopy(nb)
    cells, tests, exercise_set = [], [], None
    started = False
    for index, cell in enumerate(source_nb.cells, start=1):
        text = solutions.cell_source(cell)
        cell.get("metadata", {}).pop("nbgrader", None)
        if cell.cell_type == "code":
            cell["outputs"], cell["execution_count"] = [], None
        has_region = solutions.SOLUTION[0] in text
        if has_region and not started:  # graded mode before the first exercise at the latest
            cells.append(_start_cell(notebook))
            started = True
        if not has_region:
            cells.append(cell)
            if not started and cell.cell_type == "code" and IMPORT.search(text):
                cells.append(_start_cell(notebook))
                started = True
            continue
        checks = _checks(text) if cell.cell_type == "code" else []
        if checks and exercise_set is None:
            try:
                exercise_set = exercises.load(notebook)
            except LookupError as err:
                raise ReleaseError(f"{notebook}: {err}") from None
        items = []
        for exercise, argument in checks:
            try:
                items.append((getattr(exercise_set, exercise), argument))
            except AttributeError as err:
                raise ReleaseError(f"{solutions.where(notebook, index, cell)}: {err}") from None
        if cell.cell_type == "code":
            title = _title(items[0][0].title) if items else "Your code."
            cell.source = _prepare_regions(text, title)
            stub = _stubbed(cell.source)
            if solutions.parse_code(stub) is None:
                raise ReleaseError(f"{solutions.where(notebook, index, cell)}: once nbgrader replaces its solution "
                                   f"by '{CODE_STUB}', the cell is not valid Python:\n{stub}")
        grade_id = "answer_" + "_".join(item.id for item, _ in items) if items else f"answer_{cell.get('id', index)}"
        cell.metadata["nbgrader"] = _meta(_cell_id(grade_id), solution=True)
        cells.append(cell)
        for item, argument in items:
            points = getattr(item, "points", POINTS)
            cells.append(_test_cell(notebook, item, argument or item.name, points))
            tests.append((item.id, points))
    source_nb.cells = cells
    return source_nb, tests


def _start_cell(notebook):
    from nbformat.v4 import new_code_cell

    cell = new_code_cell("# Graded assignment: keep this cell (nbgrader restores it when grading).\n"
                         "import course_utils\n\n"
                         f"course_utils.checking.grading.start({json.dumps(notebook)})", id="graded-mode")
    cell.metadata["nbgrader"] = _meta("graded_mode", locked=True)
    return cell


def _test_cell(notebook, item, argument, points):
    from nbformat.v4 import new_code_cell

    plural = "" if points == 1 else "s"
    cell = new_code_cell(
        f"# Autograded test ({points} point{plural}): passes when `ex.{item.id}.check({argument})` says correct.\n"
        f"course_utils.checking.grading.grade({json.dumps(notebook)}, {json.dumps(item.id)}, {argument})",
        id=_cell_id(f"test-{item.id}"))
    cell.metadata["nbgrader"] = _meta(_cell_id(f"test_{item.id}"), grade=True, locked=True, points=points)
    return cell


def config_text(data_dir=None):
    """The ``nbgrader_config.py`` for the course folder."""
    data_line = (f"os.environ.setdefault('COURSE_DATA_DIR', {str(data_dir)!r})" if data_dir else
                 "# os.environ.setdefault('COURSE_DATA_DIR', '/srv/course-data')  # offline data for the class")
    return f'''\
# nbgrader settings for the CNN course (written by `course release --nbgrader`; see README.md).
import os

c = get_config()  # noqa: F821 - provided by nbgrader

# The stub that replaces each solution region. The source notebooks keep a stubbed cell running: a
# `name = None` line stands before a top-level region, a docstring before a function body, so the default
# `raise NotImplementedError()` would only add a traceback to every unsolved exercise.
c.ClearSolutions.code_stub = {{"python": "{CODE_STUB}"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Seconds one cell may run when validating and autograding (nbgrader's default, 30 s, is too short for
# training a model). Raise it when autograding with the full parameters.
c.Execute.timeout = 600
c.Execute.startup_timeout = 120

# Students' progress files and saved models live in the submission's `course_work/` folder, which nbgrader
# hands in and collects with the notebook: do not add "course_work" here (collect would drop it). The graded
# notebooks never write one into source/ or release/ (course_utils.checking.grading.start), so none is handed out.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# The kernels nbgrader starts inherit these settings.
os.environ.setdefault("COURSE_FAST", "1")  # the notebooks' fast parameters; remove to grade with the full ones
os.environ.setdefault("COURSE_HEADLESS", "1")  # no widgets or live bars in the graded copies
os.environ.setdefault("COURSE_OFFLINE", "1")  # never try a download while grading
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no TensorFlow start-up lines in the feedback
{data_line}
'''


def readme_text(assignments):
    rows = "\n".join(f"| `{a.name}` | {len(a.tests)} | {a.points} |" for a in assignments)
    return f"""\
# nbgrader course folder for the CNN course

Written by `course release --nbgrader`. One assignment per notebook:

| assignment | autograded exercises | points |
|---|---|---|
{rows}

Each exercise is followed by a locked test cell: it passes (full points) when the answer passes the same
check as `ex.<exercise>.check(...)`, and fails with the same message otherwise. `solution()` is closed in
graded work; each submission keeps its progress file and saved models in its own `course_work/` folder.

## Steps (run them in this folder)

    nbgrader generate_assignment 01_convolution_by_hand   # release/ : the students' version
    nbgrader validate release/01_convolution_by_hand/01_convolution_by_hand.ipynb   # fails: nothing solved
    # hand it out (nbgrader release_assignment / collect on JupyterHub), or put each student's files in
    # submitted/<student>/01_convolution_by_hand/
    nbgrader autograde 01_convolution_by_hand
    nbgrader export                                       # grades.csv
    course progress submitted/                            # what the students tried, exercise by exercise
    course progress autograded/                           # the same with autograde's checks, per nbgrader student id

On one machine, `course hub` runs all of this on a JupyterHub (see the course's README).

`nbgrader_config.py` holds what autograde needs: the cell timeout (`c.Execute.timeout`, 600 s), fast
parameters (`COURSE_FAST=1`), no downloads (`COURSE_OFFLINE=1`), the offline data folder (`COURSE_DATA_DIR`).
Students' own Validate button uses their Jupyter server's nbgrader configuration: give it the same
`c.Execute.timeout` (e.g. in `/etc/jupyter/nbgrader_config.py` on the hub).
"""


def build(out_dir, notebooks_dir=None):
    """Write the nbgrader course folder (see the module doc); returns the list of ``Assignment``."""
    import nbformat

    from course_utils import paths
    from course_utils.instructor import runner

    notebooks_dir = Path(notebooks_dir) if notebooks_dir else runner.DEFAULT_NOTEBOOK_DIR
    if not notebooks_dir.is_dir():
        raise ReleaseError(f"The notebooks folder {notebooks_dir} does not exist. Pass --notebooks DIR.")
    out_dir = solutions.check_out_dir(out_dir, notebooks_dir)
    sources = sorted(p for p in notebooks_dir.glob("[0-9]*.ipynb"))
    if not sources:
        raise ReleaseError(f"No numbered notebooks (NN_*.ipynb) in {notebooks_dir}. Pass --notebooks DIR.")
    pending, assignments = [], []
    for path in sources:
        nb = solutions.read_notebook(path)
        graded, tests = grade_notebook(nb, path.stem)
        nbformat.validate(graded)
        target = out_dir / "source" / path.stem / path.name
        pending.append((target, graded))
        assignments.append(Assignment(path.stem, target, tests))
    for target, graded in pending:
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(graded, target)
    (out_dir / "nbgrader_config.py").write_text(config_text(paths.data_dir()), encoding="utf-8")
    (out_dir / "README.md").write_text(readme_text(assignments), encoding="utf-8")
    return assignments


def main(out_dir, notebooks_dir=None):
    """``course release --nbgrader``: build, print a summary; returns the exit status."""
    try:
        assignments = build(out_dir, notebooks_dir)
    except ReleaseError as err:
        print(f"course release: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"course release: could not write the nbgrader folder ({err}).", file=sys.stderr)
        return 2
    for item in assignments:
        print(f"{item.name}: {len(item.tests)} autograded exercises, {item.points} points")
    out = Path(out_dir)
    print(f"\nnbgrader course folder: {out} (assignments in {out / 'source'}, settings in nbgrader_config.py)")
    print(f"Next: cd {out} && nbgrader generate_assignment {assignments[0].name}  (see {out / 'README.md'})")
    return 0

