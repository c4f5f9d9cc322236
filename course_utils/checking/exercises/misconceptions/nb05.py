"""Misconception catalogue of notebook 05: BatchNorm's parameters, BatchNorm by hand, the regulariser that closes a
gap, augmentation off at inference, a residual block. The wrong Keras functions are written as a student would,
with Keras imported inside (the module imports neither TensorFlow nor Keras)."""

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Mistake

# --------------------------------------------------------------------------- bn_params: (total, trainable)

BN_PARAMS = {
    "mistakes": [
        Mistake((96, 96), "moving mean",
                message="You counted gamma and beta only. The layer also stores a moving mean and a moving "
                        "variance per channel (for inference): 4 numbers per channel in all, 2 of them trained."),
        Mistake((192, 192), "not trained",
                message="All of them are parameters, but the moving mean and moving variance are not trained by "
                        "gradient descent (they are running averages): only gamma and beta are."),
        Mistake((64, 32), "output channels",
                message="You used the 16 input channels of the convolution. BatchNormalization normalises the "
                        "convolution's output, so it counts the output channels (its filters)."),
        Mistake((4 * 48 * 26 * 26, 2 * 48 * 26 * 26), "per channel, not per pixel",
                message="BatchNorm's statistics and its gamma and beta are per channel, not per pixel: the same 4 "
                        "numbers serve every position of a channel, so the image size does not matter."),
        Mistake((4 * 48 * 28 * 28, 2 * 48 * 28 * 28), "one set per channel, whatever the map size",
                message="You counted 4 numbers per pixel of a 28x28 map (and the valid 3x3 convolution even gives "
                        "26x26 maps). BatchNorm keeps one set per channel, whatever the map size: gamma, beta and "
                        "the two moving statistics serve every position of the channel."),
        Mistake(((3 * 3 * 16 + 1) * 48 + 192, (3 * 3 * 16 + 1) * 48 + 96), "only the BatchNormalization",
                message="You added the convolution's own parameters. Count only the BatchNormalization layer."),
        Mistake((96, 192), "total first",
                message="Your two numbers are swapped: give the total first, then the trainable part, "
                        "`(total, trainable)`."),
        Mistake((48, 48), "4 numbers per channel",
                message="One number per channel is not enough: BatchNorm keeps 4 numbers per channel (gamma, "
                        "beta, moving mean, moving variance)."),
    ],
    "alternatives": [Alternative([192, 96], note="a list"), Alternative(np.array([192, 96]), note="an array"),
                     Alternative((192.0, 96.0), note="floats")],
}

# --------------------------------------------------------------------------- batch_norm(x, gamma, beta, epsilon)

def _bn_per_image(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(1, x.ndim - 1)) or (0,)
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def _bn_all_channels(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean()) / np.sqrt(x.var() + epsilon) + beta


def _bn_unbiased(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes, ddof=1) + epsilon) + beta


def _bn_epsilon_outside(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / (x.std(axis=axes) + epsilon) + beta


def _bn_no_epsilon(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / x.std(axis=axes) + beta


def _bn_batch_axis_only(x, gamma, beta, epsilon=1e-3):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + epsilon) + beta


def _bn_swapped(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return beta * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + epsilon) + gamma


def _bn_no_scale_shift(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + epsilon)


def _bn_variance_not_std(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / (x.var(axis=axes) + epsilon) + beta


def _bn_sums(x, gamma, beta, epsilon=1e-3):
    flat = x.reshape(-1, x.shape[-1])
    n = flat.shape[0]
    mean = flat.sum(axis=0) / n
    variance = ((flat - mean) ** 2).sum(axis=0) / n
    return (gamma * (flat - mean) / np.sqrt(variance + epsilon) + beta).reshape(x.shape)


def _bn_fixed_epsilon(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + 1e-3) + beta


def _bn_no_beta(x, gamma, beta, epsilon=1e-3):
    axes = tuple(range(x.ndim - 1))
    return gamma * (x - x.mean(axis=axes)) / np.sqrt(x.var(axis=axes) + epsilon)


def _bn_float32(x, gamma, beta, epsilon=1e-3):
    x = x.astype(np.float64)
    axes = tuple(range(x.ndim - 1))
    scale = gamma / np.sqrt(x.var(axis=axes) + epsilon)
    return (x - x.mean(axis=axes)) * scale + beta


def _bn_keras(x, gamma, beta, epsilon=1e-3):
    import keras

    layer = keras.layers.BatchNormalization(epsilon=epsilon)
    layer.build(x.shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return np.asarray(layer(x.astype("float32"), training=True), dtype=np.float64)


BATCH_NORM = {
    "mistakes": [
        Mistake(_bn_per_image, "over the batch",
                message="You normalised each image with its own statistics. BatchNorm computes each channel's mean "
                        "and variance over the batch (and the positions): every axis except the last."),
        Mistake(_bn_all_channels, "each channel separately",
                message="You used one mean and variance for all channels together. BatchNorm normalises each "
                        "channel separately: reduce over every axis except the last (axis=(0, 1, 2) for images)."),
        Mistake(_bn_unbiased, "ddof",
                message="You used the unbiased variance (ddof=1, dividing by N - 1). BatchNorm normalises with the "
                        "batch's biased variance, dividing by N (np.var's default, ddof=0)."),
        Mistake(_bn_epsilon_outside, "inside the square root",
                message="Epsilon belongs inside the square root: divide by sqrt(variance + epsilon), not by "
                        "std + epsilon."),
        Mistake(_bn_no_epsilon, "epsilon",
                message="You left out epsilon. With a channel whose variance is tiny, dividing by sqrt(variance) "
                        "blows it up; BatchNorm divides by sqrt(variance + epsilon)."),
        Mistake(_bn_batch_axis_only, "every position",
                message="You reduced over the batch axis only (axis=0), so every position (pixel) got its own mean and "
                        "variance. For feature maps BatchNorm pools all the positions of a channel too: reduce over "
                        "every axis except the last, axis=(0, 1, 2) for images (axis=0 is right only for 2-D inputs)."),
        Mistake(_bn_swapped, "gamma scales",
                message="gamma and beta are swapped: gamma scales the normalised value, beta shifts it "
                        "(gamma * x_hat + beta)."),
        Mistake(_bn_no_scale_shift, "gamma and beta",
                message="You normalised but forgot the learned scale and shift, gamma and beta: return "
                        "gamma * x_hat + beta."),
        Mistake(_bn_fixed_epsilon, "the `epsilon` argument",
                message="You wrote the number 1e-3 instead of using the `epsilon` argument: with another epsilon "
                        "(Keras lets you choose it) your function gives other values. Use the argument."),
        Mistake(_bn_no_beta, "shift by beta",
                message="You scaled by gamma but did not shift by beta: return gamma * x_hat + beta."),
        Mistake(_bn_variance_not_std, "square root",
                message="You divided by the variance itself; divide by its square root, sqrt(variance + epsilon)."),
    ],
    "alternatives": [
        Alternative(_bn_sums, note="sums divided by N, on a reshaped copy"),
        Alternative(_bn_float32, note="one scale factor per channel, float64"),
        Alternative(_bn_keras, note="Keras' own BatchNormalization layer, training=True"),
    ],
}

# --------------------------------------------------------------------------- gap_fix: which regulariser

GAP_OPTIONS = [
    "Train for more epochs",
    "Add a Dense(512) layer before the output",
    "Random flips and shifts as layers at the start of the model",
    "Pick the epoch with the best test accuracy",
    "Remove the Dropout layers",
    "Use a larger learning rate",
]
GAP_ANSWER = GAP_OPTIONS[2]
GAP_EXPLANATIONS = {
    GAP_OPTIONS[0]: "The training accuracy is already near 100% and the validation loss is rising: more epochs "
                    "widen the gap (the model memorises more).",
    GAP_OPTIONS[1]: "More capacity lets the network memorise the 1,000 images even better: it widens the gap.",
    GAP_OPTIONS[3]: "Choosing anything with the test set leaks it: the test score is then no longer an honest "
                    "estimate. Choose on the validation split.",
    GAP_OPTIONS[4]: "Dropout is a regulariser; removing it makes overfitting worse, not better.",
    GAP_OPTIONS[5]: "The learning rate is an optimisation setting to tune, not the regulariser to try first: it "
                    "changes how fast and how noisily the model fits. Larger rates (and smaller batches) can "
                    "regularise a little through that noise, but on a model that already memorises its images "
                    "they do not give it new images to learn from; augmentation does.",
}

GAP_FIX = {
    "mistakes": [
        Mistake(GAP_OPTIONS[0], "more epochs widen the gap", message=GAP_EXPLANATIONS[GAP_OPTIONS[0]]),
        Mistake(GAP_OPTIONS[1], "more capacity", message=GAP_EXPLANATIONS[GAP_OPTIONS[1]]),
        Mistake(GAP_OPTIONS[3], "leaks it", message=GAP_EXPLANATIONS[GAP_OPTIONS[3]]),
        Mistake(GAP_OPTIONS[4], "dropout is a regulariser", message=GAP_EXPLANATIONS[GAP_OPTIONS[4]]),
        Mistake(GAP_OPTIONS[5], "optimisation setting", message=GAP_EXPLANATIONS[GAP_OPTIONS[5]]),
    ],
    "alternatives": [Alternative("c", note="the option's letter"),
                     Alternative(GAP_ANSWER.upper(), note="the text in capitals")],
}

# --------------------------------------------------------------------------- with_augmentation(model)


def _wrap(*make_layers):
    """A with_augmentation that puts the layers ``make()`` returns in front of the model."""
    def with_augmentation(model):
        import keras

        inputs = keras.Input(model.input_shape[1:])
        x = inputs
        for make in make_layers:
            x = make(keras.layers)(x)
        return keras.Model(inputs, model(x))
    return with_augmentation


def _aug_random_lambda(model):
    import keras
    import tensorflow as tf

    inputs = keras.Input(model.input_shape[1:])
    x = keras.layers.Lambda(lambda t: tf.image.random_flip_left_right(t))(inputs)
    return keras.Model(inputs, model(x))


def _aug_none(model):
    return model


def _aug_clone(model):
    import keras

    copy = keras.models.clone_model(model)
    return keras.Sequential([keras.Input(model.input_shape[1:]), keras.layers.RandomFlip("horizontal"), copy])


def _aug_after(model):
    import keras

    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, keras.layers.GaussianNoise(0.1)(model(inputs)))


def _aug_list(model):
    import keras

    return [keras.layers.RandomFlip("horizontal"), model]


def _aug_frozen(model):
    import keras

    model.trainable = False
    inputs = keras.Input(model.input_shape[1:])
    x = keras.layers.RandomTranslation(0.1, 0.1)(keras.layers.RandomFlip("horizontal")(inputs))
    return keras.Model(inputs, model(x))


def _aug_subclassed(model):
    import keras

    class Augmented(keras.Model):
        def __init__(self, inner):
            super().__init__()
            self.flip, self.shift, self.inner = (keras.layers.RandomFlip("horizontal"),
                                                 keras.layers.RandomTranslation(0.1, 0.1), inner)

        def call(self, x, training=None):
            return self.inner(self.shift(self.flip(x, training=True), training=True))

    return Augmented(model)


def _aug_sequential(model):
    import keras

    return keras.Sequential([keras.Input(model.input_shape[1:]), keras.layers.RandomFlip("horizontal"),
                             keras.layers.RandomTranslation(0.1, 0.1), model])


def _aug_block(model):
    import keras

    block = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomTranslation(0.1, 0.1)],
                             name="augment")
    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, model(block(inputs)))


AUGMENTATION = {
    "mistakes": [
        Mistake(_aug_random_lambda, "Lambda",
                message="Your augmentation is random at inference too: `predict` gives other outputs at each "
                        "call. Either a Lambda layer runs it (a Lambda does not know whether the model is "
                        "training, so tf.image.random_flip_left_right runs in `predict` as well), or a random "
                        "layer is called with training=True (an explicit training=True wins over the mode Keras "
                        "passes down). Use Keras' random layers (RandomFlip, RandomTranslation) without "
                        "`training`: they are off at inference."),
        Mistake(_aug_subclassed, "called with training=True"),
        Mistake(_aug_frozen, "leave `model` trainable"),
        Mistake(_aug_none, "in training",
                message="In training mode your model gives exactly `model`'s outputs: no random augmentation is "
                        "active in training. Put random layers (RandomFlip, RandomTranslation) before `model`."),
        Mistake(_wrap(lambda layers: layers.Lambda(lambda t: t[:, :, ::-1])), "every image, also at inference",
                message="You flip every image, also at inference: a fixed transformation is not augmentation. "
                        "Use random layers, which Keras switches off outside training."),
        Mistake(_aug_clone, "copy of the model",
                message="`clone_model` makes a copy of the model with new random weights. Call the model you "
                        "were given, `model(x)`, so the trained weights are used."),
        Mistake(_aug_after, "before the model",
                message="Your random layer acts on the model's outputs. Augmentation changes the images, so it "
                        "belongs before the model."),
        Mistake(_aug_list, "keras.Model"),
        Mistake(_wrap(lambda layers: layers.Dropout(0.2)), "never flips or shifts"),
        Mistake(_wrap(lambda layers: layers.GaussianNoise(0.1)), "not their positions"),
        Mistake(_wrap(lambda layers: layers.RandomContrast(0.3, value_range=(0, 1))), "pixel values, not"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("vertical")), "upside down"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal_and_vertical")), "vertical flip"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomBrightness(0.5)),
                "value_range=(0, 1)"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal")), "flips the images but never shifts them"),
        Mistake(_wrap(lambda layers: layers.RandomTranslation(0.1, 0.1)), "shifts the images but never flips them"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            0.0, 0.0)), "never shifts them"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomRotation(0.1)),
                "also uses RandomRotation"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            0.1, 0.1), lambda layers: layers.RandomZoom(0.1)), "also uses RandomZoom"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            0.9, 0.9)), "Your RandomTranslation has height_factor=0.9"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            0.5, 0.5)), "0 < f <= 0.3 for height_factor and width_factor"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            0.0, 0.1)), "Your RandomTranslation has height_factor=0.0"),
        Mistake(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            (-0.1, 0.0), (-0.1, 0.0))), "a zero or one-sided range never shifts one way"),
    ],
    "alternatives": [
        Alternative(_aug_sequential, note="Sequential with the model as its last layer"),
        Alternative(_aug_block, note="a nested augmentation block"),
        Alternative(_wrap(lambda layers: layers.RandomTranslation(0.05, 0.2, interpolation="nearest"),
                          lambda layers: layers.RandomFlip("horizontal")),
                    note="shifts then flips, nearest interpolation"),
        Alternative(_wrap(lambda layers: layers.RandomFlip("horizontal"),
                          lambda layers: layers.RandomTranslation(0.3, (-0.1, 0.1), fill_mode="reflect")),
                    note="flips and shifts (0.3 and a symmetric tuple), reflected"),
        Alternative(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            0.1, 0.1), lambda layers: layers.GaussianNoise(0.05)),
                    note="flips, shifts and GaussianNoise (extra pixel-value noise is allowed)"),
        Alternative(_wrap(lambda layers: layers.RandomFlip("horizontal"), lambda layers: layers.RandomTranslation(
            0.1, 0.1), lambda layers: layers.RandomBrightness(0.2, value_range=(0, 1))),
                    note="flips, shifts and RandomBrightness with value_range=(0, 1)"),
    ],
}
