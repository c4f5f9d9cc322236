"""What a convolution or pooling layer computes, in plain NumPy (no TensorFlow).

Layouts follow TensorFlow ("channels last"):

- image ``x``: ``(H, W)``, ``(H, W, C_in)`` or a batch ``(N, H, W, C_in)``;
- kernel: ``(kh, kw)`` (one input and one output channel) or ``(kh, kw, C_in, C_out)``.

``conv2d`` is the *cross-correlation* that deep-learning frameworks call convolution: the kernel
is not flipped. Padding is ``"valid"`` (none), ``"same"`` (TensorFlow's rule: the output has
``ceil(n / stride)`` pixels; an odd padding total puts the extra zero on the bottom/right) or an
int (or ``(rows, cols)`` pair) of zeros added on each side.

Results are float32 when every input fits in float32 (float32, float16, 8- or 16-bit integers),
float64 otherwise (float64 arrays, Python lists of numbers, 32/64-bit integers).
"""

import contextlib
import math
import numbers

import numpy as np

__all__ = [
    "conv2d",
    "conv2d_naive",
    "pool2d",
    "pad2d",
    "same_padding",
    "output_size",
    "conv_param_count",
]

_PADDING_NAMES = ("valid", "same")
_POOL_MODES = {"max": "max", "average": "average", "avg": "average", "mean": "average"}


# --------------------------------------------------------------------------- validation helpers


def _as_numeric_array(value, name):
    """``value`` as a NumPy array of numbers, or a friendly ``ValueError``."""
    if value is None:
        raise ValueError(f"`{name}` is None: pass a NumPy array (for example an image from load_mnist()).")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{name}` could not be turned into an array ({error}); pass a NumPy array of numbers "
            "with the same length in every row."
        ) from None
    if array.dtype.kind not in "biuf":
        raise ValueError(
            f"`{name}` must contain numbers, but its dtype is {array.dtype}; convert it first, "
            f"for example `{name} = np.asarray({name}, dtype='float32')`."
        )
    if array.size == 0:
        raise ValueError(f"`{name}` is empty (shape {array.shape}); pass an array with at least one pixel.")
    return array


def _float_dtype(*arrays):
    """float32 when all ``arrays`` fit in float32, else float64."""
    dtype = np.result_type(*(a.dtype for a in arrays), np.float32)
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _pair(value, name, minimum=1):
    """An int or a pair of ints as ``(rows, cols)``, each ``>= minimum``."""
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(_is_int(v) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(
            f"`{name}` must be an int or a pair of ints like (2, 2), not {value!r}."
        )
    if min(pair) < minimum:
        what = "positive" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"`{name}` must be {what}, got {value!r}; for example use {name}=1.")
    return pair


def _positive_int(value, name):
    if not _is_int(value) or value < 1:
        raise ValueError(f"`{name}` must be a positive int, not {value!r}.")
    return int(value)


def _padding_spec(padding):
    """``"valid"``, ``"same"`` or a ``(rows, cols)`` pair of non-negative ints."""
    if isinstance(padding, str):
        name = padding.strip().lower()
        if name in _PADDING_NAMES:
            return name
        raise ValueError(
            f"Unknown padding {padding!r}: use 'valid' (no padding), 'same' (output size ceil(n / stride)) "
            "or an int number of zeros on each side, like padding=1."
        )
    if padding is None:
        raise ValueError("`padding` is None: use 'valid', 'same' or an int such as padding=1.")
    try:
        return _pair(padding, "padding", minimum=0)
    except ValueError:
        raise ValueError(
            f"Unknown padding {padding!r}: use 'valid', 'same', an int >= 0 (zeros on each side) "
            "or a pair of ints (rows, cols)."
        ) from None


def _image_as_batch(x):
    """``x`` as ``(N, H, W, C)`` plus its original number of dimensions."""
    if x.ndim == 2:
        return x[None, :, :, None], 2
    if x.ndim == 3:
        return x[None], 3
    if x.ndim == 4:
        return x, 4
    raise ValueError(
        f"`x` has shape {x.shape} ({x.ndim} dimensions); use (H, W) for a grayscale image, "
        "(H, W, C) for an image with channels, or (N, H, W, C) for a batch."
    )


def _kernel_as_4d(kernel):
    if kernel.ndim == 2:
        return kernel[:, :, None, None]
    if kernel.ndim == 4:
        return kernel
    hint = " (add the output-channel axis with `kernel[..., None]`)" if kernel.ndim == 3 else ""
    raise ValueError(
        f"`kernel` has shape {kernel.shape}; use (kh, kw) for one filter on a one-channel image, "
        f"or (kh, kw, C_in, C_out) like TensorFlow{hint}."
    )


# --------------------------------------------------------------------------- sizes and padding


def same_padding(n, k, stride=1):
    """Zeros ``(before, after)`` that TensorFlow's ``"same"`` adds on one axis of ``n`` pixels.

    The output has ``ceil(n / stride)`` pixels; the total ``max((out - 1) * stride + k - n, 0)`` is
    split with the smaller half before (top/left) and the extra pixel after (bottom/right).
    """
    n, k, stride = _positive_int(n, "n"), _positive_int(k, "k"), _positive_int(stride, "stride")
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def output_size(n, k, stride=1, padding="valid"):
    """Output length along one axis of ``n`` pixels for a window of ``k`` pixels.

    ``"valid"``: ``floor((n - k) / stride) + 1``; ``"same"``: ``ceil(n / stride)``;
    an int ``p``: ``floor((n + 2p - k) / stride) + 1``.
    """
    n, k, stride = _positive_int(n, "n"), _positive_int(k, "k"), _positive_int(stride, "stride")
    spec = _padding_spec(padding)
    if spec == "same":
        return math.ceil(n / stride)
    if isinstance(padding, (tuple, list)):
        raise ValueError("output_size works on one axis: give `padding` as one int, not a pair.")
    pad = 0 if spec == "valid" else spec[0]
    if k > n + 2 * pad:
        raise ValueError(
            f"The window ({k} pixels) is larger than the padded input ({n} + 2*{pad} = {n + 2 * pad} pixels); "
            "use a smaller kernel, more padding, or padding='same'."
        )
    return (n + 2 * pad - k) // stride + 1


def _pad_amounts(height, width, kernel_size, stride, padding):
    """``(top, bottom, left, right)`` zeros for ``padding`` (already checked)."""
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        return same_padding(height, kernel_size[0], stride[0]) + same_padding(width, kernel_size[1], stride[1])
    return padding[0], padding[0], padding[1], padding[1]


def pad2d(x, padding, kernel_size, stride=1, value=0.0):
    """Pad an image the way a layer would; returns ``(padded, (top, bottom, left, right))``.

    ``x`` is ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``; only the two spatial axes are padded
    (with ``value``). ``padding`` is ``"valid"``, ``"same"``, an int or a ``(rows, cols)`` pair;
    ``kernel_size`` and ``stride`` are ints or pairs (they matter only for ``"same"``).
    """
    x = _as_numeric_array(x, "x")
    batch, ndim = _image_as_batch(x)
    spec = _padding_spec(padding)
    amounts = _pad_amounts(batch.shape[1], batch.shape[2], _pair(kernel_size, "kernel_size"),
                           _pair(stride, "stride"), spec)
    top, bottom, left, right = amounts
    padded = np.pad(batch, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)
    if ndim == 2:
        padded = padded[0, :, :, 0]
    elif ndim == 3:
        padded = padded[0]
    return padded, amounts


def conv_param_count(kh, kw, c_in, c_out, bias=True):
    """Trainable numbers in a Conv2D layer: ``(kh * kw * c_in + 1) * c_out`` (no ``+ 1`` without bias)."""
    for value, name in ((kh, "kh"), (kw, "kw"), (c_in, "c_in"), (c_out, "c_out")):
        _positive_int(value, name)
    return (kh * kw * c_in + (1 if bias else 0)) * c_out


# --------------------------------------------------------------------------- convolution

_BLAS_CONTROLLER = []  # threadpoolctl's controller, created on first use (about 10 ms)


def _one_blas_thread():
    """A context that runs NumPy's matrix product on one BLAS thread (when threadpoolctl is installed).

    On a 2-core machine OpenBLAS's thread pool made conv2d's thin product (K = kh*kw*C_in) 2-30x
    slower whenever anything else was running; one thread is as fast when the machine is idle.
    """
    if not _BLAS_CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController

            _BLAS_CONTROLLER.append(ThreadpoolController())
        except Exception:  # threadpoolctl missing or unable to inspect the BLAS: keep its default
            _BLAS_CONTROLLER.append(None)
    controller = _BLAS_CONTROLLER[0]
    if controller is None:
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")



def _prepare_conv(x, kernel, stride, padding, bias):
    """Checked inputs as ``(xp (N, Hp, Wp, C_in), k4 (kh, kw, C_in, C_out), stride, bias, ndims, dtype)``."""
    x = _as_numeric_array(x, "x")
    kernel = _as_numeric_array(kernel, "kernel")
    batch, x_ndim = _image_as_batch(x)
    k4 = _kernel_as_4d(kernel)
    kh, kw, c_in, c_out = k4.shape
    if batch.shape[3] != c_in:
        raise ValueError(
            f"The image has {batch.shape[3]} channel(s) (shape {x.shape}) but the kernel expects {c_in} "
            f"(shape {kernel.shape}); the kernel's third axis must equal the image's last axis."
        )
    stride = _pair(stride, "stride")
    spec = _padding_spec(padding)
    dtype = _float_dtype(x, kernel)
    if bias is not None:
        bias = _as_numeric_array(bias, "bias")
        if bias.size not in (1, c_out) or bias.ndim > 1:
            raise ValueError(
                f"`bias` has shape {bias.shape}; give one number per output channel, shape ({c_out},)."
            )
        dtype = _float_dtype(x, kernel, bias)
        bias = bias.reshape(-1).astype(dtype)
    top, bottom, left, right = _pad_amounts(batch.shape[1], batch.shape[2], (kh, kw), stride, spec)
    height, width = batch.shape[1] + top + bottom, batch.shape[2] + left + right
    if kh > height or kw > width:
        raise ValueError(
            f"The kernel ({kh}x{kw}) is larger than the image after padding ({height}x{width}); "
            "use a smaller kernel, a bigger image, or padding='same'."
        )
    xp = batch.astype(dtype, copy=False)
    if top or bottom or left or right:
        xp = np.pad(xp, ((0, 0), (top, bottom), (left, right), (0, 0)))
    return xp, k4.astype(dtype, copy=False), stride, bias, (x_ndim, kernel.ndim), dtype


def _restore_shape(out, ndims):
    """``out`` ``(N, H', W', C_out)`` back to the layout of the input."""
    x_ndim, kernel_ndim = ndims
    if x_ndim == 4:
        return out
    if x_ndim == 2 and kernel_ndim == 2:
        return out[0, :, :, 0]
    return out[0]


def conv2d(x, kernel, stride=1, padding="valid", bias=None):
    """Convolve (cross-correlate) ``x`` with ``kernel``, vectorized (no loop over pixels).

    ``x``: ``(H, W)``, ``(H, W, C_in)`` or a batch ``(N, H, W, C_in)``.
    ``kernel``: ``(kh, kw)`` or ``(kh, kw, C_in, C_out)``. ``stride``: int or ``(rows, cols)``.
    ``padding``: ``"valid"``, ``"same"``, or an int / ``(rows, cols)`` of zeros on each side.
    ``bias``: optional, one number per output channel.
    Returns ``(H', W')`` for a 2-D image and a 2-D kernel, ``(H', W', C_out)`` for one image,
    ``(N, H', W', C_out)`` for a batch, where ``H' = output_size(H, kh, stride, padding)``;
    float32 when the inputs are float32 (or smaller), float64 otherwise.
    """
    xp, k4, (sh, sw), bias, ndims, _ = _prepare_conv(x, kernel, stride, padding, bias)
    kh, kw, c_in, c_out = k4.shape
    n, height, width, _ = xp.shape
    out_h, out_w = (height - kh) // sh + 1, (width - kw) // sw + 1
    # im2col: every window becomes one row of length kh*kw*C_in, then ONE matrix product.
    # columns[b, i, j, di, dj, :] = xp[b, i*sh + di, j*sw + dj, :]; filled one kernel offset
    # (di, dj) at a time, a strided slice of the whole batch each (a loop over kh*kw, not pixels).
    columns = np.empty((n, out_h, out_w, kh, kw, c_in), dtype=xp.dtype)
    for di in range(kh):
        for dj in range(kw):
            columns[:, :, :, di, dj, :] = xp[:, di : di + (out_h - 1) * sh + 1 : sh,
                                              dj : dj + (out_w - 1) * sw + 1 : sw, :]
    columns = columns.reshape(n * out_h * out_w, kh * kw * c_in)
    weights = k4.reshape(kh * kw * c_in, c_out)
    with _one_blas_thread():
        out = (columns @ weights).reshape(n, out_h, out_w, c_out)
    if bias is not None:
        out += bias
    return _restore_shape(out, ndims)


def conv2d_naive(x, kernel, stride=1, padding="valid", bias=None):
    """The same result as ``conv2d``, computed with explicit Python loops (slow, easy to read).

    Shapes and arguments as in ``conv2d``. Each output pixel of each filter is the sum of the
    window times the filter: ``out[i, j, c] = sum(window(i, j) * kernel[:, :, :, c]) + bias[c]``.
    """
    xp, k4, (sh, sw), bias, ndims, dtype = _prepare_conv(x, kernel, stride, padding, bias)
    kh, kw, _, c_out = k4.shape
    n, height, width, _ = xp.shape
    out_h, out_w = (height - kh) // sh + 1, (width - kw) // sw + 1
    out = np.zeros((n, out_h, out_w, c_out), dtype=dtype)
    for b in range(n):
        for i in range(out_h):
            for j in range(out_w):
                window = xp[b, i * sh : i * sh + kh, j * sw : j * sw + kw, :]
                for c in range(c_out):
                    out[b, i, j, c] = np.sum(window * k4[:, :, :, c])
                    if bias is not None:
                        out[b, i, j, c] += bias[c]
    return _restore_shape(out, ndims)


# --------------------------------------------------------------------------- pooling


def pool2d(x, size=2, stride=None, mode="max", padding="valid"):
    """Max or average pooling with TensorFlow's semantics, one channel at a time.

    ``x``: ``(H, W)``, ``(H, W, C)`` or ``(N, H, W, C)``; the output keeps that layout.
    ``size`` and ``stride`` (default: ``size``): int or ``(rows, cols)``.
    ``mode``: ``"max"`` or ``"average"`` (also ``"avg"``, ``"mean"``).
    ``padding``: ``"valid"`` or ``"same"``; padded cells never count: max ignores them and average
    divides by the number of real pixels in each window (like ``tf.nn.max_pool2d`` / ``avg_pool2d``).
    """
    x = _as_numeric_array(x, "x")
    batch, ndim = _image_as_batch(x)
    if not isinstance(mode, str) or mode.strip().lower() not in _POOL_MODES:
        raise ValueError(f"Unknown pooling mode {mode!r}: use 'max' or 'average' (also 'avg' or 'mean').")
    mode = _POOL_MODES[mode.strip().lower()]
    kh, kw = _pair(size, "size")
    sh, sw = _pair(size if stride is None else stride, "stride")
    spec = _padding_spec(padding)
    if spec not in _PADDING_NAMES:
        raise ValueError(
            f"Pooling supports padding='valid' or padding='same' (like TensorFlow), not {padding!r}."
        )
    dtype = _float_dtype(x)
    top, bottom, left, right = _pad_amounts(batch.shape[1], batch.shape[2], (kh, kw), (sh, sw), spec)
    height, width = batch.shape[1] + top + bottom, batch.shape[2] + left + right
    if kh > height or kw > width:
        raise ValueError(
            f"The pooling window ({kh}x{kw}) is larger than the image ({batch.shape[1]}x{batch.shape[2]}); "
            "use a smaller size or padding='same'."
        )
    out_h, out_w = (height - kh) // sh + 1, (width - kw) // sw + 1
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))

    def windows(array):  # (N, H', W', C, kh, kw)
        view = np.lib.stride_tricks.sliding_window_view(array, (kh, kw), axis=(1, 2))
        return view[:, : (out_h - 1) * sh + 1 : sh, : (out_w - 1) * sw + 1 : sw]

    batch = batch.astype(dtype, copy=False)
    if mode == "max":
        out = windows(np.pad(batch, pads, constant_values=-np.inf)).max(axis=(4, 5))
    else:
        sums = windows(np.pad(batch, pads)).sum(axis=(4, 5))
        ones = np.pad(np.ones((1, batch.shape[1], batch.shape[2], 1), dtype=dtype), pads)
        out = sums / windows(ones).sum(axis=(4, 5))
    if ndim == 2:
        return out[0, :, :, 0]
    return out[0] if ndim == 3 else out
