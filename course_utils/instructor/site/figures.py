"""What a matplotlib figure shows, in words: the alt text of the site's figures, and colour-map checks.

Loaded into the kernel that executes the notebooks for the site (an IPython startup file written by
``build``): the text version of every figure (its ``repr``, normally ``<Figure size 640x480 with 1 Axes>``,
shown as ``text/plain`` next to the PNG) becomes a description built from its titles, axis labels, legends and plot kinds, which the site uses as the
figure's alt text. Colour maps that colour-blind readers cannot read (rainbow-like maps, or signed values on a
one-sided map) are written to the file named by ``COURSE_SITE_FIGURE_LOG``, one JSON line per figure.
"""

import json
import os

RAINBOW_MAPS = {"jet", "rainbow", "hsv", "gist_rainbow", "nipy_spectral", "gist_ncar", "turbo", "prism", "flag"}
DIVERGING_MAPS = {"RdBu", "RdBu_r", "coolwarm", "bwr", "seismic", "PiYG", "PRGn", "BrBG", "PuOr", "RdGy",
                  "RdYlBu", "RdYlGn", "Spectral", "berlin", "managua", "vanimo", "coolwarm_r", "bwr_r",
                  "seismic_r", "PiYG_r", "PRGn_r", "BrBG_r", "PuOr_r", "RdGy_r", "RdYlBu_r", "RdYlGn_r",
                  "Spectral_r"}
MAX_NAMED = 6  # panels (or image titles) named one by one; beyond that the first ones and the count


def _axes_of(fig):
    return [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]


def _titles(ax):
    titles = (ax.get_title("left"), ax.get_title(), ax.get_title("right"))
    return [" ".join(t.split()) for t in titles if t.strip()]


def _kind(ax):
    if ax.images:
        return "image"
    if ax.containers and any(type(c).__name__ == "BarContainer" for c in ax.containers):
        return "bar chart"
    if ax.collections and not ax.lines:
        return "scatter or heat map"
    if ax.lines:
        return "line plot"
    if ax.texts or ax.tables:
        return "text panel"
    return "panel"


def _describe_axes(ax):
    title = "; ".join(_titles(ax))
    kind = _kind(ax)
    words = f"{kind} '{title}'" if title else kind
    xlabel, ylabel = ax.get_xlabel().strip(), ax.get_ylabel().strip()
    if kind != "image" and ylabel:
        words += f" of {ylabel}" + (f" against {xlabel}" if xlabel else "")
    elif kind != "image" and xlabel:
        words += f" over {xlabel}"
    legend = ax.get_legend()
    if legend is not None:
        labels = [t.get_text() for t in legend.get_texts() if t.get_text().strip()]
        if labels:
            words += " (" + ", ".join(labels[:MAX_NAMED]) + ("..." if len(labels) > MAX_NAMED else "") + ")"
    return words


def describe(fig):
    """One or two sentences saying what ``fig`` shows: its title, then each panel (kind, title, axes)."""
    suptitle = fig._suptitle.get_text().strip() if getattr(fig, "_suptitle", None) else ""
    axes = _axes_of(fig)
    head = f"Figure: {suptitle}." if suptitle else "Figure."
    if not axes:
        return head
    if len(axes) == 1:
        words = _describe_axes(axes[0])
        return f"{head} {'An' if words[0] in 'aeiou' else 'A'} {words}."
    kinds = {_kind(ax) for ax in axes}
    if kinds == {"image"} and len(axes) > MAX_NAMED:
        titles = [t for ax in axes for t in _titles(ax)][:MAX_NAMED]
        named = f" titled {', '.join(titles)}, ..." if titles else ""
        return f"{head} {len(axes)} images{named}."
    panels = [_describe_axes(ax) for ax in axes[:MAX_NAMED]]
    more = f"; and {len(axes) - MAX_NAMED} more" if len(axes) > MAX_NAMED else ""
    return f"{head} {len(axes)} panels: " + "; ".join(panels) + more + "."


def colour_problems(fig):
    """Colour maps a colour-blind reader may not read: rainbow-like maps, signed values on a one-sided map."""
    import numpy as np

    problems = []
    for ax in _axes_of(fig):
        for image in ax.images:
            values = image.get_array()
            if values is None or np.ndim(values) != 2:  # RGB pictures have no colour map
                continue
            name = image.get_cmap().name
            where = "; ".join(_titles(ax)) or "a panel"
            if name in RAINBOW_MAPS:
                problems.append(f"{where}: the rainbow-like colour map {name!r}")
            finite = np.asarray(values, dtype=float)
            finite = finite[np.isfinite(finite)]
            low, high = image.get_clim()
            signed = finite.size and finite.min() < 0 < finite.max() and low is not None and low < 0 < high
            if signed and name not in DIVERGING_MAPS and name != "gray":
                problems.append(f"{where}: signed values on the one-sided colour map {name!r}")
    return problems


def _log_colours(fig):
    log = os.environ.get("COURSE_SITE_FIGURE_LOG")
    if not log:
        return
    try:
        problems = colour_problems(fig)
    except Exception as err:  # noqa: BLE001 - a figure that cannot be checked is reported, not fatal
        problems = [f"could not be checked ({err.__class__.__name__})"]
    with open(log, "a", encoding="utf-8") as file:
        file.write(json.dumps({"alt": describe(fig), "colour_problems": problems}) + "\n")


def install():
    """Make every matplotlib figure's text version (its ``repr``, shown next to its PNG) describe it."""
    from matplotlib.figure import Figure

    plain = Figure.__repr__

    def described(fig):
        try:
            text = describe(fig)
            _log_colours(fig)
            return text
        except Exception:  # noqa: BLE001 - never break a notebook for an alt text
            return plain(fig)

    Figure.__repr__ = described
    return True


STARTUP = "from course_utils.instructor.site import figures\nfigures.install()\n"
