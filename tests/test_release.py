"""`course release`: student versions without solutions, still runnable, plus an answer key."""

import json
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.checking import progress
from course_utils.instructor import cli, release, runner

ROOT = Path(__file__).resolve().parent.parent

FUNCTION_CELL = '''\
import numpy as np


def normalize(images):
    """uint8 (H, W) -> float32 in [0, 1]."""
    ### BEGIN SOLUTION
    scaled = np.asarray(images, dtype="float32")
    return scaled / 255.0  # divide by the largest pixel value
    ### END SOLUTION


ex.normalize.check(normalize)'''

FUNCTION_EXPECTED = '''\
import numpy as np


def normalize(images):
    """uint8 (H, W) -> float32 in [0, 1]."""
    # YOUR CODE HERE
    raise NotImplementedError()


ex.normalize.check(normalize)'''

TOP_LEVEL_CELL = '''\
### BEGIN SOLUTION
kernel = np.ones((3, 3)) / 9
out_size, pad = 26, 0
print("kernel ready")
model = build_model()
model.compile(loss="mse")
### END SOLUTION
kernel = ex.blur.use(kernel)'''

TOP_LEVEL_EXPECTED = '''\
kernel = None  # YOUR CODE HERE
out_size = None  # YOUR CODE HERE
pad = None  # YOUR CODE HERE
# YOUR CODE HERE
model = None  # YOUR CODE HERE
# YOUR CODE HERE
kernel = ex.blur.use(kernel)'''

MARKDOWN_CELL = '''\
**Question.** Why does max pooling help with small shifts?

### BEGIN SOLUTION
The maximum of a window barely changes when the pattern moves by a pixel inside it.
### END SOLUTION'''

MARKDOWN_EXPECTED = '''\
**Question.** Why does max pooling help with small shifts?

YOUR ANSWER HERE'''

HIDDEN_CELL = '''\
assert normalize(np.array([255]))[0] == 1.0
"""BEGIN HIDDEN TESTS"""
assert normalize(np.array([0]))[0] == 0.0
assert normalize(np.zeros((2, 2))).shape == (2, 2)
"""END HIDDEN TESTS"""
print("visible test passed")'''

HIDDEN_EXPECTED = '''\
assert normalize(np.array([255]))[0] == 1.0
print("visible test passed")'''


def student_source(source, cell=new_code_cell):
    new, _, _ = release.release_cell(cell(source), "nb", 1)
    return new


def solution_regions(source):
    """Every region between the markers, found independently of the module under test."""
    return re.findall(r"BEGIN SOLUTION[^\n]*\n(.*?)\n[^\n]*END SOLUTION", source, flags=re.S)


def write_course(folder, cells_by_notebook):
    folder.mkdir(parents=True, exist_ok=True)
    for name, cells in cells_by_notebook.items():
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / f"{name}.ipynb")
    return folder


def sample_course(folder):
    executed = new_code_cell("print(1 + 1)", execution_count=3, outputs=[new_output("stream", text="2\n")])
    return write_course(folder, {
        "01_first": [new_markdown_cell("# 01 · First"), new_code_cell(FUNCTION_CELL), executed,
                     new_code_cell(HIDDEN_CELL)],
        "02_second": [new_code_cell(TOP_LEVEL_CELL), new_markdown_cell(MARKDOWN_CELL)],
    })


def cell_text(nb):
    return "\n".join(cell.source for cell in nb.cells)


# --- one cell ------------------------------------------------------------------------------------------------
def test_function_region_becomes_nbgrader_stub_at_its_indentation():
    assert student_source(FUNCTION_CELL) == FUNCTION_EXPECTED


def test_top_level_region_keeps_every_assigned_name_as_none():
    assert student_source(TOP_LEVEL_CELL) == TOP_LEVEL_EXPECTED


def test_markdown_region_becomes_your_answer_here():
    assert student_source(MARKDOWN_CELL, new_markdown_cell) == MARKDOWN_EXPECTED


def test_hidden_tests_are_removed_with_their_markers():
    assert student_source(HIDDEN_CELL) == HIDDEN_EXPECTED


def test_method_region_counts_as_inside_a_function():
    source = "class Net:\n    def call(self, x):\n        ### BEGIN SOLUTION\n        return x\n        ### END SOLUTION"
    assert student_source(source) == (
        "class Net:\n    def call(self, x):\n        # YOUR CODE HERE\n        raise NotImplementedError()")


def test_indented_region_outside_a_function_assigns_none_instead_of_raising():
    source = "if True:\n    ### BEGIN SOLUTION\n    answer = 6 * 7\n    ### END SOLUTION\nprint(answer)"
    assert student_source(source) == "if True:\n    answer = None  # YOUR CODE HERE\nprint(answer)"


def test_top_level_function_definitions_loops_and_magics_keep_their_names():
    source = ("### BEGIN SOLUTION\ndef relu(x):\n    return max(x, 0)\n\nfor step in range(3):\n    total = step\n"
              "%time result = relu(-1)\n### END SOLUTION")
    assert student_source(source) == ("relu = None  # YOUR CODE HERE\nstep = None  # YOUR CODE HERE\n"
                                      "total = None  # YOUR CODE HERE\nresult = None  # YOUR CODE HERE")


def test_region_inside_a_literal_becomes_a_comment():
    source = "layers = [\n    ### BEGIN SOLUTION\n    Conv2D(8, 3),\n    ### END SOLUTION\n]"
    assert student_source(source) == "layers = [\n    # YOUR CODE HERE\n]"


def test_nbgrader_solution_cell_without_markers_is_replaced_whole():
    cell = new_code_cell("answer = 6 * 7")
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "answer", "locked": False}
    source, regions, _ = release.release_cell(cell, "nb", 4)
    assert source == "answer = None  # YOUR CODE HERE"
    assert [(r.cell, r.placement, r.solution) for r in regions] == [(4, "whole cell", "answer = 6 * 7")]


@pytest.mark.parametrize("source, message", [
    ("x = 1\n### BEGIN SOLUTION\ny = 2", "'### BEGIN SOLUTION' has no matching '### END SOLUTION'"),
    ("y = 2\n### END SOLUTION", "'### END SOLUTION' without a '### BEGIN SOLUTION' above it"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\ny = 2\n### END SOLUTION", "Regions cannot nest"),
    ('"""BEGIN HIDDEN TESTS"""\nassert True', "'BEGIN HIDDEN TESTS' has no matching 'END HIDDEN TESTS'"),
])
def test_unbalanced_markers_name_the_notebook_and_the_cell(source, message):
    with pytest.raises(release.ReleaseError) as err:
        release.release_cell(new_code_cell(source), "03_broken", 7)
    assert message in str(err.value)
    assert "03_broken, cell 7 (code cell starting" in str(err.value)


# --- a whole release ------------------------------------------------------------------------------------------
def test_release_writes_valid_student_notebooks_without_solutions_or_outputs(tmp_path):
    source_dir = sample_course(tmp_path / "course" / "notebooks")
    result = release.release(tmp_path / "out", source_dir)
    assert [nb.name for nb in result.notebooks] == ["01_first", "02_second"]
    for path in sorted(source_dir.glob("*.ipynb")):
        source = nbformat.read(path, as_version=4)
        written = tmp_path / "out" / "notebooks" / path.name
        student = nbformat.read(written, as_version=4)
        nbformat.validate(student)
        text = cell_text(student)
        regions = [r for cell in source.cells for r in solution_regions(cell.source)]
        assert regions, path.name
        for line in (line.strip() for region in regions for line in region.splitlines()):
            assert not line or line not in text, f"solution line leaked into {path.name}: {line!r}"
        assert "BEGIN" not in text and "END SOLUTION" not in text and "HIDDEN TESTS" not in text
        for cell in student.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
    first = nbformat.read(tmp_path / "out" / "notebooks" / "01_first.ipynb", as_version=4)
    assert [c.source for c in first.cells] == ["# 01 · First", FUNCTION_EXPECTED, "print(1 + 1)", HIDDEN_EXPECTED]
    second = nbformat.read(tmp_path / "out" / "notebooks" / "02_second.ipynb", as_version=4)
    assert [c.source for c in second.cells] == [TOP_LEVEL_EXPECTED, MARKDOWN_EXPECTED]
    assert [nb.hidden_removed for nb in result.notebooks] == [1, 0]


def test_answer_key_lists_every_region_with_its_cell(tmp_path):
    result = release.release(tmp_path / "out", sample_course(tmp_path / "notebooks"))
    key = (tmp_path / "out" / "answer_key.md").read_text()
    assert [(r.notebook, r.cell, r.placement) for r in result.regions] == [
        ("01_first", 2, "inside a function"), ("02_second", 1, "top level"), ("02_second", 2, "markdown")]
    assert "## 01_first" in key and "## 02_second" in key
    assert "### 1. Cell 2 (code, inside a function, exercise `ex.normalize`)" in key
    assert "### 1. Cell 1 (code, top level, exercise `ex.blur`)" in key
    assert "### 2. Cell 2 (markdown, markdown)" in key
    for source in (FUNCTION_CELL, TOP_LEVEL_CELL, MARKDOWN_CELL):
        (region,) = solution_regions(source)
        assert textwrap.dedent(region) in key
    assert "3 solution regions in 2 notebooks" in key


def test_students_readme_says_how_to_start_and_where_progress_is_saved(tmp_path):
    release.release(tmp_path / "out", sample_course(tmp_path / "notebooks"))
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "jupyter lab" in readme and "progress.json" in readme and "COURSE_PROGRESS_FILE" in readme
    assert "`notebooks/01_first.ipynb`" in readme and "`notebooks/02_second.ipynb`" in readme
    assert "answer_key" not in readme


def test_a_malformed_notebook_stops_the_release_before_anything_is_written(tmp_path):
    source_dir = sample_course(tmp_path / "notebooks")
    write_course(source_dir, {"03_broken": [new_code_cell("print(0)"), new_code_cell("### BEGIN SOLUTION\nx = 1")]})
    with pytest.raises(release.ReleaseError, match=r"03_broken, cell 2 \(code cell starting '### BEGIN SOLUTION'\)"):
        release.release(tmp_path / "out", source_dir)
    assert not (tmp_path / "out").exists()


def test_an_unreadable_notebook_is_named(tmp_path):
    source_dir = sample_course(tmp_path / "notebooks")
    (source_dir / "04_corrupt.ipynb").write_text('{"cells": [')
    with pytest.raises(release.ReleaseError, match=r"Cannot read 04_corrupt.ipynb as a notebook"):
        release.release(tmp_path / "out", source_dir)


@pytest.mark.parametrize("out", [".", "notebooks", "notebooks/student"])
def test_release_refuses_to_write_into_the_source_notebooks_folder(tmp_path, out):
    source_dir = sample_course(tmp_path / "notebooks")
    before = {p.name: p.read_bytes() for p in source_dir.glob("*.ipynb")}
    with pytest.raises(release.ReleaseError, match="Refusing to write student versions"):
        release.release(tmp_path / out, source_dir)
    assert {p.name: p.read_bytes() for p in source_dir.glob("*.ipynb")} == before


def test_release_command_reports_regions_and_exit_codes(tmp_path, capsys):
    source_dir = sample_course(tmp_path / "notebooks")
    assert cli.main(["release", str(tmp_path / "out"), "--notebooks", str(source_dir)]) == 0
    printed = capsys.readouterr().out
    assert "01_first.ipynb: 1 solution region replaced, 1 hidden region removed" in printed
    assert "02_second.ipynb: 2 solution regions replaced" in printed
    assert "answer_key.md" in printed
    assert cli.main(["release", str(tmp_path), "--notebooks", str(source_dir)]) == 2
    assert "course release: Refusing to write" in capsys.readouterr().err
    assert cli.main(["release", str(tmp_path / "x"), "--notebooks", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


# --- the real notebooks ----------------------------------------------------------------------------------------
NOTEBOOKS_WITH_SOLUTIONS = [p for p in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
                            if "BEGIN SOLUTION" in p.read_text(encoding="utf-8", errors="replace")]


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS_WITH_SOLUTIONS, ids=[p.stem for p in NOTEBOOKS_WITH_SOLUTIONS])
def test_released_course_notebook_has_no_solutions_and_runs_unsolved(path, tmp_path):
    result = release.release(tmp_path / "release", path.parent)
    exercises = {r.exercise for r in result.regions if r.notebook == path.stem and r.exercise}
    released = tmp_path / "release" / "notebooks" / path.name
    source = nbformat.read(path, as_version=4)
    student = nbformat.read(released, as_version=4)
    nbformat.validate(student)
    outside = {line.strip() for cell in source.cells
               for line in re.sub(r"BEGIN SOLUTION.*?END SOLUTION", "", cell.source, flags=re.S).splitlines()}
    text = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    for region in (r for cell in source.cells for r in solution_regions(cell.source)):
        for line in (line.strip() for line in region.splitlines()):
            # a line that also appears outside the solutions (e.g. a lone ")") is not a leak
            assert not line or line in outside or line not in text, f"solution line leaked: {line!r}"

    progress_file = tmp_path / "progress.json"
    run = runner.execute_notebook(released, tmp_path / "executed", fast=True, timeout=600, extra_env={
        "COURSE_WORK_DIR": str(tmp_path / "work"), "COURSE_PROGRESS_FILE": str(progress_file)})
    assert run.status == "ok", f"the released {path.name} failed in {run.error} ({run.executed})"
    executed = nbformat.read(run.executed, as_version=4)
    outputs = json.dumps([cell.get("outputs", []) for cell in executed.cells])
    assert '"output_type": "error"' not in outputs
    if exercises:  # the exercises whose solutions were removed are "not attempted", and nothing else
        assert "not attempted" in outputs.lower()
        records = progress.load(progress_file)["records"]
        statuses = {(r["item"], r["status"]) for r in records if r["kind"] == "exercise" and r["item"] in exercises}
        assert statuses == {(item, "not_attempted") for item in exercises}
