"""`colab.install_missing()`: the Colab setup cell adds what the runtime lacks and replaces nothing it has."""

from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

from course_utils import colab

ROOT = Path(__file__).resolve().parent.parent

# Colab's stack in 2025: ipywidgets 7.7.1, an older Keras, no papermill.
COLAB = {"numpy": "2.0.2", "ipywidgets": "7.7.1", "keras": "3.10.0", "tensorflow": "2.19.0", "scipy": "1.16.1"}
REQUIREMENTS = [Requirement(r) for r in ("numpy>=1.26", "ipywidgets>=7.7", "papermill>=2.5", "keras>=3.13",
                                         "tensorflow>=2.16", "scipy>=1.11")]


class _Pip:
    def __init__(self, returncode=0):
        self.returncode, self.commands, self.constraints = returncode, [], None

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        with open(command[command.index("-c") + 1]) as file:
            self.constraints = file.read().splitlines()
        self.stdout, self.stderr = "", "ERROR: No matching distribution found for papermill"
        return self


def _declared(package):
    """The requirement lines pyproject.toml declares, as an installed package's metadata lists them."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [f'{line}; extra == "{extra}"' for extra, lines in project["optional-dependencies"].items()
              for line in lines]
    return project["dependencies"] + extras


@pytest.fixture
def declared(monkeypatch):
    monkeypatch.setattr(colab.metadata, "requires", _declared)


def test_the_course_declares_an_ipywidgets_range_that_includes_colabs_7_7(declared):
    (ipywidgets,) = [r for r in colab.requirements() if r.name == "ipywidgets"]
    assert ipywidgets.specifier.contains("7.7.1") and ipywidgets.specifier.contains("8.1.9")


def test_requirements_include_the_tf_extra_but_not_the_test_tools(declared):
    names = {r.name for r in colab.requirements()}
    assert {"numpy", "ipywidgets", "tensorflow", "keras"} <= names
    assert not names & {"pytest", "nbval", "ruff"}


def test_plan_installs_only_what_is_missing_and_keeps_older_packages():
    missing, kept, too_old = colab.plan(REQUIREMENTS, COLAB.get)
    assert [r.name for r in missing] == ["papermill"]
    assert ("ipywidgets", "7.7.1") in kept and ("keras", "3.10.0") in kept
    assert [(r.name, version) for r, version in too_old] == [("keras", "3.10.0")]


def test_install_missing_pins_every_installed_requirement(monkeypatch, capsys):
    monkeypatch.setattr(colab, "requirements", lambda package: REQUIREMENTS)
    monkeypatch.setattr(colab, "installed_version", COLAB.get)
    pip = _Pip()
    colab.install_missing(run=pip)
    (command,) = pip.commands
    assert command[-1] == "papermill>=2.5"
    assert "ipywidgets==7.7.1" in pip.constraints and "numpy==2.0.2" in pip.constraints
    assert "keras==3.10.0" in pip.constraints  # too old for the course's floor, and still kept
    out = capsys.readouterr().out
    assert "Note: this runtime has keras 3.10.0" in out and "added papermill" in out


def test_nothing_is_installed_when_nothing_is_missing(monkeypatch, capsys):
    monkeypatch.setattr(colab, "requirements", lambda package: REQUIREMENTS[:2])
    monkeypatch.setattr(colab, "installed_version", COLAB.get)
    colab.install_missing(run=lambda *a, **kw: pytest.fail("pip must not run"))
    assert "ipywidgets 7.7.1" in capsys.readouterr().out


def test_a_failed_install_stops_with_pips_reason(monkeypatch, capsys):
    monkeypatch.setattr(colab, "requirements", lambda package: REQUIREMENTS)
    monkeypatch.setattr(colab, "installed_version", COLAB.get)
    with pytest.raises(RuntimeError, match="Could not install papermill"):
        colab.install_missing(run=_Pip(returncode=1))
    assert "No matching distribution found for papermill" in capsys.readouterr().out
