"""Figures and interactive explorers for convolution and pooling (notebooks 01 and 02).

- ``plot_maps(maps)``: a row of images (inputs, feature maps) with an honest colour scale: signed values
  use the diverging ``RdBu_r`` map with symmetric limits (blue negative, white 0, red positive), so edges of
  both signs stay visible; non-negative values use ``gray`` from 0 to the maximum.
- ``plot_numbers(array, window=...)``: a small array drawn as a grid of its numbers, one window outlined.
- ``conv_explorer(image, kernels)`` / ``pool_explorer(image)``: ipywidgets (choose kernel or pool size,
  stride, padding; the output and its shape update live) when a live kernel is watching, otherwise
  (``course_utils.paths.headless()``) a static figure of a few settings. Both return a ``Figure`` headless,
  None otherwise (the widgets are displayed).

matplotlib and ipywidgets are imported inside the functions.
"""

import numbers

import numpy as np

from course_utils import conv, paths

DEFAULT_KERNELS = {
    "identity": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
    "box blur": [[1 / 9] * 3] * 3,
    "sobel x": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "sobel y": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
}
CONV_PADDINGS = ("valid", "same", 1, 2)
POOL_PADDINGS = ("valid", "same")
POOL_MODES = ("max", "average")


# ----------------------------------------------------------------------------------------------- checks


def _image(image, what="image"):
    """``image`` as a float 2-D array, or a friendly ``ValueError``."""
    if image is None:
        raise ValueError(f"`{what}` is None: pass a 2-D array, e.g. one MNIST digit x_train[0].")
    try:
        array = np.asarray(image, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"`{what}` must be an array of numbers (got {type(image).__name__}).") from None
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2 or min(array.shape) < 2:
        raise ValueError(
            f"`{what}` must be one gray image of shape (H, W) with H, W >= 2; got shape {array.shape}. "
            "For an RGB photo use sample_image(name, gray=True) or pick one channel, image[..., 0]."
        )
    if not np.isfinite(array).all():
        raise ValueError(f"`{what}` contains NaN or infinite values; clean it first (np.nan_to_num).")
    return array


def _kernels(kernels):
    """``kernels`` as an ordered dict name -> float 2-D array."""
    if kernels is None:
        kernels = DEFAULT_KERNELS
    if not isinstance(kernels, dict) or not kernels:
        raise ValueError("`kernels` must be a non-empty dict name -> 2-D array, e.g. {'sobel x': sobel_x}.")
    checked = {}
    for name, kernel in kernels.items():
        k = np.asarray(kernel, dtype=float)
        if k.ndim != 2:
            raise ValueError(f"Kernel {name!r} must be 2-D (kh, kw); got shape {k.shape}.")
        checked[str(name)] = k
    return checked


def _int_choices(values, what):
    values = tuple(values)
    if not values or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 1
                             for v in values):
        raise ValueError(f"`{what}` must be a non-empty list of positive ints, got {values!r}.")
    return values


# ----------------------------------------------------------------------------------------------- figures


def _show(ax, values, title=None, signed=None, colorbar=True, extent=None):
    """Draw one map with the course's colour rule; returns the image artist."""
    values = np.asarray(values, dtype=float)
    if signed is None:
        signed = bool(values.min() < 0)
    if signed:
        limit = float(np.abs(values).max()) or 1.0
        artist = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, extent=extent)
    else:
        artist = ax.imshow(values, cmap="gray", vmin=0, vmax=float(values.max()) or 1.0, extent=extent)
    if title:
        ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    if colorbar:
        ax.figure.colorbar(artist, ax=ax, fraction=0.046, pad=0.03)
    return artist


def plot_maps(maps, title=None, ncols=4, signed=None, colorbar=True, shared_scale=False):
    """One panel per named map (``{"input": x, "sobel x": y}``), titled with the name and shape.

    Each map is (H, W), or (H, W, 3) for an RGB image in [0, 1] (shown in colour, no colour bar).
    ``signed``: None (default) picks per map: ``RdBu_r`` with limits ``±max|v|`` if it has negative values,
    else ``gray`` from 0 to its max; True / False forces one rule for all maps. ``shared_scale=True`` gives
    every 2-D map the same limits (the largest over all maps), to compare their values. Returns the ``Figure``.
    """
    from course_utils import plot

    if not isinstance(maps, dict) or not maps:
        raise ValueError("`maps` must be a non-empty dict name -> 2-D array, e.g. {'input': image}.")
    arrays = {}
    for name, value in maps.items():
        if np.ndim(value) == 3 and np.shape(value)[-1] == 3:
            arrays[str(name)] = np.clip(np.asarray(value, dtype=float), 0.0, 1.0)
        else:
            arrays[str(name)] = _image(value, f"maps[{name!r}]")
    flat = [a for a in arrays.values() if a.ndim == 2]
    limit = max(float(np.abs(a).max()) for a in flat) if shared_scale and flat else None
    n = len(arrays)
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    fig, axes = plot.subplots(nrows, ncols, figsize=(3.3 * ncols, 3.0 * nrows + (0.4 if title else 0)))
    axes = list(axes.ravel())
    for ax, (name, values) in zip(axes, arrays.items()):
        shape = "x".join(str(s) for s in values.shape)
        if values.ndim == 3:
            ax.imshow(values)
            ax.set_title(f"{name}\n{shape}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        artist = _show(ax, values, f"{name}\n{shape}", signed=signed, colorbar=colorbar)
        if limit:
            is_signed = artist.get_cmap().name == "RdBu_r"
            artist.set_clim(-limit if is_signed else 0.0, limit)
    for ax in axes[n:]:
        ax.remove()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _text_color(value, limit, signed):
    """Black or white, whichever reads better on the cell's colour (gray map, or RdBu_r when signed)."""
    if signed:
        return "white" if abs(value) > 0.6 * limit else "black"
    return "black" if value > 0.5 * limit else "white"


def _padding_label(padding):
    return repr(padding) if isinstance(padding, str) else f"padding {padding}"


def plot_numbers(array, window=None, title=None, fmt="{:g}", ax=None):
    """A small 2-D array as a grid of its numbers (at most 16x16), with an optional window outlined.

    ``window``: ``(row, col, height, width)`` of the cells to outline (e.g. where a 3x3 kernel sits).
    Returns the ``Figure``.
    """
    from course_utils import plot

    values = _image(array, "array")
    if max(values.shape) > 16:
        raise ValueError(f"plot_numbers shows at most 16x16 numbers; got {values.shape}. Show a crop, "
                         "e.g. array[:8, :8].")
    if ax is None:
        fig, axes = plot.subplots(figsize=(0.45 * values.shape[1] + 1.0, 0.45 * values.shape[0] + 0.8))
        ax = axes[0, 0]
    fig = ax.figure
    _show(ax, values, title, colorbar=False)
    limit = float(np.abs(values).max()) or 1.0
    signed = values.min() < 0
    for (i, j), value in np.ndenumerate(values):
        color = _text_color(value, limit, signed)
        ax.text(j, i, fmt.format(round(float(value), 2)), ha="center", va="center", fontsize=8, color=color)
    if window is not None:
        import matplotlib.patches

        row, col, height, width = window
        ax.add_patch(matplotlib.patches.Rectangle((col - 0.5, row - 0.5), width, height, fill=False,
                                                  edgecolor="#E69F00", linewidth=3))
    return fig


# ----------------------------------------------------------------------------------------------- convolution


def conv_setting_text(shape, kernel_shape, stride, padding):
    """One line with the output-size formula for this setting, e.g. ``"H' = (28 + 2*1 - 3) // 2 + 1 = 14"``."""
    (h, w), (kh, kw) = shape, kernel_shape
    out_h = conv.output_size(h, kh, stride, padding)
    out_w = conv.output_size(w, kw, stride, padding)
    if padding == "valid":
        formula = f"H' = ({h} - {kh}) // {stride} + 1 = {out_h}"
    elif padding == "same":
        top, bottom = conv.same_padding(h, kh, stride)
        formula = f"H' = ceil({h} / {stride}) = {out_h} (zeros: {top} top, {bottom} bottom)"
    else:
        formula = f"H' = ({h} + 2*{padding} - {kh}) // {stride} + 1 = {out_h}"
    return f"{formula}; output {out_h}x{out_w}"


def _conv_panels(axes, image, name, kernel, stride, padding):
    """Padded input (real pixels framed), kernel, output drawn on the same pixel scale."""
    import matplotlib.patches

    padded, (top, bottom, left, right) = conv.pad2d(image, padding, kernel.shape, stride)
    output = conv.conv2d(image, kernel, stride=stride, padding=padding)
    _show(axes[0], padded, f"input {image.shape[0]}x{image.shape[1]}, padded {padded.shape[0]}x{padded.shape[1]}",
          signed=False, colorbar=False)
    axes[0].add_patch(matplotlib.patches.Rectangle((left - 0.5, top - 0.5), image.shape[1], image.shape[0],
                                                   fill=False, edgecolor="#E69F00", linewidth=2))
    _show(axes[1], kernel, f"kernel {name!r}", signed=True, colorbar=False)
    if kernel.size <= 49:  # small kernels: write the weights on the cells
        limit = float(np.abs(kernel).max()) or 1.0
        for (i, j), value in np.ndenumerate(kernel):
            axes[1].text(j, i, f"{value:.2g}", ha="center", va="center", fontsize=8,
                         color=_text_color(value, limit, signed=True))
    size = max(padded.shape)
    h, w = output.shape
    _show(axes[2], output, f"output {h}x{w} (stride {stride}, {_padding_label(padding)})", colorbar=False,
          extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    axes[2].set_facecolor("#d9d9d9")  # gray: where the output has no pixels
    for ax in (axes[0], axes[2]):  # same pixel scale: a smaller output looks smaller
        ax.set_xlim(-0.5, size - 0.5)
        ax.set_ylim(size - 0.5, -0.5)
    return output


def conv_explorer_figure(image, kernels=None, settings=None):
    """Static rendering of the explorer: one row (padded input, kernel, output) per setting.

    ``settings``: ``[(kernel name, stride, padding), ...]``; default: four settings that show valid vs same
    padding and stride 1 vs 2 with the first kernel (and the second, if any).
    """
    from course_utils import plot

    image, kernels = _image(image), _kernels(kernels)
    names = list(kernels)
    if settings is None:
        second = names[1] if len(names) > 1 else names[0]
        settings = [(names[0], 1, "valid"), (names[0], 1, "same"), (second, 2, "same"), (second, 2, 1)]
    fig, axes = plot.subplots(len(settings), 3, figsize=(9.5, 3.0 * len(settings)))
    for row, (name, stride, padding) in zip(axes, settings):
        if name not in kernels:
            raise ValueError(f"Unknown kernel {name!r}; choose one of {names}.")
        _conv_panels(row, image, name, kernels[name], stride, padding)
        row[2].set_xlabel(conv_setting_text(image.shape, kernels[name].shape, stride, padding), fontsize=8)
    fig.suptitle("Convolution explorer (static view): the output shrinks with 'valid' and with stride")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig


def conv_explorer(image, kernels=None, strides=(1, 2, 3), paddings=CONV_PADDINGS, settings=None):
    """Choose a kernel, a stride and a padding; see the padded input, the kernel and the output live.

    ``image``: (H, W); ``kernels``: dict name -> (kh, kw) array (default: identity, box blur, Sobel x/y).
    Headless (tests, ``course run``): returns ``conv_explorer_figure(image, kernels, settings)``.
    Live: displays an ipywidgets ``VBox`` and returns None (so that the cell shows it once).
    """
    image, kernels = _image(image), _kernels(kernels)
    strides = _int_choices(strides, "strides")
    if paddings is None or not len(tuple(paddings)):
        raise ValueError("`paddings` must list at least one of 'valid', 'same' or an int.")
    if paths.headless():
        return conv_explorer_figure(image, kernels, settings)
    _conv_widget(image, kernels, strides, tuple(paddings), display_it=True)
    return None


def _conv_widget(image, kernels, strides, paddings, display_it=False):
    import ipywidgets as widgets

    kernel = widgets.Dropdown(options=list(kernels), description="kernel")
    stride = widgets.Dropdown(options=list(strides), description="stride")
    padding = widgets.Dropdown(options=[(repr(p), p) for p in paddings], description="padding")
    out = widgets.Output()
    text = widgets.HTML()

    def update(*_):
        from course_utils import plot

        try:
            text.value = "<code>" + conv_setting_text(image.shape, kernels[kernel.value].shape, stride.value,
                                                      padding.value) + "</code>"
            fig, axes = plot.subplots(1, 3, figsize=(10, 3.4))
            _conv_panels(axes[0], image, kernel.value, kernels[kernel.value], stride.value, padding.value)
            fig.tight_layout()
        except ValueError as err:  # e.g. a kernel larger than the image: say so instead of a traceback
            text.value = f"<b>{err}</b>"
            return
        out.clear_output(wait=True)
        with out:
            fig._ipython_display_()

    for control in (kernel, stride, padding):
        control.observe(update, names="value")
    box = widgets.VBox([widgets.HBox([kernel, stride, padding]), text, out])
    update()
    if display_it:
        from IPython.display import display

        display(box)
    return box


# ----------------------------------------------------------------------------------------------- pooling


def _pool_panels(ax_in, ax_out, image, size, stride, mode, padding):
    """The input (when ``ax_in`` is not None) and the pooled output on the input's pixel scale."""
    output = conv.pool2d(image, size=size, stride=stride, mode=mode, padding=padding)
    h, w = output.shape
    if ax_in is not None:
        _show(ax_in, image, f"input {image.shape[0]}x{image.shape[1]}", colorbar=False)
    _show(ax_out, output, f"{mode} pool {size}x{size}, stride {stride}, {padding!r}\n-> {h}x{w}", colorbar=False,
          signed=bool(image.min() < 0), extent=(-0.5, w - 0.5, h - 0.5, -0.5))
    ax_out.set_facecolor("#d9d9d9")  # gray: where the output has no pixels
    ax_out.set_xlim(-0.5, image.shape[1] - 0.5)
    ax_out.set_ylim(image.shape[0] - 0.5, -0.5)
    return output


def pool_explorer_figure(image, settings=None):
    """Static rendering: the input, then one pooled output per ``(size, stride, mode, padding)`` setting,
    all on the input's pixel scale (default: four settings)."""
    from course_utils import plot

    image = _image(image)
    if settings is None:
        settings = [(2, 2, "max", "valid"), (2, 2, "average", "valid"), (3, 2, "max", "same"), (3, 3, "max", "valid")]
    n = len(settings)
    fig, axes = plot.subplots(1, n + 1, figsize=(2.7 * (n + 1), 3.3))
    axes = axes[0]
    _show(axes[0], image, f"input {image.shape[0]}x{image.shape[1]}", colorbar=False)
    for ax, (size, stride, mode, padding) in zip(axes[1:], settings):
        _pool_panels(None, ax, image, size, stride, mode, padding)
    fig.suptitle("Pooling explorer (static view): each output drawn on the input's pixel scale")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def pool_explorer(image, sizes=(2, 3, 4), strides=(1, 2, 3), modes=POOL_MODES, paddings=POOL_PADDINGS,
                  settings=None):
    """Choose pool size, stride, max/average and padding; see the pooled output and its shape live.

    ``image``: (H, W). Headless: returns ``pool_explorer_figure(image, settings)``; live: displays an
    ipywidgets ``VBox`` and returns None.
    """
    image = _image(image)
    sizes, strides = _int_choices(sizes, "sizes"), _int_choices(strides, "strides")
    if paths.headless():
        return pool_explorer_figure(image, settings)
    _pool_widget(image, sizes, strides, tuple(modes), tuple(paddings), display_it=True)
    return None


def _pool_widget(image, sizes, strides, modes, paddings, display_it=False):
    import ipywidgets as widgets

    size = widgets.Dropdown(options=list(sizes), value=sizes[0], description="size")
    stride = widgets.Dropdown(options=list(strides), value=sizes[0] if sizes[0] in strides else strides[0],
                              description="stride")
    mode = widgets.Dropdown(options=list(modes), description="mode")
    padding = widgets.Dropdown(options=list(paddings), description="padding")
    out = widgets.Output()
    text = widgets.HTML()

    def update(*_):
        from course_utils import plot

        try:
            out_h = conv.output_size(image.shape[0], size.value, stride.value, padding.value)
            out_w = conv.output_size(image.shape[1], size.value, stride.value, padding.value)
            text.value = (f"<code>output {out_h}x{out_w}: {image.size} numbers -> {out_h * out_w} "
                          f"({out_h * out_w / image.size:.0%})</code>")
            fig, axes = plot.subplots(1, 2, figsize=(7, 3.6))
            _pool_panels(axes[0][0], axes[0][1], image, size.value, stride.value, mode.value, padding.value)
            fig.tight_layout()
        except ValueError as err:
            text.value = f"<b>{err}</b>"
            return
        out.clear_output(wait=True)
        with out:
            fig._ipython_display_()

    for control in (size, stride, mode, padding):
        control.observe(update, names="value")
    box = widgets.VBox([widgets.HBox([size, stride, mode, padding]), text, out])
    update()
    if display_it:
        from IPython.display import display

        display(box)
    return box


__all__ = ["DEFAULT_KERNELS", "conv_explorer", "conv_explorer_figure", "conv_setting_text", "plot_maps",
           "plot_numbers", "pool_explorer", "pool_explorer_figure"]
