"""course_utils.cells: the %%run_if cell magic runs a cell like a normal one, or says it skipped it."""

import pytest

IPython = pytest.importorskip("IPython")


@pytest.fixture
def shell():
    from IPython.testing.globalipapp import get_ipython

    ip = get_ipython()
    ip.run_line_magic("load_ext", "course_utils.cells")
    return ip


def test_a_true_condition_runs_the_cell_and_returns_its_last_value(shell):
    shell.user_ns.update(READY=True)
    value = shell.run_cell_magic("run_if", "READY", "x = 2\nx * 21")
    assert value == 42 and shell.user_ns["x"] == 2


def test_a_false_condition_skips_the_cell_and_says_so(shell, capsys):
    shell.user_ns.update(READY=False, y=1)
    assert shell.run_cell_magic("run_if", "READY and y > 0", "y = 99") is None
    assert shell.user_ns["y"] == 1
    assert "Skipped: `READY and y > 0` is false" in capsys.readouterr().out


def test_errors_in_the_cell_are_raised(shell):
    shell.user_ns.update(READY=True)
    with pytest.raises(ZeroDivisionError):
        shell.run_cell_magic("run_if", "READY", "1 / 0")


def test_a_missing_condition_is_a_usage_error(shell):
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="needs a condition"):
        shell.run_cell_magic("run_if", "  ", "pass")
