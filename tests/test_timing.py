"""median_time: the median of timed repeats, warm-up calls not timed, clear errors."""

import time

import pytest

from course_utils.timing import median_time


def test_median_time_measures_a_known_sleep():
    seconds = median_time(time.sleep, 0.02, repeats=3, warmup=0)
    assert 0.018 <= seconds < 0.2


def test_median_time_calls_warmup_plus_repeats_times_with_arguments():
    calls = []
    median_time(lambda a, b=0: calls.append((a, b)), 1, b=2, repeats=4, warmup=2)
    assert calls == [(1, 2)] * 6


def test_median_time_ignores_one_slow_outlier():
    delays = iter([0.0, 0.1, 0.0, 0.0])
    assert median_time(lambda: time.sleep(next(delays)), repeats=3, warmup=1) < 0.05


@pytest.mark.parametrize("kwargs, message", [({"repeats": 0}, "repeats"), ({"warmup": -1}, "warmup")])
def test_median_time_rejects_bad_counts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        median_time(print, **kwargs)


def test_median_time_explains_a_result_passed_instead_of_a_function():
    with pytest.raises(ValueError, match="pass the function itself"):
        median_time(3.0)
