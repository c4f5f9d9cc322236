"""A copy of a Keras model to hand to an answer, and what the answer changed in it: the original stays
untouched, so reference values computed from it are right whatever the answer did to its copy."""

import numpy as np


def copy_of(model):
    """A copy of ``model`` with the same weights (the answer may change it; the original stays untouched)."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _outputs(model, images):
    outputs = model(images)
    return [np.asarray(output) for output in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


def model_changed(original, copy):
    """What an answer changed in ``copy`` (a copy of ``original``): its layers, weights or outputs; ``""``."""
    try:
        if len(copy.layers) != len(original.layers):
            return f"it had {len(original.layers)} layers, now {len(copy.layers)}"
        for want, have in zip(original.get_weights(), copy.get_weights(), strict=True):
            if np.shape(want) != np.shape(have) or not np.array_equal(want, have):
                return "its weights"
        shape = tuple(original.input_shape[1:])
        images = np.random.default_rng(11).random((2, *shape)).astype("float32")
        want, have = _outputs(original, images), _outputs(copy, images)
        if len(want) != len(have) or not all(np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-5, atol=1e-6)
                                             for a, b in zip(want, have, strict=True)):
            return "its outputs: an activation or a layer was changed"
    except Exception:  # noqa: BLE001 - a model that can no longer run was changed too
        return "it no longer runs as before"
    return ""
