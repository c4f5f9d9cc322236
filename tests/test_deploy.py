"""Zero to JupyterHub files (deploy/z2jh/): what can be checked without a cluster, helm or a container engine."""

import json
import re
import sys
import types
from pathlib import Path

import yaml
from side_venv import NBGRADER

from course_utils.instructor import hub

ROOT = Path(__file__).resolve().parent.parent
Z2JH = ROOT / "deploy" / "z2jh"
CHART_KEYS = {"hub", "proxy", "singleuser", "scheduling", "cull", "prePuller", "ingress", "imagePullSecret",
              "imagePullSecrets", "rbac", "debug", "global", "custom", "fullnameOverride", "nameOverride",
              "cluster", "apps", "enabled", "podSecurityPolicy"}  # top-level keys of the jupyterhub chart


def _values():
    return yaml.safe_load((Z2JH / "values.yaml").read_text(encoding="utf-8"))


class _Config(dict):
    def __getattr__(self, name):
        return self.setdefault(name, _Config())

    def __setattr__(self, name, value):
        self[name] = value


def test_values_file_parses_with_the_charts_top_level_keys():
    values = _values()
    assert set(values) <= CHART_KEYS
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] == "nativeauthenticator.NativeAuthenticator"
    assert values["hub"]["config"]["Authenticator"]["allow_all"] is True
    mount = values["singleuser"]["storage"]["extraVolumeMounts"][0]["mountPath"]
    assert mount == "/srv/nbgrader/exchange"


def test_hub_extra_config_gives_the_instructor_formgrader_and_students_their_name(monkeypatch):
    values = _values()
    code = values["hub"]["extraConfig"]["course-roles"]
    fake = types.ModuleType("nativeauthenticator")
    fake.__file__ = "/x/nativeauthenticator/__init__.py"
    fake.handlers = types.SimpleNamespace(LoginHandler=type("LoginHandler", (), {}))
    monkeypatch.setitem(sys.modules, "nativeauthenticator", fake)
    monkeypatch.setitem(sys.modules, "nativeauthenticator.handlers", fake.handlers)
    c = _Config()
    exec(compile(code, "course-roles", "exec"), {"c": c})  # noqa: S102 - the values file's hub config
    assert fake.handlers.LoginHandler.statsd.timer("x").start().stop() is None
    admins = set(values["hub"]["config"]["Authenticator"]["admin_users"])
    for name, role in [(next(iter(admins)), "instructor"), ("alice", "student")]:
        spawner = types.SimpleNamespace(user=types.SimpleNamespace(name=name), environment={})
        c.KubeSpawner.pre_spawn_hook(spawner)
        assert spawner.environment == {"JUPYTER_CONFIG_PATH": f"/etc/jupyter/course/{role}", "COURSE_STUDENT": name}


def test_role_settings_match_what_course_hub_writes():
    student = json.loads((Z2JH / "jupyter" / "student" / "jupyter_server_config.json").read_text())
    assert student == hub.STUDENT_SERVER
    for role in ("student", "instructor"):
        c = _Config()
        exec((Z2JH / "jupyter" / role / "nbgrader_config.py").read_text(), {"get_config": lambda c=c: c})  # noqa: S102
        assert c.Exchange.root == _values()["singleuser"]["storage"]["extraVolumeMounts"][0]["mountPath"]
        assert c.CourseDirectory.course_id == hub.COURSE_ID and c.Execute.timeout == hub.CELL_TIMEOUT
        assert ("student_id" in c.CourseDirectory) == (role == "student")


def test_the_image_installs_binders_requirements_and_the_tested_nbgrader():
    text = (Z2JH / "Dockerfile").read_text()
    assert re.search(r"pip install .*-r binder/requirements\.txt", text)
    assert f'"{NBGRADER}"' in text and NBGRADER in hub.HUB_REQUIREMENTS
    assert "COPY deploy/z2jh/jupyter/ /etc/jupyter/course/" in text
