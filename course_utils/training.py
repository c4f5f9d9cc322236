"""Training helpers: repeatable seeds, a progress display for ``model.fit``, and recorded key metrics.

Keras and TensorFlow are imported inside the functions, never at ``import course_utils``.
"""

import json
import math
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from course_utils import paths

_METRICS = {}
_LOGGER_CLASS = None
_TQDM_CLASS = None


def __getattr__(name):
    if name == "EpochLogger":
        return _epoch_logger_class()
    raise AttributeError(f"module 'course_utils.training' has no attribute {name!r}")


def set_seed(seed=0):
    """Seed Python ``random``, NumPy and Keras/TensorFlow so that a run can be repeated; returns the seed.

    Results are repeatable on the same machine and versions; GPU kernels may still differ in the last digits.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be a whole number between 0 and 2**32 - 1, e.g. set_seed(42); got {seed!r}.")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        import keras
    except ImportError:
        print("Note: Keras is not installed, so only Python and NumPy were seeded.")
    else:
        keras.utils.set_random_seed(seed)  # also seeds Python, NumPy and the TensorFlow backend
    return seed


def progress_bar(**kwargs):
    """A Keras callback that shows training progress: ``model.fit(..., verbose=0, callbacks=[progress_bar()])``.

    In Jupyter: a tqdm notebook bar (``tqdm.keras.TqdmCallback``; ``kwargs`` go to it) that counts whole
    batches (``7/31``, not tqdm's ``7.00/31.0``). Headless (``COURSE_HEADLESS=1``, tests, papermill, a
    terminal): one line per epoch, like ``verbose=2``::

        Epoch 3/10 - 4.1s - loss: 0.1234 - accuracy: 0.9612 - val_loss: 0.1500 - val_accuracy: 0.9550
    """
    if paths.headless():
        return _epoch_logger_class()()
    from tqdm.auto import tqdm

    kwargs.setdefault("tqdm_class", tqdm)
    return _tqdm_callback_class()(**kwargs)


def _tqdm_callback_class():
    """``TqdmCallback`` whose batch bar shows whole numbers.

    Keras 3 gives no ``batch_size`` in ``params``, so tqdm's callback sets ``unit_scale = 1 / 1``; a float
    ``unit_scale`` makes tqdm print counts as SI sizes (``7.00/31.0``). The bar counts batches: no scaling.
    """
    global _TQDM_CLASS
    if _TQDM_CLASS is not None:
        return _TQDM_CLASS
    from tqdm.auto import tqdm
    from tqdm.keras import TqdmCallback

    class BatchCountCallback(TqdmCallback):
        def __init__(self, *args, tqdm_class=tqdm, **kwargs):
            super().__init__(*args, tqdm_class=_whole_counts(tqdm_class), **kwargs)

    BatchCountCallback.__module__ = __name__
    _TQDM_CLASS = BatchCountCallback
    return BatchCountCallback


def _whole_counts(tqdm_class):
    """A subclass of ``tqdm_class`` that ignores a unit scale of exactly ``1.0`` (counts stay integers)."""

    class WholeCounts(tqdm_class):
        def __setattr__(self, name, value):
            if name == "unit_scale" and type(value) is float and value == 1.0:
                value = False
            super().__setattr__(name, value)

    WholeCounts.__name__ = WholeCounts.__qualname__ = tqdm_class.__name__
    return WholeCounts


def _epoch_logger_class():
    """``EpochLogger``: the headless callback of :func:`progress_bar` (built on first use: it needs Keras)."""
    global _LOGGER_CLASS
    if _LOGGER_CLASS is not None:
        return _LOGGER_CLASS
    import keras

    class EpochLogger(keras.callbacks.Callback):
        """Prints one line per epoch: number, seconds, then every logged metric with 4 decimals."""

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - getattr(self, "_start", time.perf_counter())
            total = (self.params or {}).get("epochs") or "?"
            parts = [f"Epoch {epoch + 1}/{total}", f"{seconds:.1f}s"]
            for name, value in (logs or {}).items():
                try:
                    parts.append(f"{name}: {float(value):.4f}")
                except (TypeError, ValueError):
                    parts.append(f"{name}: {value}")
            print(" - ".join(parts), flush=True)

    EpochLogger.__module__ = __name__
    _LOGGER_CLASS = EpochLogger
    return EpochLogger


def _finite_float(name, value):
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise ValueError(
            f"record_metric({name!r}, ...) needs a number, e.g. record_metric({name!r}, 0.98); got {value!r}."
        )
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - odd objects
        array = np.asarray(None)
    if array.ndim != 0 or array.dtype.kind not in "iuf":
        raise ValueError(
            f"record_metric({name!r}, ...) needs one number (int or float), got {type(value).__name__} "
            f"{value!r}. For an array, pick or average the value first, e.g. float(acc.mean())."
        )
    number = float(array)
    if not math.isfinite(number):
        raise ValueError(
            f"record_metric({name!r}, ...) got {number}, which is not a finite number. "
            f"Training probably diverged: check the loss curve and the learning rate."
        )
    return number


def record_metric(name, value):
    """Record a key result of the notebook (e.g. ``record_metric("test_accuracy", acc)``).

    Returns nothing, so a notebook cell that ends with it shows only the printed line.

    Kept in memory (:func:`recorded_metrics`) and, when ``COURSE_METRICS_FILE`` is set (by ``course run``),
    merged into that JSON file (name -> value), written atomically.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"The metric name must be a non-empty string, e.g. 'test_accuracy'; got {name!r}.")
    name = name.strip()
    number = _finite_float(name, value)
    _METRICS[name] = number
    target = os.environ.get("COURSE_METRICS_FILE", "").strip()
    if target:
        _merge_into_file(Path(target).expanduser(), name, number)
    shown = f"{number:.4f}" if number == 0 or 1e-3 <= abs(number) < 1e7 else f"{number:.4g}"
    print(f"Recorded {name} = {shown}")


def recorded_metrics():
    """A copy of the metrics recorded in this session (dict name -> float)."""
    return dict(_METRICS)


def _merge_into_file(path, name, number):
    """Read the JSON dict at ``path`` (missing -> {}), set ``name``, write it back atomically."""
    data = {}
    try:
        if path.exists():
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                data = loaded
            else:
                print(f"Note: {path} did not hold a dict of metrics; it is started afresh.")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        print(f"Note: the metrics file {path} could not be read ({err.__class__.__name__}); it is started afresh.")
    data[name] = number
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        print(f"Note: could not write the metrics file {path} ({err}); the value is kept in memory.")
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
