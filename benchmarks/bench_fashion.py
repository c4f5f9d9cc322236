"""Notebook 05's best recipe against keras-io's ``mnist_convnet`` on full Fashion-MNIST, in the same run.

Usage: ``python benchmarks/bench_fashion.py [--budget 90] [--clock wall|cpu] [--validate] [--frontier] [--jit]
[--only NAME] [--quick] [--record]``

- ``keras_io``: ``models.keras_io_convnet()`` with keras-io's recipe (Adam, categorical cross-entropy on one-hot
  labels, batch 128), trained epoch after epoch while the next epoch still fits in the training-time budget
  (``--budget`` seconds, default 90: the same budget as the recipe's target; ``--clock cpu`` counts CPU
  seconds / 2 instead of wall seconds, for a machine busy with other work).
- ``recipe``: ``recipes.train_fashion`` with ``recipes.RECIPE`` (a fixed number of epochs); test accuracy
  with test-time flips (``recipes.predict_with_flips``) when ``RECIPE["test_flips"]``.
- ``--frontier``: also the recipe with fewer and more epochs, and without its flips or label smoothing: the
  accuracy-versus-training-time frontier. ``--jit``: also the recipe compiled with XLA (``jit_compile=True``).
- ``--validate``: train on 54,000 images and report the accuracy on the 6,000 held-out training images instead
  of the test set; this is the mode for choosing (the test set is for reporting, once).
- ``--quick``: a smoke test (6,000 training images, 1 epoch each, a 10 s budget): checks that the script runs,
  measures nothing worth keeping, and cannot be recorded.
- ``--record``: save the table where notebook 05 shows it (``course_utils/recorded/fashion.json``, or
  ``fashion_validation.json`` with ``--validate``); record only on an idle machine. The notes say whether the
  target was met.

Data: Fashion-MNIST from ``course_utils.load_fashion_mnist()`` (Debian's ``dataset-fashion-mnist`` offline).
Columns: accuracy, training seconds (wall time of ``fit``), CPU seconds of this process during ``fit`` (user + sys,
all threads), CPU / 2 (the wall time to expect on an idle 2-core machine, where TensorFlow keeps both cores
busy), epochs, and the 1-minute load average before and after. On a shared machine, wall time is inflated by
the other processes: compare the CPU / 2 column, and re-run on an idle machine for the final numbers.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the course from this checkout

TARGET_ACCURACY = 0.92
TARGET_SECONDS = 90.0


def _cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _callbacks(keras, budget=None, clock="wall"):
    """A callback measuring the CPU time and wall time of ``fit``; with ``budget``, it stops training after the
    epoch when one more epoch (as long as the longest so far) would exceed ``budget`` seconds on ``clock``:
    ``"wall"`` (an idle machine) or ``"cpu"`` (CPU seconds / 2: the idle-machine estimate on a busy one)."""

    def now():
        return _cpu_seconds() / 2 if clock == "cpu" else time.perf_counter()

    class Meter(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.cpu0, self.wall0, self.longest, self.epochs = _cpu_seconds(), time.perf_counter(), 0.0, 0
            self.clock0 = now()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch0 = now()

        def on_epoch_end(self, epoch, logs=None):
            self.epochs += 1
            self.longest = max(self.longest, now() - self.epoch0)
            if budget is not None and now() - self.clock0 + self.longest > budget:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            self.cpu = _cpu_seconds() - self.cpu0
            self.wall = time.perf_counter() - self.wall0

    return Meter()


def run_keras_io(x, y, x_eval, y_eval, budget, clock="wall", max_epochs=50):
    """keras-io's recipe, trained while the budget lasts; returns a result dict."""
    import keras

    from course_utils.building import models

    keras.utils.set_random_seed(0)
    model = models.compile_for(models.keras_io_convnet(), labels="onehot")
    meter = _callbacks(keras, budget, clock)
    load = _load()
    model.fit(x, keras.utils.to_categorical(y, 10), batch_size=128, epochs=max_epochs, callbacks=[meter], verbose=0)
    accuracy = model.evaluate(x_eval, keras.utils.to_categorical(y_eval, 10), batch_size=1000, verbose=0)[1]
    return {"name": "keras_io", "params": model.count_params(), "epochs": meter.epochs, "accuracy": float(accuracy),
            "seconds": meter.wall, "cpu": meter.cpu, "load": (load, _load())}


def run_recipe(x, y, x_eval, y_eval, name="recipe", jit=False, **overrides):
    """``recipes.train_fashion`` with ``RECIPE`` (``overrides`` change single settings); returns a result dict."""
    import keras

    from course_utils.building import recipes

    settings = {**recipes.RECIPE, **overrides}
    meter = _callbacks(keras)
    load = _load()
    train = {k: v for k, v in settings.items() if k != "test_flips"}
    model, _, _ = recipes.train_fashion(x, y, callbacks=[meter], jit_compile=jit, **train)
    probabilities = recipes.predict(model, x_eval, test_flips=settings["test_flips"])
    return {"name": name, "params": model.count_params(), "epochs": meter.epochs,
            "accuracy": recipes.accuracy(probabilities, y_eval), "seconds": meter.wall, "cpu": meter.cpu,
            "load": (load, _load())}


def _row(result):
    return (f"{result['name']:<26}{result['params']:>9,}{result['epochs']:>7}{result['accuracy']:>10.4f}"
            f"{result['seconds']:>9.1f}{result['cpu']:>8.1f}{result['cpu'] / 2:>8.1f}"
            f"{result['load'][0]:>7.1f}{result['load'][1]:>6.1f}")


def frontier_variants(epochs):
    """(name, overrides) for the frontier: fewer and more epochs, and the recipe with one ingredient changed."""
    variants = [(f"recipe, {e} epochs", {"epochs": e}) for e in (epochs - 2, epochs - 1, epochs + 1, epochs + 2)
                if e >= 1]
    variants += [("recipe + flips (train, test)", {"flip": True, "test_flips": True}),
                 ("recipe, no label smoothing", {"label_smoothing": 0.0}),
                 ("recipe, batch 128", {"batch_size": 128, "peak_learning_rate": 3e-3})]
    return variants


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=TARGET_SECONDS, help="training seconds for keras-io")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="keras-io's budget in wall seconds (idle machine) or CPU seconds / 2 (busy machine)")
    parser.add_argument("--validate", action="store_true", help="report accuracy on a validation split, not test")
    parser.add_argument("--frontier", action="store_true", help="also run the recipe's variants")
    parser.add_argument("--jit", action="store_true", help="also run the recipe with jit_compile=True (XLA)")
    parser.add_argument("--only", choices=["keras_io", "recipe"], help="run one of the two only")
    parser.add_argument("--quick", action="store_true", help="smoke test: 6,000 images, 1 epoch, 10 s budget")
    parser.add_argument("--record", action="store_true", help="save the table for notebook 05 (idle machine only)")
    args = parser.parse_args(argv)
    if args.quick and args.record:
        parser.error("--quick is a smoke test: its numbers are not worth recording")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import numpy as np

    import course_utils
    from course_utils import recorded
    from course_utils.building import experiments, models, recipes

    load_before = recorded.load_average()
    data = course_utils.load_fashion_mnist()
    (x_train, y_train), (x_test, y_test) = data
    if args.quick:
        x_train, y_train = x_train[:6_600], y_train[:6_600]
        args.budget = min(args.budget, 10.0)
    if args.validate:
        n_val = 600 if args.quick else 6_000
        (x, y), (x_eval, y_eval) = experiments.split_validation(x_train, y_train, n_val, seed=0)
        evaluated = f"validation split ({n_val:,} training images)"
    else:
        x, y, x_eval, y_eval = x_train, y_train, x_test, y_test
        evaluated = "test set"
    if args.quick:
        x, y = x[:6_000], y[:6_000]
    x_raw, x, x_eval = x, models.prepare_images(x), models.prepare_images(x_eval)  # the recipe reads uint8
    quick = {"epochs": 1} if args.quick else {}
    print(f"keras {keras.__version__}, {os.cpu_count()} CPU core(s); {len(x):,} training images, accuracy on the "
          f"{evaluated} ({len(x_eval):,}); recipe: {recipes.RECIPE}")
    print(f"target: accuracy >= {TARGET_ACCURACY:.1%} within {TARGET_SECONDS:.0f} s of training on an idle 2-core CPU\n")
    header = (f"{'model':<26}{'params':>9}{'epochs':>7}{'accuracy':>10}{'train s':>9}{'CPU s':>8}{'CPU/2':>8}"
              f"{'load':>7}{'->':>6}")
    print(header)
    print("-" * len(header))
    results = []
    if args.only in (None, "recipe"):
        results.append(run_recipe(x_raw, y, x_eval, y_eval, **quick))
        print(_row(results[-1]), flush=True)
    if args.only in (None, "keras_io"):
        results.append(run_keras_io(x, y, x_eval, y_eval, args.budget, args.clock))
        print(_row(results[-1]), flush=True)
    if args.jit:
        results.append(run_recipe(x_raw, y, x_eval, y_eval, name="recipe, XLA", jit=True, **quick))
        print(_row(results[-1]), flush=True)
    if args.frontier:
        for name, overrides in frontier_variants(int(recipes.RECIPE["epochs"])):
            if args.quick and "epochs" in overrides:
                continue  # the smoke test trains 1 epoch: the epoch variants would all be the same run
            results.append(run_recipe(x_raw, y, x_eval, y_eval, name=name, **{**overrides, **quick}))
            print(_row(results[-1]), flush=True)
    recipe = next((r for r in results if r["name"] == "recipe"), None)
    verdict = target_verdict(recipe, evaluated) if recipe is not None else None
    if verdict:
        print(f"\n{verdict}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 ** 2 if sys.platform == "darwin" else 1024)
    print(f"peak memory (RSS) of this process: {peak:.0f} MB")
    if args.record:
        name = "fashion_validation" if args.validate else "fashion"
        command = "python benchmarks/bench_fashion.py " + " ".join(a for a in (argv if argv is not None else sys.argv[1:]))
        notes = [f"{len(x):,} training images ({data.source}); accuracy on the {evaluated}, "
                 f"{len(x_eval):,} images; every model in the same run.",
                 f"keras-io's mnist_convnet (Adam, batch 128) trained epoch after epoch while the next epoch fitted "
                 f"in {args.budget:.0f} s ({'wall' if args.clock == 'wall' else 'CPU / 2'} seconds).",
                 "training s: wall time of fit; CPU s / 2: the time to expect on an idle 2-core machine.",
                 f"Peak memory of the benchmark process: {peak:.0f} MB."]
        if verdict:
            notes.insert(0, verdict)
        title = ("Choosing the recipe on a validation split (full Fashion-MNIST)" if args.validate else
                 "Notebook 05's recipe vs keras-io's mnist_convnet on full Fashion-MNIST, same run")
        path = recorded.save(name, title, RECORD_COLUMNS, [record_row(r) for r in results], command.strip(),
                             load_before, notes)
        print(f"recorded in {path}")
    del np
    return 0


RECORD_COLUMNS = ["model", "parameters", "epochs", "accuracy", "training s", "CPU s / 2"]


def record_row(result):
    """One row of the recorded table."""
    labels = {"keras_io": "keras-io mnist_convnet (time budget)", "recipe": "recipe (recipes.RECIPE)"}
    return [labels.get(result["name"], result["name"]), result["params"], result["epochs"], round(result["accuracy"], 4),
            round(result["seconds"], 1), round(result["cpu"] / 2, 1)]


def target_verdict(recipe, evaluated):
    """One sentence: did the recipe reach the target (accuracy on the test set, wall time of training)?"""
    accuracy_met = recipe["accuracy"] >= TARGET_ACCURACY
    time_met = recipe["seconds"] <= TARGET_SECONDS
    where = "" if evaluated == "test set" else f" (measured on the {evaluated}, not the test set)"
    return (f"Target: at least {TARGET_ACCURACY:.1%} test accuracy within {TARGET_SECONDS:.0f} s of training. "
            f"The recipe reached {recipe['accuracy']:.2%}{where} in {recipe['seconds']:.1f} s of training "
            f"(wall; CPU s / 2: {recipe['cpu'] / 2:.1f}): accuracy {'met' if accuracy_met else 'NOT met'}, "
            f"time {'met' if time_met else 'NOT met'}.")


if __name__ == "__main__":
    sys.exit(main())
