"""ImageNet-pretrained MobileNetV2 for notebook 06, online or offline, with one line saying where its weights came from.

``mobilenet_v2(image_size)`` builds ``keras.applications.MobileNetV2(include_top=False)`` (the convolutional base,
no ImageNet classifier: 2,257,984 parameters, output ``(H/32, W/32, 1280)``) with ImageNet weights from the first
source found:

1. ``COURSE_DATA_DIR/weights/mobilenet_v2_1.0_224_no_top.weights.h5`` (offline classrooms, CI; a copy saved with
   ``base.save_weights``), or Keras' own file under its own name in the same folder;
2. Keras' download cache (``~/.keras/models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5``);
3. a download of that file (9.4 MB) with ``keras.utils.get_file`` (skipped when ``COURSE_OFFLINE=1``).

Whatever the input size, the weights are the ones trained at 224 px (``weights="imagenet"`` at 128 px would
download Keras' 128-px weights instead), so online and offline runs compute the same features.

``WeightsUnavailable`` (a ``DataError``) says what to do when none is reachable; a damaged or wrong weights file
raises ``DataError`` naming the file. The no-top weights work at any input size >= 32 px.
"""

import os
import warnings
from pathlib import Path

from course_utils import paths
from course_utils.data import DataError

WEIGHTS_FILE = "mobilenet_v2_1.0_224_no_top.weights.h5"  # in COURSE_DATA_DIR/weights/
KERAS_CACHE_FILE = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5"  # Keras' own name (legacy HDF5)
KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/" + KERAS_CACHE_FILE
WEIGHTS_MB = 9.4  # the size of KERAS_CACHE_FILE (9,449,296 bytes)
N_PARAMETERS = 2_257_984
N_FEATURES = 1280


class WeightsUnavailable(DataError):
    """No copy of the ImageNet weights can be reached (no ``COURSE_DATA_DIR`` file, no cache, no network)."""


def _local_files():
    found = []
    folder = paths.data_dir()
    if folder is not None:
        for name in (WEIGHTS_FILE, KERAS_CACHE_FILE):
            path = folder / "weights" / name
            found.append((path, f"COURSE_DATA_DIR ({path})"))
    from course_utils.data_sources import keras_home_candidates

    for home in keras_home_candidates():
        path = home / "models" / KERAS_CACHE_FILE
        found.append((path, f"the Keras cache ({path})"))
    return found


def weights_source():
    """Where ``mobilenet_v2()`` would read the weights from (a short text), or ``None`` when they need a download.
    Never downloads."""
    for path, where in _local_files():
        if path.is_file():
            return where
    return None


def _offline():
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _build(keras, image_size, weights):
    with warnings.catch_warnings():  # "rows not in [96, ..., 224]: the 224 weights are loaded": fine without the top
        warnings.simplefilter("ignore")
        return keras.applications.MobileNetV2(input_shape=(image_size, image_size, 3), include_top=False,
                                              weights=weights)


def mobilenet_v2(image_size=224, verbose=True):
    """The ImageNet MobileNetV2 base (``include_top=False``) for ``image_size`` x ``image_size`` RGB photos.

    Its input is pixels scaled to [-1, 1] (``keras.applications.mobilenet_v2.preprocess_input``); its output is
    ``(N, ceil(image_size / 32), ..., 1280)`` feature maps. Prints where the weights came from.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    if isinstance(image_size, bool) or not isinstance(image_size, int) or image_size < 32:
        raise ValueError(f"image_size must be a whole number of pixels, at least 32 (e.g. 224); got {image_size!r}.")
    model, where = None, None
    for path, description in _local_files():
        if path.is_file():
            model, where = _load(keras, image_size, path), description
            break
    if model is None and not _offline():
        try:
            path = keras.utils.get_file(KERAS_CACHE_FILE, KERAS_URL, cache_subdir="models")
        except Exception as err:  # noqa: BLE001 - offline or a broken download: explained below
            why = f"the download from {KERAS_URL} failed ({download_error(err)})"
        else:
            model, where = _load(keras, image_size, path), f"a download from {KERAS_URL} (now in the Keras cache)"
    elif model is None:
        why = "COURSE_OFFLINE=1, so no download was tried"
    if model is None:
        raise WeightsUnavailable(
            f"The ImageNet weights of MobileNetV2 are not available here: {why}, and there is no "
            f"weights/{WEIGHTS_FILE} in COURSE_DATA_DIR ({paths.data_dir() or 'not set'}) or {KERAS_CACHE_FILE} in "
            f"Keras' cache. Go online once ({WEIGHTS_MB} MB; Keras caches them), or set COURSE_DATA_DIR to a folder with "
            f"weights/{WEIGHTS_FILE}.")
    if verbose:
        print(f"MobileNetV2 ({model.count_params():,} parameters, input {image_size}x{image_size}) with ImageNet "
              f"weights from {where}")
    return model


def download_error(err):
    """A short reason for a failed download: Keras' ``get_file`` raises a bare ``Exception`` whose text says why
    (no network, a refused connection, a 404)."""
    text = " ".join(str(err).split())
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _load(keras, image_size, path):
    path = Path(path)
    fix = (f"replace {path} with a good copy (or delete it: the course then tries the next source): a file saved "
           f"with base.save_weights('{WEIGHTS_FILE}'), or Keras' own download {KERAS_URL} kept under its own name "
           f"{KERAS_CACHE_FILE} (it is legacy HDF5: renamed to {WEIGHTS_FILE} it does not load)")
    if path.stat().st_size == 0:
        raise DataError(f"The weights file {path} is empty. Fix: {fix}.")
    try:
        return _build(keras, image_size, str(path))
    except Exception as err:  # noqa: BLE001 - h5py's OSError, a shape mismatch (ValueError), a wrong format...
        text = str(err).splitlines()[0][:200] if str(err) else ""
        raise DataError(f"The weights file {path} could not be loaded into MobileNetV2 ({type(err).__name__}: "
                        f"{text}). It is damaged or holds another model's weights. Fix: {fix}.") from None
