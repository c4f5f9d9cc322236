"""Student versions of the notebooks, without nbgrader: ``course release OUTDIR [--notebooks DIR]``.

Solutions in the source notebooks are marked with nbgrader's markers, so ``nbgrader generate_assignment``
also works on them (nbgrader additionally wants its cell metadata, or ``ClearSolutions.enforce_metadata = False``)::

    def normalize(images):
        ### BEGIN SOLUTION
        return images / 255.0
        ### END SOLUTION

Each marked region is replaced:

- inside a function: ``# YOUR CODE HERE`` and ``raise NotImplementedError()`` at the markers' indentation;
- elsewhere (top level): every name the region binds becomes ``name = None  # YOUR CODE HERE`` (later cells
  call ``ex.<id>.use(name)``, which falls back to the reference), other statements become ``# YOUR CODE HERE``;
- in markdown cells (written answers): ``YOUR ANSWER HERE``.

Regions between nbgrader's ``BEGIN HIDDEN TESTS`` and ``END HIDDEN TESTS`` lines (usually written as
triple-quoted strings), and ``BEGIN MARK SCHEME`` / ``END MARK SCHEME``, are removed, outputs are stripped. ``OUTDIR`` receives ``notebooks/*.ipynb``,
``answer_key.md`` (for the instructor) and ``README.md`` (for students).
"""

import re
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from course_utils.instructor.solutions import (
    CODE_STUB,
    SOLUTION,
    ReleaseError,
    bound_names,
    cell_source,
    check_out_dir,
    indent_of,
    inside_function,
    parse_code,
    read_notebook,
    where,
)

REMOVED = (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"), ("BEGIN MARK SCHEME", "END MARK SCHEME"))
RAISE_STUB = "raise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"

_EXERCISE = re.compile(r"\bex\.([A-Za-z_]\w*)\.(?:check|use|hint|solution)\(")


@dataclass
class Region:
    """One solution region of a source notebook. ``cell``: counted from 1, as a reader counts cells;
    ``placement``: ``"inside a function"``, ``"top level"``, ``"markdown"`` or ``"whole cell"``."""

    notebook: str
    cell: int
    cell_type: str
    placement: str
    solution: str  # the region's lines, dedented to the markers' indentation
    exercise: str | None = None  # the ``ex.<id>`` the cell mentions, if any


@dataclass
class ReleasedNotebook:
    name: str
    path: Path
    regions: list = field(default_factory=list)
    hidden_removed: int = 0


@dataclass
class Release:
    out_dir: Path
    notebooks: list = field(default_factory=list)

    @property
    def regions(self):
        return [region for nb in self.notebooks for region in nb.regions]


def _top_level_stub(solution, indent):
    """Placeholder lines for a region outside any function: ``name = None  # YOUR CODE HERE`` per bound name."""
    tree = parse_code(solution)
    if tree is None:
        return [indent + CODE_STUB]
    lines, seen = [], set()
    for stmt in tree.body:
        new = [name for name in bound_names(stmt) if name not in seen]
        seen.update(new)
        if new:
            lines += [f"{indent}{name} = None  {CODE_STUB}" for name in new]
        elif not lines or lines[-1] != indent + CODE_STUB:
            lines.append(indent + CODE_STUB)
    return lines or [indent + CODE_STUB]


def _strip_removed(lines, notebook, index, cell):
    """Drop hidden tests and mark schemes (markers included); returns (lines, regions removed)."""
    count = 0
    for begin_word, end_word in REMOVED:
        kept, inside = [], False
        for line in lines:
            if begin_word in line:
                if inside:
                    raise ReleaseError(f"{where(notebook, index, cell)}: '{begin_word}' appears twice without "
                                       f"'{end_word}' in between. Close the first region, then release again.")
                inside, count = True, count + 1
            elif end_word in line:
                if not inside:
                    raise ReleaseError(f"{where(notebook, index, cell)}: '{end_word}' without a '{begin_word}' "
                                       f"above it. Add the missing marker or remove this one.")
                inside = False
            elif not inside:
                kept.append(line)
        if inside:
            raise ReleaseError(f"{where(notebook, index, cell)}: '{begin_word}' has no matching '{end_word}'. "
                               f"Add the end marker, then release again.")
        lines = kept
    return lines, count


def release_cell(cell, notebook="notebook", index=1):
    """The student version of one cell's source and its solution ``Region`` list. Raises ``ReleaseError``."""
    source = cell_source(cell)
    cell_type = cell.get("cell_type", "code")
    lines = source.split("\n")
    lines, hidden = _strip_removed(lines, notebook, index, cell)
    exercise = next(iter(_EXERCISE.findall(source)), None)
    begin_word, end_word = SOLUTION
    out, regions, begin = [], [], None
    for number, line in enumerate(lines):
        if begin_word in line:
            if begin is not None:
                raise ReleaseError(f"{where(notebook, index, cell)}: a second '### {begin_word}' before "
                                   f"'### {end_word}'. Regions cannot nest: close the first one.")
            begin = number
        elif end_word in line:
            if begin is None:
                raise ReleaseError(f"{where(notebook, index, cell)}: '### {end_word}' without a "
                                   f"'### {begin_word}' above it. Add the missing marker or remove this one.")
            indent = indent_of(lines[begin])
            body = lines[begin + 1:number]
            solution = "\n".join(line[len(indent):] if line.startswith(indent) else line.lstrip()
                                 for line in body).strip("\n")
            if cell_type != "code":
                placement, stub = "markdown", [indent + TEXT_STUB]
            elif inside_function(lines, begin):
                placement, stub = "inside a function", [indent + CODE_STUB, indent + RAISE_STUB]
            else:
                placement, stub = "top level", _top_level_stub(solution, indent)
            out += stub
            regions.append(Region(notebook, index, cell_type, placement, solution, exercise))
            begin = None
        elif begin is None:
            out.append(line)
    if begin is not None:
        raise ReleaseError(f"{where(notebook, index, cell)}: '### {begin_word}' has no matching "
                           f"'### {end_word}'. Add the end marker after the solution, then release again.")
    nbgrader = cell.get("metadata", {}).get("nbgrader", {})
    if nbgrader.get("solution") and not regions:  # an nbgrader solution cell without markers: all of it
        solution = "\n".join(lines).strip("\n")
        if cell_type == "code":
            out = _top_level_stub(solution, "")
        else:
            out = [TEXT_STUB]
        regions.append(Region(notebook, index, cell_type, "whole cell", solution, exercise))
    return "\n".join(out), regions, hidden


def release_notebook(nb, notebook="notebook"):
    """A student copy of the nbformat notebook ``nb``: (student notebook, regions, hidden regions removed)."""
    import copy

    student = copy.deepcopy(nb)
    regions, hidden = [], 0
    for index, cell in enumerate(student.cells, start=1):
        source, found, removed = release_cell(cell, notebook, index)
        cell["source"] = source
        regions += found
        hidden += removed
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in ("execution", "papermill", "collapsed", "scrolled"):
            cell.get("metadata", {}).pop(key, None)
    for key in ("papermill", "widgets"):
        student.metadata.pop(key, None)
    return student, regions, hidden


def solution_leaks(source_nb, student_nb, regions):
    """Solution lines that appear in the student copy but nowhere else in the source notebook."""
    spans = {line.strip() for region in regions for line in region.solution.splitlines() if line.strip()}
    outside = set()
    for cell in source_nb.cells:
        inside = False
        for line in cell_source(cell).splitlines():
            if SOLUTION[0] in line:
                inside = True
            elif SOLUTION[1] in line:
                inside = False
            elif not inside:
                outside.add(line.strip())
    released = {line.strip() for cell in student_nb.cells for line in cell_source(cell).splitlines()}
    return sorted((spans - outside) & released)


def release(out_dir, notebooks_dir=None):
    """Write student notebooks, ``answer_key.md`` and ``README.md`` into ``out_dir``; returns a ``Release``.

    Checks everything before writing anything: a malformed notebook raises ``ReleaseError`` and leaves
    ``out_dir`` untouched.
    """
    import nbformat

    from course_utils.instructor import runner

    notebooks_dir = Path(notebooks_dir) if notebooks_dir else runner.DEFAULT_NOTEBOOK_DIR
    if not notebooks_dir.is_dir():
        raise ReleaseError(f"The notebooks folder {notebooks_dir} does not exist. Pass --notebooks DIR.")
    out_dir = check_out_dir(out_dir, notebooks_dir)
    sources = sorted(p for p in notebooks_dir.glob("*.ipynb") if not p.name.startswith("."))
    if not sources:
        raise ReleaseError(f"No notebooks (*.ipynb) in {notebooks_dir}. Pass --notebooks DIR.")
    result, pending = Release(out_dir), []
    for path in sources:
        nb = read_notebook(path)
        student, regions, hidden = release_notebook(nb, path.stem)
        try:
            nbformat.validate(student)
        except Exception as err:  # noqa: BLE001
            raise ReleaseError(f"The student version of {path.name} is not valid nbformat ({str(err)[:200]}). "
                               f"Run `nbformat` validation on the source notebook.") from None
        leaked = solution_leaks(nb, student, regions)
        if leaked:  # a bug in this module, never the author's fault: refuse rather than leak
            raise ReleaseError(f"{path.name}: solution lines would leak into the student version: {leaked[:3]}. "
                               f"Please report this bug.")
        pending.append((path, student))
        result.notebooks.append(ReleasedNotebook(path.stem, out_dir / "notebooks" / path.name, regions, hidden))
    (out_dir / "notebooks").mkdir(parents=True, exist_ok=True)
    for (_, student), released in zip(pending, result.notebooks):
        nbformat.write(student, released.path)
    (out_dir / "answer_key.md").write_text(answer_key(result), encoding="utf-8")
    (out_dir / "README.md").write_text(student_readme(result), encoding="utf-8")
    return result


def _plural(count, noun):
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _fence(text, language=""):
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text}\n{ticks}"


def answer_key(result):
    """Markdown for the instructor: every solution region, notebook by notebook."""
    total = len(result.regions)
    lines = ["# Answer key", "",
             f"Generated by `course release` on {date.today().isoformat()}: {_plural(total, 'solution region')} in "
             f"{_plural(len(result.notebooks), 'notebook')}. **Do not give this file to students.**", ""]
    for nb in result.notebooks:
        lines += [f"## {nb.name}", ""]
        if not nb.regions:
            lines += ["No exercise regions.", ""]
            continue
        for number, region in enumerate(nb.regions, start=1):
            about = f", exercise `ex.{region.exercise}`" if region.exercise else ""
            lines += [f"### {number}. Cell {region.cell} ({region.cell_type}, {region.placement}{about})", ""]
            language = "python" if region.cell_type == "code" else "markdown"
            lines += [_fence(region.solution or "(empty region)", language), ""]
    return "\n".join(lines)


def student_readme(result):
    """Markdown for students: how to start, how exercises work, where progress is saved."""
    from course_utils.instructor import links

    names = "\n".join(f"- `notebooks/{nb.path.name}`" for nb in result.notebooks)
    install = links.pip_install_target(links.INSTALL_EXTRAS)
    return textwrap.dedent("""\
        # CNN course: your notebooks

        These are your copies of the course notebooks. Exercise cells contain `# YOUR CODE HERE` (code) or
        `YOUR ANSWER HERE` (written answers): replace them with your own work.

        ## How to start

        1. Install the course once (Python 3.11):

               python -m pip install "INSTALL"

           On Colab, open a notebook with File > Upload notebook: its first cell installs the course.
        2. Check your setup: `course doctor`.
        3. Start JupyterLab in this folder: `jupyter lab`, then open `notebooks/00_start_here.ipynb` and work
           through the notebooks in order.

        ## How exercises work

        - `ex.<name>.check(answer)` checks your answer at once and says exactly what is wrong;
        - `ex.<name>.hint()` gives a hint (call it again for a more detailed one); `ex.<name>.solution()`
          shows a reference solution when you are stuck;
        - the notebooks always run top to bottom: until your answer passes, `ex.<name>.use(...)` uses the
          reference solution so that later cells still work, and says so in a short note.

        ## Where your progress is saved

        Every check and quiz answer is saved in `~/.cnn_course/progress.json` (on Colab, in the session's home
        folder: download it before the session ends). Set `COURSE_PROGRESS_FILE` to choose another file, and
        `COURSE_STUDENT` to the name your instructor should see. To hand in your progress, send that file (one
        from each computer you used: they are merged).

        ## Notebooks

        """).replace("INSTALL", install) + names + "\n"


# --- command line -------------------------------------------------------------------------------------------
def _main(args):
    if getattr(args, "nbgrader", False):
        from course_utils.instructor import nbgrader_course

        return nbgrader_course.main(args.outdir, args.notebooks)
    try:
        result = release(args.outdir, args.notebooks)
    except ReleaseError as err:
        print(f"course release: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"course release: could not write the release ({err}). Check the folder and its permissions.",
              file=sys.stderr)
        return 2
    for nb in result.notebooks:
        hidden = f", {_plural(nb.hidden_removed, 'hidden region')} removed" if nb.hidden_removed else ""
        print(f"{nb.path.name}: {_plural(len(nb.regions), 'solution region')} replaced{hidden}")
    print(f"\nStudent notebooks: {result.out_dir / 'notebooks'}")
    print(f"Answer key (keep it private): {result.out_dir / 'answer_key.md'}")
    print(f"Students' README: {result.out_dir / 'README.md'}")
    return 0


def register(subparsers):
    """Add ``course release`` to the ``course`` command's sub-commands."""
    parser = subparsers.add_parser("release", help="write student versions of the notebooks and an answer key")
    parser.add_argument("outdir", metavar="OUTDIR", help="folder for notebooks/, answer_key.md and README.md")
    parser.add_argument("--notebooks", metavar="DIR", default=None,
                        help="folder of source notebooks (default: the course's notebooks/)")
    parser.add_argument("--nbgrader", action="store_true",
                        help="write an nbgrader course folder instead: source/<notebook>/ assignments with "
                             "autograded test cells, nbgrader_config.py, README.md")
    parser.set_defaults(func=_main)


def add_nbgrader_metadata(nb, notebook):
    """Give every cell with solution markers nbgrader's "autograded answer" metadata (in place).

    With it, ``nbgrader generate_assignment`` treats the source notebooks as assignments without extra
    configuration. Returns the number of cells marked.
    """
    marked = 0
    for index, cell in enumerate(nb["cells"]):
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if SOLUTION[0] not in source:
            continue
        cell.setdefault("metadata", {})["nbgrader"] = {
            "grade": False, "grade_id": f"{notebook}-solution-{index}", "locked": False, "schema_version": 3,
            "solution": True, "task": False,
        }
        marked += 1
    return marked
