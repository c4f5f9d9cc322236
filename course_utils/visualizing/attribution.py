"""Which pixels a prediction depends on: saliency, Grad-CAM, HiResCAM and occlusion maps.

Every function takes a Keras 3 model (Sequential or functional, built, channels last) and one image of the
model's input shape: ``(H, W, C)``, ``(1, H, W, C)``, or ``(H, W)`` when ``C == 1``. Maps come back as
NumPy arrays of shape ``(H, W)``, the input's pixel grid, so they can be drawn over the image.

Class scores: when the model ends in a softmax, saliency and the CAMs differentiate the *logit* (the score
before softmax), like keras-io's Grad-CAM example. The probability ``p`` saturates: its gradient carries a
factor ``p (1 - p)`` that is nearly 0 for a confident prediction, and it also rises when other classes'
scores fall. The logit's gradient shows what speaks *for* the class. Occlusion, model-agnostic, uses the
probabilities the model outputs.

Grad-CAM vs HiResCAM, for a layer's maps A (h, w, k) and the gradient G = d score / d A:
Grad-CAM (Selvaraju et al. 2017) weights each channel by the *mean* of its gradient, ReLU(sum_k mean(G_k) A_k);
HiResCAM (Draelos & Carin 2020) multiplies element-wise, sum_k G_k * A_k. When the gradient is the same at
every position (a global-average-pooling head) the two are equal. After ``Flatten -> Dense`` every position has
its own weights: the mean can be negative for a channel that supports the class where it fires, and Grad-CAM
can then be zero everywhere. HiResCAM keeps each position's own term: for a ``Flatten -> Dense`` (linear) head
right after the layer, the terms are exactly each position's share of the score (they add up to the score
minus the bias).
"""

import numbers

import numpy as np

from course_utils.visualizing.feature_maps import (
    as_batch,
    as_probabilities,
    check_class,
    conv_layer_names,
    conv_names_or_error,
    get_layer,
    model_outputs,
    positive_int,
    scores_model,
)

__all__ = [
    "saliency_map",
    "layer_maps_and_gradients",
    "signed_cams",
    "grad_cam",
    "hires_cam",
    "occlusion_positions",
    "occlusion_map",
]

_EPS = 1e-12


def saliency_map(model, image, class_index=None):
    """|d score_c / d pixel|, the largest over the colour channels: shape (H, W), float32, >= 0.

    score_c is the logit of class ``class_index`` (default: the predicted class) when the model ends in a
    softmax (see the module docstring for why), else the model's output for that class.
    """
    import tensorflow as tf

    batch = as_batch(model, image)
    scores_only = scores_model(model)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = tf.reshape(scores_only(x, training=False), (1, -1))
        index = int(tf.argmax(scores[0])) if class_index is None else check_class(class_index, scores.shape[-1])
        score = scores[0, index]
    grad = tape.gradient(score, x)
    return np.abs(grad.numpy()[0]).max(axis=-1).astype("float32")


def _resize(maps, size):
    """Bilinear resize of ``maps`` (h, w) to ``size`` (H, W)."""
    import tensorflow as tf

    if maps.shape == tuple(size):
        return maps
    resized = tf.image.resize(maps[None, :, :, None], size, method="bilinear")
    return resized.numpy()[0, :, :, 0]


def _maps_and_gradients(model, batch, class_indices, layer_name):
    """``(maps, grads, indices)`` for a float32 batch (N, H, W, C): the layer's maps and the gradients of each
    image's class score with respect to them, both (N, h, w, k), and the class explained for each image."""
    import tensorflow as tf

    if layer_name is None:
        layer_name = conv_names_or_error(model)[-1]
    layer = get_layer(model, layer_name)
    if len(layer.output.shape) != 4:
        raise ValueError(f"Grad-CAM needs a layer with feature maps (N, h, w, channels); {layer_name!r} outputs "
                         f"{tuple(layer.output.shape)}. Pick a convolution layer: {conv_layer_names(model)}.")
    both = scores_model(model, layer)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        maps, scores = both(x, training=False)
        scores = tf.reshape(scores, (len(batch), -1))
        if class_indices is None:
            indices = [int(i) for i in tf.argmax(scores, axis=1)]
        else:
            indices = [check_class(i, scores.shape[-1]) for i in class_indices]
        # Images do not interact in inference mode, so one gradient of the sum gives every image's own gradient.
        total = tf.reduce_sum(tf.gather(scores, indices, axis=1, batch_dims=1))
    grads = tape.gradient(total, maps)
    return maps.numpy().astype("float32"), grads.numpy().astype("float32"), indices


def layer_maps_and_gradients(model, image, class_index=None, layer_name=None):
    """``(maps, grads)``, each (h, w, k) float32: a layer's feature maps for ``image`` (default: the last
    convolution layer) and the gradient of the class score (logit; default: the predicted class) with
    respect to them. The two ingredients of Grad-CAM and HiResCAM."""
    batch = as_batch(model, image)
    classes = None if class_index is None else [class_index]
    maps, grads, _ = _maps_and_gradients(model, batch, classes, layer_name)
    return maps[0], grads[0]


def signed_cams(model, images, class_indices=None, layer_name=None, batch_size=256):
    """``(grad_cam, hires_cam)``, each (N, h, w) float32: both maps *before* the ReLU, at the layer's own
    resolution, for a batch of images (N, H, W, C).

    grad_cam = sum_k mean(G_k) * A_k and hires_cam = sum_k G_k * A_k (module docstring), where A are the maps
    of ``layer_name`` (default: the last convolution layer) and G the gradients of each image's class score
    (``class_indices``, default: each image's predicted class). A map whose maximum is <= 0 would be shown
    blank after the ReLU. Images go through the model ``batch_size`` at a time (memory stays small).
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim == 3 and images.shape[-1] != 1:
        images = images[..., None]
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, C); got shape {images.shape}.")
    batch = np.concatenate([as_batch(model, image, what=f"images[{i}]") for i, image in enumerate(images)])
    if class_indices is not None:
        class_indices = list(np.asarray(class_indices).reshape(-1))
        if len(class_indices) != len(batch):
            raise ValueError(f"There are {len(batch)} images but {len(class_indices)} class indices.")
    batch_size = positive_int(batch_size, "batch_size")
    grad_cams, hires_cams = [], []
    for start in range(0, len(batch), batch_size):
        part = slice(start, start + batch_size)
        classes = None if class_indices is None else class_indices[part]
        maps, grads, _ = _maps_and_gradients(model, batch[part], classes, layer_name)
        grad_cams.append(np.einsum("nhwk,nk->nhw", maps, grads.mean(axis=(1, 2))))
        hires_cams.append((maps * grads).sum(axis=-1))
    return np.concatenate(grad_cams).astype("float32"), np.concatenate(hires_cams).astype("float32")


def _shown(cam, size):
    """ReLU, bilinear resize to ``size``, divide by the maximum: (H, W) float32 in [0, 1] (zeros if blank)."""
    cam = np.maximum(_resize(np.maximum(cam, 0.0).astype("float32"), size), 0.0)
    top = float(cam.max())
    return (cam / top if top > _EPS else np.zeros_like(cam)).astype("float32")


def grad_cam(model, image, class_index=None, layer_name=None):
    """Grad-CAM (Selvaraju et al. 2017): where the layer's feature maps support class ``class_index``.

    Weights each channel k of the layer's output A (default: the last convolution layer) by the mean over
    positions of d score_c / d A_k, sums, keeps the positive part (ReLU), resizes (bilinear) to the input's
    (H, W) and divides by the maximum. Returns (H, W) float32 in [0, 1] (all zeros when nothing supports c,
    which happens after a Flatten head: see the module docstring and ``hires_cam``).
    """
    batch = as_batch(model, image)
    maps, grads = layer_maps_and_gradients(model, batch, class_index, layer_name)
    cam = (maps * grads.mean(axis=(0, 1))).sum(axis=-1)
    return _shown(cam, batch.shape[1:3])


def hires_cam(model, image, class_index=None, layer_name=None):
    """HiResCAM (Draelos & Carin 2020): each position's own gradient x activation, summed over channels.

    sum_k (d score_c / d A_k) * A_k for the layer's output A (default: the last convolution layer), then, as
    for ``grad_cam``, the positive part, a bilinear resize to (H, W) and division by the maximum: (H, W)
    float32 in [0, 1]. For a ``Flatten -> Dense`` (linear) head right after the layer, the map before the ReLU
    is exactly each position's contribution to the score; with a global-average-pooling head it equals
    Grad-CAM. ``signed_cams`` gives the maps before the ReLU.
    """
    batch = as_batch(model, image)
    maps, grads = layer_maps_and_gradients(model, batch, class_index, layer_name)
    return _shown((maps * grads).sum(axis=-1), batch.shape[1:3])


def _starts(n, patch, stride):
    starts = list(range(0, n - patch + 1, stride))
    if starts[-1] != n - patch:
        starts.append(n - patch)  # the last patch touches the border
    return starts


def occlusion_positions(height, width, patch=4, stride=2):
    """The top-left corners ``(row, col)`` of the patches ``occlusion_map`` hides: every ``stride`` pixels,
    plus a last row/column of patches that touches the border. One prediction per position."""
    patch, stride = positive_int(patch, "patch"), positive_int(stride, "stride")
    if patch > min(height, width):
        raise ValueError(f"patch ({patch}) must fit in the image ({height}x{width}).")
    return [(r, c) for r in _starts(height, patch, stride) for c in _starts(width, patch, stride)]


def _measure(probabilities, measure):
    if measure == "probability":
        return probabilities
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def occlusion_map(model, image, class_index=None, patch=4, stride=2, fill=0.0, batch_size=256,
                  measure="probability"):
    """Occlusion sensitivity (Zeiler & Fergus 2014), model-agnostic: only the predictions are used.

    Slides a ``patch`` x ``patch`` square of value ``fill`` over the image with step ``stride`` (the last
    row/column of patches touches the border; ``occlusion_positions``) and records how much the probability of
    class ``class_index`` (default: the predicted class) drops. Each pixel gets the mean drop of the patches
    that cover it. Returns (H, W) float32, in probability units: > 0 the pixel's region supports the class,
    < 0 hiding it makes the class *more* likely. ``measure="log_odds"`` records the drop in log(p / (1 - p))
    instead, which still shows differences when p is 0.9999 (a probability barely moves there). All occluded
    images are predicted in batches of ``batch_size``.
    """
    batch = as_batch(model, image)
    height, width = batch.shape[1:3]
    positions = occlusion_positions(height, width, patch, stride)
    batch_size = positive_int(batch_size, "batch_size")
    if not isinstance(fill, numbers.Real):
        raise TypeError(f"fill must be a number (the value of the hiding patch), not {type(fill).__name__}.")
    if measure not in ("probability", "log_odds"):
        raise ValueError(f"measure must be 'probability' or 'log_odds'; got {measure!r}.")
    base = as_probabilities(model_outputs(model, batch))[0]
    index = int(base.argmax()) if class_index is None else check_class(class_index, len(base))
    occluded = np.repeat(batch, len(positions), axis=0)
    for i, (r, c) in enumerate(positions):
        occluded[i, r:r + patch, c:c + patch, :] = fill
    probs = np.concatenate([
        as_probabilities(model_outputs(model, occluded[start:start + batch_size]))[:, index]
        for start in range(0, len(occluded), batch_size)
    ])
    before, probs = _measure(base[index], measure), _measure(probs, measure)
    total = np.zeros((height, width))
    count = np.zeros((height, width))
    for (r, c), prob in zip(positions, probs, strict=True):
        total[r:r + patch, c:c + patch] += before - prob
        count[r:r + patch, c:c + patch] += 1
    return (total / np.maximum(count, 1)).astype("float32")
