"""benchmarks/bench_fashion.py: its verdict on the target, its recorded rows and its refusal to record a smoke
test (the benchmark itself is run by hand on an idle machine, never by the tests)."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_fashion", ROOT / "benchmarks" / "bench_fashion.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _result(accuracy, seconds, cpu, name="recipe"):
    return {"name": name, "params": 612_522, "epochs": 5, "accuracy": accuracy, "seconds": seconds, "cpu": cpu,
            "load": (0.1, 0.2)}


def test_the_verdict_says_met_only_when_both_accuracy_and_time_are_met(bench):
    met = bench.target_verdict(_result(0.9251, 55.0, 110.0), "test set")
    assert "accuracy met, time met" in met and "92.51%" in met and "not the test set" not in met
    slow = bench.target_verdict(_result(0.9251, 95.0, 180.0), "test set")
    assert "accuracy met, time NOT met" in slow
    weak = bench.target_verdict(_result(0.9199, 55.0, 110.0), "test set")
    assert "accuracy NOT met, time met" in weak


def test_a_validation_run_says_its_accuracy_is_not_test_accuracy(bench):
    text = bench.target_verdict(_result(0.93, 50.0, 100.0), "validation split (6,000 training images)")
    assert "measured on the validation split (6,000 training images), not the test set" in text


def test_recorded_rows_match_the_recorded_columns(bench):
    rows = [bench.record_row(_result(0.92512, 55.04, 110.0)), bench.record_row(_result(0.9, 88.0, 170.0, "keras_io"))]
    assert all(len(row) == len(bench.RECORD_COLUMNS) for row in rows)
    assert rows[0] == ["recipe (recipes.RECIPE)", 612_522, 5, 0.9251, 55.0, 55.0]
    assert rows[1][0] == "keras-io mnist_convnet (time budget)"


def test_a_smoke_test_cannot_be_recorded(bench, capsys):
    with pytest.raises(SystemExit):
        bench.main(["--quick", "--record"])
    assert "not worth recording" in capsys.readouterr().err
