"""Ants vs bees with a pretrained MobileNetV2 on a CPU: validation accuracy and seconds, against a CNN from scratch.

Usage: ``COURSE_DATA_DIR=../shared/data python benchmarks/bench_transfer.py [--tune] [--skip-scratch] [--quick]
[--record]``

The pipeline (notebook 06's, every setting chosen by cross-validation on the 244 training photos, never on the
153 validation photos, which are scored once at the end):

1. photos centre-cropped to 224x224 (``crop_to_aspect_ratio=True``), the "image not found" GIF removed;
2. frozen ImageNet MobileNetV2, features averaged over positions and over each photo and its mirror image;
3. a linear softmax head, its L2 strength chosen by 5-fold cross-validation (L-BFGS, exact);
4. fine-tuning of the top block (from ``block_16_expand``) with every BatchNormalization layer frozen, on the
   bottom's cached output for four views of each photo (photo, mirror, zoom, mirror + zoom), Adam at a low rate;
5. validation accuracy with test-time flips, of the frozen head and of the fine-tuned model.

``--tune`` first scores the head alone and the fine-tuning settings (learning rate x epochs) by 3 x 5-fold
cross-validation on the training photos and applies the one-standard-error rule (the simplest setting within one
standard error of the best); ``CHOSEN`` below records its choice, which decides the headline accuracy. Prints, for each step, wall and CPU
seconds (this process: on an idle 2-core machine wall time is about CPU time / 2), the load average, and the
small CNN trained from scratch on the same photos in the same run (``transfer.train_from_scratch``, 30 epochs).
``--record`` saves the table where notebook 06 shows it (``course_utils/recorded/transfer.json``; record only on
an idle machine, without ``--tune``, whose time is not part of the pipeline). ``--quick`` checks that the script
works: 20 photos per class and split, 1 fine-tuning epoch, 2 scratch epochs; it cannot be recorded.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the course from this checkout

FIRST_TOP_LAYER = "block_16_expand"
LEARNING_RATE = 1e-4  # the fine-tuning step that is timed (and scored) in every run
EPOCHS = 2  # passes over the four cached views of every photo
# --tune (3 x 5-fold cross-validation on the training photos, 2026-11-23): the head alone 0.966; fine-tuning
# 0.966-0.974 over the grid, every setting within one standard error (0.010) of the best. The one-standard-error
# rule keeps the simplest: the head alone. That is the pipeline whose validation accuracy is the headline.
CHOSEN = "head alone"
GRID = {"learning_rate": (1e-5, 3e-5, 1e-4), "epochs": (1, 2, 4)}


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Clock:
    """Wall and CPU seconds of each named step."""

    def __init__(self):
        self.rows = []

    def __call__(self, name):
        clock = self

        class Step:
            def __enter__(self):
                self.wall, self.cpu = time.perf_counter(), cpu_seconds()

            def __exit__(self, *exc):
                clock.rows.append((name, time.perf_counter() - self.wall, cpu_seconds() - self.cpu))
                print(f"  {name}: {clock.rows[-1][1]:.1f} s wall, {clock.rows[-1][2]:.1f} s CPU", flush=True)

        return Step()


def fine_tune(top, head, cached, labels, learning_rate, epochs, seed=0):
    """Top + head (initialised from ``head``) trained on cached bottom maps (the top's layers already unfrozen,
    BatchNormalization frozen, by ``transfer.unfreeze_from``)."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(top.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(top(inputs, training=False))
    model = keras.Model(inputs, head.as_dense()(x))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy")
    model.fit(cached, labels, epochs=epochs, batch_size=32, verbose=0)
    return model


def accuracy(model, cached_views, labels):
    import numpy as np

    from course_utils.transfer_learning import transfer

    probabilities = np.mean([transfer.predict(model, maps) for maps in cached_views], axis=0)
    return float((probabilities.argmax(axis=1) == labels).mean())


def tune(top, start, features, cached_views, labels, l2, repeats=3):
    """``{(learning rate, epochs): [accuracy of each repeat]}`` by repeated 5-fold cross-validation on the training
    photos; 0 epochs is the head alone."""
    import numpy as np

    from course_utils.transfer_learning import transfer

    n, views = len(labels), len(cached_views)
    stacked = np.concatenate(cached_views)
    table = {}
    for learning_rate in GRID["learning_rate"]:
        for epochs in (0, *GRID["epochs"]):
            if epochs == 0 and learning_rate != GRID["learning_rate"][0]:
                continue
            scores = []
            for repeat in range(repeats):
                correct = 0
                for held_out in transfer.fold_indices(labels, 5, seed=repeat):
                    keep = np.setdiff1d(np.arange(n), held_out)
                    fold_head = transfer.fit_linear_head(features[keep], labels[keep], l2=l2)
                    held = [cached_views[0][held_out], cached_views[1][held_out]]
                    if epochs:
                        top.set_weights(start)
                        rows = np.concatenate([keep + k * n for k in range(views)])
                        model = fine_tune(top, fold_head, stacked[rows], np.tile(labels, views)[rows], learning_rate,
                                          epochs, seed=repeat)
                        correct += accuracy(model, held, labels[held_out]) * len(held_out)
                    else:
                        correct += fold_head.accuracy(features[held_out], labels[held_out]) * len(held_out)
                scores.append(correct / n)
            table[(0.0 if epochs == 0 else learning_rate, epochs)] = scores
            print(f"  {'head alone' if epochs == 0 else f'learning rate {learning_rate:g}, {epochs} epoch(s)'}: "
                  f"cross-validated accuracy {np.mean(scores):.4f} (repeats: {', '.join(f'{v:.3f}' for v in scores)})",
                  flush=True)
    return table


def print_choice(table):
    """The one-standard-error rule: the simplest setting within one standard error of the best mean accuracy."""
    import numpy as np

    means = {k: float(np.mean(v)) for k, v in table.items()}
    best = max(means, key=means.get)
    n_photos = 244
    standard_error = float(np.sqrt(means[best] * (1 - means[best]) / n_photos))
    simplest = min((k for k in means if means[k] >= means[best] - standard_error), key=lambda k: (k[1], k[0]))
    print(f"  best: {best} ({means[best]:.4f}); one standard error {standard_error:.4f}; the simplest setting within "
          f"it: {'the head alone' if simplest[1] == 0 else f'learning rate {simplest[0]:g}, {simplest[1]} epoch(s)'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="score the fine-tuning settings by cross-validation first")
    parser.add_argument("--skip-scratch", action="store_true", help="leave out the CNN trained from scratch")
    parser.add_argument("--quick", action="store_true", help="a few photos and epochs, to check the script")
    parser.add_argument("--record", action="store_true", help="save the results for notebook 06 (idle machine only)")
    args = parser.parse_args(argv)
    if args.record and (args.quick or args.tune or args.skip_scratch):
        parser.error("--record records the whole pipeline: leave out --quick, --tune and --skip-scratch")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np

    from course_utils import recorded
    from course_utils.transfer_learning import photos, pretrained, transfer

    epochs, scratch_epochs = (1, 2) if args.quick else (EPOCHS, 30)
    load = recorded.load_average()
    print(f"load average at the start: {load:.2f} ({os.cpu_count()} cores)")
    clock = Clock()
    with clock("load photos"):
        folder = photos.hymenoptera(refresh=True)
        train = photos.load_image_folder(folder / "train", 224)
        val = photos.load_image_folder(folder / "val", 224)
        train = train.subset([i for i, f in enumerate(train.files) if photos.file_format(f) == "JPEG"])
        if args.quick:
            train = train.subset(transfer.per_class_sample(train.labels, 20, seed=0))
            val = val.subset(transfer.per_class_sample(val.labels, 20, seed=0))
    with clock("build MobileNetV2 (ImageNet weights)"):
        base = pretrained.mobilenet_v2(224)
        base.trainable = False
        bottom, top = transfer.split_at(base, FIRST_TOP_LAYER)
        transfer.unfreeze_from(base, FIRST_TOP_LAYER)  # the top block trainable, BatchNorm frozen; bottom frozen
    with clock("cache the bottom's output (4 views of each training photo, 2 of each validation photo)"):
        views = transfer.photo_views(train.images)
        cached_views = [transfer.predict(bottom, v, preprocess=transfer.mobilenet_preprocess) for v in views.values()]
        cached_val = [transfer.predict(bottom, v, preprocess=transfer.mobilenet_preprocess)
                      for v in (val.images, val.images[:, :, ::-1])]
    with clock("features (photo + mirror) and head (L2 by 5-fold cross-validation)"):
        pool = lambda maps: transfer.predict(top, maps).mean(axis=(1, 2))  # noqa: E731
        features = (pool(cached_views[0]) + pool(cached_views[1])) / 2
        features_val = (pool(cached_val[0]) + pool(cached_val[1])) / 2
        l2, scores = transfer.choose_l2(features, train.labels)
        head = transfer.fit_linear_head(features, train.labels, l2=l2)
    print(f"  L2 by cross-validation: {l2:g} ({', '.join(f'{k:g}: {v:.3f}' for k, v in scores.items())})")
    frozen_accuracy = head.accuracy(features_val, val.labels)
    start = top.get_weights()

    if args.tune:
        with clock("tuning: 3 x 5-fold cross-validation of the fine-tuning settings"):
            table = tune(top, start, features, cached_views, train.labels, l2)
        top.set_weights(start)
        print_choice(table)

    with clock(f"fine-tune from {FIRST_TOP_LAYER} (BatchNorm frozen, lr {LEARNING_RATE:g}, {epochs} epochs)"):
        model = fine_tune(top, head, np.concatenate(cached_views), np.tile(train.labels, len(views)), LEARNING_RATE,
                          epochs)
        fine_tuned_accuracy = accuracy(model, cached_val, val.labels)
    imagenet = [row for row in clock.rows if not row[0].startswith(("load", "tuning"))]
    wall, cpu = sum(r[1] for r in imagenet), sum(r[2] for r in imagenet)

    scratch_accuracy = None
    if not args.skip_scratch:
        with clock(f"small CNN from scratch ({scratch_epochs} epochs, 128 px)"):
            scratch, _ = transfer.train_from_scratch(train.images, train.labels, epochs=scratch_epochs)
            scratch_accuracy = float(scratch.evaluate(val.images, val.labels, verbose=0)[1])

    print()
    chosen = frozen_accuracy if CHOSEN == "head alone" else fine_tuned_accuracy
    print(f"validation accuracy ({len(val)} photos) of the pipeline chosen by cross-validation ({CHOSEN}): {chosen:.1%}")
    print(f"  frozen features + head {frozen_accuracy:.1%}; with the fine-tuning step {fine_tuned_accuracy:.1%}"
          + (f"; small CNN from scratch {scratch_accuracy:.1%}" if scratch_accuracy is not None else ""))
    print(f"ImageNet part (weights, cached features, head, fine-tuning, evaluation): {wall:.1f} s wall, {cpu:.1f} s "
          f"CPU (about {cpu / 2:.0f} s on an idle 2-core machine)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average at the end: {recorded.load_average():.2f}; peak memory {peak:,.0f} MB")
    if args.record:
        head_steps = [r for r in imagenet if not r[0].startswith("fine-tune")]
        tuning = [r for r in imagenet if r[0].startswith("fine-tune")]
        rows = [["frozen MobileNetV2 + linear head (base built, features cached, L2 by cross-validation)",
                 round(frozen_accuracy, 4), round(sum(r[1] for r in head_steps), 1),
                 round(sum(r[2] for r in head_steps), 1)],
                [f"+ fine-tuning from {FIRST_TOP_LAYER}, BatchNorm frozen (lr {LEARNING_RATE:g}, {epochs} epoch(s) "
                 f"on the cached maps)", round(fine_tuned_accuracy, 4), round(sum(r[1] for r in tuning), 1),
                 round(sum(r[2] for r in tuning), 1)],
                [f"whole ImageNet part; headline: the pipeline chosen by cross-validation ({CHOSEN})",
                 round(chosen, 4), round(wall, 1), round(cpu, 1)],
                [f"small CNN from scratch ({scratch_epochs} epochs, 128 px), same run", round(scratch_accuracy, 4),
                 round(clock.rows[-1][1], 1), round(clock.rows[-1][2], 1)]]
        notes = [f"{len(train)} training photos (the GIF placeholder removed), {len(val)} validation photos scored "
                 f"once; every setting chosen by cross-validation on the training photos.",
                 "Seconds: wall and CPU time of each part (loading the photos not counted); CPU time counts both "
                 "cores. The issue's targets: at least 96% validation accuracy, the whole ImageNet part under 90 s "
                 "of wall time on a 2-core CPU.",
                 f"The choice ({CHOSEN}) is the script's CHOSEN, from a --tune run (3 x 5-fold cross-validation of "
                 f"the head alone and of fine-tuning settings on the training photos, one-standard-error rule).",
                 f"Peak memory of the benchmark process: {peak:,.0f} MB."]
        path = recorded.save("transfer", "Ants vs bees: frozen and fine-tuned MobileNetV2 vs a CNN from scratch",
                             ["pipeline", "validation accuracy", "wall s", "CPU s"], rows,
                             "python benchmarks/bench_transfer.py --record", load, notes)
        print(f"recorded in {path}")
    return 0


if __name__ == "__main__":
    from course_utils.data import DataError

    try:
        sys.exit(main())
    except DataError as err:  # no photos or weights here: say so, without a traceback
        sys.exit(f"bench_transfer: {err}")
