import json
import re
from pathlib import Path

from course_utils import catalog, links

ROOT = Path(__file__).resolve().parent.parent


def test_urls_follow_the_repository_constant():
    assert links.colab_url("03_mnist_cnn") == (
        f"https://colab.research.google.com/github/{links.GITHUB_REPO}/blob/{links.BRANCH}/notebooks/03_mnist_cnn.ipynb"
    )
    assert links.binder_url("03_mnist_cnn.ipynb").endswith("?labpath=notebooks%2F03_mnist_cnn.ipynb")
    assert links.pip_install_target() == f"cnn-course @ git+https://github.com/{links.GITHUB_REPO}@{links.BRANCH}"


def test_sync_rewrites_badges_and_install_line_after_a_move(tmp_path, monkeypatch):
    source = ROOT / "notebooks" / "00_start_here.ipynb"
    copy = tmp_path / source.name
    copy.write_text(source.read_text())
    monkeypatch.setattr(links, "GITHUB_REPO", "new-home/cnn")
    assert links.sync_notebook(copy)
    text = json.loads(copy.read_text())
    joined = "".join("".join(c["source"]) for c in text["cells"])
    assert "github/new-home/cnn/blob/main/notebooks/00_start_here.ipynb" in joined
    assert "git+https://github.com/new-home/cnn@main" in joined
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
