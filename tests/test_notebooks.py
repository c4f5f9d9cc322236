"""Every numbered notebook executes top to bottom with its fast parameters (papermill), as `course run --fast` does.

Executed copies are kept in ``build/executed`` to open and look at. nbval (``--nbval-lax``, configured in
pyproject.toml) runs the same notebooks a second time, as they are, with ``COURSE_FAST=1`` from conftest.py.
"""

from pathlib import Path

import nbformat
import pytest

from course_utils import runner

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
EXECUTED = ROOT / "build" / "executed"

# Floors for the metrics a notebook records in fast mode (`record_metric`): real learning, not just "it ran".
METRIC_FLOORS = {
    "03_mnist_cnn": {"test_accuracy": 0.90},
    "04_visualizing_cnns": {"test_accuracy": 0.85},
}


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(path, monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)  # the kernel starts as in JupyterLab
    result = runner.execute_notebook(path, EXECUTED, fast=True, timeout=600)
    assert result.status == "ok", f"{path.name} failed in {result.error} (executed copy: {result.executed})"
    for name, floor in METRIC_FLOORS.get(path.stem, {}).items():
        assert name in result.metrics, f"{path.name} did not record {name}"
        assert result.metrics[name] >= floor, f"{path.name}: {name} = {result.metrics[name]} < {floor}"
    executed = nbformat.read(result.executed, as_version=4)
    injected = executed.metadata["papermill"]["parameters"]
    source = runner.parameters_cell(nbformat.read(path, as_version=4))
    assert injected == runner.parameter_values(source, fast=True)
    assert injected["FAST"] is True
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    # JupyterLab shows stderr as red boxes: TensorFlow's C++ start-up lines must not reach the student.
    stderr = [o["text"] for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"{path.name} writes to stderr: {stderr}"


def test_there_are_notebooks_to_test():
    assert (ROOT / "notebooks" / "00_start_here.ipynb") in NOTEBOOKS
