"""Misconception catalogue of notebook 03's ``trained_model``: models trained (on a few thousand digits) or used
in the wrong way, and the right variants the checker accepts (Keras imported inside)."""

import functools

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Equivalent, Mistake

# --------------------------------------------------------------------------- trained_model

_DIGITS = {}


def _digits(part):
    """Training digits (3,000, scaled to [0, 1] unless ``part == "raw"``) or the notebook's test digits."""
    if not _DIGITS:
        from course_utils import data
        from course_utils.building import models

        (x, y), (x_test, y_test) = data.load_mnist(n_train=3_000, n_test=2_000, verbose=False)
        _DIGITS.update(scaled=(models.prepare_images(x), y), raw=(x[..., None].astype("float32"), y),
                       symmetric=(x[..., None].astype("float32") / 127.5 - 1.0, y),
                       test=(models.prepare_images(x_test), y_test))
    return _DIGITS[part]


def _trained(build, part="scaled", epochs=3, n=None, loss="sparse_categorical_crossentropy", shuffle_labels=False):
    import keras

    keras.utils.set_random_seed(0)
    model = build()
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    x, y = _digits(part)
    if shuffle_labels:  # labels that no longer belong to their images
        y = np.random.default_rng(0).permutation(y)
    if epochs:
        model.fit(x[:n], y[:n], epochs=epochs, batch_size=64, verbose=0)
    return model


def _classic_b():
    from course_utils.building import models

    return models.classic_b()


def _mlp():
    from course_utils.building import models

    return models.mlp()


def _mlp_256():
    from course_utils.building import models

    return models.mlp((256,))


def _history():
    """``trained_model = model.fit(...)``: what fit returns."""
    from course_utils.building import models

    model = models.compile_for(models.classic_b())
    x, y = _digits("scaled")
    return model.fit(x[:128], y[:128], epochs=1, batch_size=64, verbose=0)


_WRAPPED = {}


def _wrapped_trained(how):
    """A trained classic_b used another way: behind Rescaling(1/255) (it then wants 0-255 pixels), on inverted
    images (it then wants 1 - x), or with its 10 outputs reversed."""
    import keras

    if "model" not in _WRAPPED:  # trained once, wrapped three ways (the wrappers do not change it)
        _WRAPPED["model"] = _trained(_classic_b, epochs=5)
    model = _WRAPPED["model"]
    inputs = keras.Input((28, 28, 1))
    if how == "rescale":
        return keras.Model(inputs, model(keras.layers.Rescaling(1 / 255)(inputs)))
    if how == "invert":
        return keras.Model(inputs, model(keras.layers.Rescaling(-1.0, offset=1.0)(inputs)))
    return keras.Model(inputs, keras.ops.flip(model(inputs), axis=-1))


def _rescaling_classic_b():
    import keras

    return keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Rescaling(1 / 255), *_classic_b().layers])


def _functional_logits():
    import keras
    from keras import layers

    inputs = keras.Input((28, 28, 1))
    x = layers.MaxPooling2D()(layers.Conv2D(32, 3, activation="relu")(inputs))
    x = layers.MaxPooling2D()(layers.Conv2D(32, 3, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(10)(layers.Flatten()(x)))


def _unbuilt():
    import keras
    from keras import layers

    return keras.Sequential([layers.Conv2D(8, 3, activation="relu"), layers.Flatten(), layers.Dense(10)])


def _without_input():
    import keras
    from keras import layers

    return keras.Sequential([layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                             layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                             layers.Dense(10, activation="softmax")])


def _logits_loss():
    import keras

    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


TRAINED_MODEL = {
    "mistakes": [
        Mistake(functools.partial(_trained, _classic_b, epochs=0), "not been trained yet", lazy=True),
        Mistake(_unbuilt, "not been built", lazy=True),
        Mistake(functools.partial(_trained, _classic_b, "raw"), "unscaled inputs", lazy=True),
        Mistake(functools.partial(_trained, _mlp, "test", epochs=15), "trained on the test digits", lazy=True),
        Mistake(functools.partial(_trained, _classic_b, n=320, epochs=1), "more epochs", lazy=True),
        Mistake(functools.partial(_trained, _rescaling_classic_b), "twice", lazy=True),
        Mistake(_classic_b, "trained Keras model"),
        Mistake(functools.partial(_trained, _classic_b, epochs=2, shuffle_labels=True), "close to guessing",
                lazy=True),
        Mistake(functools.partial(_trained, _classic_b, "symmetric"), "[-1, 1]", lazy=True),
        Mistake(_history, "what `fit` returns: a History", lazy=True),
        Mistake(functools.partial(_trained, _mlp_256, epochs=5), "no convolution layer", lazy=True),
        # scored only on what the notebook feeds it (digits scaled to [0, 1]); used another way: said so
        Mistake(functools.partial(_trained, _rescaling_classic_b, "raw", epochs=5), "works on raw 0-255 pixels",
                lazy=True),
        Mistake(lambda: _wrapped_trained("rescale"), "do not wrap the trained model", lazy=True),
        Mistake(lambda: _wrapped_trained("invert"), "recognises inverted digits", lazy=True),
        Mistake(lambda: _wrapped_trained("reverse"), "outputs are in another order", lazy=True),
    ],
    "alternatives": [
        Alternative(lambda: _trained(_functional_logits, epochs=5, loss=_logits_loss()), lazy=True,
                    note="functional, logits and from_logits=True"),
        Alternative(functools.partial(_trained, _without_input, epochs=5), lazy=True,
                    note="a Sequential without Input, built by fit"),
    ],
    "equivalents": [  # tests/test_mutation.py: wrapped reference models that are right after all
        Equivalent("model: inputs scaled by 255 again", why="a ReLU CNN is almost scale-invariant: inputs x255 keep the "
                   "argmax (the probe finds it above the floor too), and the exercise grades the accuracy on held-out digits."),
        Equivalent("model: logits instead of probabilities", why="log-probabilities have the same argmax; the checker "
                   "turns outputs that are not probabilities into probabilities (logits are an accepted answer)."),
    ],
}
