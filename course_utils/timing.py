"""Measure how long a call takes: the median of a few repeats (robust to a busy machine)."""

import statistics
import time


def median_time(function, *args, repeats=5, warmup=1, **kwargs):
    """Median wall-clock seconds of ``function(*args, **kwargs)`` over ``repeats`` calls.

    ``warmup`` calls run first and are not timed (first calls often pay for compilation or caches).
    """
    if not callable(function):
        raise ValueError(f"median_time needs a function to call, got {type(function).__name__}; "
                         "pass the function itself, e.g. median_time(np.sort, x), not its result.")
    for value, name, low in ((repeats, "repeats", 1), (warmup, "warmup", 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"`{name}` must be an int >= {low}, got {value!r}.")
    for _ in range(warmup):
        function(*args, **kwargs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return statistics.median(times)
