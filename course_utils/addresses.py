"""Where the course lives and which version this is: the repository (``GITHUB_REPO``), the version tag
(``COURSE_REF``) and the addresses that follow from them (GitHub, Colab, Binder, the pip requirement).

Colab and Binder badges open the notebooks at ``COURSE_REF`` and the notebooks' Colab setup cell installs the
package from ``COURSE_REF``, so a notebook always runs with the package it was written for. Change them with
``course links --repo OWNER/NAME --ref vX.Y.Z`` (``instructor/links.py`` rewrites the two lines below and every
badge, setup cell and README block); a test checks that ``COURSE_REF`` is the tag of the package's version.
"""

from pathlib import Path

GITHUB_REPO = "cnn-course/cnn-course"
COURSE_REF = "v0.1.0"
PACKAGE = "cnn-course"
INSTALL_EXTRAS = "lab"  # what a student or instructor installs on their own machine: TensorFlow, Keras, JupyterLab


def notebook_file(notebook):
    """``"03_mnist_cnn"`` or ``"notebooks/03_mnist_cnn.ipynb"`` -> ``"03_mnist_cnn.ipynb"``."""
    name = Path(str(notebook)).name
    return name if name.endswith(".ipynb") else f"{name}.ipynb"


def github_url():
    return f"https://github.com/{GITHUB_REPO}"


def colab_url(notebook):
    """Open ``notebooks/<notebook>`` from GitHub in Colab."""
    return (f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{COURSE_REF}/notebooks/"
            f"{notebook_file(notebook)}")


def binder_url(notebook=None):
    """Launch the repository on Binder in JupyterLab, opened at ``notebooks/<notebook>`` when given."""
    url = f"https://mybinder.org/v2/gh/{GITHUB_REPO}/{COURSE_REF}"
    return f"{url}?labpath=notebooks%2F{notebook_file(notebook)}" if notebook else url


def pip_install_target(extras=""):
    """The pip requirement for this version of the course, straight from the repository (``extras``: ``"lab"``)."""
    name = f"{PACKAGE}[{extras}]" if extras else PACKAGE
    return f"{name} @ git+{github_url()}@{COURSE_REF}"
