import subprocess
import sys

from course_utils.instructor import cli


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


def test_course_doctor_fails_loudly_on_a_problem_that_stops_the_notebooks(capsys, monkeypatch):
    """A Keras older than the floor (Colab's 3.10) or a missing kernel: exit 1 without --strict."""
    from course_utils import env

    real = env._version
    monkeypatch.setattr(env, "_version", lambda name: "3.10.0" if name == "keras" else real(name))
    assert cli.main(["doctor", "--no-gpu-check", "--no-kernel-check"]) == 1
    assert "older than 3.13.1" in capsys.readouterr().out
    monkeypatch.setattr(env, "_version", real)
    monkeypatch.setattr(env, "kernel_status", lambda start=True: "there is no Jupyter kernel named 'python3'")
    assert cli.main(["doctor", "--no-gpu-check"]) == 1
    assert "Notebooks cannot run" in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert cli.main([]) == 0
    assert "usage: course" in capsys.readouterr().out
