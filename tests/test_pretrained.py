"""course_utils.transfer_learning.pretrained (where MobileNetV2's ImageNet weights come from, broken files) and course_utils.transfer_learning.backbones
(parameters by formula against Keras, timing with random weights)."""

from pathlib import Path

import numpy as np
import pytest

from course_utils.data import DataError
from course_utils.transfer_learning import backbones, pretrained

SHARED_WEIGHTS = Path("/work/shared/data/weights") / pretrained.WEIGHTS_FILE


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))


def test_no_weights_anywhere_says_what_to_do():
    with pytest.raises(pretrained.WeightsUnavailable, match="COURSE_OFFLINE=1.*weights/"):
        pretrained.mobilenet_v2(96)
    assert pretrained.weights_source() is None


@pytest.mark.parametrize("content", [b"", b"garbage" * 100])
def test_a_broken_weights_file_is_named(tmp_path, monkeypatch, content):
    (tmp_path / "data" / "weights").mkdir(parents=True)
    path = tmp_path / "data" / "weights" / pretrained.WEIGHTS_FILE
    path.write_bytes(content)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DataError, match=str(path)):
        pretrained.mobilenet_v2(96)


def test_weights_of_another_model_are_refused(tmp_path, monkeypatch):
    import keras

    (tmp_path / "data" / "weights").mkdir(parents=True)
    path = tmp_path / "data" / "weights" / pretrained.WEIGHTS_FILE
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    other.save_weights(path)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DataError, match="another model's weights"):
        pretrained.mobilenet_v2(96)


def test_image_size_is_checked():
    with pytest.raises(ValueError, match="at least 32"):
        pretrained.mobilenet_v2(16)


@pytest.mark.skipif(not SHARED_WEIGHTS.exists(), reason="the shared offline weights are not on this machine")
def test_the_offline_weights_load_at_any_size(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_WEIGHTS.parent.parent))
    base = pretrained.mobilenet_v2(96)
    assert "ImageNet weights from COURSE_DATA_DIR" in capsys.readouterr().out
    assert base.count_params() == pretrained.N_PARAMETERS and base.output_shape == (None, 3, 3, pretrained.N_FEATURES)
    stem = base.get_layer("Conv1").get_weights()[0]
    assert stem.shape == (3, 3, 3, 32) and np.abs(stem).max() > 0.5  # trained, not Keras' initial values


def test_vgg16_parameters_by_formula_match_keras():
    import keras

    assert backbones.vgg16_parameters(include_top=True)[-1] == ("total", "sum", 138_357_544)
    convs = backbones.vgg16_parameters(include_top=False)[-1][2]
    model = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    assert convs == model.count_params() == 14_714_688
    assert round(backbones.megabytes(138_357_544)) == 528


def test_measure_counts_and_times_a_backbone():
    row = backbones.measure("MobileNetV2", 64, batch_size=1, repeats=1)
    assert row["parameters"] == pretrained.N_PARAMETERS and row["output"] == (2, 2, 1280)
    assert row["ms_per_image"] > 0 and row["cpu_ms_per_image"] >= 0
    with pytest.raises(ValueError, match="Unknown backbone"):
        backbones.build("AlexNet")


def test_recorded_backbone_measurements_are_consistent():
    from course_utils import recorded

    data = recorded.load("backbones")
    rows = [dict(zip(data["columns"], row)) for row in data["rows"]]
    by_name = {(r["backbone"], r["input px"], r["ImageNet classifier"]): r for r in rows}
    assert by_name[("VGG16", 224, "yes")]["parameters"] == backbones.vgg16_parameters()[-1][2]
    assert by_name[("MobileNetV2", 224, "no")]["parameters"] == pretrained.N_PARAMETERS
    assert all(abs(r["weights MB"] - backbones.megabytes(r["parameters"])) < 0.1 for r in rows)
    assert "bench_backbones.py" in data["command"]


def test_a_failed_download_says_why():
    """Keras' get_file raises a bare Exception: its text is the reason (06's digits path printed 'failed (Exception)')."""
    err = Exception("URL fetch failure on https://example.org/x.h5: None -- [Errno -3] Temporary failure in name "
                    "resolution")
    text = pretrained.download_error(err)
    assert text.startswith("Exception: URL fetch failure") and "name resolution" in text
    assert pretrained.download_error(OSError()) == "OSError"


def test_the_messages_give_the_true_file_size_and_a_loadable_fix(tmp_path, monkeypatch):
    with pytest.raises(pretrained.WeightsUnavailable, match=r"9\.4 MB"):
        pretrained.mobilenet_v2(96)
    (tmp_path / "data" / "weights").mkdir(parents=True)
    (tmp_path / "data" / "weights" / pretrained.WEIGHTS_FILE).write_bytes(b"")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(DataError, match="legacy HDF5: renamed") as info:
        pretrained.mobilenet_v2(96)
    assert pretrained.KERAS_CACHE_FILE in str(info.value) and "save_weights" in str(info.value)


def test_keras_own_file_is_looked_for_under_its_own_name_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    looked_at = [path for path, _ in pretrained._local_files()]
    assert tmp_path / "weights" / pretrained.KERAS_CACHE_FILE in looked_at
