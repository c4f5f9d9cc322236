"""keras-io's ``mnist_convnet`` against the course's recommended model, trained on the same MNIST data.

Usage: ``COURSE_DATA_DIR=../shared/data python benchmarks/bench_mnist.py [--full] [--only NAME] [--repeat N]``

- keras-io: ``models.keras_io_convnet()``, Adam, categorical cross-entropy on one-hot labels, 15 epochs,
  batch 128, 10% validation split (exactly as keras-io's example).
- recommended: ``models.train_recommended`` (random shifts, BatchNorm, dropout, AdamW, one-cycle learning
  rate), its default epochs and batch size.

Data: whatever ``course_utils.load_mnist()`` finds (offline here: 5,000 training / 8,000 test digits; the other
2,000 official test digits are held out for exercise checks, see ``course_utils.heldout``).
``--full`` asks for full MNIST (60,000 training digits) and says so when only a subset is available.
``--time-60k`` times the recommended model's full-MNIST recipe (3 epochs over 60,000 images) on Fashion-MNIST's
60,000 images when full MNIST is not available: training time does not depend on what the images show (the
accuracy printed is then Fashion-MNIST's, not MNIST's).
Prints test accuracy, training seconds (``fit`` wall time) and accuracy per training second for each model,
then the peak resident memory of this process. Training time depends on the machine's load: check ``uptime``.
``--record`` saves the table where notebook 03 shows it (``course_utils/recorded/mnist.json``, or
``mnist_60k.json`` with ``--time-60k``); record only on an idle machine.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the course from this checkout


def _peak_rss_mb():
    """Peak resident memory of this process in MB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 ** 2 if sys.platform == "darwin" else peak / 1024


def run_keras_io(x, y, x_test, y_test, epochs=15, batch_size=128):
    """keras-io's recipe; returns (test accuracy, training seconds)."""
    import keras

    from course_utils.building import models

    keras.utils.set_random_seed(0)
    model = models.compile_for(models.keras_io_convnet(), labels="onehot")
    y_onehot = keras.utils.to_categorical(y, 10)
    start = time.perf_counter()
    model.fit(x, y_onehot, batch_size=batch_size, epochs=epochs, validation_split=0.1, verbose=0)
    seconds = time.perf_counter() - start
    accuracy = model.evaluate(x_test, keras.utils.to_categorical(y_test, 10), batch_size=1000, verbose=0)[1]
    return float(accuracy), seconds


def run_recommended(x, y, x_test, y_test, **kwargs):
    """The course's recommended model and recipe; returns (test accuracy, training seconds)."""
    from course_utils.building import models

    model, _, seconds = models.train_recommended(x, y, **kwargs)
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
    return float(accuracy), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="use full MNIST (60,000 training digits) if available")
    parser.add_argument("--only", choices=["keras_io", "recommended"], help="run one model only")
    parser.add_argument("--repeat", type=int, default=1, help="train each model this many times (default 1)")
    parser.add_argument("--epochs", type=int, default=None, help="epochs for the recommended model")
    parser.add_argument("--width", type=int, default=None, help="width of the recommended model")
    parser.add_argument("--time-60k", action="store_true",
                        help="time 3 epochs over 60,000 images (Fashion-MNIST as a stand-in) for the full-MNIST recipe")
    parser.add_argument("--record", action="store_true", help="save the results for notebook 03 (idle machine only)")
    args = parser.parse_args(argv)
    if args.time_60k:
        return time_60k(args.record)
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    import course_utils
    from course_utils import recorded
    from course_utils.building import models

    data = course_utils.load_mnist(n_train=None)
    (x_train, y_train), (x_test, y_test) = data
    if args.full and len(x_train) < 60_000:
        print(f"--full: full MNIST is not available here (no network and no mnist.npz with 60,000 digits); "
              f"using {len(x_train):,} training digits from {data.source}.")
    elif not args.full and len(x_train) > 5_000:
        print(f"Note: {len(x_train):,} training digits found; pass --full to say you mean it (running anyway).")
    x, xt = models.prepare_images(x_train), models.prepare_images(x_test)
    load = recorded.load_average()
    print(f"keras {keras.__version__}, {os.cpu_count()} CPU core(s), load average {load:.2f}; "
          f"{len(x):,} training / {len(xt):,} test digits\n")

    rec_kwargs = {k: v for k, v in (("epochs", args.epochs), ("width", args.width)) if v is not None}
    runs = {"keras_io": lambda: run_keras_io(x, y_train, xt, y_test),
            "recommended": lambda: run_recommended(x, y_train, xt, y_test, **rec_kwargs)}
    names = [args.only] if args.only else list(runs)
    header = f"{'model':<13} {'params':>8} {'test acc':>9} {'train s':>8} {'acc/s':>8}"
    print(header)
    print("-" * len(header))
    params = {"keras_io": models.keras_io_convnet().count_params(), "recommended": None}
    rows = []
    for name in names:
        for _ in range(args.repeat):
            accuracy, seconds = runs[name]()
            if params[name] is None:
                params[name] = models.recommended(**({"width": args.width} if args.width else {})).count_params()
            print(f"{name:<13} {params[name]:>8,} {accuracy:>9.4f} {seconds:>8.1f} {accuracy / seconds:>8.4f}",
                  flush=True)
            rows.append([LABELS[name], params[name], round(accuracy, 4), round(seconds, 1),
                         round(accuracy / seconds, 4)])
    peak = _peak_rss_mb()
    print(f"\npeak memory (RSS) of this process: {peak:.0f} MB")
    if args.record:
        notes = [f"{len(x):,} training and {len(xt):,} test digits ({data.source}); both models in the same run.",
                 f"Peak memory of the benchmark process: {peak:.0f} MB."]
        path = recorded.save("mnist", "keras-io's mnist_convnet vs the recommended model (MNIST)",
                             ["model", "parameters", "test accuracy", "training s", "accuracy per s"], rows,
                             "python benchmarks/bench_mnist.py --record", load, notes)
        print(f"recorded in {path}")
    return 0


LABELS = {"keras_io": "keras-io mnist_convnet (15 epochs)", "recommended": "recommended (models.train_recommended)"}


def time_60k(record=False):
    """Training time of the full-MNIST recipe, measured on 60,000 real images of the same shape."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import course_utils
    from course_utils import recorded
    from course_utils.building import models

    load = recorded.load_average()
    (x, y), (xt, yt) = course_utils.load_fashion_mnist()
    epochs = models.recommended_epochs(len(x))
    model, _, seconds = models.train_recommended(models.prepare_images(x), y, epochs=epochs)
    accuracy = model.evaluate(models.prepare_images(xt), yt, batch_size=1000, verbose=0)[1]
    print(f"recommended, {len(x):,} images x {epochs} epochs: {seconds:.1f} s of training "
          f"(Fashion-MNIST test accuracy {accuracy:.4f}; MNIST's would differ)")
    peak = _peak_rss_mb()
    print(f"peak memory (RSS) of this process: {peak:.0f} MB")
    if record:
        path = recorded.save(
            "mnist_60k", "The full-MNIST recipe's training time: 3 epochs over 60,000 images",
            ["images", "epochs", "training s"], [[len(x), epochs, round(seconds, 1)]],
            "python benchmarks/bench_mnist.py --time-60k --record", load,
            ["Timed on Fashion-MNIST's 60,000 images (full MNIST is not available offline): the time does not "
             "depend on what the images show, but the accuracy would, so none is recorded.",
             f"Peak memory of the benchmark process: {peak:.0f} MB."])
        print(f"recorded in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
