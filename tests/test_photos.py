"""course_utils.transfer_learning.photos: where the ants-vs-bees zip comes from, its extraction into the work folder, broken zips,
folders of photos read with Keras, and file formats. Every test runs offline on small photo sets it writes itself."""

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from course_utils.data import DataError
from course_utils.transfer_learning import photos

SHARED_ZIP = Path("/work/shared/data/hymenoptera_data.zip")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No data dir, an empty Keras home, a fresh work folder, and no downloads."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path / "work"))


def _photo(path, color=(200, 30, 30), size=(40, 30), kind="JPEG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format=kind)
    return path


def _make_zip(path, extra=None, skip=()):
    """A miniature hymenoptera_data.zip: two photos per class and split, plus ``extra`` {name: bytes}."""
    with zipfile.ZipFile(path, "w") as archive:
        for split in ("train", "val"):
            for c, color in (("ants", (150, 80, 20)), ("bees", (240, 200, 30))):
                if f"{split}/{c}" in skip:
                    continue
                for i in range(2):
                    image = _photo(path.parent / "tmp" / f"{split}{c}{i}.jpg", color)
                    archive.write(image, f"hymenoptera_data/{split}/{c}/{i}.jpg")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_nothing_reachable_says_what_to_do(tmp_path):
    with pytest.raises(photos.PhotosUnavailable, match="COURSE_OFFLINE=1.*COURSE_DATA_DIR"):
        photos.hymenoptera()
    assert photos.hymenoptera_source() is None


def test_extracts_from_the_data_dir_into_the_work_folder_once(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    _make_zip(data / "hymenoptera_data.zip")
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    folder = photos.hymenoptera()
    assert folder == tmp_path / "work" / "data" / "hymenoptera_data"
    assert sorted(p.name for p in (folder / "train").iterdir()) == ["ants", "bees"]
    assert "4 training + 4 validation photos from COURSE_DATA_DIR" in capsys.readouterr().out
    (folder / "train" / "ants" / "0.jpg").unlink()  # a student removes a file
    photos.hymenoptera()
    assert "already extracted" in capsys.readouterr().out
    assert not (folder / "train" / "ants" / "0.jpg").exists()  # kept as the student left it
    photos.hymenoptera(refresh=True)
    assert (folder / "train" / "ants" / "0.jpg").exists()  # a fresh copy
    assert "COURSE_DATA_DIR" in photos.hymenoptera_source()


def test_the_keras_cache_is_a_source(tmp_path):
    cache = tmp_path / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    _make_zip(cache / "hymenoptera_data.zip")
    assert photos.hymenoptera(verbose=False).is_dir()
    assert "Keras cache" in photos.hymenoptera_source()


@pytest.mark.parametrize("damage", ["truncated", "not a zip", "wrong content", "missing class", "unsafe name"])
def test_a_broken_zip_gives_a_clear_error_and_leaves_nothing_behind(tmp_path, monkeypatch, damage):
    data = tmp_path / "data"
    data.mkdir()
    target = data / "hymenoptera_data.zip"
    if damage == "truncated":
        raw = _make_zip(tmp_path / "good.zip").read_bytes()
        target.write_bytes(raw[: len(raw) // 2])
    elif damage == "not a zip":
        target.write_text("<html>404 Not Found</html>")
    elif damage == "wrong content":
        with zipfile.ZipFile(target, "w") as archive:
            archive.writestr("other/readme.txt", "hello")
    elif damage == "missing class":
        _make_zip(target, skip=("val/bees",))
    else:
        _make_zip(target, extra={"hymenoptera_data/../../evil.txt": "x"})
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    with pytest.raises(DataError, match=str(target)) as info:
        photos.hymenoptera()
    assert "Traceback" not in str(info.value)
    leftovers = list((tmp_path / "work" / "data").glob("*")) if (tmp_path / "work" / "data").exists() else []
    assert leftovers == []


def test_load_image_folder_reads_classes_in_order_and_crops(tmp_path):
    _photo(tmp_path / "set" / "cats" / "a.jpg", (250, 0, 0), size=(90, 30))  # wide: red
    _photo(tmp_path / "set" / "cats" / "b.png", (250, 0, 0), kind="PNG")
    _photo(tmp_path / "set" / "dogs" / "c.jpg", (0, 0, 250))
    loaded = photos.load_image_folder(tmp_path / "set", image_size=(16, 24), verbose=False)
    assert loaded.images.shape == (3, 16, 24, 3) and loaded.images.dtype == np.uint8
    assert loaded.class_names == ["cats", "dogs"] and loaded.labels.tolist() == [0, 0, 1]
    assert loaded.counts() == {"cats": 2, "dogs": 1}
    assert loaded.images[0, ..., 0].min() > 200 and loaded.images[2, ..., 2].min() > 200
    part = loaded.subset(np.array([False, True, True]))
    assert len(part) == 2 and part.files[0].name == "b.png"


def test_load_image_folder_names_the_problem(tmp_path):
    with pytest.raises(DataError, match="no folder"):
        photos.load_image_folder(tmp_path / "missing")
    _photo(tmp_path / "one" / "cats" / "a.jpg")
    with pytest.raises(DataError, match="at least two classes"):
        photos.load_image_folder(tmp_path / "one")
    _photo(tmp_path / "bad" / "cats" / "a.jpg")
    _photo(tmp_path / "bad" / "dogs" / "b.jpg")
    (tmp_path / "bad" / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 50)
    with pytest.raises(DataError, match="broken.jpg"):
        photos.load_image_folder(tmp_path / "bad", verbose=False)


def test_file_format_reads_the_first_bytes_not_the_name(tmp_path):
    gif = _photo(tmp_path / "looks_like.jpg", kind="GIF")
    png = _photo(tmp_path / "image.png", kind="PNG")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    assert photos.file_format(gif) == "GIF"
    assert photos.file_format(png) == "PNG"
    assert photos.file_format(_photo(tmp_path / "a.jpeg")) == "JPEG"
    assert photos.file_format(text) is None
    assert photos.original_sizes([png]).tolist() == [[40, 30]]


def test_remove_files_moves_them_to_the_work_folder(tmp_path):
    photo = _photo(tmp_path / "set" / "ants" / "placeholder.gif", kind="GIF")
    moved = photos.remove_files([photo])
    assert not photo.exists() and moved[0].exists()
    assert moved[0].parent == tmp_path / "work" / "data" / "removed"
    with pytest.raises(DataError, match="removed already"):
        photos.remove_files([photo])


@pytest.mark.skipif(not SHARED_ZIP.exists(), reason="the shared offline data is not on this machine")
def test_the_real_set_has_its_known_quirks(monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_ZIP.parent))
    folder = photos.hymenoptera(verbose=False)
    train = sorted((folder / "train").rglob("*.*"))
    assert len(train) == 245 and len(list((folder / "val").rglob("*.*"))) == 153
    odd = [(p.name, photos.file_format(p)) for p in train if photos.file_format(p) != "JPEG"]
    assert odd == [("imageNotFound.gif", "GIF")]


def _truncated_jpeg(path):
    _photo(path, size=(60, 40))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("bad", ["truncated.jpg", "notes.jpg"])
def test_check_image_folder_names_a_file_that_is_not_a_readable_image(tmp_path, bad):
    """06 section 12: a truncated JPEG or a text file named .jpg would stop model.fit with a raw TensorFlow error."""
    _photo(tmp_path / "set" / "cats" / "a.jpg")
    _photo(tmp_path / "set" / "dogs" / "b.jpg")
    if bad == "truncated.jpg":
        _truncated_jpeg(tmp_path / "set" / "dogs" / bad)
    else:
        (tmp_path / "set" / "dogs" / bad).write_text("shopping list: milk, bread")
    with pytest.raises(DataError, match=bad):
        photos.check_image_folder(tmp_path / "set")


def test_files_keras_skips_are_reported(tmp_path, capsys):
    """image_dataset_from_directory reads only .bmp .gif .jpeg .jpg .png and drops the rest silently."""
    _photo(tmp_path / "set" / "cats" / "a.jpg")
    _photo(tmp_path / "set" / "cats" / "c.webp", kind="WEBP")
    _photo(tmp_path / "set" / "dogs" / "b.png", kind="PNG")
    assert photos.check_image_folder(tmp_path / "set") == 2
    assert "Skipped 1 file(s)" in capsys.readouterr().out
    loaded = photos.load_image_folder(tmp_path / "set", image_size=16)
    assert len(loaded) == 2 and "c.webp" in capsys.readouterr().out
