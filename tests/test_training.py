"""Behaviour of course_utils.training: seeds, the progress callback, recorded metrics."""

import json
import os
import random
import re

import numpy as np
import pytest

from course_utils import paths, training


@pytest.fixture(autouse=True)
def fresh_metrics(monkeypatch):
    monkeypatch.setattr(training, "_METRICS", {})
    monkeypatch.delenv("COURSE_METRICS_FILE", raising=False)
    monkeypatch.setenv("COURSE_HEADLESS", "1")


# ----------------------------------------------------------------------------------------------- set_seed


def test_set_seed_makes_python_numpy_and_keras_repeatable():
    import keras

    def draw():
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return (random.random(), np.random.rand(3), keras.ops.convert_to_numpy(keras.random.normal((3,))),
                layer.get_weights()[0])

    assert training.set_seed(7) == 7
    first = draw()
    training.set_seed(7)
    second = draw()
    training.set_seed(8)
    third = draw()
    assert first[0] == second[0]
    for a, b, c in zip(first[1:], second[1:], third[1:], strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c), "a different seed gives different numbers"


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "42", None, True])
def test_set_seed_rejects_values_that_are_not_seeds(seed):
    with pytest.raises(ValueError, match="whole number between 0 and 2\\*\\*32 - 1"):
        training.set_seed(seed)


# ------------------------------------------------------------------------------------------- progress_bar


def test_headless_progress_bar_prints_one_line_per_epoch_with_metric_names(capsys):
    import keras

    training.set_seed(0)
    x = np.random.rand(64, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callback = training.progress_bar()
    assert isinstance(callback, keras.callbacks.Callback)
    assert isinstance(callback, training.EpochLogger)
    capsys.readouterr()
    model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0, callbacks=[callback])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 2
    for epoch, line in enumerate(lines, start=1):
        head, seconds, *metrics = line.split(" - ")
        assert head == f"Epoch {epoch}/2" and re.fullmatch(r"\d+\.\ds", seconds), line
        assert sorted(part.split(": ")[0] for part in metrics) == ["accuracy", "loss", "val_accuracy", "val_loss"]
        assert all(re.fullmatch(r"\w+: \d+\.\d{4}", part) for part in metrics), line


def test_progress_bar_in_jupyter_is_a_tqdm_callback(monkeypatch):
    from tqdm.keras import TqdmCallback

    monkeypatch.setattr(paths, "headless", lambda: False)
    callback = training.progress_bar(disable=True)
    try:
        assert isinstance(callback, TqdmCallback)
    finally:
        callback.on_train_end()


@pytest.mark.parametrize("verbose", [1, 2])
def test_progress_bar_in_jupyter_counts_whole_batches(monkeypatch, verbose):
    """The review saw `7.00/31.0` in JupyterLab: tqdm's Keras callback scales batch counts as SI sizes."""
    import io

    import keras
    from tqdm.std import tqdm

    monkeypatch.setattr(paths, "headless", lambda: False)
    training.set_seed(0)
    x = np.random.rand(70, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    stream = io.StringIO()
    callback = training.progress_bar(tqdm_class=tqdm, file=stream, mininterval=0, ascii=True, verbose=verbose)
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[callback])
    shown = stream.getvalue()
    assert re.search(r"\b7/7 \[", shown), shown  # 70 samples in batches of 10: 7 whole batches
    assert re.search(r"\b2/2 \[", shown), shown  # the epoch bar
    assert not re.search(r"\d\.\d+/\d", shown), shown  # no "7.00/7.00"


# ------------------------------------------------------------------------------------------ record_metric


def test_record_metric_keeps_a_float_and_prints_it(capsys):
    assert training.record_metric("test_accuracy", np.float32(0.98125)) is None
    assert capsys.readouterr().out == "Recorded test_accuracy = 0.9812\n"
    training.record_metric("epochs", np.int64(3))
    recorded = training.recorded_metrics()
    assert recorded == {"test_accuracy": pytest.approx(0.98125), "epochs": 3.0}
    assert all(type(v) is float for v in recorded.values())
    recorded["epochs"] = 99
    assert training.recorded_metrics()["epochs"] == 3.0, "recorded_metrics() returns a copy"


def test_record_metric_merges_into_the_metrics_file(tmp_path, monkeypatch):
    target = tmp_path / "run" / "metrics.json"
    target.parent.mkdir()
    target.write_text(json.dumps({"earlier": 1.5, "test_accuracy": 0.1}))
    monkeypatch.setenv("COURSE_METRICS_FILE", str(target))
    training.record_metric("test_accuracy", 0.97)
    training.record_metric("seconds", 12)
    assert json.loads(target.read_text()) == {"earlier": 1.5, "test_accuracy": 0.97, "seconds": 12.0}
    assert os.listdir(target.parent) == ["metrics.json"], "no temporary file is left behind"


def test_record_metric_writes_atomically_with_os_replace(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    monkeypatch.setenv("COURSE_METRICS_FILE", str(target))
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        calls.append((src, dst))
        assert not target.exists(), "the target is only ever replaced whole"
        assert json.loads(open(src).read()) == {"a": 1.0}
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    training.record_metric("a", 1)
    assert len(calls) == 1 and str(calls[0][1]) == str(target)


def test_record_metric_replaces_a_damaged_metrics_file(tmp_path, monkeypatch, capsys):
    target = tmp_path / "metrics.json"
    target.write_text("{not json")
    monkeypatch.setenv("COURSE_METRICS_FILE", str(target))
    training.record_metric("a", 0.5)
    assert json.loads(target.read_text()) == {"a": 0.5}
    assert "could not be read" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "not a finite number"),
        (np.float32("inf"), "not a finite number"),
        ("0.98", "needs a number"),
        (None, "needs a number"),
        (True, "needs a number"),
        (np.array([0.9, 0.8]), "needs one number"),
        ([0.9], "needs one number"),
    ],
)
def test_record_metric_rejects_values_that_are_not_finite_numbers(value, message, tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    monkeypatch.setenv("COURSE_METRICS_FILE", str(target))
    with pytest.raises(ValueError, match=message):
        training.record_metric("test_accuracy", value)
    assert training.recorded_metrics() == {}
    assert not target.exists()


def test_record_metric_rejects_an_empty_name():
    with pytest.raises(ValueError, match="non-empty string"):
        training.record_metric("  ", 1.0)
