"""The layers of a residual block in order, read from its Keras graph (notebook 05's ``residual_block``).

``block_structure(inputs, output, filters, stride)`` walks back from the block's output to its input and returns
``None`` when the block is the one the task asks for, else a short code naming what differs (used as a fact by
``residual_checks`` and turned into a sentence by ``structure_message``). Accepted: Conv-BN-ReLU-Conv-BN main
path (3x3, the stride on the first, biases or not, activation= or ReLU/Activation layers or keras.ops.relu, a
nested Sequential or functional model), the shortcut x itself or Conv2D(filters, 1, strides=stride) + BN when the
shape changes, merged by an addition (layers.Add, layers.add, ``+``), then a ReLU.
"""

ADDITIONS = ("Add",)
_SKIP = ("InputLayer",)


def _activation_tokens(function):
    name = getattr(function, "__name__", str(function))
    if name in ("linear", None):
        return []
    return [("relu",)] if name == "relu" else [("act", name)]


def _layer_tokens(layer):
    """The tokens of one layer or operation, or None when it is a model that cannot be read."""
    import keras

    kind = type(layer).__name__
    if kind in _SKIP:
        return []
    if isinstance(layer, keras.Model):
        return _model_tokens(layer)
    if not getattr(layer, "trainable", True) and getattr(layer, "weights", None):
        return [("setting", f"frozen {kind}")]
    if isinstance(layer, keras.layers.Conv2D) and type(layer) is keras.layers.Conv2D:
        token = ("conv", tuple(layer.kernel_size), tuple(layer.strides), layer.filters)
        return [token] + _activation_tokens(layer.activation)
    if isinstance(layer, keras.layers.BatchNormalization):
        return [_bn_token(layer)]
    if isinstance(layer, keras.layers.ReLU):
        plain = not layer.max_value and not layer.negative_slope and not layer.threshold
        return [("relu",)] if plain else [("act", "relu with options")]
    if isinstance(layer, keras.layers.Activation):
        return _activation_tokens(layer.activation) or [("act", "linear")]
    if kind == "Relu":  # keras.ops.relu
        return [("relu",)]
    return [("other", kind)]


def _bn_token(layer):
    """``("bn",)`` for a standard BatchNormalization, else ``("setting", what differs)``."""
    axis = layer.axis if isinstance(layer.axis, int) else tuple(layer.axis)
    if axis not in (-1, 3, (-1,), (3,)):
        return ("setting", f"BatchNormalization(axis={layer.axis})")
    if layer.epsilon > 0.01:
        return ("setting", f"BatchNormalization(epsilon={layer.epsilon:g})")
    if not layer.scale or not layer.center:
        return ("setting", "BatchNormalization(scale=False)" if not layer.scale else "BatchNormalization(center=False)")
    return ("bn",)


def _model_tokens(model):
    import keras

    if isinstance(model, keras.Sequential):
        tokens = []
        for layer in model.layers:
            inner = _layer_tokens(layer)
            if inner is None:
                return None
            tokens += inner
        return tokens
    if len(getattr(model, "inputs", None) or []) != 1 or len(getattr(model, "outputs", None) or []) != 1:
        return None
    chain = _chain(model.outputs[0], model.inputs[0])
    return None if chain is None or chain[1] is not None else chain[0]


def _origin(tensor):
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None, []
    operation, node_index = history[0], history[1]
    node = operation._inbound_nodes[node_index]
    return operation, list(node.input_tensors)


def _chain(tensor, start):
    """``(tokens, merge)`` from ``start`` up to ``tensor`` along single-input operations, forwards; ``merge`` is
    ``(operation, its input tensors)`` where the walk met one with several inputs (None when it reached
    ``start``); None when it cannot be read."""
    tokens = []
    while tensor is not start:
        operation, inputs = _origin(tensor)
        if operation is None or not inputs:
            return None
        if len(inputs) > 1:
            return tokens, (operation, inputs)
        found = _layer_tokens(operation)
        if found is None:
            return None
        tokens = found + tokens
        tensor = inputs[0]
    return tokens, None


def block_structure(inputs, output, filters, stride):
    """None when the block has the asked-for layers, else a code: ``"unreadable"``, ``"after:<tokens>"`` (what
    follows the merge, when it is not one ReLU), ``"merge:<name>"``, ``"main:<tokens>"``, ``"shortcut:<tokens>"``."""
    walked = _chain(output, inputs)
    if walked is None or walked[1] is None:
        return "unreadable"
    after, (merge, branches) = walked
    name = type(merge).__name__
    if name == "Lambda" or ("other", "Lambda") in after:
        return "lambda"
    settings = [token[1] for token in after if token[0] == "setting"]
    if settings:
        return "setting:" + settings[0]
    if after != [("relu",)]:
        if not after and name in ADDITIONS and len(branches) == 2:
            paths = [_chain(branch, inputs) for branch in branches]
            if any(path and path[1] is None and path[0][:2] == [("bn",), ("relu",)] for path in paths):
                return "preact"
        return "after:" + describe_tokens(after)
    if name not in ADDITIONS or len(branches) != 2:
        return f"merge:{name}"
    paths = [_chain(branch, inputs) for branch in branches]
    if any(path is None or path[1] is not None for path in paths):
        return "unreadable"
    first, second = (path[0] for path in paths)
    if ("other", "Lambda") in first + second:
        return "lambda"
    settings = [token[1] for token in first + second if token[0] == "setting"]
    if settings:
        return "setting:" + settings[0]
    main, shortcut = (first, second) if _spatial(first) >= _spatial(second) else (second, first)
    expected_main = [("conv", (3, 3), (stride, stride), filters), ("bn",), ("relu",),
                     ("conv", (3, 3), (1, 1), filters), ("bn",)]
    if main != expected_main:
        return "main:" + describe_tokens(main)
    changes = stride != 1 or inputs.shape[-1] != filters
    expected_shortcut = [("conv", (1, 1), (stride, stride), filters), ("bn",)] if changes else []
    if shortcut != expected_shortcut:
        return "shortcut:" + (describe_tokens(shortcut) or "x")
    return None


def _spatial(tokens):
    return sum(1 for token in tokens if token[0] == "conv" and max(token[1]) > 1)


def describe_tokens(tokens):
    """``Conv2D(32, 3x3, stride 2) - BatchNormalization - ReLU`` for a list of tokens."""
    words = []
    for token in tokens:
        if token[0] == "conv":
            size = "x".join(map(str, token[1]))
            stride = "" if token[2] == (1, 1) else f", stride {token[2][0]}"
            words.append(f"Conv2D({token[3]}, {size}{stride})")
        else:
            words.append({"bn": "BatchNormalization", "relu": "ReLU"}.get(token[0], token[-1]))
    return " - ".join(words)


def structure_message(code, filters, stride, identity_case):
    """The sentence for a ``block_structure`` code."""
    asked_main = (f"Conv2D({filters}, 3x3{', stride ' + str(stride) if stride != 1 else ''}) - BatchNormalization "
                  f"- ReLU - Conv2D({filters}, 3x3) - BatchNormalization")
    kind, _, found = code.partition(":")
    if kind == "unreadable":
        return ("the checker cannot follow your block from its input to its output through Keras layers: build "
                "it from layers (Conv2D, BatchNormalization, ReLU, Add) called on tensors, with no Lambda or custom "
                "layer, and return the output of the final ReLU.")
    if kind == "lambda":
        return ("your block uses a Lambda layer: the checker cannot read what a Lambda computes, so it cannot "
                "see your addition or your ReLU. Use Keras layers: layers.Add()([y, shortcut]) (or y + shortcut), "
                "then layers.ReLU().")
    if kind == "setting":
        return _setting_message(found)
    if kind == "preact":
        return ("your block is a pre-activation block (BatchNormalization - ReLU - Conv2D, twice, then the Add "
                "with nothing after it). The task's order is Conv2D - BatchNormalization - ReLU - Conv2D - "
                "BatchNormalization, then Add, then ReLU: ReLU(F(x) + shortcut).")
    if kind == "after":
        if not found:
            return ("your block ends with the addition: there is no ReLU after the Add, so its outputs can be "
                    "negative. The task asks for ReLU(F(x) + shortcut): `return layers.ReLU()(layers.Add()([y, "
                    "shortcut]))`.")
        return (f"after the addition your block applies {found}: only a ReLU comes after the Add, "
                f"ReLU(F(x) + shortcut); everything else belongs in the main path, before it.")
    if kind == "merge":
        return (f"your block merges the two paths with {found}: a residual block adds them, element by element, "
                f"use Add: layers.Add()([y, shortcut]) (or y + shortcut), then the ReLU.")
    if kind == "main":
        return (f"your main path is {found or 'empty'}; the task's block has exactly {asked_main} (the stride on "
                f"the first convolution, no other layer, no activation on the last convolution).")
    if identity_case:
        return (f"when nothing changes shape the shortcut is x itself, and yours is {found}: add the input "
                f"unchanged (no projection, no activation, no pooling).")
    return (f"your shortcut is {found}; when the shape changes it is a 1x1 projection followed by BatchNorm, "
            f"Conv2D({filters}, 1, strides={stride}) - BatchNormalization, and nothing else.")


def _setting_message(found):
    """The sentence for a layer whose settings change what the block computes."""
    if found.startswith("frozen"):
        return (f"your block has a {found.split(' ', 1)[1]} with trainable=False (a frozen layer): its weights "
                f"would never learn. Nothing in the block is frozen: leave trainable at its default, True.")
    if "axis" in found:
        return (f"your block uses {found}: BatchNormalization must normalise each channel, the last axis "
                f"(axis=-1, the default, or 3 for images); another axis mixes rows or columns instead.")
    if "epsilon" in found:
        return (f"your block uses {found}: epsilon is only there to avoid a division by zero and must be small "
                f"(the default 0.001, at most 0.01). A large epsilon, compared with the variance, stops "
                f"BatchNormalization from normalising: (x - mean) / sqrt(variance + epsilon) barely rescales.")
    return (f"your block uses {found}: the task's block uses standard BatchNormalization, which learns a scale "
            f"(gamma) and a shift (beta) per channel; scale=False fixes gamma at 1 and center=False beta at 0. "
            f"Use layers.BatchNormalization() with its defaults.")
