"""What the classic pretrained backbones cost on this CPU: parameters, float32 weight memory, time per image.

Usage: ``python benchmarks/bench_backbones.py [--batch 8] [--repeats 5] [--quick] [--record]``

Builds each backbone with ``weights=None`` (the same parameters and arithmetic as the ImageNet weights, no
download): VGG16 with and without its classifier, ResNet-50 and MobileNetV2 without it (MobileNetV2 at 224, 160
and 96 px). Times inference on random images: the median of ``--repeats`` batches after one warm-up batch, wall
time and process CPU time per image (on an idle 2-core machine, wall is about CPU / 2). Prints a table and the
peak memory of this process. ``--record`` saves the table where notebook 06 shows it
(``course_utils/recorded/backbones.json``; record only on an idle machine): the notebook does not build VGG16,
whose 138 million parameters take 528 MB. ``--quick`` (a check that the script works) times MobileNetV2 at 96 px
only, one batch of 2 images, and cannot be recorded.
"""

import argparse
import os
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the course from this checkout

CANDIDATES = [("VGG16", 224, True), ("VGG16", 224, False), ("ResNet50", 224, False), ("MobileNetV2", 224, False),
              ("MobileNetV2", 160, False), ("MobileNetV2", 96, False)]
COLUMNS = ["backbone", "input px", "ImageNet classifier", "output per image", "parameters", "weights MB",
           "ms per image", "CPU ms per image"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="images per timed batch")
    parser.add_argument("--repeats", type=int, default=5, help="timed batches per backbone (median)")
    parser.add_argument("--quick", action="store_true", help="MobileNetV2 at 96 px only, to check the script")
    parser.add_argument("--record", action="store_true", help="save the table for notebook 06 (idle machine only)")
    args = parser.parse_args(argv)
    if args.quick and args.record:
        parser.error("--quick measures too little to be recorded")
    if args.batch < 1 or args.repeats < 1:
        parser.error("--batch and --repeats must be >= 1")
    candidates, batch, repeats = CANDIDATES, args.batch, args.repeats
    if args.quick:
        candidates, batch, repeats = [("MobileNetV2", 96, False)], 2, 1
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from course_utils import recorded
    from course_utils.transfer_learning import backbones

    load = recorded.load_average()
    print(f"keras {keras.__version__}, {os.cpu_count()} CPU core(s), load average {load:.2f}; batches of {batch} "
          f"random images, median of {repeats}\n")
    rows = []
    print(f"{'backbone':<12} {'top':<5} {'input':>6} {'parameters':>12} {'MB':>7} {'ms/image':>9} {'CPU ms/image':>13}")
    for name, size, top in candidates:
        row = backbones.measure(name, size, include_top=top, batch_size=batch, repeats=repeats)
        print(f"{name:<12} {str(top):<5} {size:>4}px {row['parameters']:>12,} {row['weights_mb']:>7.1f} "
              f"{row['ms_per_image']:>9.1f} {row['cpu_ms_per_image']:>13.1f}", flush=True)
        rows.append([name, size, "yes" if top else "no", "x".join(str(s) for s in row["output"]), row["parameters"],
                     round(row["weights_mb"], 1), round(row["ms_per_image"], 1), round(row["cpu_ms_per_image"], 1)])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (RSS) of this process: {peak:,.0f} MB")
    if args.record:
        notes = [f"Each backbone built with weights=None (the same parameters and arithmetic as the ImageNet "
                 f"weights); random images, batches of {batch}, the median of {repeats} timed batches after a "
                 f"warm-up, compiled inference as model.predict runs it.",
                 "CPU ms counts both cores: on an idle 2-core machine, wall time is about CPU time / 2.",
                 f"Peak memory of the benchmark process: {peak:,.0f} MB."]
        path = recorded.save("backbones", "What a backbone costs: parameters, float32 weights, time per image",
                             COLUMNS, rows, "python benchmarks/bench_backbones.py --record", load, notes)
        print(f"recorded in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
