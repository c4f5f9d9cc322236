"""Exercises of notebook 01: the loop convolution, the output-size formula, stride and padding,
a horizontal-edge kernel, and a parameter count."""

import numpy as np

from course_utils.checking.exercises import Function, Value, case
from course_utils.checking.exercises.compare import Problem, describe
from course_utils.checking.exercises.core import Exercise
from course_utils.checking.exercises.misconceptions import nb01 as catalogue

NOTEBOOK = "01_convolution_by_hand"


# --------------------------------------------------------------------------- 1. the loop convolution


def conv2d_loop(image, kernel):
    """'valid' cross-correlation of a (H, W) image with a (kh, kw) kernel -> (H - kh + 1, W - kw + 1)."""
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def conv2d_loop_cases(rng):
    yield case(rng.normal(size=(5, 5)), rng.normal(size=(3, 3)), note="a 5x5 image, a 3x3 kernel")
    yield case(np.arange(16.0).reshape(4, 4), np.array([[1.0, 0.0], [0.0, -1.0]]), note="a 2x2 kernel")
    yield case(rng.normal(size=(6, 9)), rng.normal(size=(3, 2)), note="a non-square image and kernel")
    yield case(rng.normal(size=(4, 4)), np.array([[0, 0, 0], [0, 0, 1.0], [0, 0, 0]]),
               note="a kernel that is not symmetric: it must not be flipped")
    yield case(rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), note="kernel as large as the image: 1x1 output")
    yield case(rng.integers(0, 256, size=(10, 10)).astype(np.uint8), np.ones((3, 3)) / 9,
               note="a uint8 image (compute in floats)")
    yield case(rng.normal(size=(7, 4)), rng.normal(size=(1, 3)), note="odd and even sizes, a 1x3 kernel")
    yield case(rng.normal(size=(8, 6)), rng.normal(size=(4, 2)), note="an even 4x2 kernel")


# --------------------------------------------------------------------------- 2. the output size


def conv_output_size(n, k, stride=1, padding=0):
    """Output length for ``n`` input pixels, a ``k``-pixel kernel, ``stride`` and ``padding`` zeros per side."""
    return (n + 2 * padding - k) // stride + 1


def conv_output_size_cases(rng):
    yield case(28, 3, 1, 0, note="28 pixels, 3x3 kernel, stride 1, no padding")
    yield case(28, 3, 1, 1, note="padding 1 keeps 28")
    yield case(28, 5, 2, 0, note="stride 2: (28 - 5) / 2 is not a whole number")
    yield case(32, 3, 2, 1, note="stride 2 with padding 1")
    yield case(7, 7, 1, 0, note="kernel as large as the input")
    yield case(224, 7, 2, 3, note="the first layer of ResNet")
    yield case(7, 3, 2, 0, note="stride 2 on 7 pixels: 3 windows")
    yield case(6, 4, 2, 1, note="an even kernel with padding")
    yield case(10, 2, 3, 0, note="stride 3 that does not divide evenly")
    for _ in range(6):
        k = int(rng.integers(1, 8))
        yield case(int(rng.integers(k, 100)), k, int(rng.integers(1, 5)), int(rng.integers(0, 4)))
    yield case(28, 3, note="the default stride (1) and padding (0)")  # found by tests/test_mutation.py


# --------------------------------------------------------------------------- 3. stride and padding


def conv2d_strided(image, kernel, stride=1, padding=0):
    """Cross-correlation with ``stride`` and ``padding`` zeros on each side; (H', W') as in the formula."""
    image = np.pad(np.asarray(image, dtype=float), padding)
    kernel = np.asarray(kernel, dtype=float)
    kh, kw = kernel.shape
    out_h = (image.shape[0] - kh) // stride + 1
    out_w = (image.shape[1] - kw) // stride + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = image[i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[i, j] = np.sum(window * kernel)
    return out


def conv2d_strided_cases(rng):
    yield case(rng.normal(size=(6, 6)), rng.normal(size=(3, 3)), 1, 0, note="stride 1, no padding")
    yield case(rng.normal(size=(6, 6)), rng.normal(size=(3, 3)), 1, 1, note="padding 1: output 6x6")
    yield case(rng.normal(size=(7, 7)), rng.normal(size=(3, 3)), 2, 0, note="stride 2 on 7x7: output 3x3")
    yield case(rng.normal(size=(8, 8)), rng.normal(size=(3, 3)), 2, 1, note="stride 2 and padding 1")
    yield case(rng.normal(size=(9, 6)), rng.normal(size=(2, 3)), 3, 2, note="non-square, stride 3, padding 2")
    yield case(np.ones((5, 5)), np.ones((3, 3)), 1, 1, note="all ones: the border sees the padding zeros")
    yield case(rng.normal(size=(7, 5)), rng.normal(size=(3, 3)), 2, 1, note="odd sizes, stride 2, padding 1")
    yield case(rng.normal(size=(6, 8)), rng.normal(size=(4, 2)), 2, 2, note="even sizes, a 4x2 kernel, padding 2")
    yield case(rng.integers(0, 256, size=(9, 7), dtype=np.uint8), np.array([[1.0, -1.0], [-1.0, 1.0]]), 2, 1,
               note="uint8 pixels (raw digits) and negative weights: compute the output in floats")
    yield case(rng.normal(size=(6, 5)), rng.normal(size=(3, 3)), note="the default stride (1) and padding (0)")


# --------------------------------------------------------------------------- 4. a horizontal-edge kernel


def _edge_images():
    """A horizontal edge (dark top, bright bottom), a vertical edge and a flat image, each 8x8."""
    horizontal = np.zeros((8, 8))
    horizontal[4:] = 1.0
    return horizontal, horizontal.T.copy(), np.full((8, 8), 0.7)


def _response(image, kernel):
    return np.abs(conv2d_loop(image, kernel)).max()


# The task: on a step from 0 (above) to 1 (below), a response of at least this much (Sobel y gives 4, Prewitt 3).
STRONG_RESPONSE = 0.1


class EdgeKernel(Exercise):
    """The answer is a 3x3 kernel that gives a positive response where the image goes from dark (above) to
    bright (below), none where it goes from bright to dark, and 0 on vertical edges and flat areas.
    A list of lists is fine: ``use()`` hands on a float array."""

    kind = "kernel"

    def __init__(self, id, reference, **options):
        super().__init__(id, **options)
        self.reference = np.asarray(reference, dtype=float)

    def _reference_answer(self):
        return self.reference.copy()

    def _handed_on(self, answer):
        return np.asarray(answer, dtype=float)

    def _reference_source(self):
        rows = ",\n    ".join(str([float(v) for v in row]) for row in self.reference)
        return f"{self.name} = np.array([\n    {rows},\n])"

    def _evaluate(self, answer):
        try:
            kernel = np.asarray(answer, dtype=float)
        except (TypeError, ValueError):
            return Problem("wrong_type", f"Your kernel should be a 2-D array of numbers, not {describe(answer)}.")
        if kernel.shape != (3, 3):
            return Problem("wrong_shape", f"The task asks for a 3x3 kernel (3 rows, 3 columns); yours has shape "
                                          f"{kernel.shape}.")
        if not np.isfinite(kernel).all():
            return Problem("nan", "Your kernel contains NaN or infinite values.")
        horizontal, vertical, flat = (_response(image, kernel) for image in _edge_images())
        scale = np.abs(kernel).sum() or 1.0
        if vertical > 0.25 * scale and horizontal < 0.1 * vertical:
            return self.diagnose(lambda wrong: np.allclose(np.asarray(wrong, float), kernel)) or Problem(
                "wrong", "Your kernel finds vertical edges (changes from left to right), not horizontal ones: "
                         "transpose it.")
        if max(horizontal, vertical) < 0.1 * scale:
            return Problem("wrong", "Your kernel barely responds to a horizontal edge (dark above, bright below). "
                                    "Give the rows above and below the centre weights of opposite signs.")
        if flat > 1e-6 * horizontal:
            return Problem("wrong", "Your kernel responds to a flat, uniform image: its weights should add up to 0 "
                                    f"(they add up to {kernel.sum():.3g}).")
        if vertical > 0.8 * horizontal and np.allclose(np.rot90(kernel, 2), -kernel):
            return Problem("wrong", "Your kernel finds diagonal edges (like a 45° Sobel kernel): it responds to "
                                    "horizontal and vertical edges alike. For horizontal edges only, keep the "
                                    "weights equal along each row: negative above the centre, positive below.")
        if vertical > 0.8 * horizontal:
            return Problem("wrong", "Your kernel responds to edges in every direction (like a Laplacian): it must "
                                    "respond to horizontal edges only, so keep the weights equal along each row.")
        if vertical > 0.1 * horizontal:
            return Problem("wrong", "Your kernel also responds to vertical edges. Keep the weights equal along "
                                    "each row, so that left and right are treated the same.")
        return self._direction(kernel)

    @staticmethod
    def _direction(kernel):
        """Dark above -> bright below must give a positive response; bright above -> dark below none."""
        dark_to_bright = _edge_images()[0]
        up = conv2d_loop(dark_to_bright, kernel).max()
        down = conv2d_loop(1.0 - dark_to_bright, kernel).max()
        if up <= 1e-9 and down > 0:
            return Problem("wrong", "Your kernel has its signs the wrong way round: where the image goes from dark "
                                    "(above) to bright (below) it gives negative values. The task asks for a "
                                    "positive response there: negative weights on top, positive at the bottom.")
        if down > 1e-6 * up:
            return Problem("wrong", f"Your kernel also gives a positive response ({down:.3g}) where the image goes "
                                    "from bright (above) to dark (below), like a line detector: it responds to both "
                                    "directions of change. The task asks for dark above -> bright below only: "
                                    "negative weights on top, positive at the bottom, zeros in the middle row.")
        if up < STRONG_RESPONSE:
            return Problem("wrong", f"Your kernel barely responds: a step from 0 (above) to 1 (below) gives only "
                                    f"{up:.3g}. The task asks for a strong response (at least {STRONG_RESPONSE}; "
                                    "Sobel gives 4): use weights like -1 and 1, not tiny ones.")
        return None


# --------------------------------------------------------------------------- the list


EXERCISES = [
    Function(
        "conv2d_loop", conv2d_loop, conv2d_loop_cases,
        title="Convolution ('valid', stride 1) with two loops over the output pixels",
        hints=[
            "The output has (H - kh + 1) x (W - kw + 1) pixels. Loop over every output row i and column j.",
            "Output pixel (i, j) looks at the window image[i:i+kh, j:j+kw]: multiply it by the kernel, element "
            "by element, and add everything up.",
            "out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel). Start from out = np.zeros((out_h, out_w)) "
            "and do not flip the kernel.",
        ],
        atol=1e-5,  # float32 answers are fine
        **catalogue.CONV2D_LOOP,
    ),
    Function(
        "conv_output_size", conv_output_size, conv_output_size_cases,
        title="The output-size formula with stride and zero padding", dtype="exact",
        hints=[
            "Padding adds `padding` pixels on both sides, so the padded input has n + 2*padding pixels.",
            "Count the positions where the kernel fits: the first starts at 0, the last at most at "
            "n + 2*padding - k, and consecutive ones are `stride` apart.",
            "(n + 2*padding - k) // stride + 1: integer division (//), and do not forget the + 1.",
        ],
        **catalogue.CONV_OUTPUT_SIZE,
    ),
    Function(
        "conv2d_strided", conv2d_strided, conv2d_strided_cases,
        title="Convolution with stride and zero padding",
        hints=[
            "Pad first (np.pad(image, padding) adds zeros on every side), then convolve the padded image.",
            "With stride s, output pixel (i, j) starts at row i*s and column j*s of the padded image.",
            "Use your formula for the output size; the window is padded[i*s:i*s+kh, j*s:j*s+kw].",
        ],
        atol=1e-5,  # float32 answers are fine
        **catalogue.CONV2D_STRIDED,
    ),
    EdgeKernel(
        "horizontal_edge_kernel", [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
        title="A 3x3 kernel with a positive response where dark (above) turns bright (below), 0 on vertical edges "
              "and flat areas",
        name="edge_kernel",
        hints=[
            "A horizontal edge means the brightness changes from one row to the next.",
            "Subtract the row above the centre from the row below it: negative weights on top, positive at the "
            "bottom, zeros in the middle row. Then dark above -> bright below gives a positive response, and "
            "bright above -> dark below a negative one (the task asks for the first direction only).",
            "The Sobel y kernel: [[-1, -2, -1], [0, 0, 0], [1, 2, 1]] (the transpose of Sobel x).",
        ],
        **catalogue.HORIZONTAL_EDGE_KERNEL,
    ),
    Value(
        "n_params", (3 * 3 * 32 + 1) * 64,
        title="Parameters of Conv2D(64, 3x3) on a 32-channel input",
        hints=[
            "Each of the 64 filters has one 3x3 weight per input channel, plus one bias.",
            "One filter: 3*3*32 weights + 1 bias. Then multiply by the number of filters.",
        ],
        solution="n_params = (3 * 3 * 32 + 1) * 64  # 18,496",
        **catalogue.N_PARAMS,
    ),
]
