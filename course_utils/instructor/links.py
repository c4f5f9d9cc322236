"""Everything that follows from the course's address and version (``course_utils.addresses``): the notebooks'
launch badges and Colab setup cell, the README's generated blocks, and ``set_home`` (``course links``).

To move the course or release a version: ``course links --repo OWNER/NAME --ref vX.Y.Z`` rewrites the constants
in ``addresses.py`` and every badge, setup cell and README block (``course links`` alone re-syncs them); then commit
and push the tag. A test checks that the notebooks and the README agree with the constants, and that
``COURSE_REF`` is the tag of the package's version.
"""

import json
import re
from pathlib import Path

from course_utils import addresses
from course_utils.addresses import binder_url, colab_url, github_url, pip_install_target
from course_utils.catalog import NOTEBOOKS

ROOT = Path(__file__).resolve().parents[2]
BADGES_START, BADGES_END = "<!-- badges -->", "<!-- /badges -->"
INSTALL_MARK = "# course-install"


def __getattr__(name):
    """``links.GITHUB_REPO``, ``links.COURSE_REF``, ...: the current values in ``course_utils.addresses``."""
    if name in ("GITHUB_REPO", "COURSE_REF", "PACKAGE", "INSTALL_EXTRAS"):
        return getattr(addresses, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def badges_markdown(notebook):
    colab = "https://colab.research.google.com/assets/colab-badge.svg"
    binder = "https://mybinder.org/badge_logo.svg"
    return (
        f"[![Open In Colab]({colab})]({colab_url(notebook)}) "
        f"[![Launch Binder]({binder})]({binder_url(notebook)})"
    )


def colab_install_line():
    return f'    COURSE = "{pip_install_target()}"  {INSTALL_MARK}'


def colab_setup_source():
    """The notebooks' setup cell (tag ``setup``). On Colab it installs the course at ``COURSE_REF`` without its
    dependencies, so Colab's TensorFlow, Keras, NumPy and ipywidgets stay; ``colab.install_missing()`` then adds
    only what is missing. A failed install stops here with pip's message, not with an import error later."""
    return "\n".join([
        f"# On Colab: install the course version this notebook belongs to ({addresses.COURSE_REF}). Elsewhere: nothing to do.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import subprocess",
        "",
        colab_install_line(),
        '    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", COURSE]',
        "    result = subprocess.run(pip, capture_output=True, text=True)",
        "    if result.returncode != 0:",
        "        print(result.stdout[-2000:], result.stderr[-2000:])",
        '        raise RuntimeError(f"Could not install the course ({COURSE}); pip says why above. Check that the "',
        '                           "runtime is connected (Runtime > Reconnect), then run this cell again.")',
        "    from course_utils import colab",
        "",
        "    colab.install_missing()  # only packages Colab lacks; Colab's TensorFlow and ipywidgets stay as they are",
    ])


def _replace_between(text, start, end, new):
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    return pattern.sub(lambda _: f"{start}\n{new}\n{end}", text)


def _is_setup_cell(cell):
    return cell["cell_type"] == "code" and ("setup" in cell.get("metadata", {}).get("tags", [])
                                            or INSTALL_MARK in "".join(cell["source"]))


def sync_notebook(path):
    """Rewrite one notebook's badges and Colab setup cell; returns True when the file changed."""
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    changed = False
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        new = source
        if cell["cell_type"] == "markdown" and BADGES_START in source:
            new = _replace_between(source, BADGES_START, BADGES_END, badges_markdown(path.name))
        elif _is_setup_cell(cell):
            new = colab_setup_source()
        if new != source:
            cell["source"] = new.splitlines(keepends=True)
            changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return changed


def notebook_table():
    """The README's table of notebooks, with launch badges."""
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
        "clone": f"```bash\ngit clone {github_url()}.git\ncd {addresses.GITHUB_REPO.split('/')[1]}\n```",
        "install": (f'```bash\npython -m pip install "{pip_install_target(addresses.INSTALL_EXTRAS)}"\n'
                    "course doctor\ncourse run --fast\n```"),
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


def set_home(repo=None, ref=None, source=Path(addresses.__file__)):
    """Change ``GITHUB_REPO`` and/or ``COURSE_REF``: in ``course_utils.addresses`` and in its source file."""
    if repo is not None and not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise ValueError(f"--repo must look like OWNER/NAME (as in github.com/OWNER/NAME); got {repo!r}.")
    if ref is not None and not re.fullmatch(r"[\w./-]+", ref):
        raise ValueError(f"--ref must be a git tag, branch or commit (e.g. v0.2.0); got {ref!r}.")
    text = Path(source).read_text(encoding="utf-8")
    for name, value in (("GITHUB_REPO", repo), ("COURSE_REF", ref)):
        if value is not None:
            setattr(addresses, name, value)
            text = re.sub(rf'(?m)^{name} = ".*"$', f'{name} = "{value}"', text, count=1)
    Path(source).write_text(text, encoding="utf-8")


def sync_all(root=ROOT):
    """Rewrite the badges and setup cell of every notebook and the README's generated blocks.
    Returns the changed files."""
    root = Path(root)
    changed = [p for p in sorted((root / "notebooks").glob("[0-9]*.ipynb")) if sync_notebook(p)]
    if (root / "README.md").exists() and sync_readme(root / "README.md"):
        changed.append(root / "README.md")
    return changed


if __name__ == "__main__":
    for path in sync_all():
        print(f"updated {path}")
