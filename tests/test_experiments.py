"""course_utils.building.experiments: validation split, the study's network, summaries and verdicts over seeds."""

import math

import numpy as np
import pytest

from course_utils.building import experiments


def test_split_validation_holds_out_disjoint_images():
    x, y = np.arange(100).reshape(100, 1), np.arange(100) % 10
    (x_fit, y_fit), (x_val, y_val) = experiments.split_validation(x, y, 20, seed=1)
    assert len(x_val) == 20 and len(x_fit) == 80
    assert not set(x_fit.ravel()) & set(x_val.ravel())
    assert np.array_equal(y_fit, x_fit.ravel() % 10)
    assert len(experiments.split_validation(x, y, 0.1)[1][0]) == 10
    with pytest.raises(ValueError, match="n_val"):
        experiments.split_validation(x, y, 100)


def _rows(name, vals, train=1.0):
    return [{"variant": name, "seed": i, "train_acc": train, "val_acc": v, "gap": train - v, "epochs": 10}
            for i, v in enumerate(vals)]


def test_summary_calls_small_differences_noise_and_large_ones_real():
    rows = _rows("none", [0.80, 0.81, 0.79]) + _rows("dropout", [0.805, 0.795, 0.81]) + \
        _rows("augmentation", [0.86, 0.87, 0.85], train=0.95)
    summary = {row["variant"]: row for row in experiments.summarise(rows, n_val=1000)}
    assert summary["none"]["verdict"] == "baseline"
    assert summary["dropout"]["verdict"] == "within noise"
    assert summary["augmentation"]["verdict"] == "helps"
    assert summary["augmentation"]["gap"] == pytest.approx(0.95 - 0.86)
    assert summary["augmentation"]["change"] == pytest.approx(0.06)


def test_one_seed_uses_the_sampling_error_of_the_validation_set_as_the_noise_floor():
    rows = _rows("none", [0.80]) + _rows("L2", [0.82]) + _rows("dropout", [0.70])
    summary = {row["variant"]: row for row in experiments.summarise(rows, n_val=1000)}
    assert math.isnan(summary["none"]["val_std"])
    assert summary["L2"]["noise"] == pytest.approx(2 * math.sqrt(2 * 0.81 * 0.19 / 1000))  # about 3.5 points
    assert summary["L2"]["verdict"] == "within noise"
    assert summary["dropout"]["verdict"] == "hurts"


def test_combine_merges_the_settings_of_what_helped_or_takes_the_best():
    rows = _rows("none", [0.80, 0.80]) + _rows("dropout", [0.85, 0.86]) + _rows("augmentation", [0.88, 0.87]) + \
        _rows("L2", [0.79, 0.80])
    settings, parts = experiments.combine(experiments.summarise(rows))
    assert parts == ["dropout", "augmentation"]
    assert settings == {"dropout": 0.5, "augment": True}
    flat = _rows("none", [0.80, 0.80]) + _rows("L2", [0.801, 0.80]) + _rows("dropout", [0.79, 0.80])
    assert experiments.combine(experiments.summarise(flat, n_val=1000))[1] == ["L2"]  # positive, within noise
    worse = _rows("none", [0.80, 0.80]) + _rows("L2", [0.78, 0.78]) + _rows("dropout", [0.79, 0.79]) + \
        _rows("augmentation", [0.70, 0.71])
    assert experiments.combine(experiments.summarise(worse))[1] == ["dropout", "L2"]  # the two best


def test_summary_needs_the_baseline_and_the_table_prints_every_variant():
    rows = _rows("none", [0.8, 0.82]) + _rows("dropout", [0.85, 0.84])
    text = experiments.format_summary(experiments.summarise(rows))
    assert "none" in text and "dropout" in text and "helps" in text
    with pytest.raises(ValueError, match="baseline"):
        experiments.summarise(_rows("dropout", [0.8]))


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="Unknown setting"):
        experiments.train_variant({"batchnorm": True}, None, None, None, None)




def test_small_cnn_has_03s_parameter_count_and_augmentation_layers_first():
    keras = pytest.importorskip("keras")
    assert experiments.small_cnn().count_params() == 225_034
    model = experiments.small_cnn(dropout=0.5, augment=True, flip=False)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[0] == "RandomTranslation" and "RandomFlip" not in kinds and kinds.count("Dropout") == 2
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    assert np.allclose(model.predict(x, verbose=0), model(x, training=False))
    assert isinstance(model.layers[0], keras.layers.RandomTranslation)


def test_train_variant_measures_train_and_validation_accuracy_in_inference_mode():
    pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 64)
    result = experiments.train_variant({"dropout": 0.5, "early_stopping": True}, x[:48], y[:48], x[48:], y[48:],
                                       epochs=2, batch_size=16, patience=1)
    assert set(result) >= {"train_acc", "val_acc", "gap", "epochs", "seconds", "history"}
    assert result["gap"] == pytest.approx(result["train_acc"] - result["val_acc"])
    assert 1 <= result["epochs"] <= 2


def test_batch_norm_sweeps_rows_and_plot():
    pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.random((32, 28, 28, 1)).astype("float32")
    y = rng.integers(0, 10, 32)
    initial = experiments.initial_loss_sweep(x, y, gains=(0.1, 100.0), n_blocks=1)
    loss = {(r["gain"], r["batch_norm"]): r["loss"] for r in initial}
    assert loss[(100.0, False)] > 1e3 * loss[(100.0, True)]  # without BN the signal explodes
    assert loss[(100.0, True)] == pytest.approx(np.log(10), rel=0.2)  # with BN it stays near chance
    rates = experiments.learning_rate_sweep(x, y, x[:8], y[:8], rates=(1e-3,), n_blocks=1, epochs=1, batch_size=16)
    assert [(r["rate"], r["batch_norm"]) for r in rates] == [(1e-3, False), (1e-3, True)]
    fig = experiments.plot_batch_norm_sweeps(initial, rates)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 3  # with, without, chance
    summary = experiments.summarise(_rows("none", [0.8]) + _rows("L2", [0.9]))
    assert len(experiments.plot_regularisation(summary).axes) == 2


def test_release_memory_keeps_existing_models_working():
    pytest.importorskip("keras")
    model = experiments.small_cnn()
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    before = np.asarray(model(x, training=False))
    experiments.release_memory()
    assert np.allclose(model(x, training=False), before)


def test_kernel_norm_counts_kernels_only_and_the_study_decay_acts():
    """kernel_norm: sqrt of the sum of squared kernel weights (biases excluded); the study's weight decay is large
    enough to shrink weights under Keras' lr-scaled rule, and the summary carries the norm into the table."""
    keras = pytest.importorskip("keras")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, bias_initializer="ones")])
    model.layers[0].kernel.assign(np.array([[3.0, 0.0], [0.0, 4.0]], "float32"))
    assert experiments.kernel_norm(model) == pytest.approx(5.0)
    decay = experiments.REGULARISERS["weight decay"]["weight_decay"]
    assert experiments.shrink_factor(experiments.study_schedule(1e-3, 200), decay, 200) < 0.9  # fast study
    rows = [{"variant": v, "seed": 0, "train_acc": 0.9, "val_acc": 0.8, "gap": 0.1, "epochs": 3, "kernel_norm": n}
            for v, n in (("none", 20.0), ("weight decay", 15.0))]
    assert "|W|" in experiments.format_summary(experiments.summarise(rows))
    assert "15.0" in experiments.format_summary(experiments.summarise(rows))
