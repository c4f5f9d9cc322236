"""Benchmark results recorded on the course's test machine, shown in notebooks with where they come from.

A benchmark script (``benchmarks/bench_*.py --record``) saves its table to
``course_utils/recorded/<name>.json``; a notebook shows it with ``recorded.show(name)``. The numbers are then
printed by a run (of the recording script, on a named machine and date), never typed into a notebook's prose,
and a student sees at once that they are a recording, not this notebook's run.

File layout::

    {"name": "mnist", "title": "...", "command": "python benchmarks/bench_mnist.py --record",
     "date": "2026-11-23", "machine": "2 CPU cores, ...", "load_before": 0.05,
     "versions": {"tensorflow": "2.21.0", "keras": "3.15.1"},
     "columns": ["model", "test accuracy", ...], "rows": [["keras-io", 0.972, ...]], "notes": ["..."]}
"""

import json
import os
import platform
from datetime import date
from importlib import resources
from pathlib import Path

_FOLDER = "recorded"


class RecordingMissing(LookupError):
    """No recorded result of that name ships with the course."""


def names():
    """The recorded benchmarks that ship with the course, sorted."""
    folder = resources.files("course_utils").joinpath(_FOLDER)
    try:
        return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def load(name):
    """The recording ``name`` as a dict (see the module docstring)."""
    resource = resources.files("course_utils").joinpath(_FOLDER, f"{name}.json")
    try:
        return json.loads(resource.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecordingMissing(f"No recorded benchmark {name!r}; recorded: {', '.join(names()) or 'none'}.") from None


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def markdown(name):
    """The recording as Markdown: title, provenance line, table and notes."""
    data = load(name)
    versions = ", ".join(f"{k} {v}" for k, v in data.get("versions", {}).items())
    lines = [f"**{data['title']}**", "",
             f"*Recorded {data['date']} on {data['machine']} (load average {data['load_before']:.2f} before the "
             f"run; {versions}) by `{data['command']}`: not this notebook's run. Run the script to measure "
             f"your machine.*", "",
             "| " + " | ".join(data["columns"]) + " |", "|" + "---|" * len(data["columns"])]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in data["rows"]]
    lines += [""] + [f"- {note}" for note in data.get("notes", [])]
    return "\n".join(lines).rstrip()


def show(name):
    """Display the recording in a notebook (Markdown), or print it in a terminal."""
    text = markdown(name)
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display(Markdown(text))


def machine():
    """A one-line description of this machine: cores, memory, processor."""
    cores = os.cpu_count() or 1
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 1024 ** 3:.0f} GB of memory"
    except ImportError:
        memory = ""
    return f"{cores} CPU core{'s' if cores != 1 else ''}{memory}, {platform.machine()} ({platform.system()})"


def load_average():
    """The 1-minute load average (0.0 where the system does not report it): take it before a benchmark."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0


def save(name, title, columns, rows, command, load_before, notes=(), folder=None):
    """Write a recording (used by the benchmark scripts' ``--record``); returns its path."""
    import importlib.metadata as metadata

    versions = {}
    for package in ("tensorflow", "keras", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    data = {"name": name, "title": title, "command": command, "date": date.today().isoformat(),
            "machine": machine(), "load_before": round(float(load_before), 2),
            "versions": versions, "columns": list(columns), "rows": [list(row) for row in rows],
            "notes": list(notes)}
    folder = Path(folder) if folder else Path(__file__).resolve().parent / _FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


__all__ = ["RecordingMissing", "load", "load_average", "machine", "markdown", "names", "save", "show"]
