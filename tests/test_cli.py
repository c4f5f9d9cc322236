import subprocess
import sys

from course_utils import cli


def test_python_m_course_utils_shows_the_commands():
    out = subprocess.run([sys.executable, "-m", "course_utils", "--help"], capture_output=True, text=True, check=True)
    for command in ("doctor", "run", "links", "release", "progress"):
        assert command in out.stdout


def test_course_doctor_exits_zero_and_prints_the_report(capsys):
    assert cli.main(["doctor", "--no-gpu-check"]) == 0
    assert "TensorFlow" in capsys.readouterr().out


def test_course_doctor_strict_fails_on_problems(capsys, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert cli.main(["doctor", "--no-gpu-check", "--strict"]) == 1


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "usage: course" in capsys.readouterr().out
