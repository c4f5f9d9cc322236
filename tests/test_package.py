"""`import course_utils` is instant and light: no TensorFlow, Keras or matplotlib until a function needs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils

HEAVY = ("tensorflow", "keras", "matplotlib", "scipy", "skimage", "mlxtend")


def _fresh_python(code):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_leaves_heavy_libraries_out_of_sys_modules():
    loaded = _fresh_python(
        f"import json, sys, course_utils; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert loaded == []


def test_import_takes_under_a_third_of_a_second():
    seconds = _fresh_python(
        "import json, time; t = time.perf_counter(); import course_utils; print(json.dumps(time.perf_counter() - t))"
    )
    assert seconds < 0.3


@pytest.mark.parametrize("name", ["load_mnist", "sample_image", "set_seed", "progress_bar", "record_metric",
                                  "fast_mode", "doctor"])
def test_shortcuts_resolve_to_functions(name):
    assert callable(getattr(course_utils, name))


def test_unknown_attribute_gives_a_normal_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        course_utils.nope  # noqa: B018


def test_fast_mode_reads_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert course_utils.fast_mode()
    monkeypatch.setenv("COURSE_FAST", "0")
    assert not course_utils.fast_mode()
    monkeypatch.delenv("COURSE_FAST")
    assert not course_utils.fast_mode()


def test_work_dir_follows_the_setting_and_is_created(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path / "work"))
    assert course_utils.paths.models_dir() == tmp_path / "work" / "models"
    assert (tmp_path / "work" / "models").is_dir()


def test_every_module_is_reachable_as_an_attribute():
    from pathlib import Path

    package = Path(course_utils.__file__).parent
    names = {p.stem for p in package.glob("*.py") if not p.stem.startswith("_")}
    names |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    assert names == course_utils._SUBMODULES


def test_every_subpackage_is_listed_for_the_wheel():
    """pyproject.toml lists the packages by hand (the notebooks are mapped in as course_utils.notebooks)."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(root).parts) for p in (root / "course_utils").rglob("__init__.py")}
    assert on_disk | {"course_utils.notebooks"} == listed, "add new subpackages to [tool.setuptools] packages"
