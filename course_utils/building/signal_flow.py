"""How activations and gradients flow through a deep network at initialisation (notebook 05).

- ``plain_stack(depth, activation, initializer)``: ``depth`` 3x3 convolutions, nothing else (no BatchNorm, no
  shortcuts), then global average pooling and a dense softmax layer.
- ``layer_statistics(model, x, y)``: for every convolution layer, the spread (standard deviation) of its output
  and the norm of the loss gradient with respect to its kernel, on one batch, before any training.

Keras and TensorFlow are imported inside the functions, never at ``import course_utils``.
"""

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITIALIZERS = ("glorot_normal", "he_normal")


def plain_stack(depth=20, activation="relu", initializer="he_normal", width=16, input_shape=(28, 28, 1),
                n_classes=10, name=None):
    """``depth`` x Conv2D(``width``, 3x3, padding "same", ``activation``, ``initializer``) - GAP - Dense(softmax).

    ``initializer``: a Keras initializer name or object (``"glorot_normal"``: variance 2 / (fan_in + fan_out);
    ``"he_normal"``: variance 2 / fan_in). Biases start at 0, as Keras does by default.
    """
    import keras

    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive whole number of layers, e.g. 20; got {depth!r}.")
    layers = keras.layers
    inputs = keras.Input(input_shape)
    x = inputs
    for i in range(int(depth)):
        x = layers.Conv2D(width, 3, padding="same", activation=activation, kernel_initializer=initializer,
                          name=f"conv{i + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="output")(x)
    label = initializer if isinstance(initializer, str) else type(initializer).__name__
    return keras.Model(inputs, outputs, name=name or f"plain{depth}_{activation}_{label}")


def conv_layers(model):
    """The model's ``Conv2D`` layers (nested models included), input to output."""
    import keras

    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += conv_layers(layer)
        elif isinstance(layer, keras.layers.Conv2D):
            found.append(layer)
    return found


def layer_statistics(model, x, y, layers=None):
    """Spread of each layer's output and the gradient norm of its kernel, on one batch, in training mode.

    ``x``: float images (N, H, W, C); ``y``: integer labels (N,). ``layers``: the layers to look at (default:
    every Conv2D, input to output). Returns one dict per layer: ``{"layer", "index" (1 = first),
    "activation_std" (std of the layer's output over the batch), "gradient_norm" (Frobenius norm of
    d loss / d kernel, loss = mean sparse categorical cross-entropy)}``.
    """
    import keras
    import tensorflow as tf

    layers = conv_layers(model) if layers is None else list(layers)
    if not layers:
        raise ValueError(f"The model {model.name!r} has no Conv2D layer to look at.")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, [layer.output for layer in layers] + [model.output])
    x = tf.convert_to_tensor(np.asarray(x, dtype="float32"))
    y = tf.convert_to_tensor(np.asarray(y).astype("int64"))
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    kernels = [layer.kernel for layer in layers]
    with tf.GradientTape() as tape:
        *outputs, probabilities = probe(x, training=True)
        loss = loss_fn(y, probabilities)
    grads = tape.gradient(loss, kernels)
    rows = []
    for i, (layer, out, grad) in enumerate(zip(layers, outputs, grads, strict=True)):
        norm = float(tf.norm(grad)) if grad is not None else 0.0
        rows.append({"layer": layer.name, "index": i + 1, "activation_std": float(tf.math.reduce_std(out)),
                     "gradient_norm": norm})
    return rows


def initialization_study(x, y, depth=20, activations=ACTIVATIONS, initializers=INITIALIZERS, width=16, seed=0):
    """``layer_statistics`` of ``plain_stack(depth, a, i)`` for every activation ``a`` and initializer ``i``.

    Returns ``{(activation, initializer): rows}``; every stack starts from the same seed.
    """
    import keras

    results = {}
    for activation in activations:
        for initializer in initializers:
            keras.utils.set_random_seed(seed)
            model = plain_stack(depth, activation, initializer, width=width, input_shape=tuple(np.shape(x)[1:]))
            results[(activation, initializer)] = layer_statistics(model, x, y)
    return results


def plot_initialization_study(results, title=None):
    """Two panels, one line per (activation, initializer): output spread and gradient norm per layer (log)."""
    from course_utils import plot

    fig, axes = plot.subplots(1, 2, figsize=(11, 4))
    axes = axes[0]
    styles = {"glorot_normal": "--", "he_normal": "-"}
    colours = {"sigmoid": "tab:red", "tanh": "tab:orange", "relu": "tab:blue"}
    for (activation, initializer), rows in results.items():
        index = [r["index"] for r in rows]
        label = f"{activation} + {initializer.replace('_normal', '')}"
        style = {"linestyle": styles.get(initializer, "-"), "color": colours.get(activation), "marker": "o",
                 "markersize": 3, "label": label}
        axes[0].plot(index, [r["activation_std"] for r in rows], **style)
        axes[1].plot(index, [max(r["gradient_norm"], 1e-30) for r in rows], **style)
    axes[0].set(xlabel="layer (1 = nearest the input)", ylabel="std of the layer's output", yscale="log",
                title="Forward: how much signal is left")
    axes[1].set(xlabel="layer (1 = nearest the input)", ylabel="|| d loss / d kernel ||", yscale="log",
                title="Backward: gradient reaching each layer")
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.grid(alpha=0.3, which="both")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers are whole numbers
    axes[1].legend(fontsize=8, ncol=2)
    fig.suptitle(title or "A deep plain stack at initialisation, before any training")
    fig.tight_layout()
    return fig
