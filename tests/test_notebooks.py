"""Every numbered notebook executes top to bottom with its fast parameters (papermill), as `course run --fast` does.

Executed copies are kept in ``build/executed`` to open and look at. (``python -m pytest --nbval-lax notebooks`` runs
them once more as they are, with ``COURSE_FAST=1`` from conftest.py; the default run no longer does, since papermill
already executes the same cells with the same fast values.)
"""

from pathlib import Path

import nbformat
import pytest

from course_utils.instructor import runner

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
EXECUTED = ROOT / "build" / "executed"

# Floors for the metrics a notebook records in fast mode (`record_metric`): real learning, not just "it ran".
METRIC_FLOORS = {
    "03_mnist_cnn": {"test_accuracy": 0.90},
    "04_visualizing_cnns": {"test_accuracy": 0.85},
    "06_transfer_learning": {"bn_drift_with_training_false": 0.05, "bn_frozen_unchanged": 1.0},
    "05_better_cnns": {
        "sigmoid_gradient_orders_lost": 6.0,  # measured 12.9: vanishing gradients
        "initial_loss_largest_without_bn": 1e3,  # measured 1.4e13: the signal explodes without BatchNorm
        "top_rate_bn_minus_plain": 0.05,  # measured 0.11 fast, 0.44 default: BN trains at lr 0.1, plain does not
        "study_val_none": 0.65,  # measured 0.77 fast
        "first_conv_gradient_residual_over_plain": 1.2,  # measured 2.4
        "best_recipe_test_accuracy": 0.75,  # measured 0.79 fast (3,000 images, 2 epochs); 0.93 default
    },
}
# Ceilings for metrics that must stay small.
METRIC_CEILINGS = {
    "05_better_cnns": {
        "relu_he_gradient_orders_lost": 1.5,  # measured 0.8-1.0: ReLU + He keeps the gradient within a power of 10
        "initial_loss_largest_with_bn": 3.0,  # measured 2.3-2.4: BatchNorm keeps the initial loss near chance
    },
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
    for name, ceiling in METRIC_CEILINGS.get(path.stem, {}).items():
        assert name in result.metrics, f"{path.name} did not record {name}"
        assert result.metrics[name] <= ceiling, f"{path.name}: {name} = {result.metrics[name]} > {ceiling}"


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
    from course_utils.transfer_learning import photos, pretrained

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


@pytest.mark.notebook
def test_05_runs_on_mnist_where_no_fashion_mnist_is_reachable(tmp_path):
    """Debian's folder hidden (an IPython startup file in the kernel), no data folder, no Keras cache, offline:
    05 says so in one line, runs on MNIST, and its recipe still learns (flips are off for digits)."""
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-no-fashion.py").write_text(
        "import course_utils.data\ncourse_utils.data_sources.DEBIAN_FASHION_DIR = '/nonexistent/fashion-mnist'\n")
    env = {"IPYTHONDIR": str(tmp_path / "ipython"), "KERAS_HOME": str(tmp_path / "keras"), "COURSE_DATA_DIR": "",
           "COURSE_OFFLINE": "1"}
    notebook = ROOT / "notebooks" / "05_better_cnns.ipynb"
    result = runner.execute_notebook(notebook, tmp_path / "executed", fast=True, timeout=600, extra_env=env)
    assert result.status == "ok", f"failed in {result.error} (executed copy: {result.executed})"
    executed = nbformat.read(result.executed, as_version=4)
    text = "\n".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert text.count("Fashion-MNIST is not available here") == 1
    assert "MNIST: " in text and "Fashion-MNIST: " not in text
    assert result.metrics["best_recipe_test_accuracy"] >= 0.85

