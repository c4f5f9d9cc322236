"""The held-out MNIST digits: never returned by data.load_mnist(), from any source, and always the same ones."""

from pathlib import Path

import numpy as np
import pytest

from course_utils import data, data_sources, heldout

SHARED_MNIST = Path("/work/shared/data/mnist.npz")


def _fake_source(tmp_path, monkeypatch, n_test=1_000):
    """A COURSE_DATA_DIR with 100 training and ``n_test`` test images; each image's pixels (0, 0)/(0, 1) hold
    its index, so the split can be traced."""
    rng = np.random.default_rng(1)

    def part(n, offset):
        x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        ids = np.arange(n) + offset
        x[:, 0, 0], x[:, 0, 1] = ids % 256, ids // 256
        return x, rng.permutation(np.arange(n) % 10).astype(np.uint8)

    (x_train, y_train), (x_test, y_test) = part(100, 0), part(n_test, 1_000)
    folder = tmp_path / "d"
    folder.mkdir()
    np.savez_compressed(folder / "mnist.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    return x_test, y_test


def _ids(x):
    return set((x[:, 0, 0].astype(int) + 256 * x[:, 0, 1].astype(int)).tolist())


def test_held_out_digits_are_never_returned_to_notebooks(tmp_path, monkeypatch):
    x_test, y_test = _fake_source(tmp_path, monkeypatch)
    x_held, y_held, source = heldout.load_mnist_heldout()
    assert source.startswith("COURSE_DATA_DIR")
    assert len(y_held) == 400 and np.bincount(y_held).tolist() == [40] * 10  # 40% of 100 per digit
    (x_train, _), (x_nb, y_nb) = data.load_mnist(verbose=False)
    assert len(y_nb) == 600 and not _ids(x_held) & (_ids(x_nb) | _ids(x_train))
    assert _ids(x_held) | _ids(x_nb) == _ids(x_test)  # together: the whole test split
    for n_test in (10, 300, 600, 5_000):  # every subset too
        _, (x_sub, _) = data.load_mnist(n_test=n_test, seed=n_test, verbose=False)
        assert not _ids(x_sub) & _ids(x_held)


def test_the_same_digits_are_held_out_every_time_and_at_most_200_per_digit():
    labels = np.random.default_rng(0).permutation(np.arange(10_000) % 10)
    mask = heldout.heldout_mask(labels)
    assert np.array_equal(mask, heldout.heldout_mask(labels.copy()))
    assert np.bincount(labels[mask]).tolist() == [200] * 10  # the official test set: 2,000 held out
    assert heldout.heldout_mask(np.arange(20) % 10).sum() == 0  # 2 per digit: nothing to hold out


def test_the_builtin_sample_holds_out_400_digits(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setattr(data_sources, "_keras_cache_files", lambda dataset: None)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    x_held, y_held, source = heldout.load_mnist_heldout()
    assert source == data_sources.SAMPLE_SOURCE and np.bincount(y_held).tolist() == [40] * 10
    (x_train, _), (x_test, _) = data.load_mnist(verbose=False)
    rows = {row.tobytes() for row in np.concatenate([x_train, x_test]).reshape(-1, 784)}
    assert not any(row.tobytes() in rows for row in x_held.reshape(-1, 784))


@pytest.mark.skipif(not SHARED_MNIST.is_file(), reason="no shared offline data folder on this machine")
def test_the_official_test_set_keeps_8000_digits_for_notebooks(monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_MNIST.parent))
    _, y_held, _ = heldout.load_mnist_heldout()
    assert np.bincount(y_held).tolist() == [200] * 10
    assert len(data.load_mnist(verbose=False)[1][1]) == 8_000
