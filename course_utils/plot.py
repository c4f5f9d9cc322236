"""Figures shared by every notebook: image grids, training curves, confusion matrix, filters, feature maps.

Every ``plot_*`` function returns a matplotlib ``Figure`` (a :class:`CourseFigure`). In Jupyter it is
shown exactly once, whether it is the last expression of a cell or assigned to a variable; headless
(tests, papermill, the Agg backend) nothing is shown. Colormaps are colour-blind safe: ``cividis`` or
``viridis`` for values, ``RdBu_r`` (blue negative, red positive) for signed kernels; mistakes are marked by
a vermillion colour *and* a "✗", so colour is never the only cue.

The figure machinery they share (colours, ``CourseFigure``, ``subplots``, ``save_figure``) is in ``figures``;
its public names are also reachable here (``plot.subplots``, ``plot.PALETTE``). matplotlib is imported inside
the functions, never at ``import course_utils``.
"""

import math
import numbers

import numpy as np

from course_utils.figures import (
    PALETTE,
    RIGHT_COLOR,
    WRONG_COLOR,
    WRONG_MARK,
    course_figure_class,
    grid,
    hide_ticks,
    save_figure,
    subplots,
)

_DEFAULT_METRICS = ("loss", "accuracy")


def __getattr__(name):
    if name == "CourseFigure":
        return course_figure_class()
    raise AttributeError(f"module 'course_utils.plot' has no attribute {name!r}")


def _as_array(value, what):
    """``value`` as a NumPy array (accepts lists, NumPy arrays and TensorFlow/Keras tensors)."""
    if value is None:
        raise ValueError(f"{what} is None. Pass a NumPy array (did a previous cell fail or return nothing?).")
    if isinstance(value, (str, bytes, dict)):
        raise ValueError(f"{what} must be an array of numbers, not a {type(value).__name__}.")
    try:
        array = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - ragged lists, odd objects
        raise ValueError(
            f"{what} could not be turned into an array ({err}). Pass a NumPy array of numbers."
        ) from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(
            f"{what} must hold numbers, but it holds {array.dtype} values. "
            f"Check that every item has the same shape."
        )
    if array.size == 0:
        raise ValueError(f"{what} is empty (shape {array.shape}). Pass at least one item.")
    return array


def _as_class_ids(value, what):
    """Integer class ids of shape (N,), from ids (N,) or one-hot / probability rows (N, K) (argmax)."""
    array = _as_array(value, what)
    if array.ndim == 2:
        array = array.argmax(axis=1)
    if array.ndim != 1:
        raise ValueError(
            f"{what} must be class ids of shape (N,) or one-hot/probability rows of shape (N, K); "
            f"got shape {array.shape}."
        )
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{what} must be whole class numbers (0, 1, 2, ...); found non-integer values.")
    ids = array.astype(np.int64)
    if ids.min() < 0:
        raise ValueError(f"{what} contains a negative class id ({ids.min()}); class ids start at 0.")
    return ids


def _check_class_names(class_names, n_classes, what="labels"):
    if class_names is None:
        return None
    if isinstance(class_names, str) or not hasattr(class_names, "__len__"):
        raise ValueError("class_names must be a list of names, e.g. ['T-shirt', 'Trouser', ...].")
    names = [str(name) for name in class_names]
    if n_classes > len(names):
        raise ValueError(
            f"The {what} go up to class {n_classes - 1}, but class_names has only {len(names)} names. "
            f"Pass one name per class."
        )
    return names


def _name(class_id, names):
    return names[class_id] if names is not None else str(class_id)


def _finite(array, what):
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        raise ValueError(
            f"{what} contains NaN or infinite values; check the cell that computed them "
            f"(a diverging training run or a division by zero)."
        )


# ---------------------------------------------------------------------------------------------- figures


def plot_images(images, labels=None, predictions=None, class_names=None, ncols=None, title=None,
                cmap="gray", max_images=100):
    """A grid of images, optionally titled with labels and predictions.

    images: (N, H, W), (N, H, W, 1) or (N, H, W, 3); uint8 (0-255) or float (0-1; other ranges are
    rescaled for display). labels / predictions: class ids (N,) or one-hot / probability rows (N, K).
    With predictions, each title reads "true 3 / pred 5" and mistakes are vermillion with a "✗"; the
    suptitle counts them ("7 of 25 wrong"). Only the first ``max_images`` are drawn.
    """
    images = _as_array(images, "images")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2:
        raise ValueError(
            f"images must be a batch of shape (N, H, W) or (N, H, W, C); got one image of shape "
            f"{images.shape}. Wrap a single image as images[None] or [image]."
        )
    if not (images.ndim == 3 or (images.ndim == 4 and images.shape[-1] == 3)):
        raise ValueError(
            f"images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3); got {images.shape}."
        )
    _finite(images, "images")
    n_total = len(images)
    label_ids = pred_ids = None
    if labels is not None:
        label_ids = _as_class_ids(labels, "labels")
        if len(label_ids) != n_total:
            raise ValueError(f"There are {n_total} images but {len(label_ids)} labels; pass one label per image.")
    if predictions is not None:
        pred_ids = _as_class_ids(predictions, "predictions")
        if len(pred_ids) != n_total:
            raise ValueError(
                f"There are {n_total} images but {len(pred_ids)} predictions; pass one prediction per image."
            )
        if label_ids is None:
            raise ValueError("predictions need the true labels too: plot_images(images, labels=y, predictions=p).")
    top = max([ids.max() for ids in (label_ids, pred_ids) if ids is not None], default=-1)
    names = _check_class_names(class_names, top + 1)
    if not isinstance(max_images, numbers.Integral) or max_images < 1:
        raise ValueError("max_images must be a positive whole number.")

    n = min(n_total, int(max_images))
    images = images[:n]
    display = _display_ready(images)
    gray = display.ndim == 3
    fig, axes = grid(n, ncols or min(10, max(1, math.ceil(math.sqrt(n)))))
    wrong = 0
    for i, ax in enumerate(axes):
        if gray:
            vmin, vmax = _gray_limits(display[i])
            ax.imshow(display[i], cmap=cmap, vmin=vmin, vmax=vmax)
        else:
            ax.imshow(display[i])
        hide_ticks(ax)
        if pred_ids is not None:
            true, pred = label_ids[i], pred_ids[i]
            text = f"true {_name(true, names)} / pred {_name(pred, names)}"
            if true != pred:
                wrong += 1
                ax.set_title(f"{WRONG_MARK} {text}", color=WRONG_COLOR, fontweight="bold", fontsize=8)
                for spine in ax.spines.values():
                    spine.set_edgecolor(WRONG_COLOR)
                    spine.set_linewidth(2)
            else:
                ax.set_title(text, color=RIGHT_COLOR, fontsize=8)
        elif label_ids is not None:
            ax.set_title(_name(label_ids[i], names), fontsize=9)
        else:
            ax.set_title(f"#{i}", fontsize=8)

    shown = f"{n} images" if n == n_total else f"first {n} of {n_total} images"
    if pred_ids is not None:
        summary = f"{wrong} of {n} wrong"
        if n != n_total:
            summary += f" (first {n} of {n_total} images)"
    else:
        summary = shown if (n != n_total or not title) else ""
    fig.suptitle(f"{title} - {summary}" if title and summary else title or summary)
    fig.tight_layout(h_pad=1.2)
    return fig


def _display_ready(images):
    """Images in a range imshow understands: uint8 as is, RGB floats scaled into [0, 1]."""
    if images.dtype == bool:
        return images.astype(np.float32)
    if images.dtype == np.uint8 or images.ndim == 3:
        return images
    images = images.astype(np.float32)
    lo, hi = float(images.min()), float(images.max())
    if lo >= 0 and hi <= 1:
        return images
    if lo >= 0 and hi <= 255:
        return images / 255.0
    return (images - lo) / (hi - lo) if hi > lo else np.zeros_like(images)


def _gray_limits(image):
    lo, hi = float(image.min()), float(image.max())
    if np.issubdtype(image.dtype, np.integer) and lo >= 0 and hi <= 255:
        return 0, 255
    if not np.issubdtype(image.dtype, np.integer) and lo >= 0 and hi <= 1:
        return 0, 1
    return None, None  # any other range: scale each image on its own


def plot_history(history, metrics=_DEFAULT_METRICS):
    """Training curves: one axis per metric, train vs validation, epochs counted from 1.

    history: a Keras ``History`` (``model.fit`` returns it), its ``.history`` dict, or any dict
    name -> list of per-epoch values. metrics: names such as "loss", "accuracy"; the validation curve is
    ``"val_" + name`` when present. With the default metrics, a missing "accuracy" is skipped.
    """
    from matplotlib.ticker import MaxNLocator

    if history is None:
        raise ValueError("history is None. Pass what model.fit(...) returned: history = model.fit(...).")
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise ValueError(
            f"history must be a Keras History or a dict of per-epoch values; got {type(history).__name__}."
        )
    if isinstance(metrics, str):
        metrics = (metrics,)
    available = sorted(logs)
    wanted = [m for m in metrics if m in logs]
    missing = [m for m in metrics if m not in logs]
    if metrics is not _DEFAULT_METRICS and missing or not wanted:
        raise ValueError(
            f"The history has no {', '.join(repr(m) for m in missing)}; it has {available or 'nothing'}. "
            f"Pass metrics=(...) from those names, or compile the model with metrics=['accuracy']."
        )
    curves = {}
    for name in wanted:
        for key in (name, f"val_{name}"):
            if key in logs:
                curves[key] = _as_array(logs[key], f"history[{key!r}]").astype(float).ravel()

    fig, axes = subplots(1, len(wanted), figsize=(4.6 * len(wanted), 3.4))
    for ax, name in zip(axes[0], wanted, strict=True):
        for key, label, color, marker in ((name, "train", PALETTE[0], "o"),
                                          (f"val_{name}", "validation", PALETTE[1], "s")):
            if key in curves:
                values = curves[key]
                ax.plot(np.arange(1, len(values) + 1), values, marker=marker, markersize=4, color=color,
                        label=label)
        ax.set_title(name.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return fig


def confusion_counts(y_true, y_pred, n_classes=None):
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    true = _as_class_ids(y_true, "y_true")
    pred = _as_class_ids(y_pred, "y_pred")
    if len(true) != len(pred):
        raise ValueError(f"y_true has {len(true)} labels but y_pred has {len(pred)}; they must match.")
    n = int(max(true.max(), pred.max()) + 1) if n_classes is None else int(n_classes)
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (true, pred), 1)
    return counts


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False):
    """Confusion matrix as an image with the number in each cell; the title gives the accuracy.

    y_true, y_pred: class ids (N,) or one-hot / probability rows (N, K). normalize=True divides each row by
    the number of examples of that true class (rows sum to 1; a class with no examples stays 0).
    """
    true = _as_class_ids(y_true, "y_true")
    pred = _as_class_ids(y_pred, "y_pred")
    if len(true) != len(pred):
        raise ValueError(f"y_true has {len(true)} labels but y_pred has {len(pred)}; they must match.")
    top = int(max(true.max(), pred.max()) + 1)
    names = _check_class_names(class_names, top, "labels and predictions")
    n = len(names) if names is not None else top
    counts = confusion_counts(true, pred, n)
    values = counts.astype(float)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)

    size = max(4.0, min(0.55 * n + 2.0, 12.0))
    fig, axes = subplots(figsize=(size + 1.0, size))
    ax = axes[0, 0]
    image = ax.imshow(values, cmap="cividis", vmin=0, vmax=1 if normalize else max(1.0, values.max()))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of row" if normalize else "count")
    if n <= 30:
        threshold = (1 if normalize else values.max()) / 2
        for i in range(n):
            for j in range(n):
                text = f"{values[i, j]:.2f}" if normalize else str(counts[i, j])
                ax.text(j, i, text, ha="center", va="center", fontsize=8 if n <= 12 else 6,
                        color="black" if values[i, j] > threshold else "white")
    labels = names if names is not None else [str(i) for i in range(n)]
    ax.set_xticks(range(n), labels, rotation=45 if names is not None else 0,
                  ha="right" if names is not None else "center")
    ax.set_yticks(range(n), labels)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    accuracy = float(np.mean(true == pred))
    kind = "row-normalized" if normalize else "counts"
    ax.set_title(f"Confusion matrix ({kind})\naccuracy {accuracy:.1%} of {len(true)} examples")
    fig.tight_layout()
    return fig


def plot_class_balance(labels, class_names=None, title="Examples per class"):
    """Bar chart of the number of examples per class (count written on each bar).

    labels: class ids (N,) or one-hot rows (N, K).
    """
    ids = _as_class_ids(labels, "labels")
    names = _check_class_names(class_names, int(ids.max()) + 1)
    n = len(names) if names is not None else int(ids.max()) + 1
    counts = np.bincount(ids, minlength=n)
    fig, axes = subplots(figsize=(max(4.0, 0.6 * n + 1.5), 3.4))
    ax = axes[0, 0]
    bars = ax.bar(range(n), counts, color=PALETTE[0])
    ax.bar_label(bars, fontsize=8)
    ax.set_xticks(range(n), names if names is not None else [str(i) for i in range(n)],
                  rotation=45 if names is not None else 0, ha="right" if names is not None else "center")
    ax.set_xlabel("class")
    ax.set_ylabel("examples")
    ax.set_title(f"{title} ({len(ids)} in all)")
    fig.tight_layout()
    return fig


def plot_filters(kernels, ncols=8, title="Filters", max_filters=64, channel=0, rgb=None):
    """One small image per convolution filter, on a shared colour scale symmetric around 0.

    kernels: (kh, kw) one filter, (kh, kw, n) n filters, Keras layout (kh, kw, C_in, C_out), or a Keras
    ``Conv2D`` layer. For C_in > 1 the input channel ``channel`` (default 0) is shown; when C_in == 3 and
    ``rgb`` is not False, each filter is shown in colour instead (mid-grey = 0, brighter = positive).
    Signed values use the diverging ``RdBu_r`` map (blue negative, red positive), limits (-m, m) with
    m = the largest |weight|.
    """
    if hasattr(kernels, "get_weights") and not isinstance(kernels, np.ndarray):
        weights = kernels.get_weights()
        if not weights:
            raise ValueError("This layer has no weights yet: build the model (call it on data) first.")
        kernels = weights[0]
    if isinstance(kernels, (list, tuple)) and len(kernels) == 2 and np.ndim(kernels[1]) == 1:
        raise ValueError("Pass the kernel only: layer.get_weights()[0] (get_weights() also returns the bias).")
    k = _as_array(kernels, "kernels").astype(float)
    _finite(k, "kernels")
    keras_layout = k.ndim == 4
    show_rgb = False
    if k.ndim == 2:
        k = k[:, :, None]
    elif k.ndim == 4:
        c_in = k.shape[2]
        show_rgb = c_in == 3 and rgb is not False
        if rgb and c_in != 3:
            raise ValueError(f"rgb=True needs 3 input channels; these kernels have {c_in}.")
        if not show_rgb:
            if not 0 <= channel < c_in:
                raise ValueError(f"channel must be between 0 and {c_in - 1}; got {channel}.")
            k = k[:, :, channel, :]
    elif k.ndim != 3:
        raise ValueError(
            f"kernels must have shape (kh, kw), (kh, kw, n) or (kh, kw, C_in, C_out); got {k.shape}."
        )
    n_total = k.shape[-1]
    n = min(n_total, int(max_filters))
    limit = float(np.abs(k).max()) or 1.0
    fig, axes = grid(n, ncols, panel=1.2, extra_height=0.8)
    image = None
    for i, ax in enumerate(axes):
        if show_rgb:
            ax.imshow(np.clip(0.5 + k[:, :, :, i] / (2 * limit), 0, 1))
        else:
            image = ax.imshow(k[:, :, i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"#{i}", fontsize=8)
        hide_ticks(ax)
    shape = "x".join(str(s) for s in k.shape[:2])
    what = f"{n} of {n_total}" if n < n_total else f"{n}"
    detail = "RGB" if show_rgb else (f"input channel {channel}" if keras_layout else "")
    fig.suptitle(f"{title}: {what} filters {shape}" + (f", {detail}" if detail else "")
                 + f" (range ±{limit:.3g})")
    if image is not None:
        fig.colorbar(image, ax=axes, fraction=0.03, pad=0.02, shrink=0.9)
    return fig


def plot_feature_maps(maps, max_maps=32, ncols=8, title="Feature maps"):
    """One panel per channel of a layer's output, labelled with the channel index.

    maps: (H, W, C) or (1, H, W, C) (one image's activations, e.g. ``model(x[:1])``); (H, W) is one channel.
    Each panel has its own ``viridis`` scale (bright = strong activation). At most ``max_maps`` are drawn.
    """
    m = _as_array(maps, "maps").astype(float)
    if m.ndim == 4:
        if m.shape[0] != 1:
            raise ValueError(
                f"maps holds {m.shape[0]} images (shape {m.shape}); pass one image's maps, e.g. maps[0]."
            )
        m = m[0]
    if m.ndim == 2:
        m = m[:, :, None]
    if m.ndim != 3:
        raise ValueError(f"maps must have shape (H, W, C) or (1, H, W, C); got {m.shape}.")
    _finite(m, "maps")
    if not isinstance(max_maps, numbers.Integral) or max_maps < 1:
        raise ValueError("max_maps must be a positive whole number.")
    channels = m.shape[-1]
    n = min(channels, int(max_maps))
    fig, axes = grid(n, ncols, panel=1.4, extra_height=0.8)
    for i, ax in enumerate(axes):
        ax.imshow(m[:, :, i], cmap="viridis")
        ax.set_title(f"#{i}", fontsize=8)
        hide_ticks(ax)
    shown = f"showing {n} of {channels} channels" if n < channels else f"{channels} channels"
    fig.suptitle(f"{title}: shape {tuple(int(s) for s in m.shape)} (H, W, C), {shown}")
    fig.tight_layout()
    return fig


def plot_bars(values_dict, ylabel, title, log=False):
    """Bar chart of a few named numbers, e.g. {"loops": 2.31, "vectorized": 0.004} seconds.

    Each bar is labelled with its value; ``log=True`` uses a log scale (all values must then be > 0).
    """
    if not isinstance(values_dict, dict) or not values_dict:
        raise ValueError("values_dict must be a non-empty dict name -> number, e.g. {'loops': 2.3, 'numpy': 0.01}.")
    names = [str(name) for name in values_dict]
    values = []
    for name, value in values_dict.items():
        if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.number)) or not np.isfinite(value):
            raise ValueError(f"The value for {name!r} must be a finite number; got {value!r}.")
        values.append(float(value))
    if log and min(values) <= 0:
        raise ValueError("log=True needs every value to be > 0; use log=False for zero or negative values.")
    fig, axes = subplots(figsize=(max(3.5, 1.1 * len(values) + 1.5), 3.4))
    ax = axes[0, 0]
    bars = ax.bar(names, values, color=[PALETTE[i % len(PALETTE)] for i in range(len(values))])
    ax.bar_label(bars, labels=[f"{v:.3g}" for v in values], fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.margins(y=0.15)
    fig.tight_layout()
    return fig


__all__ = ["PALETTE", "RIGHT_COLOR", "WRONG_COLOR", "WRONG_MARK", "confusion_counts", "hide_ticks", "plot_bars",
           "plot_class_balance", "plot_confusion_matrix", "plot_feature_maps", "plot_filters", "plot_history",
           "plot_images", "save_figure", "subplots"]
