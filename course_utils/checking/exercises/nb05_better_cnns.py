"""Exercises of notebook 05 (building better CNNs): count BatchNorm's parameters, write BatchNorm by hand,
pick the regulariser that closes a gap, put augmentation where it is off at inference, write a residual block.

The last two answers are functions of Keras objects, checked by behaviour (``keras_checks``, ``residual_checks``); the misconception
catalogue of each exercise is in ``misconceptions/nb05.py``.
"""

import numpy as np

from course_utils.checking.exercises import Choice, Function, Value, case
from course_utils.checking.exercises.keras_checks import Augmentation
from course_utils.checking.exercises.misconceptions import nb05 as catalogue
from course_utils.checking.exercises.misconceptions import nb05_equivalents as equivalents
from course_utils.checking.exercises.misconceptions import nb05_residual
from course_utils.checking.exercises.residual_checks import ResidualBlock

NOTEBOOK = "05_better_cnns"

BN_PARAMS = (192, 96)  # BatchNormalization after Conv2D(48, 3) on 28x28x16: 4 * 48 in all, gamma and beta trained
GAP_OPTIONS, GAP_ANSWER, GAP_EXPLANATIONS = catalogue.GAP_OPTIONS, catalogue.GAP_ANSWER, catalogue.GAP_EXPLANATIONS


def batch_norm(x, gamma, beta, epsilon=1e-3):
    """BatchNorm in training mode: normalise each channel (last axis) with the batch's own mean and
    (biased) variance over all other axes, then scale by ``gamma`` and shift by ``beta``."""
    axes = tuple(range(x.ndim - 1))  # every axis but the channels: batch, height, width
    mean = x.mean(axis=axes)
    variance = x.var(axis=axes)  # divides by N, as Keras does
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


def batch_norm_cases(rng):
    def params(c):
        return rng.normal(1.0, 0.3, c), rng.normal(0.0, 0.5, c)

    x = rng.normal(3.0, 2.0, (8, 5, 5, 4))
    yield case(x, *params(4), note="8 feature maps of 5x5 with 4 channels")
    x = rng.normal(0.0, 1.0, (6, 7, 3, 1))
    yield case(x, *params(1), epsilon=1e-5, note="one channel, non-square maps, epsilon 1e-5")
    x = rng.normal(0.0, 1.0, (4, 3, 3, 3)) * np.array([0.01, 1.0, 30.0]) + np.array([5.0, -5.0, 0.0])
    yield case(x, *params(3), note="channels with tiny, normal and large spread")
    x = rng.normal(2.0, 0.5, (32, 6))
    yield case(x, *params(6), note="a dense layer's output (batch, units)")
    x = rng.normal(0.0, 1.0, (1, 4, 6, 2))
    yield case(x, *params(2), note="a batch of one image")


# ------------------------------------------------------------------------ references of the Keras exercises

def with_augmentation(model):
    """A new model: random flips and shifts (active only in training), then ``model`` (its own weights)."""
    import keras

    inputs = keras.Input(model.input_shape[1:])
    x = keras.layers.RandomFlip("horizontal")(inputs)
    x = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant", interpolation="nearest")(x)
    return keras.Model(inputs, model(x))


def residual_block(x, filters, stride=1):
    """ReLU(F(x) + shortcut(x)): F = Conv3x3(stride) - BN - ReLU - Conv3x3 - BN, padding "same"; the
    shortcut is a 1x1 convolution (and BN) when the channels or the stride change, else x itself."""
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.Add()([y, shortcut]))


EXERCISES = [
    Value(
        "bn_params", BN_PARAMS,
        title="BatchNormalization after Conv2D(48, 3x3) on 28x28x16 maps: (total parameters, trainable ones)",
        hints=[
            "BatchNormalization normalises the convolution's output: how many channels does it have?",
            "Per channel it keeps gamma and beta (trained by gradient descent) and a moving mean and moving "
            "variance (running averages, not trained).",
            "4 numbers per output channel in all, 2 of them trainable: (4 * 48, 2 * 48).",
        ],
        solution="bn_params = (4 * 48, 2 * 48)  # gamma, beta, moving mean, moving variance; gamma and beta trained",
        **catalogue.BN_PARAMS,
    ),
    Function(
        "batch_norm", batch_norm, batch_norm_cases, rtol=1e-3, atol=1e-4, dtype=None,
        title="BatchNorm in training mode, by hand in NumPy",
        hints=[
            "Each channel (the last axis) gets its own mean and variance, computed over every other axis: "
            "axis=(0, 1, 2) for a batch of images, axis=0 for (batch, units).",
            "`axes = tuple(range(x.ndim - 1))`; `x.mean(axis=axes)` and `x.var(axis=axes)` (np.var divides by N, "
            "as Keras does).",
            "`x_hat = (x - mean) / np.sqrt(variance + epsilon)`; return `gamma * x_hat + beta`.",
        ],
        **catalogue.BATCH_NORM,
    ),
    Choice(
        "gap_fix", GAP_OPTIONS, GAP_ANSWER,
        title="1,000 training images: 99.8% train, 86% validation, validation loss rising. Which change is a "
              "regulariser worth testing?",
        explanations=GAP_EXPLANATIONS,
        hints=[
            "The model memorises its 1,000 images. What makes memorising harder without adding data?",
            "Of the options, only one is a regulariser: it shows the model new variants of its images. Whether it "
            "helps on your data is then measured on the validation split.",
        ],
        **catalogue.GAP_FIX,
    ),
    Augmentation(
        "augmentation", with_augmentation, name="with_augmentation",
        title="Put random flips and shifts in front of a model, so that they are off at inference",
        hints=[
            "Build a new functional model: `inputs = keras.Input(model.input_shape[1:])`, then the random layers, "
            "then `model(x)` on their output.",
            "Inside a model, Keras passes the mode down to its random layers (RandomFlip, RandomTranslation, ...): "
            "`fit` runs them in training mode (they augment), `predict` and `evaluate` in inference mode (they pass "
            "the images through). Called on their own without `training`, they augment (Keras 3).",
            "`x = layers.RandomFlip('horizontal')(inputs)`, `x = layers.RandomTranslation(0.1, 0.1)(x)`, "
            "`return keras.Model(inputs, model(x))`. Both layers (flips and shifts) and no other geometric one; "
            "leave `model` trainable (no `model.trainable = False`). Shift moderately on both axes: each factor "
            "0 < f <= 0.3 (one number f means -f to +f). Extra pixel-value layers (GaussianNoise, RandomContrast, "
            "RandomBrightness with value_range=(0, 1)) are allowed.",
        ],
        **catalogue.AUGMENTATION, equivalents=equivalents.AUGMENTATION_EQUIVALENTS,
    ),
    ResidualBlock(
        "residual_block", residual_block,
        title="A residual block: two 3x3 convolutions with BatchNormalization (Conv-BN-ReLU-Conv-BN), a shortcut "
              "(x, or a 1x1 projection + BatchNormalization when the shape changes), ReLU after the Add",
        hints=[
            "Main path, exactly these layers in this order: Conv2D(filters, 3, strides=stride, padding='same') - "
            "BatchNormalization - ReLU - Conv2D(filters, 3, padding='same') - BatchNormalization. Biases before "
            "BatchNorm (use_bias) are your choice; the ReLU may be layers.ReLU() or layers.Activation('relu'); "
            "the layers may sit in a keras.Sequential. The checker reads the layers, so use Keras layers (no Lambda). "
            "Standard BatchNormalization() with its defaults (channel axis -1, small epsilon, scale and center on) "
            "and nothing frozen (no trainable=False).",
            "The shortcut is `x` itself when stride == 1 and x.shape[-1] == filters; otherwise "
            "Conv2D(filters, 1, strides=stride)(x) then BatchNormalization, so both branches have the same shape. "
            "Nothing else on the shortcut (no pooling, no activation).",
            "The main path ends with BatchNormalization, no ReLU (F(x) must be able to lower x); finish with "
            "`layers.ReLU()(layers.Add()([y, shortcut]))` and return that tensor.",
        ],
        **nb05_residual.RESIDUAL_BLOCK, equivalents=equivalents.RESIDUAL_EQUIVALENTS,
    ),
]
