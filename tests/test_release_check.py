"""`course links --check-release`: before tagging, which links break until the version's tag exists (local git)."""

import shutil
import subprocess
from pathlib import Path

import pytest

from course_utils.instructor import cli, links, release_check

ROOT = Path(__file__).resolve().parent.parent


def _git(folder, *args):
    subprocess.run(["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)


@pytest.fixture
def clone(tmp_path):
    """A small clone of the course: pyproject.toml, README.md and two notebooks, committed, without tags."""
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    (tmp_path / "notebooks").mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path)
    for name in ("00_start_here.ipynb", "01_convolution_by_hand.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, tmp_path / "notebooks")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "course")
    return tmp_path


def test_the_notebooks_point_to_the_tag_of_the_package_version():
    result = release_check.check(ROOT)
    assert result.problems == []
    assert result.ref == f"v{result.version}" == f"v{result.package_version}"


def test_before_tagging_every_link_at_the_ref_is_listed_as_breaking(clone):
    result = release_check.check(clone)
    assert result.tag == "missing"
    notebook = result.links["notebooks/00_start_here.ipynb"]
    assert notebook == {"Colab": 1, "Binder": 1, "pip install": 1}
    assert result.links["README.md"]["Colab"] >= 2
    text = release_check.report(result)
    assert f"Tag {links.COURSE_REF} does not exist" in text and f"git push origin {links.COURSE_REF}" in text
    assert "notebooks/01_convolution_by_hand.ipynb: 1 Colab, 1 Binder, 1 pip install" in text


def test_a_tag_on_the_commit_checked_out_passes_and_an_older_tag_is_named(clone):
    _git(clone, "tag", links.COURSE_REF)
    assert release_check.check(clone).tag == "here (HEAD)"
    (clone / "notes.txt").write_text("later work")
    _git(clone, "add", "-A")
    _git(clone, "commit", "-qm", "later")
    result = release_check.check(clone)
    assert result.tag == "here (not HEAD)" and "not the commit checked out" in release_check.report(result)


def test_a_version_that_disagrees_with_the_ref_is_a_problem(clone, monkeypatch):
    monkeypatch.setattr(links, "COURSE_REF", "v9.9.9")
    problems = release_check.check(clone).problems
    assert any("course links --ref v0" in p or "course links --ref v" in p for p in problems)


def test_course_links_check_release_exits_1_until_the_tag_exists(capsys, monkeypatch):
    monkeypatch.setattr(release_check, "tag_state", lambda root, ref: "missing")
    assert cli.main(["links", "--check-release"]) == 1
    out = capsys.readouterr().out
    assert "break until it exists on GitHub" in out
    monkeypatch.setattr(release_check, "tag_state", lambda root, ref: "here (HEAD)")
    assert cli.main(["links", "--check-release"]) == 0
