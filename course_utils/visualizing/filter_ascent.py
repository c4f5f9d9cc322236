"""What a filter responds to: gradient ascent on the input image (notebook 04, section 5).

TensorFlow and Keras are imported inside the function (``import course_utils`` stays light).
"""

import numbers

import numpy as np

from course_utils.visualizing.feature_maps import (
    check_model,
    conv_layer_names,
    get_layer,
    input_shape,
    positive_int,
    pre_activation,
)

__all__ = ["maximize_filter"]


def maximize_filter(model, layer_name, filter_index, steps=60, lr=0.05, seed=0, value_range=(0.0, 1.0)):
    """Gradient ascent on the input to maximize a filter's mean activation ("what the filter responds to").

    The activation is taken *before* the layer's own activation function (ReLU), so that a filter that is
    silent (0 everywhere) on the starting image still gets a gradient; for a layer with no activation (e.g.
    a conv followed by BatchNormalization) it is the layer's output.
    Starts from faint noise around mid-grey (seeded), and at each of ``steps`` steps moves every pixel by
    ``lr`` times the gradient divided by its RMS (so ``lr`` is in pixel units), then clips to
    ``value_range``. ``filter_index``: one channel of ``layer_name``'s output, or a list of channels (all
    optimized together, one image each).

    Returns ``(image, activations)``: for one filter, image (H, W, C) and activations (steps + 1,) (the mean
    activation before each step and at the end); for a list of n filters, (n, H, W, C) and (steps + 1, n).
    """
    import tensorflow as tf

    shape = input_shape(model)
    if any(s is None for s in shape):
        raise ValueError(f"maximize_filter needs a fixed input size; this model takes {shape}.")
    layer = get_layer(model, layer_name)
    if len(layer.output.shape) != 4:
        raise ValueError(f"{layer_name!r} outputs {tuple(layer.output.shape)}, not feature maps (N, h, w, "
                         f"channels). Pick a convolution layer: {conv_layer_names(model)}.")
    channels = int(layer.output.shape[-1])
    single = isinstance(filter_index, numbers.Integral) and not isinstance(filter_index, bool)
    indices = [filter_index] if single else list(filter_index) if filter_index is not None else []
    if not indices:
        raise ValueError("filter_index must be a channel number (or a list of them).")
    for index in indices:
        if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < channels:
            raise ValueError(f"filter_index must be between 0 and {channels - 1} ({layer_name!r} has {channels} "
                             f"filters); got {index!r}.")
    steps = positive_int(steps, "steps")
    if not isinstance(lr, numbers.Real) or lr <= 0:
        raise ValueError(f"lr must be a positive number (pixel units per step); got {lr!r}.")
    low, high = (float(v) for v in value_range)
    import keras

    extractor = keras.Model(check_model(model), pre_activation(model, layer))
    rng = np.random.default_rng(seed)
    n = len(indices)
    mid = (low + high) / 2
    x = tf.constant((mid + 0.05 * (high - low) * rng.standard_normal((n, *shape))).clip(low, high), "float32")
    onehot = tf.constant(np.eye(channels, dtype="float32")[indices])  # (n, channels)

    def mean_activation(pixels):
        return tf.reduce_sum(tf.reduce_mean(extractor(pixels, training=False), axis=(1, 2)) * onehot, axis=1)

    @tf.function
    def step(pixels):
        with tf.GradientTape() as tape:
            tape.watch(pixels)
            activation = mean_activation(pixels)  # (n,)
            total = tf.reduce_sum(activation)  # the filters do not interact: one gradient for all
        grad = tape.gradient(total, pixels)
        rms = tf.sqrt(tf.reduce_mean(tf.square(grad), axis=(1, 2, 3), keepdims=True)) + 1e-8
        return tf.clip_by_value(pixels + lr * grad / rms, low, high), activation

    curve = []
    for _ in range(steps):
        x, activation = step(x)
        curve.append(activation.numpy())
    curve.append(mean_activation(x).numpy())
    images, curve = x.numpy(), np.array(curve, dtype="float32")
    return (images[0], curve[:, 0]) if single else (images, curve)
