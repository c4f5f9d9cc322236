"""course_utils.building.models: builders, parameter counts by formula, receptive fields, saving and loading."""

import numpy as np
import pytest

from course_utils.building import models

keras = pytest.importorskip("keras")

# Hand-computed totals (see the docstrings): formula sums for each builder.
EXPECTED_PARAMS = {
    # conv (9+1)*32 = 320; dense (13*13*32 + 1)*128 = 692,352; out (128+1)*10 = 1,290
    "classic_a": 320 + 692_352 + 1_290,
    # 320; (9*32+1)*64 = 18,496; (5*5*64+1)*128 = 204,928; 1,290
    "classic_b": 320 + 18_496 + 204_928 + 1_290,
    # 320; 18,496; (9*64+1)*64 = 36,928; (3*3*64+1)*64 = 36,928; (64+1)*10 = 650
    "classic_c": 320 + 18_496 + 36_928 + 36_928 + 650,
    # (784+1)*512 + (512+1)*512 + (512+1)*10
    "mlp": 401_920 + 262_656 + 5_130,
    # 320; 18,496; (1600+1)*10 = 16,010
    "keras_io_convnet": 320 + 18_496 + 16_010,
    # conv without bias 9*32 and 9*32*64; BatchNorm 4*32 and 4*64; dense (5*5*64+1)*10
    "recommended": 288 + 18_432 + 4 * 32 + 4 * 64 + 16_010,
}


@pytest.fixture(scope="module")
def built():
    return {name: builder() for name, builder in models.BUILDERS.items()}


@pytest.mark.parametrize("name", list(models.BUILDERS))
def test_builder_has_the_hand_computed_parameter_count(built, name):
    assert built[name].count_params() == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name", list(models.BUILDERS))
def test_formula_counts_equal_keras_counts_for_every_layer(built, name):
    rows = models.param_count_by_formula(built[name])
    for row in rows:
        assert row["by_formula"] == row["keras"], row
    assert rows[-1]["layer"] == "total" and rows[-1]["by_formula"] == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name", list(models.BUILDERS))
def test_builder_maps_a_batch_of_digits_to_10_probabilities(built, name):
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    probs = np.asarray(built[name](x, training=False))
    assert probs.shape == (3, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_formula_text_for_conv_and_dense_layers(built):
    rows = {r["layer"]: r for r in models.param_count_by_formula(built["classic_b"])}
    assert rows["conv2"]["formula"] == "(3*3*32 + 1) * 64"
    assert rows["dense"]["formula"] == "(1600 + 1) * 128"
    assert rows["pool1"]["by_formula"] == 0


def test_receptive_fields_of_classic_c_match_hand_computation(built):
    rows = {r["layer"]: r for r in models.receptive_fields(built["classic_c"])}
    # conv1: 3 (jump 1); pool1: 3+1*1=4 (jump 2); conv2: 4+2*2=8; pool2: 8+1*2=10 (jump 4); conv3: 10+2*4=18
    assert [rows[n]["size"] for n in ("conv1", "pool1", "conv2", "pool2", "conv3")] == [3, 4, 8, 10, 18]
    assert [rows[n]["jump"] for n in ("conv1", "pool1", "conv2", "pool2", "conv3")] == [1, 2, 2, 4, 4]
    assert rows["conv3"]["output_shape"] == (None, 3, 3, 64)
    assert rows["dense"]["size"] == 28 and rows["dense"]["jump"] is None


def test_receptive_fields_skip_augmentation_batchnorm_and_activations(built):
    rows = {r["layer"]: r for r in models.receptive_fields(built["recommended"])}
    # aug, bn and relu do not widen the view; conv1 3; pool1 4 (jump 2); conv2 8; pool2 10 (jump 4)
    assert [rows[n]["size"] for n in ("aug_shift", "conv1", "bn1", "pool1", "conv2", "relu2", "pool2")] == [
        1, 3, 3, 4, 8, 8, 10]
    assert rows["pool2"]["output_shape"] == (None, 5, 5, 64)


def test_receptive_fields_rejects_something_that_is_not_a_model():
    with pytest.raises(TypeError, match="keras.Model"):
        models.receptive_fields("classic_a")


def test_augmentation_is_inactive_at_inference(built):
    model = built["recommended"]
    x = np.random.default_rng(1).random((4, 28, 28, 1), dtype=np.float32)
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    np.testing.assert_array_equal(first, second)
    # ...and active in training mode: the augmented forward pass differs from inference
    keras.utils.set_random_seed(3)
    assert not np.allclose(np.asarray(model(x, training=True)), first, atol=1e-4)


def test_compile_for_picks_the_loss_that_matches_the_labels():
    assert models.compile_for(models.keras_io_convnet(), "integer").loss == "sparse_categorical_crossentropy"
    assert models.compile_for(models.keras_io_convnet(), "onehot").loss == "categorical_crossentropy"
    with pytest.raises(ValueError, match="'integer'.*'onehot'"):
        models.compile_for(models.keras_io_convnet(), "labels")


def test_prepare_images_scales_and_adds_the_channel_axis():
    x = np.full((2, 28, 28), 255, dtype=np.uint8)
    out = models.prepare_images(x)
    assert out.shape == (2, 28, 28, 1) and out.dtype == np.float32 and out.max() == 1.0
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        models.prepare_images(np.zeros((2, 32, 32)))
    with pytest.raises(ValueError, match="None"):
        models.prepare_images(None)


def test_mnist_model_path_is_in_the_models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path))
    assert models.mnist_model_path() == tmp_path / "models" / "mnist_cnn.keras"


def test_saved_model_loads_and_predicts_identically(built, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path))
    model = built["classic_c"]
    model.save(models.mnist_model_path())
    x = np.random.default_rng(2).random((5, 28, 28, 1), dtype=np.float32)
    loaded, how = models.load_mnist_model(train_if_missing=False)
    assert how.startswith("loaded from") and str(models.mnist_model_path()) in how
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_corrupted_model_file_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path))
    models.mnist_model_path().write_bytes(b"PK\x03\x04 not really a zip file")
    with pytest.raises(models.ModelFileError, match="corrupted: delete it and run notebook 03 again"):
        models.load_mnist_model(train_if_missing=False)


def test_missing_model_file_says_to_run_notebook_03(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path))
    with pytest.raises(models.ModelFileError, match="Run notebook 03"):
        models.load_mnist_model(train_if_missing=False)


def test_model_with_wrong_shape_is_rejected(tmp_path):
    path = tmp_path / "other.keras"
    keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Flatten(), keras.layers.Dense(10)]).save(path)
    with pytest.raises(models.ModelFileError, match=r"takes \(32, 32, 3\)"):
        models.load_model_file(path)


def test_corrupted_file_falls_back_to_a_quickly_trained_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path))
    monkeypatch.setattr(models, "quick_mnist_model", lambda: models.classic_a(filters=2, dense=4))
    models.mnist_model_path().write_text("garbage")
    model, how = models.load_mnist_model()
    assert how == "trained now (notebook 03's model not found)"
    assert model.output_shape == (None, 10)
    out = capsys.readouterr().out
    assert "corrupted" in out and "trained now" in out


def test_train_recommended_learns_from_a_few_digits():
    from course_utils import data

    (x, y), (xt, yt) = data.load_mnist(n_train=600, n_test=300, verbose=False)
    model, history, seconds = models.train_recommended(x, y, epochs=4, batch_size=32, width=16)
    accuracy = model.evaluate(models.prepare_images(xt), yt, verbose=0)[1]
    assert accuracy > 0.6 and seconds > 0 and len(history.history["loss"]) == 4


def test_train_recommended_rejects_labels_that_do_not_match_the_images():
    with pytest.raises(ValueError, match="one integer label per image"):
        models.train_recommended(np.zeros((4, 28, 28)), np.zeros((4, 10)))


def test_sizes_must_be_positive_whole_numbers():
    with pytest.raises(ValueError, match="filters must be a positive whole number"):
        models.classic_a(filters=0)
    with pytest.raises(ValueError, match="width"):
        models.recommended(width=2.5)


def test_untrained_twin_of_the_fallback_is_the_starting_point_of_quick_mnist_model():
    """nb04 section 2 compares the learned filters with the very numbers training started from."""
    twin = models.untrained_twin(models.FALLBACK_HOW)
    start = models.quick_mnist_model(n_train=100, epochs=0, verbose=False)
    for a, b in zip(twin.get_weights(), start.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_untrained_twin_uses_the_seed_of_notebook_03s_parameters_cell():
    import json
    from pathlib import Path

    cells = json.loads((Path(__file__).parents[1] / "notebooks" / "03_mnist_cnn.ipynb").read_text("utf-8"))["cells"]
    parameters = next(c for c in cells if "parameters" in c.get("metadata", {}).get("tags", []))
    assert f"SEED = {models.NOTEBOOK_03_SEED}" in "".join(parameters["source"])
