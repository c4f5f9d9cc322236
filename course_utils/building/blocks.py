"""Building blocks of modern CNNs (notebook 05): a correct residual block, the broken one tutorials print,
and deep networks of equal depth with or without shortcuts and BatchNorm.

- ``residual_block(x, filters, stride)``: two 3x3 convolutions with ``padding="same"``, BatchNorm, and a 1x1
  projection on the shortcut whenever the channels or the stride change.
- ``tutorial_residual_block(x)``: the block as many tutorials write it (no padding, no projection); it fails.
- ``deep_cnn(n_blocks, residual, batch_norm, init_gain)``: a stem, ``n_blocks`` blocks of two convolutions,
  global average pooling and a softmax layer: 2 * n_blocks + 2 weight layers whatever the options.

All take and return Keras functional tensors or models; Keras is imported inside the functions.
"""

import numpy as np

from course_utils.startup import load_keras as _keras  # keras, imported with TensorFlow quiet


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, e.g. {name}=2; got {value!r}.")
    return int(value)


def residual_block(x, filters, stride=1, name=None):
    """y = ReLU(F(x) + shortcut(x)) for a 4-D tensor x (batch, H, W, C).

    F: Conv(filters, 3x3, stride, "same") - BN - ReLU - Conv(filters, 3x3, "same") - BN. The shortcut is x
    itself when the shape is kept (stride 1, C == filters), otherwise a 1x1 Conv(filters, stride) - BN, the
    "projection" that makes the two branches addable. Output: (batch, ceil(H / stride), ceil(W / stride), filters).
    """
    keras = _keras()
    layers = keras.layers
    filters, stride = _positive("filters", filters), _positive("stride", stride)
    prefix = f"{name}_" if name else ""

    def named(part):
        return f"{prefix}{part}" if name else None

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=named("conv1"))(x)
    y = layers.BatchNormalization(name=named("bn1"))(y)
    y = layers.ReLU(name=named("relu1"))(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=named("conv2"))(y)
    y = layers.BatchNormalization(name=named("bn2"))(y)
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=named("projection"))(x)
        shortcut = layers.BatchNormalization(name=named("projection_bn"))(shortcut)
    y = layers.Add(name=named("add"))([y, shortcut])
    return layers.ReLU(name=named("out"))(y)


def tutorial_residual_block(x, filters=128):
    """The residual block as many tutorials print it: 3x3 convolutions with the default ``padding="valid"``
    and no projection, added to the input. It only runs when nothing changes shape, which is never the case
    here: each valid 3x3 convolution crops 2 pixels, and ``filters`` rarely equals the input's channels."""
    keras = _keras()
    layers = keras.layers
    y = layers.Conv2D(filters, 3, activation="relu")(x)
    y = layers.Conv2D(filters, 3)(y)
    return layers.Add()([x, y])


def deep_cnn(n_blocks=8, width=16, residual=False, batch_norm=True, init_gain=1.0, input_shape=(28, 28, 1),
             n_classes=10, name=None):
    """A deep CNN for 28x28 images with 2 * ``n_blocks`` + 2 weight layers, whatever the options.

    Stem: Conv(width, 3x3) - [BN] - ReLU - MaxPool(2) (14x14). Then ``n_blocks`` blocks of
    Conv(width, 3x3, "same") - [BN] - ReLU - Conv(width, 3x3, "same") - [BN], followed by ReLU, with the
    block's input added before that ReLU when ``residual=True``. Head: global average pooling - Dense(softmax).

    ``init_gain``: every convolution kernel starts from a normal distribution with standard deviation
    ``init_gain * sqrt(2 / fan_in)`` (1.0 = He initialisation); used to sweep the weight scale. The output layer
    keeps Keras' default initialisation, so only the convolutions' scale changes.
    """
    keras = _keras()
    layers = keras.layers
    n_blocks, width = _positive("n_blocks", n_blocks), _positive("width", width)
    if not np.isfinite(init_gain) or init_gain <= 0:
        raise ValueError(f"init_gain must be a positive number (1.0 = He initialisation); got {init_gain!r}.")
    init = keras.initializers.VarianceScaling(scale=2.0 * float(init_gain) ** 2, mode="fan_in",
                                              distribution="untruncated_normal")

    def conv(x, label):
        return layers.Conv2D(width, 3, padding="same", use_bias=not batch_norm, kernel_initializer=init,
                             name=label)(x)

    def norm(x, label):  # momentum 0.9: the moving statistics settle within a few dozen steps (short runs)
        return layers.BatchNormalization(momentum=0.9, name=label)(x) if batch_norm else x

    inputs = keras.Input(input_shape, name="image")
    x = layers.ReLU(name="stem_relu")(norm(conv(inputs, "stem_conv"), "stem_bn"))
    x = layers.MaxPooling2D(2, name="stem_pool")(x)
    for b in range(1, n_blocks + 1):
        y = layers.ReLU(name=f"block{b}_relu1")(norm(conv(x, f"block{b}_conv1"), f"block{b}_bn1"))
        y = norm(conv(y, f"block{b}_conv2"), f"block{b}_bn2")
        if residual:
            y = layers.Add(name=f"block{b}_add")([x, y])
        x = layers.ReLU(name=f"block{b}_relu2")(y)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="output")(x)
    kind = "residual" if residual else "plain"
    return keras.Model(inputs, outputs, name=name or f"{kind}{2 * n_blocks + 2}{'_bn' if batch_norm else ''}")


def shape_check(block, input_shape, **kwargs):
    """Output shape of ``block(x, **kwargs)`` for a symbolic input of ``input_shape`` (without the batch),
    or the error it raises, as text: ``"(None, 14, 14, 128)"`` or ``"ValueError: ..."``. For showing shapes."""
    keras = _keras()
    try:
        out = block(keras.Input(input_shape), **kwargs)
    except Exception as err:  # noqa: BLE001 - shown to the student, not raised
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        return f"{type(err).__name__}: {first}"
    return str(tuple(out.shape))
