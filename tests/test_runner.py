"""`course run`: executes notebooks with papermill, reports status, time, memory and metrics, names failing cells."""

import json
import os

import nbformat
import pytest

from course_utils.instructor import cli, runner

PARAMETERS = "FAST = course_utils.fast_mode()\nN = 3 if FAST else 1000\n"


def _notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import os\nimport course_utils")]
    parameters = nbformat.v4.new_code_cell(PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    nb.cells.append(parameters)
    nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, path)
    return path


@pytest.fixture
def notebooks(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    good = _notebook(folder / "01_good.ipynb",
                     "assert os.environ['COURSE_HEADLESS'] == '1'\n"
                     "assert (os.environ['COURSE_FAST'] == '1') == FAST\n"
                     "course_utils.record_metric('n_used', N)")
    bad = _notebook(folder / "02_bad.ipynb", "x = 1", "1 / 0")
    return good, bad


def test_parameter_values_follow_the_fast_switch():
    assert runner.parameter_values(PARAMETERS, fast=True) == {"FAST": True, "N": 3}
    assert runner.parameter_values(PARAMETERS, fast=False) == {"FAST": False, "N": 1000}


def test_a_good_notebook_runs_with_fast_values_and_reports_metrics(notebooks, tmp_path):
    result = runner.execute_notebook(notebooks[0], tmp_path / "out", fast=True)
    assert result.status == "ok", result.error
    assert result.metrics == {"n_used": 3}
    assert result.peak_memory_mb and 20 < result.peak_memory_mb < 2000
    executed = nbformat.read(tmp_path / "out" / "01_good.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters == {"FAST": True, "N": 3}


def test_the_kernels_tcp_warning_is_not_printed_but_other_kernel_lines_are(notebooks, tmp_path, capfd):
    """ipykernel 7 warns "Kernel is running over TCP without encryption" at every start: known, harmless."""
    capfd.readouterr()
    result = runner.execute_notebook(notebooks[0], tmp_path / "out", fast=True)
    assert result.status == "ok", result.error
    assert "without encryption" not in capfd.readouterr().err
    with runner._KernelStderr() as kernel_stderr:  # what else a kernel writes there still reaches the terminal
        os.write(kernel_stderr._write, b"[IPKernelApp] WARNING | Kernel is running over TCP without encryption.\n"
                                       b"[IPKernelApp] WARNING | something else\n")
    assert capfd.readouterr().err == "[IPKernelApp] WARNING | something else\n"


def test_a_failing_notebook_names_the_failing_cell(notebooks, tmp_path):
    result = runner.execute_notebook(notebooks[1], tmp_path / "out", fast=True)
    assert result.status == "failed"
    assert "ZeroDivisionError" in result.error and "cell" in result.error


def test_a_notebook_without_parameters_cell_fails_clearly(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "03_x.ipynb")
    result = runner.execute_notebook(tmp_path / "03_x.ipynb", tmp_path / "out", fast=True)
    assert result.status == "failed" and "parameters" in result.error


def test_course_run_prints_a_table_writes_summary_and_exits_nonzero_on_failure(notebooks, tmp_path, capsys,
                                                                               monkeypatch):
    monkeypatch.setattr(runner, "DEFAULT_NOTEBOOK_DIR", notebooks[0].parent)
    code = cli.main(["run", "--fast", "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert code == 1
    assert "01_good" in out.out and "n_used=3" in out.out and "02_bad" in out.out
    assert "ZeroDivisionError" in out.out and "1 of 2 notebooks failed" in out.err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["fast"] is True
    assert [r["status"] for r in summary["results"]] == ["ok", "failed"]


def test_course_run_selects_notebooks_by_number(notebooks, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "DEFAULT_NOTEBOOK_DIR", notebooks[0].parent)
    assert cli.main(["run", "--fast", "01", "--out", str(tmp_path / "out")]) == 0
    assert "All 1 notebooks ran successfully" in capsys.readouterr().out


def test_course_run_rejects_unknown_notebooks(notebooks, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runner, "DEFAULT_NOTEBOOK_DIR", notebooks[0].parent)
    assert cli.main(["run", "99", "--out", str(tmp_path / "out")]) == 2
    assert "No notebook called '99'" in capsys.readouterr().err


def test_output_goes_under_the_current_folder_by_default(notebooks, tmp_path, monkeypatch):
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    assert cli.main(["run", "--fast", "01", "--notebooks", str(notebooks[0].parent)]) == 0
    assert (here / "build" / "run" / "summary.json").is_file()
    assert (here / "build" / "run" / "01_good.ipynb").is_file()


def test_the_kernel_starts_in_the_output_folder_not_next_to_the_notebook(tmp_path):
    folder = tmp_path / "installed"
    folder.mkdir()
    path = _notebook(folder / "01_writes.ipynb", "open('stray.txt', 'w').write('x')")
    result = runner.execute_notebook(path, tmp_path / "out", fast=True)
    assert result.status == "ok", result.error
    assert (tmp_path / "out" / "stray.txt").exists() and not (folder / "stray.txt").exists()


def test_the_course_notebooks_are_found_in_a_clone():
    from pathlib import Path

    from course_utils import paths

    root = Path(__file__).resolve().parent.parent
    assert paths.notebooks_dir() == root / "notebooks"
    assert runner.find_notebooks(["03"])[0] == root / "notebooks" / "03_mnist_cnn.ipynb"


def test_a_kernel_that_never_started_is_reported_as_that_with_the_fix(notebooks, tmp_path, monkeypatch):
    """No ipykernel: papermill raises NoSuchKernel before any cell; the report says so and how to fix it."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    def no_kernel(self, name):
        raise NoSuchKernel(name)

    monkeypatch.setattr(KernelSpecManager, "get_kernel_spec", no_kernel)
    result = runner.execute_notebook(notebooks[0], tmp_path / "out", fast=True)
    assert result.status == "failed"
    assert result.error.startswith("the Jupyter kernel never started (NoSuchKernel")
    assert "pip install ipykernel" in result.error and "cell" not in result.error.split("never started")[0]
    table = runner.format_table([result])
    assert "01_good failed: the Jupyter kernel never started" in table


def test_course_run_stops_before_the_first_notebook_when_no_kernel_is_installed(notebooks, tmp_path, capsys,
                                                                                monkeypatch):
    from course_utils import env

    monkeypatch.setattr(env, "kernel_status", lambda start=True: "there is no Jupyter kernel named 'python3'")
    code = cli.main(["run", "--fast", "--notebooks", str(notebooks[0].parent), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "no notebook can run: there is no Jupyter kernel named 'python3'" in err and "pip install ipykernel" in err


def test_kernel_start_failures_are_told_apart_from_failing_cells():
    class CellError(Exception):
        cell_index = 3

    assert runner.kernel_never_started(RuntimeError("Kernel died before replying to kernel_info"))
    assert runner.kernel_never_started(RuntimeError("Kernel didn't respond in 60 seconds"))
    assert not runner.kernel_never_started(CellError("Kernel died before replying"))
    assert not runner.kernel_never_started(ZeroDivisionError("division by zero"))
