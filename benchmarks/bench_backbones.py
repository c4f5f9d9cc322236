"""What the classic pretrained backbones cost on this CPU: parameters, float32 weight memory, time per image.

Usage: ``python benchmarks/bench_backbones.py [--batch 8] [--repeats 5]``

Builds each backbone with ``weights=None`` (the same parameters and arithmetic as the ImageNet weights, no
download): VGG16 with and without its classifier, ResNet-50 and MobileNetV2 without it (MobileNetV2 at 224, 160
and 96 px). Times inference on random images: the median of ``--repeats`` batches after one warm-up batch, wall
time and process CPU time per image (on an idle 2-core machine, wall is about CPU / 2). Prints a table, the peak
memory of this process, and the ``STORED`` rows for ``course_utils/backbones.py`` (notebook 06 prints them with
their provenance instead of building VGG16, whose 138 million parameters take 528 MB). Record ``uptime``.
"""

import argparse
import datetime
import os
import platform
import resource
import subprocess
import sys

CANDIDATES = [("VGG16", 224, True), ("VGG16", 224, False), ("ResNet50", 224, False), ("MobileNetV2", 224, False),
              ("MobileNetV2", 160, False), ("MobileNetV2", 96, False)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="images per timed batch")
    parser.add_argument("--repeats", type=int, default=5, help="timed batches per backbone (median)")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from course_utils import backbones

    load = os.getloadavg()[0]
    rows = []
    print(f"{'backbone':<12} {'top':<5} {'input':>6} {'parameters':>12} {'MB':>7} {'ms/image':>9} {'CPU ms/image':>13}")
    for name, size, top in CANDIDATES:
        row = backbones.measure(name, size, include_top=top, batch_size=args.batch, repeats=args.repeats)
        rows.append(row)
        print(f"{name:<12} {str(top):<5} {size:>4}px {row['parameters']:>12,} {row['weights_mb']:>7.1f} "
              f"{row['ms_per_image']:>9.1f} {row['cpu_ms_per_image']:>13.1f}", flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True,
                         text=True).stdout.strip()
    provenance = (f"measured by benchmarks/bench_backbones.py on {datetime.date.today().isoformat()}: {cpu or platform.machine()}, "
                  f"{os.cpu_count()} cores, load average {load:.1f} at the start, Keras {keras.__version__}, batches of "
                  f"{args.batch} random images, median of {args.repeats}")
    print(f"\npeak memory of this process: {peak:,.0f} MB")
    print("\nPROVENANCE = " + repr(provenance))
    print("STORED = [")
    for row in rows:
        kept = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in row.items()}
        print(f"    {kept!r},")
    print("]")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.exit(main())
