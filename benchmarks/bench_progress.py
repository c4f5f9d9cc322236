"""Progress file: append speed, load time of a large file, a class summary, records kept by concurrent writers.

Usage: ``python benchmarks/bench_progress.py [--records N] [--appends A] [--students S] [--writers P] ...``

1. One process appends ``--appends`` (5,000) records with ``progress.record`` (the real path: open, lock,
   append one line, close): records per second.
2. A file of ``--records`` (100,000) records is loaded ``--repeat`` times with ``progress.load``: median seconds
   (target: well under a second), and summarized by ``course progress`` (``class_progress.summarize``).
3. A class of ``--students`` (500) files of ``--per-student`` (200) records is summarized.
4. ``--writers`` (8) processes start together and each append ``--per-writer`` (500) records to one file:
   records kept out of how many, and whether each writer's records are in order.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from course_utils.checking import progress
from course_utils.instructor import class_progress  # noqa: E402

DETAIL = "Your output has shape (26, 26) but should be (28, 28): with padding='valid' a 3x3 kernel trims a border."


def median_seconds(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _writer(path, writer, count, start):
    start.wait()
    for i in range(count):
        progress.record("exercise", "01_conv", "conv_loop", i % 2 == 0, detail=f"{writer}:{i} {DETAIL}", path=path)


def concurrent(path, writers, per_writer):
    """``(kept, in_order, seconds)`` for ``writers`` processes appending ``per_writer`` records each."""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    procs = [context.Process(target=_writer, args=(path, f"w{k}", per_writer, start)) for k in range(writers)]
    for proc in procs:
        proc.start()
    time.sleep(1.0)  # all writers imported and waiting
    began = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join()
    seconds = time.perf_counter() - began
    records = progress.load(path)["records"]
    in_order = all([int(r["detail"].split(" ")[0].split(":")[1]) for r in records if r["detail"].startswith(f"w{k}:")]
                   == list(range(per_writer)) for k in range(writers))
    return len(records), in_order, seconds


def write_file(path, student, count, offset=0):
    """A progress file of ``count`` varied records (written directly: faster than ``count`` appends)."""
    lines = [progress._header(student)]
    for i in range(offset, offset + count):
        entry = progress.new_record("quiz" if i % 4 == 0 else "exercise", f"0{i % 8}_notebook", f"item{i % 40}",
                                    i % 3 == 0, detail=f"{i} {DETAIL}")
        lines.append(json.dumps(entry) + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=5_000, help="records appended one by one (default 5000)")
    parser.add_argument("--records", type=int, default=100_000, help="records in the large file (default 100000)")
    parser.add_argument("--students", type=int, default=500, help="files in the class (default 500)")
    parser.add_argument("--per-student", type=int, default=200, help="records per student (default 200)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer processes (default 8)")
    parser.add_argument("--per-writer", type=int, default=500, help="records per writer (default 500)")
    parser.add_argument("--repeat", type=int, default=5, help="timed loads and summaries (default 5)")
    args = parser.parse_args(argv)
    if min(vars(args).values()) < 1:
        parser.error("all numbers must be at least 1")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        appended = folder / "appended.json"
        cpu, began = time.process_time(), time.perf_counter()
        for i in range(args.appends):
            progress.record("exercise", "01_conv", "conv_loop", i % 3 == 0, detail=f"{i} {DETAIL}", path=appended)
        wall = time.perf_counter() - began
        print(f"append: {args.appends} records one by one in {wall:.2f} s wall ({time.process_time() - cpu:.2f} s "
              f"CPU): {1e6 * wall / args.appends:.0f} us per record")

        big = folder / "big.json"
        write_file(big, "big", args.records)
        assert len(progress.load(big)["records"]) == args.records
        cpu = time.process_time()
        seconds = median_seconds(lambda: progress.load(big), args.repeat)
        print(f"load: {args.records} records ({big.stat().st_size / 1e6:.1f} MB) in {seconds:.3f} s wall "
              f"(median of {args.repeat}; {(time.process_time() - cpu) / args.repeat:.3f} s CPU each)")
        cpu = time.process_time()
        seconds = median_seconds(lambda: class_progress.summarize([big]), args.repeat)
        print(f"course progress of that file: {seconds:.3f} s wall (median of {args.repeat}; "
              f"{(time.process_time() - cpu) / args.repeat:.3f} s CPU each)")

        klass = folder / "class"
        klass.mkdir()
        for k in range(args.students):
            write_file(klass / f"student{k:04d}.json", f"student{k:04d}", args.per_student, offset=k)
        cpu = time.process_time()
        seconds = median_seconds(lambda: class_progress.summarize([klass]), args.repeat)
        print(f"course progress of a class: {args.students} files x {args.per_student} records in {seconds:.3f} s "
              f"wall (median of {args.repeat}; {(time.process_time() - cpu) / args.repeat:.3f} s CPU each)")

        kept, in_order, seconds = concurrent(folder / "shared.json", args.writers, args.per_writer)
        total = args.writers * args.per_writer
        print(f"concurrency: {args.writers} processes x {args.per_writer} records: {kept} of {total} kept, "
              f"{'each writer in order' if in_order else 'ORDER BROKEN'}, {seconds:.2f} s wall")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if kept == total and in_order else 1


if __name__ == "__main__":
    sys.exit(main())
