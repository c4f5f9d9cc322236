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
    "06_transfer_learning": {"bn_drift_with_training_false": 0.05, "bn_frozen_unchanged": 1.0},
}
# 06 takes one of two paths: the ImageNet part (photos and weights reachable, e.g. COURSE_DATA_DIR), or the digits
# fallback (neither reachable). Floors for each path's measured claims, met in fast mode with a wide margin.
TRANSFER_FLOORS = {
    "imagenet": {"feature_extraction_val_accuracy": 0.92, "fine_tuned_val_accuracy": 0.90,
                 "transfer_val_accuracy_10_per_class": 0.85, "placeholder_is_most_unusual": 1.0,
                 "bn_layers_drifting_in_tutorial_recipe": 1.0},
    "digits": {"digits_transfer_accuracy_fewest": 0.45},
}


def _floors(stem, metrics):
    floors = dict(METRIC_FLOORS.get(stem, {}))
    if stem == "06_transfer_learning":
        floors.update(TRANSFER_FLOORS["imagenet" if metrics.get("imagenet_part") else "digits"])
    return floors


def _check_floors(path, result):
    for name, floor in _floors(path.stem, result.metrics).items():
        assert name in result.metrics, f"{path.name} did not record {name}"
        assert result.metrics[name] >= floor, f"{path.name}: {name} = {result.metrics[name]} < {floor}"


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_fast_mode(path, monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)  # the kernel starts as in JupyterLab
    result = runner.execute_notebook(path, EXECUTED, fast=True, timeout=600)
    assert result.status == "ok", f"{path.name} failed in {result.error} (executed copy: {result.executed})"
    _check_floors(path, result)
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


@pytest.mark.notebook
def test_transfer_notebook_without_downloads(tmp_path, monkeypatch):
    """06 on a fresh machine with no network and no COURSE_DATA_DIR: it says so, skips the ImageNet part and
    teaches transfer on digits. Runs only where the main test took the ImageNet path (data here)."""
    path = ROOT / "notebooks" / "06_transfer_learning.ipynb"
    from course_utils import photos, pretrained

    if photos.hymenoptera_source() is None or pretrained.weights_source() is None:
        pytest.skip("no photos and weights here: the main notebook test already ran the digits path")
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    env = {"COURSE_DATA_DIR": "", "COURSE_OFFLINE": "1", "KERAS_HOME": str(tmp_path / "keras"),
           "COURSE_WORK_DIR": str(tmp_path / "work")}
    result = runner.execute_notebook(path, EXECUTED / "without-downloads", fast=True, timeout=600, extra_env=env)
    assert result.status == "ok", f"{path.name} failed in {result.error} (executed copy: {result.executed})"
    assert result.metrics["imagenet_part"] == 0.0
    _check_floors(path, result)
    executed = nbformat.read(result.executed, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs)
    assert "The ImageNet part of this notebook is skipped" in text and "Skipped: `IMAGENET` is false" in text
    assert not [o for o in outputs if o.get("output_type") == "error"]
    stderr = [o["text"] for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not stderr, f"{path.name} writes to stderr on the digits path: {stderr}"
    assert "WARNING:tensorflow" not in text  # e.g. retracing warnings from a predict function per model


def test_there_are_notebooks_to_test():
    assert (ROOT / "notebooks" / "00_start_here.ipynb") in NOTEBOOKS
