"""Time a 3x3 convolution three ways: Python loops, ``course_utils.conv.conv2d`` (NumPy), ``tf.nn.conv2d``.

Usage: ``python benchmarks/bench_conv.py [--repeat N] [--naive-images M]``

Workload: a batch of 64 images 28x28x1 (float32), 32 filters 3x3, stride 1, padding ``valid`` and ``same``.
Every implementation is warmed up first and checked against TensorFlow; the table gives median seconds
per batch and the ratios. The naive loop is slow, so it runs on ``--naive-images`` images and its time is
scaled to the full batch (the output says so).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the course from this checkout

BATCH, SIZE, C_IN, C_OUT, K = 64, 28, 1, 32, 3


def median_seconds(function, repeat, warmup=3):
    """Median wall-clock seconds of ``function()`` over ``repeat`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per implementation (default 30)")
    parser.add_argument("--naive-images", type=int, default=2,
                        help="images the naive loop runs on; its time is scaled to 64 (default 2)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or not 1 <= args.naive_images <= BATCH:
        parser.error(f"--repeat must be >= 1 and --naive-images between 1 and {BATCH}")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    from course_utils.conv import conv2d, conv2d_naive

    rng = np.random.default_rng(0)
    images = rng.random((BATCH, SIZE, SIZE, C_IN), dtype=np.float32)
    kernel = rng.normal(0, 0.3, (K, K, C_IN, C_OUT)).astype(np.float32)
    images_tf, kernel_tf = tf.constant(images), tf.constant(kernel)
    naive_repeat = max(1, min(args.repeat, 3))

    print(f"conv2d on {BATCH} images {SIZE}x{SIZE}x{C_IN}, {C_OUT} filters {K}x{K}, float32; "
          f"median of {args.repeat} runs (naive: {naive_repeat} runs on {args.naive_images} image(s), "
          f"scaled x{BATCH / args.naive_images:g})")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"numpy {np.__version__}, tensorflow {tf.__version__}, {os.cpu_count()} CPU core(s), "
          f"load average {load:.1f} (timings are noisy when it exceeds the core count)\n")
    header = f"{'padding':8} {'naive (s)':>10} {'numpy (s)':>10} {'tf (s)':>10} {'numpy/tf':>9} {'naive/numpy':>12}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for padding in ("valid", "same"):
        reference = tf.nn.conv2d(images_tf, kernel_tf, strides=1, padding=padding.upper()).numpy()
        fast = conv2d(images, kernel, padding=padding)
        slow = conv2d_naive(images[: args.naive_images], kernel, padding=padding)
        np.testing.assert_allclose(fast, reference, atol=1e-5)
        np.testing.assert_allclose(slow, reference[: args.naive_images], atol=1e-5)

        t_tf = median_seconds(
            lambda p=padding: tf.nn.conv2d(images_tf, kernel_tf, strides=1, padding=p.upper()).numpy(),
            args.repeat,
        )
        t_numpy = median_seconds(lambda p=padding: conv2d(images, kernel, padding=p), args.repeat)
        t_naive = median_seconds(
            lambda p=padding: conv2d_naive(images[: args.naive_images], kernel, padding=p),
            naive_repeat, warmup=1,
        ) * BATCH / args.naive_images
        worst = max(worst, t_numpy / t_tf)
        print(f"{padding:8} {t_naive:10.3f} {t_numpy:10.5f} {t_tf:10.5f} {t_numpy / t_tf:9.2f} "
              f"{t_naive / t_numpy:12.0f}")
    verdict = "within" if worst <= 3 else "NOT within"
    print(f"\nvectorized NumPy is {verdict} 3x of tf.nn.conv2d (worst ratio {worst:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
