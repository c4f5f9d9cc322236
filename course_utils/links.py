"""The course's repository address, in one place, and the launch badges that follow from it.

Change ``GITHUB_REPO`` (and ``BRANCH``) here once the repository has its final home, then run
``python -m course_utils.links`` to rewrite the badges and the Colab install line in every notebook and in
the README. A test checks that they agree with these constants.
"""

import json
import re
from pathlib import Path

GITHUB_REPO = "cnn-course/cnn-course"
BRANCH = "main"
PACKAGE = "cnn-course"

ROOT = Path(__file__).resolve().parent.parent
BADGES_START, BADGES_END = "<!-- badges -->", "<!-- /badges -->"
INSTALL_MARK = "# course-install"


def github_url():
    return f"https://github.com/{GITHUB_REPO}"


def colab_url(notebook):
    """Open ``notebooks/<notebook>`` from GitHub in Colab."""
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{BRANCH}/notebooks/{_name(notebook)}"


def binder_url(notebook=None):
    """Launch the repository on Binder in JupyterLab, opened at ``notebooks/<notebook>`` when given."""
    url = f"https://mybinder.org/v2/gh/{GITHUB_REPO}/{BRANCH}"
    return f"{url}?labpath=notebooks%2F{_name(notebook)}" if notebook else url


def pip_install_target():
    """What Colab's setup cell installs: the course package straight from the repository."""
    return f"{PACKAGE} @ git+{github_url()}@{BRANCH}"


def badges_markdown(notebook):
    colab = "https://colab.research.google.com/assets/colab-badge.svg"
    binder = "https://mybinder.org/badge_logo.svg"
    return (
        f"[![Open In Colab]({colab})]({colab_url(notebook)}) "
        f"[![Launch Binder]({binder})]({binder_url(notebook)})"
    )


def colab_install_line():
    return f'    %pip install -q "{pip_install_target()}"  {INSTALL_MARK}'


def _name(notebook):
    name = Path(str(notebook)).name
    return name if name.endswith(".ipynb") else f"{name}.ipynb"


def _replace_between(text, start, end, new):
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    return pattern.sub(lambda _: f"{start}\n{new}\n{end}", text)


def sync_notebook(path):
    """Rewrite one notebook's badges and Colab install line; returns True when the file changed."""
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        new = source
        if cell["cell_type"] == "markdown" and BADGES_START in source:
            new = _replace_between(source, BADGES_START, BADGES_END, badges_markdown(path.name))
        elif cell["cell_type"] == "code" and INSTALL_MARK in source:
            new = "\n".join(colab_install_line() if INSTALL_MARK in line else line for line in source.split("\n"))
        if new != source:
            cell["source"] = new.splitlines(keepends=True)
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def notebook_table():
    """The README's table of notebooks, with launch badges."""
    from course_utils.catalog import NOTEBOOKS

    colab = "https://colab.research.google.com/assets/colab-badge.svg"
    binder = "https://mybinder.org/badge_logo.svg"
    lines = ["| notebook | what you do | minutes (laptop CPU) | Colab | Binder |", "|---|---|---|---|---|"]
    for nb in NOTEBOOKS:
        if not nb.ready:
            lines.append(f"| {nb.title} (coming soon) | {nb.summary} | {nb.minutes} | | |")
            continue
        lines.append(
            f"| [{nb.title}](notebooks/{nb.file}) | {nb.summary} | {nb.minutes} | "
            f"[![Open In Colab]({colab})]({colab_url(nb.file)}) | [![Binder]({binder})]({binder_url(nb.file)}) |"
        )
    return "\n".join(lines)


def readme_blocks():
    """The README's generated blocks: marker name -> content."""
    return {
        "notebooks": notebook_table(),
        "launch": (
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url('00_start_here.ipynb')}) "
            f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder_url('00_start_here.ipynb')})"
        ),
        "clone": f"```bash\ngit clone {github_url()}.git\ncd {GITHUB_REPO.split('/')[1]}\n```",
    }


def sync_readme(path):
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = text
    for name, content in readme_blocks().items():
        new = _replace_between(new, f"<!-- {name} -->", f"<!-- /{name} -->", content)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def sync_all(root=ROOT):
    """Rewrite the badges of every notebook and the README's generated blocks. Returns the changed files."""
    root = Path(root)
    changed = [p for p in sorted((root / "notebooks").glob("[0-9]*.ipynb")) if sync_notebook(p)]
    if (root / "README.md").exists() and sync_readme(root / "README.md"):
        changed.append(root / "README.md")
    return changed


if __name__ == "__main__":
    for path in sync_all():
        print(f"updated {path}")
