"""Execute notebooks headless with papermill: the engine of ``course run`` and of the notebook tests.

Each notebook runs in a fresh kernel with ``COURSE_HEADLESS=1`` (and ``COURSE_FAST=1`` in fast mode, where the
fast values of its ``parameters`` cell are also injected, so both always agree). The kernel's peak memory is
sampled while it runs, and the metrics the notebook records with ``record_metric`` are collected.
"""

import ast
import json
import logging
import os
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from course_utils import paths

DEFAULT_NOTEBOOK_DIR = paths.notebooks_dir()
DEFAULT_OUT = Path("build") / "run"  # relative: under the folder `course run` starts in, never the package
# Known harmless lines a kernel prints on its own stderr at start-up, dropped from `course run`'s output:
# ipykernel >= 7 warns on every local start (the connection is on 127.0.0.1, as Jupyter's own).
KERNEL_NOISE = ("Kernel is running over TCP without encryption",)


class KernelUnavailable(RuntimeError):
    """The notebooks' Jupyter kernel is not installed: ``course run`` stops before the first notebook."""


@dataclass
class RunResult:
    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    peak_memory_mb: float | None = None
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    executed: str | None = None


def find_notebooks(names=None, folder=None):
    """Paths of the notebooks to run: all numbered ones in ``folder``, or those named (path, file, or ``"03"``)."""
    folder = Path(folder or DEFAULT_NOTEBOOK_DIR)
    everything = sorted(folder.glob("[0-9]*.ipynb"))
    if not names:
        return everything
    found = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.exists():
            found.append(path)
            continue
        matches = [p for p in everything if p.stem == path.stem or p.name.startswith(f"{path.stem}_")]
        if not matches:
            known = ", ".join(p.stem for p in everything) or f"none in {folder}"
            raise ValueError(f"No notebook called {name!r}. Known notebooks: {known}.")
        found.extend(matches)
    return found


def parameters_cell(nb):
    """The source of the notebook's cell tagged ``parameters`` (exactly one is expected)."""
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"expected exactly one cell tagged 'parameters', found {len(cells)}")
    source = cells[0]["source"]
    return "".join(source) if isinstance(source, list) else source


def parameter_values(source, fast):
    """Evaluate a ``parameters`` cell with ``COURSE_FAST`` set accordingly; returns {name: value}."""
    import course_utils

    names = [t.id for node in ast.parse(source).body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)]
    with _environment({"COURSE_FAST": "1" if fast else "0"}):
        namespace = {"course_utils": course_utils, "os": os}
        exec(compile(source, "<parameters>", "exec"), namespace)  # noqa: S102 - the course's own notebook cell
    return {name: namespace[name] for name in names}


@contextmanager
def _environment(values):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class _PeakMemory:
    """Samples the total resident memory of this process's children (the kernel) in a background thread."""

    def __init__(self, interval=0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self):
        return round(self.peak / 2**20, 1) if self.peak else None


KERNEL_FIX = ("Fix: install the Jupyter kernel in this environment (python -m pip install ipykernel, or the "
              "course's `lab` extra, see the README), then check with `course doctor`.")
_KERNEL_START_FAILURES = ("Kernel died before replying", "Kernel didn't respond")


def kernel_never_started(err):
    """Whether ``err`` means the notebook's kernel never started (so no cell ran at all)."""
    if getattr(err, "cell_index", None) is not None:
        return False
    return type(err).__name__ == "NoSuchKernel" or any(text in str(err) for text in _KERNEL_START_FAILURES)


def _describe_failure(err):
    if kernel_never_started(err):
        reason = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
        return f"the Jupyter kernel never started ({reason}), so no cell ran. {KERNEL_FIX}"
    cell = getattr(err, "exec_count", None)
    index = getattr(err, "cell_index", None)
    where = f"cell {index} (In [{cell}])" if index is not None else "a cell"
    ename, evalue = getattr(err, "ename", type(err).__name__), getattr(err, "evalue", str(err))
    return f"{where}: {ename}: {str(evalue).strip().splitlines()[0] if str(evalue).strip() else ''}"


class _KernelStderr:
    """A pipe for the kernel's stderr; a thread forwards every line to ``sys.stderr`` except ``KERNEL_NOISE``.

    ``kernel_manager()`` is the kernel manager class to give nbclient: it starts the kernel with this pipe as
    its stderr. Everything else the kernel writes there (errors, other warnings) still reaches the terminal.
    """

    def __init__(self):
        self._read, self._write = os.pipe()
        self._thread = threading.Thread(target=self._forward, daemon=True)

    def _forward(self):
        with os.fdopen(self._read, "rb") as lines:
            for line in lines:
                text = line.decode("utf-8", errors="replace")
                if not any(noise in text for noise in KERNEL_NOISE):
                    sys.stderr.write(text)
                    sys.stderr.flush()

    def kernel_manager(self):
        from jupyter_client.manager import AsyncKernelManager

        write = self._write

        class FilteredStderrKernelManager(AsyncKernelManager):
            async def start_kernel(self, **kw):
                kw.setdefault("stderr", write)
                return await super().start_kernel(**kw)

        return FilteredStderrKernelManager

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        os.close(self._write)  # the kernel has exited: the reader sees the end of the pipe
        self._thread.join(timeout=10)


def execute_notebook(path, out_dir=DEFAULT_OUT, fast=True, timeout=1800, extra_env=None, progress=False):
    """Run one notebook into ``out_dir``; returns a ``RunResult`` (never raises for a failing notebook).

    The kernel starts in ``out_dir``, so that nothing is ever written next to an installed notebook."""
    import nbformat
    import papermill

    path, out_dir = Path(path), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / path.name
    nb = nbformat.read(path, as_version=4)
    try:
        parameters = parameter_values(parameters_cell(nb), fast=True) if fast else {}
    except Exception as err:  # noqa: BLE001 - reported as a failed notebook
        return RunResult(path.stem, "failed", 0.0, error=f"parameters cell: {err}")
    metrics_file = Path(tempfile.mkdtemp(prefix="course-metrics-")) / "metrics.json"
    env = {"COURSE_HEADLESS": "1", "COURSE_FAST": "1" if fast else "0", "COURSE_METRICS_FILE": str(metrics_file),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    env.update(extra_env or {})
    start, error = time.perf_counter(), None
    # papermill cannot parse `FAST = course_utils.fast_mode()` and would warn about every injected value.
    logging.getLogger("papermill").setLevel(logging.ERROR)
    with _environment(env), _PeakMemory() as memory, _KernelStderr() as kernel_stderr:
        try:
            papermill.execute_notebook(
                str(path), str(output), parameters=parameters, cwd=str(out_dir), kernel_name="python3",
                progress_bar=progress, log_output=False, execution_timeout=timeout,
                kernel_manager_class=kernel_stderr.kernel_manager(),
            )
        except Exception as err:  # noqa: BLE001 - PapermillExecutionError or a kernel failure
            error = _describe_failure(err)
    seconds = round(time.perf_counter() - start, 1)
    metrics = json.loads(metrics_file.read_text()) if metrics_file.exists() else {}
    return RunResult(path.stem, "failed" if error else "ok", seconds, memory.peak_mb, metrics, error, str(output))


def format_table(results):
    """The results as a text table: notebook, status, seconds, peak memory, recorded metrics."""
    header = ("notebook", "status", "seconds", "peak MB", "metrics")
    rows = [header]
    for r in results:
        metrics = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.metrics.items())
        rows.append((r.notebook, r.status, f"{r.seconds:.1f}", f"{r.peak_memory_mb:.0f}" if r.peak_memory_mb else "-",
                     metrics or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failures = [f"{r.notebook} failed: {r.error}" if r.error.startswith("the Jupyter kernel") else
                f"{r.notebook} failed in {r.error}" for r in results if r.error]
    return "\n".join(lines + ([""] + failures if failures else []))


def run(notebooks=None, out_dir=DEFAULT_OUT, fast=False, timeout=1800, folder=None):
    """Execute notebooks (from ``folder``, default: the course's own) in order, print a table and write
    ``summary.json`` into ``out_dir``; returns the results."""
    out_dir = Path(out_dir).resolve()
    folder = Path(folder or DEFAULT_NOTEBOOK_DIR)
    found = find_notebooks(notebooks, folder)
    if not found:
        raise ValueError(f"No notebooks found in {folder}. Pass --notebooks DIR (a folder of NN_*.ipynb files).")
    from course_utils import env

    missing = env.kernel_status(start=False)
    if missing:
        raise KernelUnavailable(f"no notebook can run: {missing}. {KERNEL_FIX}")
    results = []
    for path in found:
        print(f"running {path.name} ({'fast' if fast else 'full'} parameters) ...", flush=True)
        result = execute_notebook(path, out_dir, fast=fast, timeout=timeout)
        print(f"  {result.status} in {result.seconds:.1f} s" + (f": {result.error}" if result.error else ""),
              flush=True)
        results.append(result)
    summary = {"fast": fast, "results": [asdict(r) for r in results]}
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    print()
    print(format_table(results))
    print(f"\nExecuted notebooks and summary.json are in {out_dir}")
    return results
