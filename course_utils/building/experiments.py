"""Controlled experiments of notebook 05: one small CNN trained identically under each regulariser, and
weight-scale and learning-rate sweeps with and without BatchNorm.

- ``split_validation(x, y, n_val, seed)``: a validation split taken from the *training* data.
- ``small_cnn(dropout, l2, augment)``: Conv(32) - Pool - Conv(64) - Pool - Flatten - [Dropout] - Dense(128) -
  [Dropout] - Dense(10), the same network for every variant; ``augmentation()``: the preprocessing layers.
- ``REGULARISERS``: the variants (none, dropout, L2, decoupled weight decay, augmentation, early stopping).
- ``train_variant`` / ``regularisation_study`` / ``summarise``: train, measure train vs validation accuracy and
  the gap over seeds, and say which differences are within noise. ``plot_regularisation``: the figure.
- ``Reusable``: one compiled model re-initialised for each run (TensorFlow keeps every compiled graph);
  ``release_memory()``: give back what TensorFlow keeps once an experiment is over.
- ``initial_loss_sweep`` / ``learning_rate_sweep`` / ``plot_batch_norm_sweeps``: ``blocks.deep_cnn`` with and
  without BatchNorm, its loss at initialisation over weight scales (cs231n's weight-scale sweep, on
  convolutions) and its validation accuracy over learning rates.

Keras is imported inside the functions, never at ``import course_utils``.
"""

import math
import time

import numpy as np

from course_utils.startup import load_keras as _keras  # keras, imported with TensorFlow quiet

# name -> settings for train_variant; "combined" is assembled from what helped (see combine()).
REGULARISERS = {
    "none": {},
    "dropout": {"dropout": 0.5},
    "L2": {"l2": 1e-3},
    "weight decay": {"weight_decay": 2.0},  # Keras multiplies it by the learning rate: see shrink_factor()
    "augmentation": {"augment": True},
    "early stopping": {"early_stopping": True},
}
SETTINGS = ("dropout", "l2", "weight_decay", "augment", "early_stopping")


def release_memory():
    """Give back memory that TensorFlow keeps after training: Keras' global state, unreferenced models and
    their compiled graphs, and (on Linux) the free memory the C library holds on to. Models that are still
    referenced keep working. The experiments below call it when they finish; notebooks call it before a big
    training run (Binder gives 2 GB)."""
    import ctypes
    import gc
    import sys

    keras = _keras()
    keras.backend.clear_session()
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):
            pass


def split_validation(x, y, n_val, seed=0):
    """``(x_fit, y_fit), (x_val, y_val)``: ``n_val`` random examples held out of the training data.

    Decisions (which regulariser, how many epochs) are made on the validation split; the test set is used
    once, at the end. ``n_val`` may be a count or a fraction (0 < n_val < 1).
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length; got {len(x)} images and {len(y)} labels.")
    if isinstance(n_val, float) and 0 < n_val < 1:
        n_val = int(round(n_val * len(x)))
    if isinstance(n_val, bool) or not isinstance(n_val, (int, np.integer)) or not 0 < n_val < len(x):
        raise ValueError(f"n_val must be between 1 and {len(x) - 1} images (or a fraction); got {n_val!r}.")
    order = np.random.default_rng(seed).permutation(len(x))
    val, fit = order[:n_val], order[n_val:]
    return (x[fit], y[fit]), (x[val], y[val])


def augmentation(flip=True, seed=None):
    """Random horizontal flips (``flip=True``) and shifts of up to 10% (2.8 px), as Keras layers that are
    active only in training. A mirrored shirt is still a shirt, but a mirrored 2 is no 2: use ``flip=False``
    for digits. The shifts use nearest interpolation (whole pixels): Keras' default, bilinear, blurs every
    view by a sub-pixel shift. Returns a list of layers to put at the start of a model.
    """
    keras = _keras()
    shift = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", interpolation="nearest", seed=seed,
                                           name="aug_shift")
    return ([keras.layers.RandomFlip("horizontal", seed=seed, name="aug_flip")] if flip else []) + [shift]


def small_cnn(dropout=0.0, l2=0.0, augment=False, flip=True, input_shape=(28, 28, 1), name="small_cnn"):
    """The regularisation study's network: [augmentation] - Conv(32, 3x3) - MaxPool - Conv(64, 3x3) - MaxPool -
    Flatten - [Dropout] - Dense(128) - [Dropout] - Dense(10, softmax): 225,034 parameters (as 03's model (b)).

    ``dropout``: rate of both Dropout layers (0: none); ``l2``: L2 penalty factor on every kernel (0: none);
    ``augment``: start with ``augmentation(flip)``.
    """
    keras = _keras()
    layers = keras.layers
    reg = keras.regularizers.L2(l2) if l2 else None
    stack = [keras.Input(input_shape)]
    if augment:
        stack += augmentation(flip)
    stack += [layers.Conv2D(32, 3, activation="relu", kernel_regularizer=reg, name="conv1"),
              layers.MaxPooling2D(2, name="pool1"),
              layers.Conv2D(64, 3, activation="relu", kernel_regularizer=reg, name="conv2"),
              layers.MaxPooling2D(2, name="pool2"),
              layers.Flatten(name="flatten")]
    if dropout:
        stack.append(layers.Dropout(dropout, name="dropout1"))
    stack.append(layers.Dense(128, activation="relu", kernel_regularizer=reg, name="dense"))
    if dropout:
        stack.append(layers.Dropout(dropout, name="dropout2"))
    stack.append(layers.Dense(10, activation="softmax", kernel_regularizer=reg, name="output"))
    return keras.Sequential(stack, name=name)


def learning_rates(schedule, steps):
    """The learning rate of each of ``steps`` training steps, from a number or a Keras schedule (NumPy array)."""
    if callable(schedule):
        return np.array([float(schedule(step)) for step in range(int(steps))])
    return np.full(int(steps), float(schedule))


def shrink_factor(schedule, weight_decay, steps):
    """What Keras' weight decay alone does to a weight over ``steps`` steps: every step multiplies it by
    ``1 - learning_rate * weight_decay`` (the decay is scaled by the learning rate of that step), so the
    product over the run. 0.99 means the decay took 1% off the weights, next to nothing."""
    return float(np.prod(1.0 - learning_rates(schedule, steps) * float(weight_decay)))


def study_schedule(learning_rate, steps):
    """The regularisation study's learning rate: ``learning_rate`` decaying to 0 along a cosine over ``steps``."""
    keras = _keras()
    return keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=int(steps))


def _check_settings(settings):
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"Unknown setting(s) {sorted(unknown)}; use {', '.join(SETTINGS)}.")


class Reusable:
    """A model compiled once and re-initialised for every run: fresh weights from ``build()`` under the run's
    seed, and the optimizer back to its state before training.

    Compiling once matters: TensorFlow keeps every compiled training graph in memory (10-30 MB each for these
    networks), so a study of 30 runs with a new model each would use gigabytes.
    """

    def __init__(self, build, optimizer, seed=0):
        keras = _keras()
        keras.utils.set_random_seed(seed)
        self.build = build
        self.model = build()
        self.model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        self.model.optimizer.build(self.model.trainable_variables)
        self._start = [variable.numpy() for variable in self.model.optimizer.variables]

    def reset(self, seed, build=None):
        """The model with the weights a fresh ``(build or self.build)()`` gets under ``seed``, optimizer reset."""
        keras = _keras()
        keras.utils.set_random_seed(seed)
        fresh = (build or self.build)()
        self.model.set_weights(fresh.get_weights())
        for variable, value in zip(self.model.optimizer.variables, self._start, strict=True):
            variable.assign(value)
        return self.model


def variant_trainer(settings, input_shape=(28, 28, 1), learning_rate=1e-3, flip=True, steps=None):
    """A ``Reusable`` small_cnn for one variant: Adam, or AdamW when ``settings`` has a ``weight_decay``.

    ``steps``: the number of training steps of a run; the learning rate then decays from ``learning_rate`` to 0
    along a cosine, so that every run ends in a settled state (with a constant rate the last epoch's weights
    jump around, and comparisons between variants drown in that noise).
    """
    keras = _keras()
    settings = dict(settings)
    _check_settings(settings)
    if steps:
        learning_rate = study_schedule(learning_rate, steps)
    decay = settings.get("weight_decay", 0.0)
    optimizer = (keras.optimizers.AdamW(learning_rate, weight_decay=decay) if decay
                 else keras.optimizers.Adam(learning_rate))

    def build():
        return small_cnn(settings.get("dropout", 0.0), settings.get("l2", 0.0), settings.get("augment", False),
                         flip=flip, input_shape=tuple(input_shape))

    return Reusable(build, optimizer)


def _steps(n_images, epochs, batch_size):
    return int(epochs) * math.ceil(n_images / int(batch_size))


def train_variant(settings, x, y, x_val, y_val, epochs=20, batch_size=64, learning_rate=1e-3, seed=0,
                  patience=5, flip=True, callbacks=(), trainer=None):
    """Train ``small_cnn`` under ``settings`` (a dict of ``REGULARISERS``) and measure it.

    Every variant gets the same data, epochs, batch size, seed and optimizer: Adam, or AdamW when
    ``settings`` has a ``weight_decay``, with a learning rate decaying to 0 along a cosine. ``early_stopping``: stop when the validation loss has not improved for
    ``patience`` epochs and restore the best weights (this variant alone looks at the validation split while
    training; the others are measured on it afterwards). ``flip``: whether augmentation may mirror the images.
    Train and validation accuracy are both measured after training in inference mode (dropout and
    augmentation off), so the gap compares like with like. ``trainer``: a ``variant_trainer(settings)`` to reuse.
    Returns ``{"train_acc", "val_acc", "gap", "kernel_norm", "epochs", "seconds", "history"}``.
    """
    keras = _keras()
    settings = dict(settings)
    _check_settings(settings)
    if trainer is None:
        trainer = variant_trainer(settings, np.shape(x)[1:], learning_rate, flip, _steps(len(x), epochs, batch_size))
    model = trainer.reset(seed)
    calls = list(callbacks)
    validation = None
    if settings.get("early_stopping"):
        calls.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                   restore_best_weights=True))
        validation = (x_val, y_val)
    start = time.perf_counter()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=validation,
                        callbacks=calls, verbose=0)
    seconds = time.perf_counter() - start
    train_acc = model.evaluate(x, y, batch_size=500, verbose=0)[1]
    val_acc = model.evaluate(x_val, y_val, batch_size=500, verbose=0)[1]
    return {"train_acc": float(train_acc), "val_acc": float(val_acc), "gap": float(train_acc - val_acc),
            "kernel_norm": kernel_norm(model), "epochs": len(history.history["loss"]), "seconds": seconds,
            "history": history.history}


def kernel_norm(model):
    """The L2 norm of all of ``model``'s kernels together (biases and BatchNorm excluded): sqrt(sum w**2).
    Weight decay and L2 act on it; printed next to each variant so that a decay that decayed nothing shows."""
    total = 0.0
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            total += float(np.sum(np.square(np.asarray(kernel))))
    return float(np.sqrt(total))


def regularisation_study(variants, x, y, x_val, y_val, seeds=(0, 1, 2), progress=None, learning_rate=1e-3,
                         flip=True, **options):
    """``train_variant`` for every ``(name, settings)`` in ``variants`` and every seed (one compiled model per
    variant, re-initialised for each seed).

    Returns a list of rows ``{"variant", "seed", "train_acc", "val_acc", "gap", "epochs", "seconds"}``.
    ``progress``: optional callable given ``(name, seed, row)`` after each run.
    """
    rows = []
    steps = _steps(len(x), options.get("epochs", 20), options.get("batch_size", 64))
    for name, settings in dict(variants).items():
        trainer = variant_trainer(settings, np.shape(x)[1:], learning_rate, flip, steps)
        for seed in seeds:
            result = train_variant(settings, x, y, x_val, y_val, seed=seed, flip=flip, trainer=trainer, **options)
            row = {"variant": name, "seed": seed, **{k: v for k, v in result.items() if k != "history"}}
            rows.append(row)
            if progress is not None:
                progress(name, seed, row)
        del trainer
        release_memory()
    return rows


def summarise(rows, baseline="none", n_val=None):
    """Mean and spread over seeds for each variant, and the change in validation accuracy against ``baseline``.

    ``noise``: how large a change must be to stand out: twice the standard error of the difference of the mean
    validation accuracies over seeds and, when ``n_val`` (the number of validation images) is given, at least
    twice the sampling error of comparing two accuracies on ``n_val`` images, 2 * sqrt(2 p (1 - p) / n_val).
    A smaller change is reported as ``"within noise"``. Returns a list of dicts ``{"variant", "train", "val",
    "val_std", "gap", "change", "noise", "verdict", "seeds", "epochs", "kernel_norm"}`` in the order the variants first appear.
    """
    names = list(dict.fromkeys(r["variant"] for r in rows))
    by_name = {n: [r for r in rows if r["variant"] == n] for n in names}
    if baseline not in by_name:
        raise ValueError(f"The baseline {baseline!r} is not among the variants {names}.")

    def stats(values):
        values = np.asarray(values, dtype=float)
        std = float(values.std(ddof=1)) if len(values) > 1 else float("nan")
        return float(values.mean()), std

    base_mean, base_std = stats([r["val_acc"] for r in by_name[baseline]])
    n_base = len(by_name[baseline])
    summary = []
    for name in names:
        group = by_name[name]
        val_mean, val_std = stats([r["val_acc"] for r in group])
        spreads = [s for s in (val_std, base_std) if not math.isnan(s)]
        noise = 2 * max(spreads) * math.sqrt(1 / len(group) + 1 / n_base) if spreads else 0.0
        if n_val:
            p = min(max((val_mean + base_mean) / 2, 0.0), 1.0)
            noise = max(noise, 2 * math.sqrt(2 * p * (1 - p) / n_val), 1 / n_val)
        change = val_mean - base_mean
        if name == baseline:
            verdict = "baseline"
        elif abs(change) <= noise:
            verdict = "within noise"
        else:
            verdict = "helps" if change > 0 else "hurts"
        summary.append({
            "variant": name, "train": stats([r["train_acc"] for r in group])[0], "val": val_mean,
            "val_std": val_std, "gap": stats([r["gap"] for r in group])[0], "change": change, "noise": noise,
            "verdict": verdict, "seeds": len(group), "epochs": stats([r["epochs"] for r in group])[0],
            "kernel_norm": stats([r.get("kernel_norm", math.nan) for r in group])[0],
        })
    return summary


def combine(summary, variants=REGULARISERS):
    """``(settings, names)``: the regularisers to train together. Those whose verdict is ``"helps"``; when none
    stands out from the noise, those whose mean change is positive; when none is positive, the two with the best
    validation accuracy. Their settings are merged into one dict."""
    others = [row for row in summary if row["verdict"] != "baseline" and row["variant"] in variants]
    chosen = [row["variant"] for row in others if row["verdict"] == "helps"]
    if not chosen:
        chosen = [row["variant"] for row in others if row["change"] > 0]
    if not chosen:
        chosen = [row["variant"] for row in sorted(others, key=lambda row: -row["val"])[:2]]
    merged = {}
    for name in chosen:
        merged.update(variants[name])
    return merged, chosen


def format_summary(summary):
    """The summary as a text table (accuracies in %; |W|: the kernels' norm, see ``kernel_norm``)."""
    header = (f"{'variant':<16}{'train %':>9}{'val %':>8}{'± std':>7}{'gap':>7}{'change':>8}{'noise':>7}"
              f"{'|W|':>7}  verdict")
    lines = [header, "-" * len(header)]
    for row in summary:
        std = "" if math.isnan(row["val_std"]) else f"{100 * row['val_std']:.1f}"
        norm = "" if math.isnan(row.get("kernel_norm", math.nan)) else f"{row['kernel_norm']:.1f}"
        lines.append(f"{row['variant']:<16}{100 * row['train']:>9.1f}{100 * row['val']:>8.1f}{std:>7}"
                     f"{100 * row['gap']:>7.1f}{100 * row['change']:>+8.1f}{100 * row['noise']:>7.1f}{norm:>7}  "
                     f"{row['verdict']}")
    return "\n".join(lines)


def plot_regularisation(summary, title=None):
    """Train vs validation accuracy per variant (bars, error bars = std over seeds; each variant's verdict under
    its name) and the gap between them (one colour: the verdict is about validation accuracy, not the gap)."""
    from course_utils import plot

    names = [row["variant"] for row in summary]
    xs = np.arange(len(names))
    fig, axes = plot.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 2]})
    ax, gap_ax = axes[0]
    train = [100 * row["train"] for row in summary]
    val = [100 * row["val"] for row in summary]
    err = [0 if math.isnan(row["val_std"]) else 100 * row["val_std"] for row in summary]
    ax.bar(xs - 0.2, train, 0.4, label="train (measured in inference mode)", color=plot.PALETTE[0])
    ax.bar(xs + 0.2, val, 0.4, yerr=err if any(err) else None, capsize=3,
           label="validation (error bar: std over seeds)" if any(err) else "validation", color=plot.PALETTE[1])
    low = min(val + train) - 5
    ax.set(xticks=xs, ylabel="accuracy (%)", ylim=(max(0, low), 100 + 0.35 * (100 - max(0, low))),
           title="Train vs validation accuracy (verdict: validation vs none)")
    ax.set_yticks([tick for tick in ax.get_yticks() if max(0, low) <= tick <= 100])
    ax.legend(loc="upper left", ncol=2, fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    gaps = [100 * row["gap"] for row in summary]
    bars = gap_ax.bar(xs, gaps, color=plot.PALETTE[2])
    gap_ax.bar_label(bars, labels=[f"{g:.1f}" for g in gaps], fontsize=8)
    gap_ax.set(xticks=xs, ylabel="train - validation (points)",
               title="The gap (a smaller gap alone is no success)")
    verdicts = [name if row["verdict"] == "baseline" else f"{name}\n({row['verdict']})"
                for name, row in zip(names, summary, strict=True)]
    ax.set_xticklabels(verdicts, rotation=20, ha="right")
    gap_ax.set_xticklabels(names, rotation=20, ha="right")
    gap_ax.grid(axis="y", alpha=0.3)
    gap_ax.margins(y=0.15)
    fig.suptitle(title or "One network, one subset, identical training: only the regulariser changes")
    fig.tight_layout()
    return fig


# --- weight scale with and without BatchNorm ---------------------------------------------------------

def initial_loss_sweep(x, y, gains=(0.01, 0.1, 1.0, 10.0, 100.0), n_blocks=3, seed=0):
    """The loss of ``blocks.deep_cnn(n_blocks, batch_norm=b, init_gain=g)`` at initialisation, for every gain g,
    with and without BN: one forward pass on ``(x, y)`` in training mode, no training.

    Returns rows ``{"gain", "batch_norm", "loss", "spread"}``; ``spread`` is the standard deviation of the last
    block's output. Chance level for 10 classes is a loss of log(10) = 2.30.
    """
    keras = _keras()
    from course_utils.building import blocks

    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    rows = []
    for batch_norm in (False, True):
        for gain in gains:
            keras.utils.set_random_seed(seed)
            model = blocks.deep_cnn(n_blocks, batch_norm=batch_norm, init_gain=gain, input_shape=tuple(np.shape(x)[1:]))
            probe = keras.Model(model.input, [model.get_layer(f"block{n_blocks}_relu2").output, model.output])
            last, probabilities = probe(np.asarray(x, "float32"), training=True)
            rows.append({"gain": float(gain), "batch_norm": batch_norm, "loss": float(loss_fn(y, probabilities)),
                         "spread": float(np.std(np.asarray(last)))})
    return rows


def learning_rate_sweep(x, y, x_val, y_val, rates=(1e-4, 1e-3, 1e-2, 1e-1), n_blocks=3, epochs=2, batch_size=64,
                        seed=0, progress=None):
    """Train ``blocks.deep_cnn(n_blocks, batch_norm=b)`` (He initialisation) with Adam at every learning rate,
    with and without BN. Every run: same data, epochs, seed. Returns rows ``{"rate", "batch_norm", "val_acc",
    "first_loss", "last_loss"}`` (mean training loss of the first and last epoch; may be ``nan`` if it diverged).
    """
    keras = _keras()
    from course_utils.building import blocks

    shape = tuple(np.shape(x)[1:])
    rows = []
    for batch_norm in (False, True):
        def build(batch_norm=batch_norm):
            return blocks.deep_cnn(n_blocks, batch_norm=batch_norm, input_shape=shape)

        trainer = Reusable(build, keras.optimizers.Adam(1e-3), seed=seed)
        for rate in rates:
            model = trainer.reset(seed)
            model.optimizer.learning_rate.assign(rate)
            history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0).history
            val_acc = model.evaluate(x_val, y_val, batch_size=500, verbose=0)[1]
            losses = [float(v) for v in history["loss"]]
            row = {"rate": float(rate), "batch_norm": batch_norm, "val_acc": float(val_acc),
                   "first_loss": losses[0], "last_loss": losses[-1]}
            rows.append(row)
            if progress is not None:
                progress(row)
        del trainer, model
        release_memory()
    return rows


def plot_batch_norm_sweeps(initial, rates, title=None):
    """Two panels, with and without BatchNorm: the loss at initialisation against the weight scale, and the
    training loss of the last epoch against the learning rate (log x axes)."""
    from course_utils import plot

    fig, axes = plot.subplots(1, 2, figsize=(11, 4))
    left, right = axes[0]
    styles = ((False, plot.PALETTE[3], "o", "without BatchNorm"), (True, plot.PALETTE[0], "s", "with BatchNorm"))
    for batch_norm, colour, marker, label in styles:
        points = sorted((r["gain"], r["loss"]) for r in initial if r["batch_norm"] == batch_norm)
        if points:
            left.plot(*zip(*points, strict=True), marker=marker, color=colour, label=label)
        points = sorted((r["rate"], r["last_loss"]) for r in rates if r["batch_norm"] == batch_norm)
        if points:
            right.plot(*zip(*points, strict=True), marker=marker, color=colour, label=label)
    for ax in (left, right):
        ax.axhline(np.log(10), color="0.5", linestyle=":", label="chance: log(10) = 2.30")
    left.set(xscale="log", yscale="log", xlabel="initial weight scale (1 = He initialisation)",
             ylabel="loss at initialisation", title="Before training: does the signal survive?")
    top = max([np.log(10) * 1.3] + [r["last_loss"] for r in rates if np.isfinite(r["last_loss"])])
    ceiling = min(top, 3 * np.log(10))
    right.set(xscale="log", xlabel="Adam's learning rate (He initialisation)", ylabel="training loss, last epoch",
              ylim=(0, ceiling), title="Training: which learning rates work?")
    for r in rates:  # losses above the panel (diverged runs) get an arrow and their value
        if not np.isfinite(r["last_loss"]) or r["last_loss"] > ceiling:
            colour = plot.PALETTE[0] if r["batch_norm"] else plot.PALETTE[3]
            right.annotate(f"{r['last_loss']:.3g}", (r["rate"], ceiling), xytext=(-6, -28), textcoords="offset points",
                           ha="right", fontsize=8, color=colour, arrowprops={"arrowstyle": "->", "color": colour})
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle(title or "The same 8-layer CNN with and without BatchNorm")
    fig.tight_layout()
    return fig
