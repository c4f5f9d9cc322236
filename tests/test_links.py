import json
import re
from pathlib import Path

import pytest

import course_utils
from course_utils import addresses, catalog
from course_utils.instructor import links

ROOT = Path(__file__).resolve().parent.parent


def test_urls_follow_the_repository_constant():
    assert links.colab_url("03_mnist_cnn") == (
        f"https://colab.research.google.com/github/{addresses.GITHUB_REPO}/blob/{addresses.COURSE_REF}/notebooks/03_mnist_cnn.ipynb"
    )
    assert links.binder_url("03_mnist_cnn.ipynb").endswith("?labpath=notebooks%2F03_mnist_cnn.ipynb")
    assert links.pip_install_target() == f"cnn-course @ git+https://github.com/{addresses.GITHUB_REPO}@{addresses.COURSE_REF}"
    assert links.pip_install_target("tf").startswith("cnn-course[tf] @ git+")


def test_sync_rewrites_badges_and_install_line_after_a_move(tmp_path, monkeypatch):
    source = ROOT / "notebooks" / "00_start_here.ipynb"
    copy = tmp_path / source.name
    copy.write_text(source.read_text())
    monkeypatch.setattr(addresses, "GITHUB_REPO", "new-home/cnn")
    assert links.sync_notebook(copy)
    text = json.loads(copy.read_text())
    joined = "".join("".join(c["source"]) for c in text["cells"])
    assert f"github/new-home/cnn/blob/{addresses.COURSE_REF}/notebooks/00_start_here.ipynb" in joined
    assert f"git+https://github.com/new-home/cnn@{addresses.COURSE_REF}" in joined
    assert "cnn-course/cnn-course" not in joined
    assert not links.sync_notebook(copy)  # idempotent


def test_readme_blocks_are_in_sync_with_the_constant():
    readme = (ROOT / "README.md").read_text()
    for name, content in links.readme_blocks().items():
        assert f"<!-- {name} -->\n{content}\n<!-- /{name} -->" in readme, f"run `course links` ({name})"


def test_readme_table_lists_every_notebook_with_both_badges():
    table = links.notebook_table()
    for nb in [nb for nb in catalog.NOTEBOOKS if nb.ready]:
        row = next(line for line in table.splitlines() if nb.file in line)
        assert links.colab_url(nb.file) in row and links.binder_url(nb.file) in row
        assert re.search(rf"\| {nb.minutes} \|", row)


def test_planned_notebooks_are_marked_coming_soon():
    for nb in [nb for nb in catalog.NOTEBOOKS if not nb.ready]:
        assert f"| {nb.title} (coming soon) |" in links.notebook_table()
        assert f"{nb.title} (coming soon)" in catalog.map_markdown(on_colab=False)


def test_map_links_open_in_colab_when_running_there():
    assert links.colab_url("01_convolution_by_hand.ipynb") in catalog.map_markdown(on_colab=True)
    assert "](01_convolution_by_hand.ipynb)" in catalog.map_markdown(on_colab=False)


def test_course_ref_is_the_tag_of_this_version():
    import tomllib

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert course_utils.__version__ == version
    assert addresses.COURSE_REF == f"v{version}", "after a version bump: course links --ref v<version>"


def test_set_home_rewrites_the_constants_in_the_source(tmp_path, monkeypatch):
    for name in ("GITHUB_REPO", "COURSE_REF"):
        monkeypatch.setattr(addresses, name, getattr(addresses, name))  # restored after the test
    source = tmp_path / "addresses.py"
    source.write_text(Path(addresses.__file__).read_text())
    links.set_home(repo="someone/cnn", ref="v9.9.9", source=source)
    text = source.read_text()
    assert 'GITHUB_REPO = "someone/cnn"' in text and 'COURSE_REF = "v9.9.9"' in text
    assert links.pip_install_target() == "cnn-course @ git+https://github.com/someone/cnn@v9.9.9"
    with pytest.raises(ValueError, match="OWNER/NAME"):
        links.set_home(repo="https://github.com/x", source=source)
    with pytest.raises(ValueError, match="tag"):
        links.set_home(ref="v1; rm -rf", source=source)


def test_an_old_setup_cell_is_replaced_whole(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('import sys\n\nif "google.colab" in sys.modules:\n'
                                     '    %pip install -q "cnn-course @ git+https://github.com/a/b@main"  # course-install')
    cell.metadata["tags"] = ["setup"]
    nb.cells = [cell]
    nbformat.write(nb, tmp_path / "00_x.ipynb")
    assert links.sync_notebook(tmp_path / "00_x.ipynb")
    assert nbformat.read(tmp_path / "00_x.ipynb", as_version=4).cells[0].source == links.colab_setup_source()


class _Completed:
    def __init__(self, returncode):
        self.returncode, self.stdout, self.stderr = returncode, "", "ERROR: could not reach the repository"


def _run_setup_cell_on_colab(monkeypatch, returncode):
    """Execute the setup cell as Colab would (``google.colab`` imported), with pip replaced by a recorder."""
    import subprocess
    import sys
    import types

    from course_utils import colab

    calls = []
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", lambda command, **kw: calls.append(command) or _Completed(returncode))
    monkeypatch.setattr(colab, "install_missing", lambda: calls.append("install_missing"))
    exec(compile(links.colab_setup_source(), "<setup cell>", "exec"), {})  # noqa: S102 - the course's own cell
    return calls


def test_setup_cell_installs_this_version_without_touching_colabs_packages(monkeypatch):
    calls = _run_setup_cell_on_colab(monkeypatch, 0)
    pip, then = calls
    assert pip[-1] == links.pip_install_target() and addresses.COURSE_REF in pip[-1]
    assert "--no-deps" in pip  # Colab's TensorFlow, Keras, NumPy and ipywidgets are never replaced
    assert then == "install_missing"


def test_setup_cell_stops_with_a_clear_message_when_the_install_fails(monkeypatch, capsys):
    with pytest.raises(RuntimeError, match="Could not install the course .*run this cell again"):
        _run_setup_cell_on_colab(monkeypatch, 1)
    assert "could not reach the repository" in capsys.readouterr().out


def test_setup_cell_does_nothing_outside_colab(monkeypatch):
    import subprocess

    monkeypatch.setattr(subprocess, "run", lambda *a, **kw: pytest.fail("pip must not run outside Colab"))
    exec(compile(links.colab_setup_source(), "<setup cell>", "exec"), {})  # noqa: S102
