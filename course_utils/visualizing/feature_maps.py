"""Reach inside a Keras CNN: its convolution layers, feature-extraction models and class scores (logits).

Also the checks that every explanation tool shares (a built image model, one image of its input shape, a class
index), so that a student gets a clear message instead of a traceback. Used by ``attribution`` (saliency,
Grad-CAM, HiResCAM, occlusion) and ``filter_ascent``; notebook 04 reaches all of them through ``explain``.

Class scores: when the model ends in a softmax, the score of a class is its *logit* (the input of the softmax):
see ``attribution`` for why. TensorFlow and Keras are imported inside the functions.
"""

import numbers

import numpy as np

__all__ = ["conv_layer_names", "feature_extractor", "score_model", "class_scores"]


# ----------------------------------------------------------------------------------------- validation


def check_model(model):
    """The model's one input tensor, after checking that ``model`` is a built Keras model with one input."""
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
    check_model(model)
    return [layer.name for layer in model.layers if _is_conv(layer)]


def conv_names_or_error(model):
    """``conv_layer_names(model)``, or a clear error when the model has no convolution layer."""
    names = conv_layer_names(model)
    if not names:
        nested = [(layer.name, _nested_conv_count(layer)) for layer in model.layers if hasattr(layer, "layers")]
        nested = [(name, count) for name, count in nested if count]
        if nested:
            name, count = nested[0]
            raise ValueError(f"This model's convolution layers sit inside the nested model {name!r} ({count} of "
                             f"them); these tools look at the top-level layers only. Build a flat copy that shares "
                             f"the layers and weights, e.g. `flat = keras.Model(base.input, head(base.output))` "
                             f"(notebook 06, section 10), and explain `flat`.")
        kinds = ", ".join(type(layer).__name__ for layer in model.layers) or "no layers"
        raise ValueError(f"This model has no convolution layers (its layers: {kinds}). Feature maps, Grad-CAM "
                         f"and filter images need a CNN with Conv2D layers.")
    return names


def _nested_conv_count(model):
    """How many convolution layers ``model`` holds, nested models included."""
    return sum(_nested_conv_count(layer) if hasattr(layer, "layers") else int(_is_conv(layer))
               for layer in model.layers)


def get_layer(model, name):
    """The top-level layer called ``name``; the error lists the layers that exist."""
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


def layer_tensors(model, layer):
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


def input_shape(model):
    """The model's input shape ``(H, W, C)`` (entries may be None)."""
    shape = tuple(check_model(model).shape[1:])
    if len(shape) != 3:
        raise ValueError(f"These tools need an image model with input (H, W, C); this one takes {shape}.")
    return shape


def as_batch(model, image, what="image"):
    """``image`` as a float32 batch ``(1, H, W, C)`` that matches the model's input shape."""
    expected = input_shape(model)
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


def check_class(class_index, n_classes):
    """``class_index`` as an int in ``[0, n_classes)``, or a clear error."""
    if isinstance(class_index, bool) or not isinstance(class_index, numbers.Integral):
        raise TypeError(f"class_index must be a whole number between 0 and {n_classes - 1} (or None for the "
                        f"predicted class), not {class_index!r}.")
    if not 0 <= int(class_index) < n_classes:
        raise ValueError(f"class_index must be between 0 and {n_classes - 1} (the model has {n_classes} "
                         f"classes); got {class_index}.")
    return int(class_index)


def positive_int(value, name):
    """``value`` as a positive int, or a clear error naming the argument."""
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

    inputs = check_model(model)
    if layer_names is None:
        names = conv_names_or_error(model)
    elif isinstance(layer_names, str):
        names = layer_names
    else:
        names = list(layer_names)
        if not names:
            raise ValueError("layer_names is empty: give at least one layer name (or None for every conv layer).")
    if isinstance(names, str):
        outputs = layer_tensors(model, get_layer(model, names))[1]
    else:
        outputs = [layer_tensors(model, get_layer(model, name))[1] for name in names]
    return keras.Model(inputs=inputs, outputs=outputs, name=f"{model.name}_features")


def _score_tensor(model):
    """The symbolic class scores: the logits when the model ends in a softmax, else the model's output.
    Returns ``(tensor, kind)`` with kind ``"logit"`` or ``"output"``."""
    import keras

    last = model.layers[-1]
    output = model.outputs[0]
    last_input = layer_tensors(model, last)[0]
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


def pre_activation(model, layer):
    """The symbolic output of ``layer`` before its own activation (e.g. ReLU), or its output if it has none."""
    name = getattr(getattr(layer, "activation", None), "__name__", "linear")
    layer_input, layer_output = layer_tensors(model, layer)
    return layer_output if name == "linear" else _linear_twin(layer, layer_input)(layer_input)


def scores_model(model, layer=None):
    """A model from the input to [class scores] or [layer output, class scores]."""
    import keras

    inputs = check_model(model)
    scores, _ = _score_tensor(model)
    outputs = [scores] if layer is None else [layer_tensors(model, layer)[1], scores]
    return keras.Model(inputs=inputs, outputs=outputs)


def score_model(model):
    """A Keras model from ``model``'s input to its class scores (N, K): the logits when ``model`` ends in a
    softmax (the last layer's weights are copied at call time), else ``model``'s own output."""
    return scores_model(model)


def class_scores(model, image):
    """The class scores used by saliency and Grad-CAM (logits when the model ends in softmax), shape (K,)."""
    batch = as_batch(model, image)
    return np.asarray(scores_model(model)(batch, training=False)[0], dtype="float32")


def model_outputs(model, batch):
    """The model's outputs for ``batch`` in inference mode, as float32 rows ``(N, K)``."""
    probs = np.asarray(model(batch, training=False), dtype="float32")
    return probs.reshape(len(batch), -1)


def as_probabilities(outputs):
    """The model's outputs as probabilities: unchanged when rows already sum to 1, else softmax."""
    rows = outputs.reshape(len(outputs), -1).astype("float64")
    if np.all(rows >= -1e-6) and np.all(rows <= 1 + 1e-6) and np.allclose(rows.sum(axis=1), 1.0, atol=1e-3):
        return rows
    rows = rows - rows.max(axis=1, keepdims=True)
    exp = np.exp(rows)
    return exp / exp.sum(axis=1, keepdims=True)
