"""Reading and checking the dataset files: Keras-layout ``.npz`` and the four IDX files (gzip or plain).

Every reader validates what it read (images ``(N, 28, 28)`` 0-255, labels ``(N,)`` 0-9, as uint8) and raises
``DataError`` naming the file and the fix when a file is there but broken; it is never skipped silently.
"""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

# The four IDX files of one dataset: part -> base name (also accepted uncompressed and as 'x.idx3-ubyte').
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DataError(ValueError):
    """A data file is missing, truncated, corrupted or has the wrong layout; the message says what to do."""


def read_npz(path, fix):
    """Read a Keras-layout npz (``x_train, y_train, x_test, y_test``) and validate it."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in NPZ_KEYS if k not in f.files]
            if missing:
                raise DataError(
                    f"{path} is missing the arrays {', '.join(missing)} (it has: {', '.join(f.files) or 'none'}); "
                    f"a Keras-layout MNIST file has x_train, y_train, x_test, y_test. Fix: {fix}."
                )
            arrays = {k: f[k] for k in NPZ_KEYS}
    except DataError:
        raise
    except Exception as exc:  # BadZipFile, EOFError, zlib.error, OSError, ValueError (pickled/garbled)...
        raise DataError(
            f"{path} is truncated or corrupted and cannot be read ({type(exc).__name__}: {exc}). Fix: {fix}."
        ) from None
    train = validated(arrays["x_train"], arrays["y_train"], f"{path} (x_train, y_train)", fix)
    test = validated(arrays["x_test"], arrays["y_test"], f"{path} (x_test, y_test)", fix)
    return train, test


def find_idx_files(folder, partial_is_error=False, fix=""):
    """The four IDX files in ``folder`` (``.gz`` or uncompressed) as ``{part: Path}``, or ``None``."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found = {}
    for part, base in IDX_FILES.items():
        dotted = base.replace("-idx", ".idx", 1)  # 'train-images.idx3-ubyte', as some unzip tools name it
        for candidate in (base + ".gz", base, dotted + ".gz", dotted):
            if (folder / candidate).is_file():
                found[part] = folder / candidate
                break
    if len(found) == 4:
        return found
    if found and partial_is_error:
        missing = [IDX_FILES[p] + ".gz" for p in IDX_FILES if p not in found]
        raise DataError(
            f"{folder} has only some of the four IDX files: {', '.join(missing)} is missing. Fix: {fix}."
        )
    return None


def read_idx(path, fix, expected_ndim):
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


def read_idx_set(files, fix):
    """Read the four IDX files ``{part: Path}`` into validated ``(x_train, y_train), (x_test, y_test)``."""
    arrays = {part: read_idx(path, fix, 3 if part.startswith("x") else 1) for part, path in files.items()}
    train = validated(
        arrays["x_train"], arrays["y_train"], f"{files['x_train']} + {files['y_train'].name}", fix
    )
    test = validated(arrays["x_test"], arrays["y_test"], f"{files['x_test']} + {files['y_test'].name}", fix)
    return train, test


def write_idx(path, array):
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


def validated(x, y, where, fix):
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
    x = as_uint8(x, where, "images", 0, 255, fix)
    y = as_uint8(y, where, "labels", 0, 9, fix)
    return x, y


def as_uint8(a, where, what, low, high, fix):
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
