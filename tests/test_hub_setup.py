"""`course hub` without starting a hub: the folder it writes and what it says when something is missing
(tests/test_hub.py runs the hub itself)."""

import json
import os
import stat

import pytest

from course_utils.instructor import cli, hub


@pytest.fixture
def proxy(tmp_path):
    program = tmp_path / "configurable-http-proxy"
    program.write_text("#!/bin/sh\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return str(program)


def test_prepare_writes_the_hub_folder_and_the_course_folder_once(tmp_path, proxy):
    folder = tmp_path / "hub"
    settings = hub.prepare(folder, instructor="teacher", port=8123, proxy=proxy)
    assert json.loads((folder / "hub.json").read_text()) == settings
    assert settings["proxy"] == proxy and settings["port"] == 8123
    assert f"hub.configure(c, {str(folder.resolve())!r})" in (folder / "jupyterhub_config.py").read_text()
    course = folder / "home" / "teacher" / hub.COURSE_ID
    assert (course / "source" / "00_start_here" / "00_start_here.ipynb").is_file()
    student = (folder / "etc" / "student" / "nbgrader_config.py").read_text()
    assert "JUPYTERHUB_USER" in student and str(folder / "exchange") in student
    assert f"c.CourseDirectory.root = {str(course)!r}" in (folder / "etc" / "instructor" / "nbgrader_config.py").read_text()
    assert json.loads((folder / "etc" / "student" / "jupyter_server_config.json").read_text()) == hub.STUDENT_SERVER
    assert stat.S_IMODE(os.stat(folder / "exchange").st_mode) == 0o777
    (course / "gradebook.db").write_text("the instructor's grades")
    hub.prepare(folder, instructor="teacher", port=8123, proxy=proxy)  # a later start keeps the course folder
    assert (course / "gradebook.db").read_text() == "the instructor's grades"


def test_a_missing_proxy_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("COURSE_HUB_PROXY", raising=False)
    monkeypatch.setattr(hub, "__file__", str(tmp_path / "a" / "b" / "hub.py"))
    with pytest.raises(hub.HubError, match="npm install --prefix build/proxy configurable-http-proxy@5"):
        hub.find_proxy()
    with pytest.raises(hub.HubError, match="--proxy /nowhere: no such program"):
        hub.find_proxy("/nowhere")


def test_course_hub_without_jupyterhub_names_the_packages_to_install(monkeypatch, capsys, tmp_path, proxy):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "jupyterhub" else real(name, *a))
    assert cli.main(["hub", str(tmp_path / "hub"), "--proxy", proxy, "--setup-only"]) == 2
    err = capsys.readouterr().err
    assert "lacks jupyterhub" in err and '"jupyterhub==6.1.1"' in err and "Traceback" not in err
