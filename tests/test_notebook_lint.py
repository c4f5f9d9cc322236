"""Every notebook follows the course template (DEVELOPERS.md) and is committed without outputs."""

import ast
import re
from pathlib import Path

import nbformat
import pytest

from course_utils import catalog
from course_utils.instructor import links, runner

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
ids = [p.stem for p in NOTEBOOKS]


@pytest.fixture(params=NOTEBOOKS, ids=ids)
def nb(request):
    notebook = nbformat.read(request.param, as_version=4)
    nbformat.validate(notebook)
    notebook.path = request.param
    return notebook


def test_notebook_is_nbformat_4_5_with_unique_cell_ids(nb):
    """Without ids JupyterLab adds them on opening, so a fresh notebook would show as modified."""
    assert (nb.nbformat, nb.nbformat_minor) >= (4, 5)
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids) and len(set(ids)) == len(ids)


def test_outputs_are_stripped(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "run nbstripout on the notebook"


def test_title_and_badges_follow_the_repository_constant(nb):
    first = nb.cells[0]
    assert first.cell_type == "markdown"
    assert re.match(rf"# {nb.path.name[:2]} · \S", first.source), "title must be '# NN · Title'"
    assert links.badges_markdown(nb.path.name) in first.source, "run `course links` to refresh the badges"


def test_learning_goals_are_listed(nb):
    text = "\n".join(c.source for c in nb.cells[:3] if c.cell_type == "markdown")
    assert "## What you will learn" in text
    goals = text.split("## What you will learn", 1)[1].split("\n#", 1)[0]
    bullets = [line for line in goals.splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= 6
    assert re.search(r"About \d+ minutes", goals), "state the estimated time"


def test_colab_setup_cell_installs_the_course_from_its_repository(nb):
    setup = [c for c in nb.cells if "setup" in c.metadata.get("tags", [])]
    assert len(setup) == 1
    assert links.colab_install_line().strip() in setup[0].source
    assert 'if "google.colab" in sys.modules:' in setup[0].source


def test_exactly_one_parameters_cell_with_plain_assignments(nb):
    source = runner.parameters_cell(nb)
    body = ast.parse(source).body
    assert all(isinstance(node, ast.Assign) for node in body), "parameters cell: only NAME = value lines"
    assert "FAST = course_utils.fast_mode()" in source
    fast, full = runner.parameter_values(source, fast=True), runner.parameter_values(source, fast=False)
    assert fast["FAST"] is True and full["FAST"] is False
    assert set(fast) == set(full)


def test_notebook_is_in_the_catalogue_and_links_the_next_one(nb):
    entry = catalog.find(nb.path.stem)
    assert entry is not None and entry.file == nb.path.name
    position = catalog.NOTEBOOKS.index(entry)
    if position + 1 < len(catalog.NOTEBOOKS):
        nxt = catalog.NOTEBOOKS[position + 1].file
        assert any(nxt in c.source for c in nb.cells[-3:] if c.cell_type == "markdown"), f"link to {nxt} at the end"


def test_kernel_is_plain_python3(nb):
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_catalogue_marks_exactly_the_existing_notebooks_ready():
    names = [nb.file for nb in catalog.NOTEBOOKS]
    assert names == sorted(names) and len(names) == 8
    assert all(p.name in names for p in NOTEBOOKS)
    assert {nb.file for nb in catalog.NOTEBOOKS if nb.ready} == {p.name for p in NOTEBOOKS}


def test_solution_cells_carry_nbgrader_metadata(nb):
    """So that `nbgrader generate_assignment` works on the source notebooks as they are."""
    for cell in nb.cells:
        if "### BEGIN SOLUTION" in cell.source:
            meta = cell.metadata.get("nbgrader", {})
            assert meta.get("solution") is True and meta.get("grade_id"), "run release.add_nbgrader_metadata"
            assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION")
