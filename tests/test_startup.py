"""`course_utils.quiet_tensorflow()`: TensorFlow loads without its C++ start-up lines, and real messages still show."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_utils import startup

ROOT = Path(__file__).resolve().parent.parent

# Lines seen on CPU machines with TensorFlow 2.19-2.21 (the second group on Colab's GPU build without a GPU).
SEEN = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1795444639.994821   20817 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders.",
    "I0000 00:00:1795444639.996164   20817 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will "
    "not be used.",
    "E0000 00:00:1795444656.655091   20817 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed "
    "call to cuInit: UNKNOWN ERROR (303)",
    "E0000 00:00:1758131437.297298 3722519 cuda_dnn.cc:8579] Unable to register cuDNN factory: Attempting to register "
    "factory for plugin cuDNN when one has already been registered",
    "W0000 00:00:1758131437.322781 3722519 computation_placer.cc:177] computation placer already registered. Please "
    "check linkage and avoid linking the same target more than once.",
]
REAL = [
    "W0000 00:00:1.0 1 allocator.cc:107] Allocation of 1207959552 exceeds 10% of free system memory.",
    "E0000 00:00:1.0 1 op_kernel.cc:1] OOM when allocating tensor with shape[60000,32,26,26]",
    "UserWarning: Do not pass an `input_shape`/`input_dim` argument to a layer.",
]


@pytest.mark.parametrize("line", SEEN)
def test_known_start_up_lines_are_noise(line):
    assert startup.is_startup_noise(line)


@pytest.mark.parametrize("line", REAL)
def test_real_warnings_and_errors_are_not_noise(line):
    assert not startup.is_startup_noise(line)


def test_filtered_stderr_drops_start_up_lines_written_by_c_code_and_keeps_the_rest(capfd):
    with startup.filtered_stderr():
        os.write(2, ("\n".join(SEEN + REAL[:2]) + "\n").encode())  # straight to the file descriptor, like C++
    err = capfd.readouterr().err
    assert err.splitlines() == REAL[:2]


def test_filtered_stderr_restores_stderr_after_an_exception(capfd):
    with pytest.raises(RuntimeError), startup.filtered_stderr():
        raise RuntimeError("boom")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def _fresh_python(code):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as in a JupyterLab kernel
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=300, check=True)


def test_tensorflow_loads_and_runs_without_start_up_lines():
    result = _fresh_python("""
        import course_utils

        course_utils.quiet_tensorflow()
        import keras
        import tensorflow as tf

        x = tf.constant([[1.0, 2.0]])
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        print(float(model(x)[0, 0]) == float(model(x)[0, 0]))
    """)
    assert result.stdout.strip() == "True"
    assert result.stderr.strip() == "", result.stderr


@pytest.mark.parametrize("chosen, expected", [(None, "2"), ("0", "0")])
def test_log_level_defaults_to_errors_only_and_a_chosen_level_is_kept(monkeypatch, chosen, expected):
    if chosen is None:
        monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    else:
        monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", chosen)
    startup.quiet_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == expected


def test_missing_tensorflow_gives_the_fix(monkeypatch):
    class NoTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name == "tensorflow":
                raise ModuleNotFoundError("No module named 'tensorflow'", name="tensorflow")

    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    monkeypatch.setattr(sys, "meta_path", [NoTensorFlow(), *sys.meta_path])
    with pytest.raises(ModuleNotFoundError, match="course doctor"):
        startup.quiet_tensorflow()
