"""What every course figure shares: the colour-blind-safe colours, the figure that Jupyter shows exactly once
(``CourseFigure``), ``subplots`` and panel grids, and ``save_figure``. The figures themselves are in ``plot``.

matplotlib is imported inside the functions, never at ``import course_utils``.
"""

from pathlib import Path

from course_utils import paths

# Okabe-Ito palette (colour-blind safe).
RIGHT_COLOR = "#0072B2"  # blue
WRONG_COLOR = "#D55E00"  # vermillion
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
WRONG_MARK = "✗"

_FIGURE_CLASS = None


def __getattr__(name):
    if name == "CourseFigure":
        return course_figure_class()
    raise AttributeError(f"module 'course_utils.figures' has no attribute {name!r}")


def course_figure_class():
    """The ``Figure`` subclass (built on first use, so that importing this module stays light)."""
    global _FIGURE_CLASS
    if _FIGURE_CLASS is None:
        from matplotlib.figure import Figure

        class CourseFigure(Figure):
            """A figure that Jupyter shows once: as a PNG when displayed, then closed."""

            def _ipython_display_(self):
                import matplotlib.pyplot as plt
                from IPython.core.pylabtools import print_figure
                from IPython.display import display

                try:
                    png = print_figure(self, "png", base64=True)
                    display({"image/png": png, "text/plain": repr(self)}, raw=True)
                finally:
                    plt.close(self)  # the inline backend must not show it a second time

        CourseFigure.__module__ = __name__
        CourseFigure.__qualname__ = "CourseFigure"
        _FIGURE_CLASS = CourseFigure
    return _FIGURE_CLASS


def plt():
    """``matplotlib.pyplot``, imported on first use."""
    import matplotlib.pyplot

    return matplotlib.pyplot


def subplots(nrows=1, ncols=1, **kwargs):
    """``plt.subplots`` for course figures: a 2-D array of axes, and the figure shows exactly once in a notebook
    (also when it is returned as a cell's last value)."""
    return plt().subplots(nrows, ncols, squeeze=False, FigureClass=course_figure_class(), **kwargs)


def grid(n, ncols, panel=1.6, extra_height=0.6):
    """A figure with ``n`` panels in rows of ``ncols``; unused axes are removed. Returns (fig, axes list)."""
    ncols = max(1, min(int(ncols), n))
    nrows = -(-n // ncols)
    scale = min(1.0, 16.0 / (ncols * panel))  # keep the figure at most 16 inches wide
    fig, axes = subplots(nrows, ncols, figsize=(ncols * panel * scale, nrows * panel * scale + extra_height))
    axes = list(axes.ravel())
    for ax in axes[n:]:
        ax.remove()
    return fig, axes[:n]


def hide_ticks(ax):
    ax.set_xticks([])
    ax.set_yticks([])


def save_figure(fig, path, dpi=150):
    """Save ``fig`` as an image (format from the suffix, e.g. .png, .pdf); returns the ``Path``.

    A relative path is placed under ``<work dir>/figures`` (the course never writes next to notebooks).
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise ValueError(f"save_figure needs a figure returned by a plot_* function; got {type(fig).__name__}.")
    if path is None or not isinstance(path, (str, Path)) or not str(path).strip():
        raise ValueError("save_figure needs a file name, e.g. save_figure(fig, 'history.png').")
    path = Path(path).expanduser()
    if not path.is_absolute():
        path = paths.work_dir() / "figures" / path
    if not path.suffix:
        path = path.with_suffix(".png")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    except (OSError, ValueError) as err:
        raise ValueError(f"Could not save the figure to {path} ({err}). Choose another folder or name.") from None
    print(f"Saved figure to {path}")
    return path
