"""TensorFlow's start-up without its C++ log lines: ``course_utils.quiet_tensorflow()`` before ``import tensorflow``.

On a CPU machine, loading TensorFlow 2.16+ writes lines like these straight to the process's standard error, which
JupyterLab shows as red boxes although nothing is wrong::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
    E0000 ... cuda_platform.cc:52] failed call to cuInit: ... (first use of a device)
    E0000 ... cuda_dnn.cc] Unable to register cuDNN factory: ... (GPU builds, e.g. Colab)
    W0000 ... computation_placer.cc] computation placer already registered. ...

``TF_CPP_MIN_LOG_LEVEL=2`` (set here unless you chose a level) hides TensorFlow's later C++ info and warning lines
and keeps its errors. It cannot reach the lines above: they are logged while the libraries load, before TensorFlow
reads the variable. So ``quiet_tensorflow`` loads TensorFlow and looks for devices (where ``cuInit`` is called)
while standard error is captured, drops the known start-up lines in ``STARTUP_NOISE``, and prints every other
line, so a real problem still shows.
"""

import os
import sys
import tempfile
from contextlib import contextmanager

# Substrings of harmless start-up lines (TensorFlow 2.16 to 2.21, CPU machines and GPU builds without a GPU).
STARTUP_NOISE = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
    "Unable to register cuDNN factory",
    "Unable to register cuFFT factory",
    "Unable to register cuBLAS factory",
    "computation placer already registered",
    "This TensorFlow binary is optimized to use available CPU instructions",
    "To enable the following instructions:",
    "TF-TRT Warning: Could not find TensorRT",
    "successful NUMA node read from SysFS had negative value",
)


def is_startup_noise(line):
    """True for a known harmless start-up line (see ``STARTUP_NOISE``)."""
    return any(noise in line for noise in STARTUP_NOISE)


@contextmanager
def filtered_stderr():
    """Capture what is written to file descriptor 2 (C++ logs included); afterwards print all but start-up noise."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no standard error at all (e.g. pythonw): nothing to capture
        yield
        return
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
    kept = [line for line in text.splitlines() if line.strip() and not is_startup_noise(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)


def load_keras():
    """``keras``, imported with TensorFlow's C++ info and warning lines hidden (``TF_CPP_MIN_LOG_LEVEL=2`` unless
    already set). For helpers that build models; notebooks call ``quiet_tensorflow()`` first instead."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def quiet_tensorflow():
    """Load TensorFlow without its C++ start-up lines (call it before ``import tensorflow`` / ``import keras``).

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless already set. Does nothing more once TensorFlow is loaded (then it is
    too late). Raises ``ModuleNotFoundError`` with the fix when TensorFlow is not installed.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return
    with filtered_stderr():
        try:
            import tensorflow as tf
        except ModuleNotFoundError as err:
            if err.name != "tensorflow":
                raise
            raise ModuleNotFoundError(
                "TensorFlow is not installed in this Python. Run `course doctor` for the fix "
                "(locally: python -m pip install -r requirements.txt).", name="tensorflow") from None
        tf.config.list_physical_devices()  # the first device lookup logs the CUDA lines: keep them in here
