"""The site's home page (MyST Markdown): what the course is, the notebook map, how to start."""

import html

from course_utils import catalog
from course_utils.instructor import links

INTRO = """\
An open-source, interactive course on **Convolutional Neural Networks** in Python with TensorFlow/Keras 3.
You build every idea from pixels up: a convolution by hand in NumPy, pooling, a real MNIST classifier, a look
inside what it learned, better architectures and transfer learning. Every notebook teaches by running code,
measures what it claims, and ends with exercises that are checked instantly and a short quiz.

This site shows every notebook as it ran, with its figures, tables and math, so you can read the course before
installing anything. The quizzes work right here in the page. Exercises are checked by running them: open the
notebook on Colab or Binder, or on your own machine.
"""


def notebook_map(pages):
    """An HTML table of the notebooks: title (a link to its page when built), what you do, minutes."""
    rows = []
    for nb in catalog.NOTEBOOKS:
        title = html.escape(nb.title)
        if nb.id in pages:
            title = f'<a href="{nb.id}.html">{title}</a>'
        elif not nb.ready:
            title += " (coming soon)"
        else:
            title += " (not on this site: run it on Colab or Binder)"
        rows.append(f"<tr><td>{title}</td><td>{html.escape(nb.summary)}</td><td>{nb.minutes}</td></tr>")
    total = sum(nb.minutes for nb in catalog.NOTEBOOKS if nb.ready)
    return ('<table class="table course-map"><caption>The notebooks, in order. Minutes: a laptop CPU, default '
            f'parameters; {total} minutes in all.</caption>'
            '<thead><tr><th scope="col">Notebook</th><th scope="col">What you do</th>'
            '<th scope="col">Minutes</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def home_markdown(title, pages):
    """The ``index.md`` of the site; ``pages``: the notebook ids that have a page, in order."""
    start = catalog.NOTEBOOKS[0].file
    readme = links.readme_blocks()
    toctree = "\n".join(pages)
    return f"""# {title}

{INTRO}
## The notebooks

{notebook_map(pages)}

## How to start

### In your browser, with nothing installed

- **Colab** (a Google account): [open the first notebook in Colab]({links.colab_url(start)}). Its first cell
  installs the course's helper package; Colab's own TensorFlow stays. A GPU runtime is optional.
- **Binder** (no account): [launch the course on Binder]({links.binder_url(start)}). It starts JupyterLab with
  everything installed (2 GB of memory: every notebook fits).

Every notebook's page has the same buttons at the top: *Open in Colab*, *Launch on Binder*, *Download the notebook*.

### On your own machine

You need Python 3.11 (3.10-3.12 work). In a clone of the repository ({links.github_url()}):

{readme["clone"]}

```bash
python -m pip install -r requirements.txt
jupyter lab notebooks/{start}
```

Without a clone, install the package of this version (the notebooks ship inside it):

{readme["install"]}

### For a class

- `course doctor` on each machine checks the setup and prints fixes; `course run --fast` executes every
  notebook and prints a table.
- `course release OUTDIR` writes the student versions (solutions replaced by `# YOUR CODE HERE`) and an answer
  key; `course release --nbgrader OUTDIR` an nbgrader course; `course progress` summarises students' progress
  files.
- For an offline classroom, put the data in a shared folder and set `COURSE_DATA_DIR`. This site itself works
  without internet: every script, style sheet and font it loads is inside it (`course site OUTDIR` builds it).

```{{toctree}}
:hidden:
:maxdepth: 1

{toctree}
```
"""
