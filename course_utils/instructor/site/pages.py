"""Executed student notebooks turned into the site's pages (still notebooks, rendered by myst-nb).

Per notebook: the launch badges (images from other sites) become local launch buttons (Colab, Binder,
download); the Colab setup cell is folded; every figure becomes a file under ``_static/figures`` shown with alt
text (the figure described by ``figures.describe`` while the notebook ran, else the section it belongs to);
each quiz cell shows the quiz in the page (``quizdata``); each exercise gets "run this exercise" links.
"""

import base64
import html
import re
from pathlib import Path

from course_utils.instructor import links
from course_utils.instructor.site import quizdata

_QUIZ_LOAD = re.compile(r"""quiz\.load\(\s*["']([\w.-]+)["']""")
_FINAL = re.compile(r"quiz\.final_quiz\(")
_EXERCISE_CHECK = re.compile(r"\bex\.([A-Za-z_]\w*)\.check\(")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.M)
_IMAGES = {"image/png": "png", "image/jpeg": "jpg"}
_WIDGET = "application/vnd.jupyter.widget-view+json"
_DEFAULT_REPR = re.compile(r"^<[\w.]*Figure\b[^>]*>$")
_INLINE_COLOUR = re.compile(r"(?<![\w-])((?:text-decoration-)?color):\s*#([0-9a-fA-F]{6})\b")  # not background
OUTPUT_BACKGROUND = (0xF3, 0xF4, 0xF5)  # the theme's output area
MIN_CONTRAST = 4.5  # WCAG AA for normal text


def _luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(rgb, background=OUTPUT_BACKGROUND):
    light, dark = sorted((_luminance(rgb), _luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable_colour(hex_colour):
    """``hex_colour`` (``"00d7ff"``) darkened, keeping its hue, until it is readable on the output background."""
    rgb = [int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)]
    while contrast(rgb) < MIN_CONTRAST:
        rgb = [int(c * 0.9) for c in rgb]
    return "".join(f"{c:02x}" for c in rgb)


def readable_colours(markup):
    """Inline text colours of an HTML output (Keras' model summary, rich tables) made readable (WCAG AA)."""
    return _INLINE_COLOUR.sub(lambda m: f"{m.group(1)}: #{readable_colour(m.group(2))}", markup)


def download_path(file):
    return f"downloads/{file}"


def launch_html(file):
    """Buttons that run the notebook elsewhere or download it (plain links: nothing is loaded from them)."""
    name = html.escape(Path(file).stem)
    return (f'<nav class="course-launch" aria-label="Run {name}">'
            f'<a class="course-launch-button" href="{html.escape(links.colab_url(file))}">Open in Colab</a>'
            f'<a class="course-launch-button" href="{html.escape(links.binder_url(file))}">Launch on Binder</a>'
            f'<a class="course-launch-button" href="{download_path(file)}" download>Download the notebook</a>'
            f"</nav>")


def exercise_html(file, exercise):
    return (f'<div class="course-site-exercise"><b>Your turn:</b> exercises are checked by running them. '
            f'Run <code>{html.escape(exercise)}</code> on '
            f'<a href="{html.escape(links.colab_url(file))}">Colab</a> or '
            f'<a href="{html.escape(links.binder_url(file))}">Binder</a>, or '
            f'<a href="{download_path(file)}" download>download the notebook</a>.</div>')


def _source(cell):
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _html_output(markup):
    return {"output_type": "display_data", "data": {"text/html": markup}, "metadata": {}}


def _plain(data):
    text = data.get("text/plain", "")
    return ("".join(text) if isinstance(text, list) else text).strip()


class PageMaker:
    """Rewrites one executed notebook (a dict in nbformat 4) into a page; figures go to ``figures_dir``."""

    def __init__(self, file, figures_dir, figures_url="_static/figures"):
        self.file = file
        self.stem = Path(file).stem
        self.figures_dir = Path(figures_dir)
        self.figures_url = figures_url
        self.section = ""
        self.figures = []  # (file name, alt text)

    def page(self, nb):
        for index, cell in enumerate(nb["cells"]):
            source = _source(cell)
            if cell["cell_type"] == "markdown":
                self._markdown(cell, source)
                continue
            if cell["cell_type"] != "code":
                continue
            tags = cell.setdefault("metadata", {}).setdefault("tags", [])
            if "setup" in tags:
                tags.append("hide-input")
            cell["outputs"] = [self._output(o, index, k) for k, o in enumerate(cell.get("outputs", []))]
            quiz = self._quiz(source)
            if quiz is not None:
                cell["outputs"] = [_html_output(quizdata.quiz_html(quiz))]
            checked = _EXERCISE_CHECK.findall(source)
            if checked:
                cell["outputs"].append(_html_output(exercise_html(self.file, f"ex.{checked[0]}")))
        nb.get("metadata", {}).pop("widgets", None)
        return nb

    def _markdown(self, cell, source):
        start, end = links.BADGES_START, links.BADGES_END
        if start in source and end in source:
            before, rest = source.split(start, 1)
            source = before + launch_html(self.file) + rest.split(end, 1)[1]
            cell["source"] = source
        headings = _HEADING.findall(source)
        if headings:
            self.section = headings[-1].strip()

    def _quiz(self, source):
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
        if _FINAL.search(source):
            return quizdata.final_quiz()
        match = _QUIZ_LOAD.search(source)
        if match:
            from course_utils.checking.quiz import resolve_bank

            return quizdata.bank_quiz(resolve_bank(match.group(1)))
        return None

    def _output(self, output, cell_index, output_index):
        data = output.get("data")
        if not data:
            return output
        data.pop(_WIDGET, None)
        if "text/html" in data:
            markup = data["text/html"]
            data["text/html"] = readable_colours("".join(markup) if isinstance(markup, list) else markup)
        mime = next((m for m in _IMAGES if m in data), None)
        if mime is None:
            return output
        name = f"{self.stem}-{cell_index:03d}-{output_index}.{_IMAGES[mime]}"
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        payload = data[mime]
        (self.figures_dir / name).write_bytes(base64.b64decode("".join(payload) if isinstance(payload, list)
                                                               else payload))
        alt = self.alt_text(_plain(data))
        self.figures.append((name, alt))
        size = output.get("metadata", {}).get(mime, {})
        width = f' width="{int(size["width"])}"' if isinstance(size, dict) and "width" in size else ""
        markup = (f'<figure class="course-figure"><img src="{self.figures_url}/{name}" alt="{html.escape(alt)}"'
                  f'{width} loading="lazy"></figure>')
        return {"output_type": "display_data", "data": {"text/html": markup}, "metadata": {}}

    def alt_text(self, plain):
        """The figure's description, or (a notebook run without the site's figure hook) its section."""
        if plain and not _DEFAULT_REPR.match(plain):
            return plain
        where = f" in the section '{self.section}'" if self.section else ""
        return f"Figure{where} of {self.stem}, drawn by the code cell above."
