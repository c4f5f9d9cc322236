"""Exercises of notebook 05 (building better CNNs): count BatchNorm's parameters, write BatchNorm by hand,
pick the regulariser that closes a gap, put augmentation where it is off at inference, write a residual block.

The last two answers are functions of Keras objects; they are checked by behaviour on small inputs built here
(shapes, outputs with some weights set to zero, training vs inference mode), never by reading the code.
"""

import math

import numpy as np

from course_utils.exercises import Alternative, Choice, Exercise, Function, Mistake, Problem, Value, case
from course_utils.exercises.catalogue import Equivalent
from course_utils.exercises.compare import describe
from course_utils.exercises.core import reference_source
from course_utils.exercises.functions import call_with_time_limit, describe_error, is_placeholder
from course_utils.transfer import _all_layers

NOTEBOOK = "05_better_cnns"


# ------------------------------------------------------------------------ 1. BatchNorm's parameters

BN_PARAMS = (192, 96)  # BatchNormalization after Conv2D(48, 3) on 28x28x16: 4 * 48 in all, gamma and beta trained

bn_params_mistakes = [
    Mistake((96, 96), "moving mean",
            message="You counted gamma and beta only. The layer also stores a moving mean and a moving variance "
                    "per channel (for inference): 4 numbers per channel in all, 2 of them trained."),
    Mistake((192, 192), "not trained",
            message="All of them are parameters, but the moving mean and moving variance are not trained by "
                    "gradient descent (they are running averages): only gamma and beta are."),
    Mistake((64, 32), "output channels",
            message="You used the 16 input channels of the convolution. BatchNormalization normalises the "
                    "convolution's output, so it counts the output channels (its filters)."),
    Mistake((4 * 48 * 26 * 26, 2 * 48 * 26 * 26), "per channel, not per pixel",
            message="BatchNorm's statistics and its gamma and beta are per channel, not per pixel: the same 4 "
                    "numbers serve every position of a channel, so the image size does not matter."),
    Mistake(((3 * 3 * 16 + 1) * 48 + 192, (3 * 3 * 16 + 1) * 48 + 96), "only the BatchNormalization",
            message="You added the convolution's own parameters. Count only the BatchNormalization layer."),
    Mistake((96, 192), "total first",
            message="Your two numbers are swapped: give the total first, then the trainable part, "
                    "`(total, trainable)`."),
    Mistake((48, 48), "4 numbers per channel",
            message="One number per channel is not enough: BatchNorm keeps 4 numbers per channel (gamma, beta, "
                    "moving mean, moving variance)."),
]


# ------------------------------------------------------------------------ 2. BatchNorm by hand

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


batch_norm_mistakes = [
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
]

batch_norm_alternatives = [
    Alternative(_bn_sums, note="sums divided by N, on a reshaped copy"),
    Alternative(_bn_float32, note="one scale factor per channel, float64"),
    Alternative(_bn_keras, note="Keras' own BatchNormalization layer, training=True"),
]


# ------------------------------------------------------------------------ 3. which regulariser closes the gap

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
    GAP_OPTIONS[5]: "The learning rate changes how fast the model fits, not what it generalises to; a larger "
                    "one makes training noisier, the gap does not close.",
}

gap_fix_mistakes = [
    Mistake(GAP_OPTIONS[0], "more epochs widen the gap", message=GAP_EXPLANATIONS[GAP_OPTIONS[0]]),
    Mistake(GAP_OPTIONS[1], "more capacity", message=GAP_EXPLANATIONS[GAP_OPTIONS[1]]),
    Mistake(GAP_OPTIONS[3], "leaks it", message=GAP_EXPLANATIONS[GAP_OPTIONS[3]]),
    Mistake(GAP_OPTIONS[4], "dropout is a regulariser", message=GAP_EXPLANATIONS[GAP_OPTIONS[4]]),
    Mistake(GAP_OPTIONS[5], "learning rate", message=GAP_EXPLANATIONS[GAP_OPTIONS[5]]),
]


# ------------------------------------------------------------------------ test models and images

_CACHE = {}


def _base_model():
    """A small functional CNN with fixed weights, 12x12x1 -> 4 softmax outputs (for with_augmentation)."""
    if "base" not in _CACHE:
        import keras

        keras.utils.set_random_seed(5)
        inputs = keras.Input((12, 12, 1), name="picture")
        x = keras.layers.Conv2D(4, 3, activation="relu", name="check_conv")(inputs)
        x = keras.layers.Flatten(name="check_flatten")(x)
        outputs = keras.layers.Dense(4, activation="softmax", name="check_output")(x)
        _CACHE["base"] = keras.Model(inputs, outputs, name="check_model")
    return _CACHE["base"]


def _images(shape, n=6, seed=0):
    """Random images with a bright left half, so that a horizontal flip changes them."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, *shape)).astype("float32") * 0.3
    x[:, :, : shape[1] // 2] += 0.7
    return x


class _KerasFunction(Exercise):
    """The answer is a function of Keras objects; subclasses implement ``_behaviour`` and ``_evaluate_function``."""

    kind = "function"

    def __init__(self, id, reference, *, time_limit=60.0, **options):
        super().__init__(id, **options)
        self.reference = reference
        self.time_limit = time_limit

    def _reference_answer(self):
        return self.reference

    def _reference_source(self):
        return reference_source(self.reference)

    def _empty_body_message(self):
        return (f"Write the body of your function (replace `raise NotImplementedError()`), run the cell, then "
                f"check again. Stuck? Try `ex.{self.id}.hint()`.")

    def _call(self, function, *args):
        """``(value, None)`` or ``(None, Problem)``."""
        outcome = call_with_time_limit(function, args, {}, self.time_limit)
        if outcome.timed_out:
            return None, Problem("timeout", f"Your function took longer than {self.time_limit:g} s.")
        if outcome.error is not None:
            if isinstance(outcome.error, NotImplementedError):
                return None, Problem("not_attempted", self._empty_body_message())
            return None, Problem("error", f"Your function raised {describe_error(outcome.error)}.")
        if outcome.value is None:
            return None, Problem("returned_none", "Your function returned None: did you forget `return`?")
        return outcome.value, None

    def _evaluate(self, answer):
        if not callable(answer):
            return Problem("wrong_type", f"Your answer should be a function (`def {self.name}(...):`), not "
                           f"{describe(answer)}. Pass the function itself, without calling it.")
        if is_placeholder(answer):
            return Problem("not_attempted", self._empty_body_message())
        return self._evaluate_function(answer)


# ------------------------------------------------------------------------ 4. augmentation off at inference

def with_augmentation(model):
    """A new model: random flips and shifts (active only in training), then ``model`` (its own weights)."""
    import keras

    inputs = keras.Input(model.input_shape[1:])
    x = keras.layers.RandomFlip("horizontal")(inputs)
    x = keras.layers.RandomTranslation(0.1, 0.1, fill_mode="constant")(x)
    return keras.Model(inputs, model(x))


def _aug_random_lambda(model):
    import keras
    import tensorflow as tf

    inputs = keras.Input(model.input_shape[1:])
    x = keras.layers.Lambda(lambda t: tf.image.random_flip_left_right(t))(inputs)
    return keras.Model(inputs, model(x))


def _aug_none(model):
    return model


def _aug_always_flip(model):
    import keras

    inputs = keras.Input(model.input_shape[1:])
    flipped = keras.layers.Lambda(lambda t: keras.ops.flip(t, axis=2))(inputs)
    return keras.Model(inputs, model(flipped))


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


def _aug_sequential(model):
    import keras

    return keras.Sequential([keras.Input(model.input_shape[1:]), keras.layers.RandomFlip("horizontal"),
                             keras.layers.RandomTranslation(0.1, 0.1), model])


def _aug_block(model):
    import keras

    block = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomZoom(0.1)],
                             name="augment")
    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, model(block(inputs)))


def _aug_rotation(model):
    import keras

    inputs = keras.Input(model.input_shape[1:])
    return keras.Model(inputs, model(keras.layers.RandomRotation(0.05)(inputs)))


class _Outputs:
    """Inference outputs as a fact that compares with ``np.allclose`` (None when not worth comparing)."""

    def __init__(self, array=None):
        self.array = array

    def __eq__(self, other):
        if not isinstance(other, _Outputs) or (self.array is None) != (other.array is None):
            return False
        return self.array is None or (self.array.shape == other.array.shape
                                      and np.allclose(self.array, other.array, atol=1e-5))


class Augmentation(_KerasFunction):
    """``with_augmentation(model)`` must return a Keras model that (1) in inference mode gives exactly
    ``model``'s outputs, (2) in training mode changes them at random, (3) uses ``model``'s own weights, and
    (4) applies the randomness before ``model``."""

    def _behaviour(self, function):
        """What the answer does on the test model: ``("error", status, text)``, ``("not_a_model", kind)`` or
        the facts ``(same_at_inference, deterministic_at_inference, changes_in_training, shares_weights,
        outputs_probabilities, inference_outputs)`` (the outputs only when they are fixed but wrong)."""
        import keras

        base = _base_model()
        new, problem = self._call(function, base)
        if problem:
            return ("error", problem.status, problem.message)
        if not isinstance(new, keras.Model):
            return ("not_a_model", type(new).__name__)
        x = _images(base.input_shape[1:], n=16)
        reference = np.asarray(base(x, training=False))
        keras.utils.set_random_seed(11)
        try:
            first = np.asarray(new(x, training=False))
            second = np.asarray(new.predict(x, verbose=0))
        except Exception as err:  # noqa: BLE001 - a model that cannot run on images is reported
            return ("error", "error", f"Calling the model your function returned raised {describe_error(err)}. "
                    f"Random augmentation layers act on images: put them before `model`, on its input.")
        same = bool(first.shape == reference.shape and np.allclose(first, reference, atol=1e-5)
                    and np.allclose(second, reference, atol=1e-5))
        deterministic = bool(first.shape == second.shape and np.allclose(first, second, atol=1e-5))
        draws = [np.asarray(new(x, training=True)) for _ in range(3)]
        changes = any(d.shape != reference.shape or not np.allclose(d, reference, atol=1e-5) for d in draws)
        own = {id(v) for v in base.weights}
        shares = bool(own) and own <= {id(v) for v in new.weights}
        probabilities = all(d.shape == reference.shape and np.allclose(d.sum(axis=-1), 1.0, atol=1e-4)
                            for d in draws)
        wrong_but_fixed = deterministic and not same  # recognised by its outputs, not by its facts alone
        return (same, deterministic, changes, shares, probabilities, _Outputs(first if wrong_but_fixed else None))

    def _same_behaviour(self, wrong, facts):
        return self._behaviour(wrong) == facts

    def _evaluate_function(self, answer):
        facts = self._behaviour(answer)
        if facts[0] == "error":
            return Problem(facts[1], facts[2].replace("Your function", "with_augmentation(model)"))
        if facts[0] == "not_a_model":
            return Problem("not_a_model", f"Your function should return a keras.Model, not a {facts[1]}. Wrap "
                           f"the layers: `keras.Model(inputs, model(x))` or `keras.Sequential([...])`.")
        if facts[:5] == (True, True, True, True, True):
            return None
        recognised = self.diagnose(lambda wrong: self._same_behaviour(wrong, facts))
        if recognised:
            return recognised
        same, _, varies, shares, probabilities = facts[:5]
        if not shares:
            return Problem("wrong", "Your model does not use `model`'s own weights: call the model you were "
                           "given on the augmented input, `model(x)`, instead of building or copying one.")
        if not same:
            return Problem("wrong", "In inference mode (`predict`, or `training=False`) your model's outputs "
                           "differ from `model`'s: augmentation must be off at inference.")
        if not varies:
            return Problem("wrong", "In training mode your model gives exactly `model`'s outputs: no random "
                           "augmentation is active in training.")
        return Problem("wrong", "Your model changes `model`'s outputs after the fact: the random layers "
                       "belong before `model`, on the images.")


aug_mistakes = [
    Mistake(_aug_random_lambda, "Lambda",
            message="Your augmentation is random at inference too: a Lambda layer does not know whether the "
                    "model is training, so tf.image.random_flip_left_right runs in `predict` as well. Use "
                    "Keras' random layers (RandomFlip, RandomTranslation), which are off at inference."),
    Mistake(_aug_none, "in training",
            message="In training mode your model gives exactly `model`'s outputs: no random augmentation is "
                    "active in training. Put random layers (RandomFlip, RandomTranslation) before `model`."),
    Mistake(_aug_always_flip, "every image, also at inference",
            message="You flip every image, also at inference: a fixed transformation is not augmentation. "
                    "Use random layers, which Keras switches off outside training."),
    Mistake(_aug_clone, "copy of the model",
            message="`clone_model` makes a copy of the model with new random weights. Call the model you were "
                    "given, `model(x)`, so the trained weights are used."),
    Mistake(_aug_after, "before the model",
            message="Your random layer acts on the model's outputs. Augmentation changes the images, so it "
                    "belongs before the model."),
    Mistake(_aug_list, "keras.Model"),
]

aug_alternatives = [
    Alternative(_aug_sequential, note="Sequential with the model as its last layer"),
    Alternative(_aug_block, note="a nested augmentation block with a zoom"),
    Alternative(_aug_rotation, note="a single random rotation"),
]

aug_equivalents = [  # tests/test_mutation.py: mutants of the reference that are right after all
    Equivalent("unwrap: keras.layers.RandomFlip('horizontal')(inputs) -> inputs", why="random shifts alone: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("string: 'horizontal' -> 'vertical'", why="random vertical flips: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("statement: x = keras.layers.RandomTranslation(0.1, 0.1, ... -> (dropped)",
               why="random flips alone: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("unwrap: keras.layers.RandomTranslation(0.1, 0.1, fill... -> x", why="random flips alone: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("keyword: keras.layers.RandomTranslation(..., fill_mode... -> (dropped)",
               why="shifts filled by reflection (the default): still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> -0.9", why="shifts of up to 90% of the height: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> 0.2", why="shifts of up to 20% of the height: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> 0.0", why="no vertical shift, random horizontal shifts and flips: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> -0.9 #2", why="shifts of up to 90% of the width: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> 0.2 #2", why="shifts of up to 20% of the width: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> 0.0 #2", why="no horizontal shift, random vertical shifts and flips: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("string: 'constant' -> 'reflect'", why="shifts filled by reflection: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
]


# ------------------------------------------------------------------------ 5. a correct residual block

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


RESIDUAL_CASES = [  # (input shape without the batch, filters, stride, note)
    ((8, 8, 16), 16, 1, "same channels, stride 1: the identity shortcut"),
    ((8, 8, 16), 32, 1, "16 -> 32 channels, stride 1"),
    ((9, 9, 16), 32, 2, "16 -> 32 channels, stride 2 on an odd size"),
    ((7, 5, 8), 8, 2, "same channels, stride 2, non-square"),
]


def _res_tutorial(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, activation="relu")(x)
    y = layers.Conv2D(filters, 3)(y)
    return layers.Add()([x, y])


def _res_no_projection(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    return layers.ReLU()(layers.Add()([y, x]))


def _res_projection_without_stride(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    shortcut = x if x.shape[-1] == filters and stride == 1 else layers.Conv2D(filters, 1)(x)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def _res_stride_twice(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same")(y)
    shortcut = x if x.shape[-1] == filters and stride == 1 else layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def _res_plain(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu")(y)


def _res_concatenate(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    shortcut = x if x.shape[-1] == filters and stride == 1 else layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.ReLU()(layers.Concatenate()([y, shortcut]))


def _res_fixed_filters(x, filters, stride=1):
    return residual_block(x, 64, stride)


def _res_shortcut_dropped(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    if stride == 1 and x.shape[-1] == filters:
        y = layers.Add()([y, x])
    return layers.ReLU()(y)


def _res_projection_3x3(x, filters, stride=1):
    import keras

    layers = keras.layers
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def _res_bias_no_bn(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same")(y)
    if stride != 1 or x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.Activation("relu")(x + y)


def _res_preactivation(x, filters, stride=1):
    from keras import layers

    y = layers.ReLU()(layers.BatchNormalization()(x))
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(y)
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(y)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    return layers.add([y, shortcut])


def _res_always_project(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y))
    shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
    return layers.ReLU()(layers.Add()([y, shortcut]))


class ResidualBlock(_KerasFunction):
    """``residual_block(x, filters, stride)`` is called on symbolic inputs of several shapes; its output must
    have the right shape, and the shortcut must be there: with every kernel larger than 1x1 set to zero, the
    main path gives 0, so what is left is the shortcut (x itself, or its 1x1 projection), never 0."""

    def __init__(self, id, reference, **options):
        super().__init__(id, reference, **options)
        self._known = {}  # (id of a catalogued wrong function, case index) -> its behaviour

    def _behaviour(self, function, index):
        """``(facts, detail)``: what ``function`` does on case ``index``. ``facts`` is comparable between
        answers: ``("error", type, first line)``, ``("type", name)``, ``("ok", output shape, left)`` where
        ``left`` is what the block gives with its 3x3 kernels at zero (``"zero"``, ``"identity"``, ``"other"``),
        then whether it has a 1x1 convolution, whether the 3x3 kernels change its output, and how many (up to 3);
        ``detail`` is the student's error with its line, for messages."""
        import keras

        shape, filters, stride, _ = RESIDUAL_CASES[index]
        inputs = keras.Input(shape)
        outcome = call_with_time_limit(function, (inputs, filters, stride), {}, self.time_limit)
        if outcome.timed_out:
            return ("timeout",), ""
        if outcome.error is not None:
            if isinstance(outcome.error, NotImplementedError):
                return ("not_attempted",), ""
            text = str(outcome.error).strip().splitlines()[0] if str(outcome.error).strip() else ""
            return ("error", type(outcome.error).__name__, text), describe_error(outcome.error)
        out = outcome.value
        if not isinstance(out, keras.KerasTensor):
            return ("type", type(out).__name__), ""
        got = tuple(out.shape[1:])
        if len(got) != 3:
            return ("ok", got, None, None, None, None), ""
        model = keras.Model(inputs, out)
        x = np.random.default_rng(index).normal(0.0, 1.0, (2, *shape)).astype("float32")
        before = np.asarray(model(x, training=False))
        every = list(_all_layers(model))  # nested models (a keras.Sequential main path) included
        spatial = [layer for layer in every
                   if getattr(layer, "kernel_size", None) is not None and max(layer.kernel_size) > 1]
        projection = any(getattr(layer, "kernel_size", None) == (1, 1) for layer in every)
        for layer in spatial:
            for weight in layer.weights:
                weight.assign(np.zeros(weight.shape, dtype=weight.dtype))
        y = np.asarray(model(x, training=False))
        if np.allclose(y, 0.0, atol=1e-6):
            left = "zero"
        elif y.shape == x.shape and (np.allclose(y, x, atol=1e-3) or np.allclose(y, np.maximum(x, 0), atol=1e-3)):
            left = "identity"
        else:
            left = "other"
        main_used = not np.allclose(before, y, atol=1e-6)
        return ("ok", got, left, projection, main_used, min(len(spatial), 3)), ""

    def _known_behaviour(self, wrong, index):
        key = (id(wrong), index)
        if key not in self._known:
            self._known[key] = self._behaviour(wrong, index)[0]
        return self._known[key]

    def _evaluate_function(self, answer):
        history = []
        for index, (shape, filters, stride, note) in enumerate(RESIDUAL_CASES):
            facts, detail = self._behaviour(answer, index)
            history.append(facts)
            problem = self._problem(facts, detail, shape, filters, stride)
            if problem is None:
                continue
            where = (f"With an input of shape (batch, {', '.join(map(str, shape))}), filters={filters}, "
                     f"stride={stride} ({note}): ")
            if problem.status in ("not_attempted", "timeout"):
                return problem
            recognised = self.diagnose(lambda wrong: all(
                self._known_behaviour(wrong, i) == seen for i, seen in enumerate(history)))
            if recognised:
                return Problem(recognised.status, where + recognised.message, detail)
            return Problem(problem.status, where + problem.message, problem.detail)
        return None

    def _problem(self, facts, detail, shape, filters, stride):
        kind = facts[0]
        if kind == "timeout":
            return Problem("timeout", f"Building the block took longer than {self.time_limit:g} s.")
        if kind == "not_attempted":
            return Problem("not_attempted", self._empty_body_message())
        if kind == "error":
            return Problem("error", f"building the block raised {detail}.{_explain_add_error(facts[2])}")
        if kind == "type":
            return Problem("wrong_type", f"your function returned a {facts[1]}; return the block's output tensor "
                           f"(what the last layer gives), e.g. `return layers.ReLU()(y)`.")
        expected = (math.ceil(shape[0] / stride), math.ceil(shape[1] / stride), filters)
        if facts[1] != expected:
            return Problem("wrong_shape", f"the output has shape (batch, {', '.join(map(str, facts[1]))}), "
                           f"expected (batch, {', '.join(map(str, expected))}).")
        _, _, left, projection, main_used, n_spatial = facts
        if left == "zero" and n_spatial > 2:
            return Problem("wrong", "your block has more than two 3x3 convolutions, and with all of them at zero "
                           "it outputs 0: if the third one is your shortcut's projection, make it a 1x1 "
                           "convolution, Conv2D(filters, 1, strides=stride), which only changes the channels "
                           "(and, with a stride, the size).")
        if left == "zero":
            return Problem("wrong", "with every 3x3 kernel set to zero your block outputs 0: there is no "
                           "shortcut carrying the input (or its 1x1 projection) to the output.")
        if not main_used:
            return Problem("wrong", "your block's output does not depend on its 3x3 convolutions: the main path "
                           "F(x) must be added to the shortcut, y = F(x) + shortcut.")
        if stride == 1 and shape[-1] == filters and left != "identity" and not projection:
            return Problem("wrong", "when nothing changes shape the shortcut is the input itself: with the 3x3 "
                           "kernels at zero your block should give x (or ReLU(x)) back. Add x, do not subtract "
                           "or transform it.")
        if n_spatial < 2:
            return Problem("wrong", "the main path needs two 3x3 convolutions (both with padding='same').")
        return None


def _explain_add_error(text):
    """A sentence about an ``Add`` shape error (``"... Received shapes (8, 8, 16) and (4, 4, 16)"``), or ``""``."""
    import re

    shapes = re.findall(r"\(([\d, ]+)\)", text)
    if "incompatible shapes" not in text.lower() or len(shapes) < 2:
        return ""
    first, second = ([int(v) for v in s.split(",") if v.strip()] for s in shapes[:2])
    notes = []
    if first[:-1] != second[:-1]:
        notes.append("the heights and widths differ: use padding='same', and the same stride on both branches")
    if first[-1:] != second[-1:]:
        notes.append("the channels differ: project the shortcut with a 1x1 convolution")
    return (" Add needs both branches in the same shape; " + "; ".join(notes) + ".") if notes else ""


residual_mistakes = [
    Mistake(_res_tutorial, "padding",
            message="Each 3x3 convolution with the default padding='valid' crops 2 pixels, so the main path no "
                    "longer matches the input: use padding='same' (and a 1x1 projection when channels change)."),
    Mistake(_res_no_projection, "1x1 projection",
            message="The channels (or the size) change, so x cannot be added as it is: pass the shortcut through "
                    "a 1x1 projection, Conv2D(filters, 1, strides=stride), when stride != 1 or the channels "
                    "differ."),
    Mistake(_res_projection_without_stride, "same stride",
            message="Your 1x1 projection keeps the full size while the main path is strided: give the projection "
                    "the same stride, Conv2D(filters, 1, strides=stride)."),
    Mistake(_res_stride_twice, "stride only in the first",
            message="Your main path is strided twice and shrinks by stride**2: put the stride only in the first "
                    "3x3 convolution."),
    Mistake(_res_plain, "no shortcut",
            message="With every 3x3 kernel at zero your block outputs 0: there is no shortcut. Add the input "
                    "(or its projection) to the main path: layers.Add()([y, shortcut])."),
    Mistake(_res_concatenate, "add, not concatenate",
            message="Concatenate stacks the channels (2 * filters); a residual block adds the shortcut to the "
                    "main path, element by element: use Add, not Concatenate."),
    Mistake(_res_fixed_filters, "`filters` argument",
            message="Your block always has 64 channels: use the `filters` argument for every convolution."),
    Mistake(_res_projection_3x3, "a 1x1 convolution, not 3x3",
            message="Your projection shortcut is a 3x3 convolution: it mixes neighbouring pixels and costs 9 times "
                    "the weights. Project with a 1x1 convolution, not 3x3: Conv2D(filters, 1, strides=stride)."),
    Mistake(_res_shortcut_dropped, "dropped the shortcut",
            message="When the shape changes you dropped the shortcut altogether. Keep it, projected with a 1x1 "
                    "convolution: without it the block is a plain pair of convolutions."),
]

def _res_nested_main_path(x, filters, stride=1):
    import keras

    layers = keras.layers
    main = keras.Sequential([layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False),
                             layers.BatchNormalization(), layers.ReLU(),
                             layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization()])
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return layers.ReLU()(layers.Add()([main(x), shortcut]))


residual_alternatives = [
    Alternative(_res_nested_main_path, note="the main path as a keras.Sequential"),
    Alternative(_res_bias_no_bn, note="no BatchNorm, biases, `x + y` and Activation('relu')"),
    Alternative(_res_preactivation, note="pre-activation (ResNet v2) order with layers.add"),
    Alternative(_res_always_project, note="a 1x1 projection on every block"),
]


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
        mistakes=bn_params_mistakes,
        alternatives=[Alternative([192, 96], note="a list"), Alternative(np.array([192, 96]), note="an array"),
                      Alternative((192.0, 96.0), note="floats")],
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
        mistakes=batch_norm_mistakes,
        alternatives=batch_norm_alternatives,
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
        mistakes=gap_fix_mistakes,
        alternatives=[Alternative("c", note="the option's letter"),
                      Alternative(GAP_ANSWER.upper(), note="the text in capitals")],
    ),
    Augmentation(
        "augmentation", with_augmentation, name="with_augmentation",
        title="Put random flips and shifts in front of a model, so that they are off at inference",
        hints=[
            "Build a new functional model: `inputs = keras.Input(model.input_shape[1:])`, then the random layers, "
            "then `model(x)` on their output.",
            "Keras' random layers (RandomFlip, RandomTranslation, ...) are active only in training when you call "
            "them without a `training` argument: Keras passes the mode of `fit` / `predict` down.",
            "`x = layers.RandomFlip('horizontal')(inputs)`, `x = layers.RandomTranslation(0.1, 0.1)(x)`, "
            "`return keras.Model(inputs, model(x))`.",
        ],
        mistakes=aug_mistakes,
        alternatives=aug_alternatives,
        equivalents=aug_equivalents,
    ),
    ResidualBlock(
        "residual_block", residual_block,
        title="A residual block that runs: padding='same', and a 1x1 projection when the shape changes",
        hints=[
            "Main path: Conv2D(filters, 3, strides=stride, padding='same') - BatchNormalization - ReLU - "
            "Conv2D(filters, 3, padding='same') - BatchNormalization.",
            "The shortcut is `x` when stride == 1 and x.shape[-1] == filters; otherwise "
            "Conv2D(filters, 1, strides=stride)(x) (and BatchNormalization), so both branches have the same shape.",
            "Finish with `layers.ReLU()(layers.Add()([y, shortcut]))` and return that tensor.",
        ],
        mistakes=residual_mistakes,
        alternatives=residual_alternatives,
    ),
]
