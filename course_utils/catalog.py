"""The notebooks of the course, in order: file, title, one line, estimated minutes on a laptop CPU."""

from typing import NamedTuple


class Notebook(NamedTuple):
    file: str
    title: str
    summary: str
    minutes: int
    ready: bool = True  # False: planned, not written yet (shown as "coming soon")

    @property
    def id(self):
        return self.file.removesuffix(".ipynb")


NOTEBOOKS = [
    Notebook("00_start_here.ipynb", "00 · Start here",
             "How the course works, your environment, the data, a first exercise and quiz", 10),
    Notebook("01_convolution_by_hand.ipynb", "01 · Convolution by hand",
             "What a convolution layer computes: NumPy loops, vectorized, then TensorFlow", 45),
    Notebook("02_pooling.ipynb", "02 · Pooling",
             "Max and average pooling, why pool, global pooling, strided convolutions", 30),
    Notebook("03_mnist_cnn.ipynb", "03 · A CNN for handwritten digits",
             "The classic MNIST CNN built, trained, measured and saved properly", 45),
    Notebook("04_visualizing_cnns.ipynb", "04 · Visualizing what a CNN learns",
             "Filters, feature maps, saliency, Grad-CAM and HiResCAM, occlusion", 35),
    Notebook("05_better_cnns.ipynb", "05 · Building better CNNs",
             "Initialisation, batch normalization, regularization measured, residual blocks, famous architectures",
             45),
    Notebook("06_transfer_learning.ipynb", "06 · Transfer learning",
             "A pretrained MobileNetV2: feature extraction, freezing, fine-tuning", 40),
    Notebook("07_final_quiz.ipynb", "07 · Final quiz", "A mixed quiz over the whole course", 20),
]


def find(name):
    """The catalogue entry for a notebook id, file name or two-digit prefix (``"03"``), or ``None``."""
    name = str(name).rsplit("/", 1)[-1].removesuffix(".ipynb")
    for nb in NOTEBOOKS:
        if name in (nb.id, nb.id[:2]):
            return nb
    return None


def map_markdown(on_colab=None):
    """The notebook map as a Markdown table; links open in Colab when running there."""
    from course_utils import addresses, env

    on_colab = env.platform_name() == "colab" if on_colab is None else on_colab
    rows = ["| notebook | what you do | minutes |", "|---|---|---|"]
    for nb in NOTEBOOKS:
        target = addresses.colab_url(nb.file) if on_colab else nb.file
        title = f"[{nb.title}]({target})" if nb.ready else f"{nb.title} (coming soon)"
        rows.append(f"| {title} | {nb.summary} | {nb.minutes} |")
    return "\n".join(rows)


def show_map():
    """Display the notebook map in a notebook (Markdown), or print it in a terminal."""
    text = map_markdown()
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython and get_ipython() is not None:
        display(Markdown(text))
    else:
        print(text)
