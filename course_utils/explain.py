"""Look inside a trained CNN: feature maps, saliency, Grad-CAM, occlusion, filter visualization.

Every function takes a Keras 3 model (Sequential or functional, built, channels last) and one image of the
model's input shape: ``(H, W, C)``, ``(1, H, W, C)``, or ``(H, W)`` when ``C == 1``. Maps come back as
NumPy arrays of shape ``(H, W)``, the input's pixel grid, so they can be drawn over the image.

Class scores: when the model ends in a softmax, saliency and Grad-CAM differentiate the *logit* (the score
before softmax), like keras-io's Grad-CAM example. The probability ``p`` saturates: its gradient carries a
factor ``p (1 - p)`` that is nearly 0 for a confident prediction, and it also rises when other classes'
scores fall. The logit's gradient shows what speaks *for* the class. Occlusion, model-agnostic, uses the
probabilities the model outputs.

TensorFlow and Keras are imported inside the functions (``import course_utils`` stays light).
"""

import numbers

import numpy as np

__all__ = [
    "conv_layer_names",
    "feature_extractor",
    "saliency_map",
    "grad_cam",
    "layer_maps_and_gradients",
    "occlusion_map",
    "maximize_filter",
    "score_model",
    "class_scores",
    "plot_explanations",
]

_EPS = 1e-12


# ----------------------------------------------------------------------------------------- validation


def _check_model(model):
    import keras

    if model is None:
        raise ValueError("model is None. Load or build a Keras model first (did a previous cell fail?).")
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a Keras model (keras.Model or keras.Sequential), not a "
                        f"{type(model).__name__}.")
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "This model's input is not defined yet, so its layers' outputs cannot be reached. Start the model "
            "with keras.Input(shape=(28, 28, 1)) (or call it once on a batch of images) and try again."
        )
    if len(inputs) != 1:
        raise ValueError(f"These tools need a model with one image input; this one has {len(inputs)} inputs.")
    return inputs[0]


def _is_conv(layer):
    import keras

    kinds = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D,
             keras.layers.Conv2DTranspose)
    return isinstance(layer, kinds)


def conv_layer_names(model):
    """Names of the model's 2-D convolution layers, input to output (top-level layers only)."""
    _check_model(model)
    return [layer.name for layer in model.layers if _is_conv(layer)]


def _conv_names_or_error(model):
    names = conv_layer_names(model)
    if not names:
        kinds = ", ".join(type(layer).__name__ for layer in model.layers) or "no layers"
        raise ValueError(f"This model has no convolution layers (its layers: {kinds}). Feature maps, Grad-CAM "
                         f"and filter images need a CNN with Conv2D layers.")
    return names


def _get_layer(model, name):
    if not isinstance(name, str):
        raise TypeError(f"A layer name must be a string such as {conv_layer_names(model)[:1] or ['conv2d']}, "
                        f"not a {type(name).__name__}.")
    for layer in model.layers:
        if layer.name == name:
            return layer
    convs = conv_layer_names(model)
    listing = ", ".join(repr(n) for n in convs) if convs else "none"
    others = ", ".join(repr(layer.name) for layer in model.layers)
    raise ValueError(f"The model has no layer named {name!r}. Its convolution layers are: {listing} "
                     f"(all layers: {others}). Names are listed by model.summary().")


def _tensors(model, layer):
    """``(input, output)``: the symbolic tensors of ``layer`` *in this model's graph*.

    A layer called in several graphs (a model rebuilt or loaded, layers shared between models) has several
    nodes, and ``layer.input`` / ``layer.output`` give the first one, which may belong to another graph:
    gradients between such tensors are then None. The node whose key is in the model's graph is used."""
    graph = getattr(model, "_functional", None) or model
    keys = getattr(graph, "_nodes", None)
    nodes = getattr(layer, "_inbound_nodes", [])
    if keys and len(nodes) > 1:
        for index, node in enumerate(nodes):
            if f"{id(layer)}_ib-{index}" in keys:
                inputs, outputs = node.input_tensors, node.output_tensors
                return (inputs[0] if len(inputs) == 1 else inputs), (outputs[0] if len(outputs) == 1 else outputs)
    return layer.input, layer.output


def _input_shape(model):
    shape = tuple(_check_model(model).shape[1:])
    if len(shape) != 3:
        raise ValueError(f"These tools need an image model with input (H, W, C); this one takes {shape}.")
    return shape


def _as_batch(model, image, what="image"):
    """``image`` as a float32 batch ``(1, H, W, C)`` that matches the model's input shape."""
    expected = _input_shape(model)
    if image is None:
        raise ValueError(f"{what} is None. Pass one image, e.g. x_test[0] (did a previous cell fail?).")
    if isinstance(image, (str, bytes, dict)):
        raise TypeError(f"{what} must be an array of pixels, not a {type(image).__name__}.")
    try:
        array = np.asarray(image, dtype="float32")
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an array of numbers (a NumPy array of pixels).") from None
    shape = array.shape
    if array.ndim == 2 and expected[2] == 1:
        array = array[:, :, None]
    if array.ndim == 3:
        array = array[None]
    ok = array.ndim == 4 and array.shape[0] == 1 and all(
        e is None or e == a for e, a in zip(expected, array.shape[1:], strict=True))
    if not ok:
        want = ", ".join("?" if e is None else str(e) for e in expected)
        hint = ""
        if array.ndim == 4 and array.shape[0] > 1:
            hint = " Pass one image, not a batch: e.g. x_test[0]."
        elif len(shape) == 2 and expected[2] != 1:
            hint = f" The model expects {expected[2]} channels."
        raise ValueError(f"{what} has shape {shape}, but the model expects one image of shape ({want}), given as "
                         f"(H, W, C), (1, H, W, C) or (H, W) for one channel.{hint}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} contains NaN or infinite values; check how it was computed.")
    return array


def _check_class(class_index, n_classes):
    if isinstance(class_index, bool) or not isinstance(class_index, numbers.Integral):
        raise TypeError(f"class_index must be a whole number between 0 and {n_classes - 1} (or None for the "
                        f"predicted class), not {class_index!r}.")
    if not 0 <= int(class_index) < n_classes:
        raise ValueError(f"class_index must be between 0 and {n_classes - 1} (the model has {n_classes} "
                         f"classes); got {class_index}.")
    return int(class_index)


def _positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive whole number; got {value!r}.")
    return int(value)


# ----------------------------------------------------------------------------------------- models


def feature_extractor(model, layer_names=None):
    """A functional Keras model from ``model``'s input to the outputs of some of its layers.

    layer_names: None (every convolution layer), one name (the model has one output) or a list of names
    (a list of outputs, in that order). Calling it on a batch ``(N, H, W, C)`` gives, per layer, the feature
    maps ``(N, h, w, channels)``. Call it with ``training=False``: Keras 3 augmentation layers (e.g.
    ``RandomTranslation``) at the start of a model are active in a plain call.
    """
    import keras

    inputs = _check_model(model)
    if layer_names is None:
        names = _conv_names_or_error(model)
    elif isinstance(layer_names, str):
        names = layer_names
    else:
        names = list(layer_names)
        if not names:
            raise ValueError("layer_names is empty: give at least one layer name (or None for every conv layer).")
    if isinstance(names, str):
        outputs = _tensors(model, _get_layer(model, names))[1]
    else:
        outputs = [_tensors(model, _get_layer(model, name))[1] for name in names]
    return keras.Model(inputs=inputs, outputs=outputs, name=f"{model.name}_features")


def _score_tensor(model):
    """The symbolic class scores: the logits when the model ends in a softmax, else the model's output.
    Returns ``(tensor, kind)`` with kind ``"logit"`` or ``"output"``."""
    import keras

    last = model.layers[-1]
    output = model.outputs[0]
    last_input = _tensors(model, last)[0]
    if isinstance(last, keras.layers.Softmax) or (
            isinstance(last, keras.layers.Activation) and getattr(last.activation, "__name__", "") == "softmax"):
        return last_input, "logit"
    if getattr(getattr(last, "activation", None), "__name__", "") == "softmax":
        return _linear_twin(last, last_input)(last_input), "logit"
    return output, "output"


def _linear_twin(layer, layer_input):
    """A copy of ``layer`` (same config and weights) with a linear activation, built for ``layer_input``."""
    config = layer.get_config()
    config["activation"] = "linear"
    config["name"] = f"{layer.name}_linear"
    twin = type(layer).from_config(config)
    twin.build(layer_input.shape)
    twin.set_weights(layer.get_weights())
    return twin


def _pre_activation(model, layer):
    """The symbolic output of ``layer`` before its own activation (e.g. ReLU), or its output if it has none."""
    name = getattr(getattr(layer, "activation", None), "__name__", "linear")
    layer_input, layer_output = _tensors(model, layer)
    return layer_output if name == "linear" else _linear_twin(layer, layer_input)(layer_input)


def _scores_model(model, layer=None):
    """A model from the input to [class scores] or [layer output, class scores]."""
    import keras

    inputs = _check_model(model)
    scores, _ = _score_tensor(model)
    outputs = [scores] if layer is None else [_tensors(model, layer)[1], scores]
    return keras.Model(inputs=inputs, outputs=outputs)


def score_model(model):
    """A Keras model from ``model``'s input to its class scores (N, K): the logits when ``model`` ends in a
    softmax (the last layer's weights are copied at call time), else ``model``'s own output."""
    return _scores_model(model)


def class_scores(model, image):
    """The class scores used by saliency and Grad-CAM (logits when the model ends in softmax), shape (K,)."""
    batch = _as_batch(model, image)
    return np.asarray(_scores_model(model)(batch, training=False)[0], dtype="float32")


# ----------------------------------------------------------------------------------------- explanations


def _predicted(model, batch):
    probs = np.asarray(model(batch, training=False), dtype="float32")
    return probs.reshape(len(batch), -1)


def saliency_map(model, image, class_index=None):
    """|d score_c / d pixel|, the largest over the colour channels: shape (H, W), float32, >= 0.

    score_c is the logit of class ``class_index`` (default: the predicted class) when the model ends in a
    softmax (see the module docstring for why), else the model's output for that class.
    """
    import tensorflow as tf

    batch = _as_batch(model, image)
    scores_model = _scores_model(model)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        tape.watch(x)
        scores = scores_model(x, training=False)
        scores = tf.reshape(scores, (1, -1))
        index = int(tf.argmax(scores[0])) if class_index is None else _check_class(class_index, scores.shape[-1])
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


def layer_maps_and_gradients(model, image, class_index=None, layer_name=None):
    """``(maps, grads)``, each (h, w, k) float32: a layer's feature maps for ``image`` (default: the last
    convolution layer) and the gradient of the class score (logit; default: the predicted class) with
    respect to them. The two ingredients of Grad-CAM."""
    import tensorflow as tf

    batch = _as_batch(model, image)
    if layer_name is None:
        layer_name = _conv_names_or_error(model)[-1]
    layer = _get_layer(model, layer_name)
    if len(layer.output.shape) != 4:
        raise ValueError(f"Grad-CAM needs a layer with feature maps (N, h, w, channels); {layer_name!r} outputs "
                         f"{tuple(layer.output.shape)}. Pick a convolution layer: {conv_layer_names(model)}.")
    both = _scores_model(model, layer)
    x = tf.convert_to_tensor(batch)
    with tf.GradientTape() as tape:
        maps, scores = both(x, training=False)
        scores = tf.reshape(scores, (1, -1))
        index = int(tf.argmax(scores[0])) if class_index is None else _check_class(class_index, scores.shape[-1])
        score = scores[0, index]
    grads = tape.gradient(score, maps)
    return maps.numpy()[0].astype("float32"), grads.numpy()[0].astype("float32")


def grad_cam(model, image, class_index=None, layer_name=None):
    """Grad-CAM (Selvaraju et al. 2017): where the layer's feature maps support class ``class_index``.

    Weights each channel k of the layer's output A (default: the last convolution layer) by the mean over
    positions of d score_c / d A_k, sums, keeps the positive part (ReLU), resizes (bilinear) to the input's
    (H, W) and divides by the maximum. Returns (H, W) float32 in [0, 1] (all zeros when nothing supports c).
    """
    batch = _as_batch(model, image)
    maps, grads = layer_maps_and_gradients(model, batch, class_index, layer_name)
    weights = grads.mean(axis=(0, 1))  # (k,)
    cam = np.maximum((maps * weights).sum(axis=-1), 0.0)
    cam = np.maximum(_resize(cam.astype("float32"), batch.shape[1:3]), 0.0)
    top = float(cam.max())
    return (cam / top if top > _EPS else np.zeros_like(cam)).astype("float32")


def _as_probabilities(outputs):
    """The model's outputs as probabilities: unchanged when rows already sum to 1, else softmax."""
    rows = outputs.reshape(len(outputs), -1).astype("float64")
    if np.all(rows >= -1e-6) and np.all(rows <= 1 + 1e-6) and np.allclose(rows.sum(axis=1), 1.0, atol=1e-3):
        return rows
    rows = rows - rows.max(axis=1, keepdims=True)
    exp = np.exp(rows)
    return exp / exp.sum(axis=1, keepdims=True)


def _starts(n, patch, stride):
    starts = list(range(0, n - patch + 1, stride))
    if starts[-1] != n - patch:
        starts.append(n - patch)  # the last patch touches the border
    return starts


def _measure(probabilities, measure):
    if measure == "probability":
        return probabilities
    p = np.clip(probabilities, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def occlusion_map(model, image, class_index=None, patch=4, stride=2, fill=0.0, batch_size=256,
                  measure="probability"):
    """Occlusion sensitivity (Zeiler & Fergus 2014), model-agnostic: only the predictions are used.

    Slides a ``patch`` x ``patch`` square of value ``fill`` over the image with step ``stride`` (the last
    row/column of patches touches the border) and records how much the probability of class ``class_index``
    (default: the predicted class) drops. Each pixel gets the mean drop of the patches that cover it.
    Returns (H, W) float32, in probability units: > 0 the pixel's region supports the class, < 0 hiding it
    makes the class *more* likely. ``measure="log_odds"`` records the drop in log(p / (1 - p)) instead,
    which still shows differences when p is 0.9999 (a probability barely moves there). All occluded images
    are predicted in batches of ``batch_size``.
    """
    batch = _as_batch(model, image)
    height, width = batch.shape[1:3]
    patch = _positive_int(patch, "patch")
    stride = _positive_int(stride, "stride")
    batch_size = _positive_int(batch_size, "batch_size")
    if patch > min(height, width):
        raise ValueError(f"patch ({patch}) must fit in the image ({height}x{width}).")
    if not isinstance(fill, numbers.Real):
        raise TypeError(f"fill must be a number (the value of the hiding patch), not {type(fill).__name__}.")
    if measure not in ("probability", "log_odds"):
        raise ValueError(f"measure must be 'probability' or 'log_odds'; got {measure!r}.")
    base = _as_probabilities(_predicted(model, batch))[0]
    index = int(base.argmax()) if class_index is None else _check_class(class_index, len(base))
    positions = [(r, c) for r in _starts(height, patch, stride) for c in _starts(width, patch, stride)]
    occluded = np.repeat(batch, len(positions), axis=0)
    for i, (r, c) in enumerate(positions):
        occluded[i, r:r + patch, c:c + patch, :] = fill
    probs = np.concatenate([
        _as_probabilities(_predicted(model, occluded[start:start + batch_size]))[:, index]
        for start in range(0, len(occluded), batch_size)
    ])
    before, probs = _measure(base[index], measure), _measure(probs, measure)
    total = np.zeros((height, width))
    count = np.zeros((height, width))
    for (r, c), prob in zip(positions, probs, strict=True):
        total[r:r + patch, c:c + patch] += before - prob
        count[r:r + patch, c:c + patch] += 1
    return (total / np.maximum(count, 1)).astype("float32")


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

    shape = _input_shape(model)
    if any(s is None for s in shape):
        raise ValueError(f"maximize_filter needs a fixed input size; this model takes {shape}.")
    layer = _get_layer(model, layer_name)
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
    steps = _positive_int(steps, "steps")
    if not isinstance(lr, numbers.Real) or lr <= 0:
        raise ValueError(f"lr must be a positive number (pixel units per step); got {lr!r}.")
    low, high = (float(v) for v in value_range)
    import keras

    extractor = keras.Model(_check_model(model), _pre_activation(model, layer))
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


# ----------------------------------------------------------------------------------------- figure


def plot_explanations(model, images, labels=None, class_names=None, patch=4, stride=2, measure="log_odds"):
    """One row per image: the image, its saliency map, Grad-CAM (last conv layer, over the image) and
    occlusion map (``measure``: see ``occlusion_map``), each explaining the *predicted* class. Row titles give the true and predicted class and
    the probability; a wrong prediction is marked with a vermillion title and a "✗".

    images: (N, H, W, C) or (N, H, W); labels: class ids (N,) or None. Colour-blind-safe maps: ``viridis``
    (saliency), ``magma`` (Grad-CAM), ``PuOr_r`` (occlusion; orange = the class loses probability).
    """
    from course_utils.plot import RIGHT_COLOR, WRONG_COLOR, WRONG_MARK, _hide_ticks, subplots

    _check_model(model)
    if images is None:
        raise ValueError("images is None. Pass a few images, e.g. x_test[:4].")
    images = np.asarray(images, dtype="float32")
    if images.ndim == len(_input_shape(model)) or (images.ndim == 2):
        raise ValueError(f"images must be a batch (N, H, W, C); got one image of shape {images.shape}. "
                         f"Wrap it as images[None].")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(images):
            raise ValueError(f"There are {len(images)} images but {len(labels)} labels; pass one per image.")
    def name(k):
        return str(class_names[k]) if class_names is not None else str(k)

    batches = [_as_batch(model, image, what=f"images[{i}]") for i, image in enumerate(images)]
    n = len(batches)
    fig, axes = subplots(n, 4, figsize=(9.6, 2.5 * n + 0.4))
    unit = "p" if measure == "probability" else "log-odds"
    columns = ("", "saliency |∂logit/∂x|", "Grad-CAM (last conv)", f"occlusion: drop in {unit}")
    for row, batch in enumerate(batches):
        probs = _as_probabilities(_predicted(model, batch))[0]
        pred = int(probs.argmax())
        pixels = batch[0, :, :, 0] if batch.shape[-1] == 1 else np.clip(batch[0], 0, 1)
        sal = saliency_map(model, batch, pred)
        cam = grad_cam(model, batch, pred)
        occ = occlusion_map(model, batch, pred, patch=patch, stride=stride, measure=measure)
        ax = axes[row]
        ax[0].imshow(pixels, cmap="gray")
        ax[1].imshow(sal, cmap="viridis")
        ax[2].imshow(pixels, cmap="gray")
        ax[2].imshow(cam, cmap="magma", alpha=0.6, vmin=0, vmax=1)
        limit = float(np.abs(occ).max()) or 1.0
        image = ax[3].imshow(occ, cmap="PuOr_r", vmin=-limit, vmax=limit)
        fig.colorbar(image, ax=ax[3], fraction=0.046, pad=0.04)
        if labels is None:
            title, color = f"predicted {name(pred)} (p={probs[pred]:.2f})", "black"
        else:
            wrong = int(labels[row]) != pred
            title = f"true {name(int(labels[row]))}, predicted {name(pred)} (p={probs[pred]:.2f})"
            title, color = (f"{WRONG_MARK} {title}", WRONG_COLOR) if wrong else (title, RIGHT_COLOR)
        ax[0].set_title(title, fontsize=8, color=color)
        for col in range(1, 4):
            ax[col].set_title(columns[col], fontsize=8)
        for col in range(4):
            _hide_ticks(ax[col])
    fig.suptitle("Why this prediction? Three explanations of the predicted class")
    fig.tight_layout()
    return fig
