"""Real photos: the ants-vs-bees set of notebook 06 (online and offline), and any folder of your own images.

``hymenoptera()`` returns the folder of the ants-vs-bees photos (PyTorch's transfer-learning tutorial data:
``train/{ants,bees}``, 245 photos, and ``val/{ants,bees}``, 153 photos), extracted into the course's work folder
(``<work dir>/data/hymenoptera_data``, never the repository) from the first zip it finds:

1. ``COURSE_DATA_DIR/hymenoptera_data.zip`` (offline classrooms, CI);
2. Keras' download cache (``~/.keras/datasets/hymenoptera_data.zip``);
3. a download with ``keras.utils.get_file`` from ``HYMENOPTERA_URL`` (skipped when ``COURSE_OFFLINE=1``).

It prints one line saying which. ``PhotosUnavailable`` (a ``DataError``) says what to do when none is reachable; a
truncated or corrupted zip raises ``DataError`` naming the file. ``load_image_folder()`` reads a folder with one
subfolder per class through ``keras.utils.image_dataset_from_directory`` (the idiom for your own photos) into
NumPy arrays. Keras and Pillow are imported inside the functions.
"""

import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from course_utils import paths
from course_utils.data import DataError

HYMENOPTERA_URL = "https://download.pytorch.org/tutorial/hymenoptera_data.zip"
HYMENOPTERA_ZIP = "hymenoptera_data.zip"
HYMENOPTERA_CLASSES = ("ants", "bees")
_TOP = "hymenoptera_data"
_MARKER = ".extracted_from"

# The first bytes of the image formats a photo folder may hold (what the file is, whatever its name says).
_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"BM": "BMP",
}


class PhotosUnavailable(DataError):
    """No copy of the photos can be reached (no ``COURSE_DATA_DIR`` zip, no cache, no network)."""


@dataclass
class Photos:
    """Images of one folder: ``images`` uint8 ``(N, H, W, 3)`` (0-255), ``labels`` int ``(N,)``, the
    ``class_names`` (label ``k`` is ``class_names[k]``) and the image ``files`` (``Path``), in the same order."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list
    files: list

    def __len__(self):
        return len(self.labels)

    def subset(self, index):
        """The photos at ``index`` (indices or a boolean mask), as a new ``Photos``."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return Photos(self.images[index], self.labels[index], list(self.class_names),
                      [self.files[i] for i in index])

    def counts(self):
        """``{class name: number of photos}``."""
        return {name: int((self.labels == k).sum()) for k, name in enumerate(self.class_names)}

    def __repr__(self):
        shape = "x".join(str(s) for s in self.images.shape[1:3])
        return f"Photos({len(self)} images of {shape} px, {self.counts()})"


# --------------------------------------------------------------------------------------------------
# The ants-vs-bees set


def photos_dir():
    """Where the course extracts photo sets: ``<work dir>/data`` (created on demand)."""
    folder = paths.work_dir() / "data"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def hymenoptera(refresh=False, verbose=True):
    """The extracted ants-vs-bees folder (a ``Path`` with ``train/`` and ``val/``), from the first zip found.

    ``refresh=True`` extracts a fresh copy even when one is there (undoing any file you removed from it).
    """
    zip_path, where = _find_zip()
    target = photos_dir() / _TOP
    stamp = f"{zip_path} ({zip_path.stat().st_size} bytes)"
    marker = target / _MARKER
    reuse = not refresh and marker.is_file() and marker.read_text(encoding="utf-8") == stamp
    if not reuse:
        _extract(zip_path, target, stamp)
    if verbose:
        counts = {split: sum(_count_images(target / split / c) for c in HYMENOPTERA_CLASSES) for split in ("train", "val")}
        print(f"Ants vs bees: {counts['train']} training + {counts['val']} validation photos from {where}, "
              f"{'already extracted in' if reuse else 'extracted to'} {target}")
    return target


def hymenoptera_source():
    """Where ``hymenoptera()`` would read the zip from (a short text), or ``None`` when nothing is reachable
    without a download. Never downloads; for reports such as ``course doctor``."""
    for path, where in _local_zips():
        if path.is_file():
            return where
    return None


def _local_zips():
    found = []
    folder = paths.data_dir()
    if folder is not None:
        found.append((folder / HYMENOPTERA_ZIP, f"COURSE_DATA_DIR ({folder / HYMENOPTERA_ZIP})"))
    from course_utils.data_sources import keras_home_candidates

    for home in keras_home_candidates():
        cached = home / "datasets" / HYMENOPTERA_ZIP
        found.append((cached, f"the Keras cache ({cached})"))
    return found


def _find_zip():
    """``(path, description)`` of the first zip available, downloading it when allowed."""
    folder = paths.data_dir()
    if folder is not None and not folder.is_dir():
        print(f"Warning: COURSE_DATA_DIR is set to {folder}, but that folder does not exist; trying the next "
              "source for the ants-vs-bees photos.")
    for path, where in _local_zips():
        if path.is_file():
            return path, where
    if os.environ.get("COURSE_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        why = "COURSE_OFFLINE=1, so no download was tried"
    else:
        try:
            return Path(_download()), f"a download from {HYMENOPTERA_URL}"
        except Exception as err:  # noqa: BLE001 - offline, firewall, a broken download: say so below
            from course_utils.transfer_learning.pretrained import download_error

            why = f"the download from {HYMENOPTERA_URL} failed ({download_error(err)})"
    raise PhotosUnavailable(
        f"The ants-vs-bees photos are not available here: {why}, and there is no {HYMENOPTERA_ZIP} in "
        f"COURSE_DATA_DIR ({folder or 'not set'}) or in Keras' cache. Go online once (the zip, 47 MB, is then "
        f"cached), or download {HYMENOPTERA_URL} yourself and put it in a folder named by COURSE_DATA_DIR.")


def _download():
    import keras

    return keras.utils.get_file(HYMENOPTERA_ZIP, origin=HYMENOPTERA_URL, cache_subdir="datasets")


def _extract(zip_path, target, stamp):
    """Extract ``zip_path``'s ``hymenoptera_data/`` into ``target`` (atomically: a temporary folder, then a rename)."""
    fix = (f"the zip {zip_path} is damaged: delete it and download it again ({HYMENOPTERA_URL}), or replace it "
           "with a good copy")
    scratch = target.parent / f".{target.name}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            unsafe = [n for n in names if n.startswith("/") or ".." in Path(n).parts]
            if unsafe:
                raise DataError(f"{zip_path} holds unsafe file names such as {unsafe[0]!r}; it was not extracted.")
            members = [n for n in names if n.startswith(f"{_TOP}/") and "__MACOSX" not in n]
            if not members:
                raise DataError(f"{zip_path} has no {_TOP}/ folder inside; it is not the ants-vs-bees zip. Fix: {fix}.")
            archive.extractall(scratch, members=members)
    except DataError:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as err:  # truncated, CRC errors, disk full
        shutil.rmtree(scratch, ignore_errors=True)
        raise DataError(f"Could not extract {zip_path} ({type(err).__name__}: {err}). Fix: {fix}.") from None
    extracted = scratch / _TOP
    missing = [f"{split}/{c}" for split in ("train", "val") for c in HYMENOPTERA_CLASSES
               if _count_images(extracted / split / c) == 0]
    if missing:
        shutil.rmtree(scratch, ignore_errors=True)
        raise DataError(f"{zip_path} has no photos in {', '.join(missing)}: it is not the complete ants-vs-bees "
                        f"set. Fix: {fix}.")
    (extracted / _MARKER).write_text(stamp, encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    extracted.rename(target)
    shutil.rmtree(scratch, ignore_errors=True)


def _count_images(folder):
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


# --------------------------------------------------------------------------------------------------
# Any folder of photos


def load_image_folder(folder, image_size=224, crop_to_aspect_ratio=True, class_names=None, verbose=True):
    """Read ``folder`` (one subfolder per class) with ``keras.utils.image_dataset_from_directory``: a ``Photos``.

    ``image_size``: an int (square) or ``(height, width)``. ``crop_to_aspect_ratio=True`` cuts the largest centred
    crop with the target's shape before resizing (bilinear); ``False`` squashes the whole photo to that shape.
    Labels follow the subfolders in alphabetical order (or ``class_names``). Files are read in a fixed order.
    """
    import keras
    import tensorflow as tf

    folder = Path(folder)
    size = (int(image_size), int(image_size)) if np.ndim(image_size) == 0 else tuple(int(s) for s in image_size)
    if not folder.is_dir():
        raise DataError(f"There is no folder {folder}. Give a folder with one subfolder of photos per class, e.g. "
                        f"{folder}/cats/*.jpg and {folder}/dogs/*.jpg.")
    subfolders = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(subfolders) < 2 and class_names is None:
        raise DataError(f"{folder} has {len(subfolders)} subfolder(s) ({', '.join(subfolders) or 'none'}); a "
                        "classifier needs one subfolder per class and at least two classes.")
    try:
        dataset = keras.utils.image_dataset_from_directory(
            folder, labels="inferred", label_mode="int", class_names=class_names, image_size=size,
            crop_to_aspect_ratio=crop_to_aspect_ratio, batch_size=16, shuffle=False, verbose=False)
    except ValueError as err:
        raise DataError(f"Keras could not read {folder} as an image folder: {err}") from None
    names, files = list(dataset.class_names), [Path(f) for f in dataset.file_paths]
    if verbose:
        _report_skipped([p for p in class_files(folder)[1] if p.relative_to(folder).parts[0] in names])
    images, labels = [], []
    try:
        for batch, batch_labels in dataset:
            images.append(tf.cast(tf.round(tf.clip_by_value(batch, 0, 255)), tf.uint8).numpy())
            labels.append(batch_labels.numpy())
    except tf.errors.OpError:
        bad = first_unreadable(files)
        raise DataError(f"{bad or 'One of the images in ' + str(folder)} cannot be decoded as an image (truncated or "
                        "not an image at all). Delete or replace that file and load the folder again.") from None
    photos = Photos(np.concatenate(images), np.concatenate(labels).astype(np.int64), names, files)
    if verbose:
        how = "centre-cropped to the aspect ratio" if crop_to_aspect_ratio else "squashed"
        print(f"{folder}: {len(photos)} photos, {photos.counts()}, {how} and resized to {size[0]}x{size[1]} px")
    return photos


KERAS_IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads


def class_files(folder):
    """``(read, skipped)``: the files of ``folder``'s class subfolders that ``image_dataset_from_directory`` reads
    (by extension) and the ones it skips without a word (WebP, HEIC, TIFF...), each sorted."""
    read, skipped = [], []
    for sub in sorted(p for p in Path(folder).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for path in sorted(sub.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                (read if path.suffix.lower() in KERAS_IMAGE_EXTENSIONS else skipped).append(path)
    return read, skipped


def _report_skipped(skipped):
    if skipped:
        names = ", ".join(p.name for p in skipped[:5]) + (", ..." if len(skipped) > 5 else "")
        print(f"Skipped {len(skipped)} file(s) Keras does not read as images ({names}): only "
              f"{', '.join(KERAS_IMAGE_EXTENSIONS)} are read. Convert them to JPEG or PNG to use them.")


def check_image_folder(folder):
    """Check a folder of photos (one subfolder per class) before training on it: raises ``DataError`` naming the
    first file that cannot be decoded (truncated, or not an image whatever its name says), prints the files Keras
    would skip silently. Returns the number of images Keras will read."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"There is no folder {folder}. Give a folder with one subfolder of photos per class.")
    read, skipped = class_files(folder)
    _report_skipped(skipped)
    bad = first_unreadable(read)
    if bad is not None:
        raise DataError(f"{bad} cannot be decoded as an image (truncated, or not an image at all whatever its name "
                        "says). Delete or replace that file, then run the cell again.")
    return len(read)


def first_unreadable(files):
    """The first of ``files`` that TensorFlow cannot decode as an image, or ``None``."""
    import tensorflow as tf

    for path in files:
        try:
            tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
        except (tf.errors.OpError, ValueError):
            return path
    return None


def file_format(path):
    """What the file really is, from its first bytes: ``"JPEG"``, ``"PNG"``, ``"GIF"``, ``"BMP"``, or ``None``."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    for signature, name in _SIGNATURES.items():
        if head.startswith(signature):
            return name
    return None


def original_sizes(files):
    """``(width, height)`` of each image file as stored (read from the file headers, fast)."""
    from PIL import Image

    sizes = []
    for path in files:
        with Image.open(path) as image:
            sizes.append(image.size)
    return np.array(sizes)


def remove_files(files):
    """Move ``files`` out of their photo folder into ``<work dir>/data/removed/`` (so a later load skips them).
    Returns the new paths. Nothing is deleted: move a file back to restore it."""
    bin_folder = photos_dir() / "removed"
    bin_folder.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in files:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"There is no file {path} to remove (was it removed already?).")
        destination = bin_folder / f"{path.parent.name}__{path.name}"
        shutil.move(str(path), destination)
        moved.append(destination)
        print(f"Removed {path.name} from {path.parent} (kept in {bin_folder})")
    return moved
