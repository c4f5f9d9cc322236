"""Behaviour probes for the exercises whose answers are Keras models or functions of Keras objects (03-06).

Each probe builds what the answer returns on inputs wider than its checker's (other shapes, strides, class counts,
batch sizes, models with Dropout and BatchNorm, photos with alpha, grayscale and palette GIFs), calls it twice, in
and out of training, and compares with the reference. Keras is imported inside the functions only.
"""

import numpy as np

from course_utils.checking.exercises.functions import call_with_time_limit

TIME_LIMIT = 30.0


def call_guarded(function, *args):
    outcome = call_with_time_limit(function, args, {}, TIME_LIMIT)
    if outcome.timed_out:
        return ("timeout",)
    if outcome.error is not None:
        return ("error", type(outcome.error).__name__)
    return ("value", outcome.value)


def close_enough(a, b, rtol=1e-4, atol=1e-5):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def randomise_weights(model, seed):
    """Fixed, non-trivial weights: BatchNorm gamma near 1, positive variances, kernels N(0, 1 / fan-in) (no saturated
    softmax), everything else N(0, 0.4)."""
    rng = np.random.default_rng(seed)
    weights = []
    for w in model.weights:
        path = w.path
        if "variance" in path:
            weights.append(rng.uniform(0.5, 2.0, w.shape))
        elif "gamma" in path:
            weights.append(rng.uniform(0.7, 1.3, w.shape))
        elif len(w.shape) >= 2:
            weights.append(rng.normal(0.0, 1.0 / np.sqrt(np.prod(w.shape[:-1])), w.shape))
        else:
            weights.append(rng.normal(0.0, 0.4, w.shape))
    model.set_weights([np.asarray(v, dtype=w.dtype) for v, w in zip(weights, model.weights, strict=True)])


class KerasProbe:
    def difference(self, want, got):
        for (where, a), (_, b) in zip(want, got, strict=True):
            text = self.differ(a, b)
            if text:
                return f"{text} ({where})"
        return None

    def differ(self, a, b):
        if a[0] != b[0]:
            return f"{b[0]} {b[1:] if len(b) > 1 else ''} where the reference gives {a[0]}"
        return None if a[0] != "value" or close_enough(a[1], b[1]) else "other outputs"


# --------------------------------------------------------------------------- 03 small_cnn: a model builder


class ModelProbe(KerasProbe):
    """A model (or builder): input and output shapes, weight shapes, and outputs with the reference's weights on
    inputs of batch 1 and 5, called twice, in and out of training (Dropout aside)."""

    def __init__(self, exercise):
        self.exercise = exercise

    def behaviour(self, answer):
        import keras

        made = call_guarded(answer) if callable(answer) and not isinstance(answer, keras.Model) else ("value", answer)
        if made[0] != "value" or not isinstance(made[1], keras.Model):
            return [("build", made[:2] if made[0] != "value" else ("error", "not a model"))]
        model = made[1]
        try:
            if not model.built or not model.weights:
                model.build(self.exercise.spec()["input_shape"])
        except Exception as err:  # noqa: BLE001
            return [("build", ("error", type(err).__name__))]
        return [("model", ("value", model))]

    def differ(self, a, b):
        if a[0] != b[0]:
            return "does not build"
        want, got = a[1], b[1]
        if [tuple(w.shape) for w in want.weights] != [tuple(w.shape) for w in got.weights]:
            return "other weights"
        randomise_weights(want, 3)
        got.set_weights(want.get_weights())
        x = np.random.default_rng(0).random((5, *want.input_shape[1:])).astype("float32")
        for inputs in (x, x[:1]):
            if not close_enough(want(inputs, training=False), got(inputs, training=False)):
                return "other outputs"
        return None


# --------------------------------------------------------------------------- 03 trained_model


class TrainedProbe(KerasProbe):
    """A trained MNIST model: accurate (the exercise's floor) on digits no notebook trains on, fed as the course
    feeds them (pixels in [0, 1], or raw pixels for a model that rescales itself)."""

    def __init__(self, exercise):
        self.exercise = exercise

    def behaviour(self, answer):
        from course_utils.checking.exercises.trained import model_scores, rescales_itself

        results = []
        for name, (x, y) in (("held-out digits", self.exercise.heldout_digits()),
                             ("notebook test digits", self.exercise.notebook_digits())):
            try:
                raw = rescales_itself(answer)
                results.append((name, ("value", model_scores(answer, self.exercise._feed(answer, x, raw), y)[0])))
            except Exception as err:  # noqa: BLE001
                results.append((name, ("error", type(err).__name__)))
        return results

    def differ(self, a, b):
        if a[0] != b[0]:
            return "fails to predict"
        floor = self.exercise.floor()
        return None if (a[1] >= floor) == (b[1] >= floor) else f"accuracy {b[1]:.1%} against the floor {floor:.0%}"


def trained_mutants():
    """Wrong trained models, made from one reference model trained once (no training per mutant): the checker's
    input is mutated, not a training recipe. ``[(id, model)]``."""
    import keras

    from course_utils.building import models

    good = models.quick_mnist_model(verbose=False)
    inputs = keras.Input(good.input_shape[1:])
    probs = good(inputs)
    untrained = keras.models.clone_model(good)
    made = [
        ("model: untrained (fresh weights)", untrained),
        ("model: outputs rolled by one class", keras.Model(inputs, keras.layers.Lambda(
            lambda p: keras.ops.roll(p, 1, axis=-1))(probs))),
        ("model: inputs inverted (1 - x)", keras.Model(inputs, good(keras.layers.Rescaling(-1.0, 1.0)(inputs)))),
        ("model: inputs scaled by 255 again", keras.Model(inputs, good(keras.layers.Rescaling(255.0)(inputs)))),
        ("model: logits instead of probabilities", keras.Model(inputs, keras.layers.Lambda(
            lambda p: keras.ops.log(p + 1e-9))(probs))),
        ("model: every image shifted 6 pixels", keras.Model(inputs, good(keras.layers.Lambda(
            lambda x: keras.ops.roll(x, 6, axis=2))(inputs)))),
    ]
    return good, made


# --------------------------------------------------------------------------- 04: functions of a model


def _models_04():
    import keras

    from course_utils.checking.exercises.nb04_visualizing_cnns import checking_models

    keras.utils.set_random_seed(21)
    layers = keras.layers
    odd = keras.Sequential([keras.Input((11, 9, 3)), layers.Conv2D(2, 3, padding="same", name="edges"),
                            layers.BatchNormalization(), layers.Conv2D(3, 1, activation="relu", name="mix"),
                            layers.Dropout(0.5), layers.MaxPooling2D(2), layers.Conv2D(2, 2, activation="tanh"),
                            layers.Flatten(), layers.Dense(4, name="scores")], name="odd")
    inputs = keras.Input((8, 8, 1))
    left = layers.Conv2D(2, 3, padding="same", activation="relu", name="left")(inputs)
    right = layers.Conv2D(2, 1, name="right")(inputs)
    x = layers.Conv2D(1, 3, name="after")(layers.Concatenate()([left, right]))
    branched = keras.Model(inputs, layers.Dense(3)(layers.GlobalAveragePooling2D()(x)), name="branched")
    for model in (odd, branched):
        randomise_weights(model, 7)
    return [*checking_models(), odd, branched]


def _restore(models, saved):
    """Put back the weights (BatchNorm statistics too) an answer may have changed, e.g. by training=True."""
    for model, weights in zip(models, saved, strict=True):
        model.set_weights(weights)


class FeatureProbe(KerasProbe):
    """``build_feature_extractor(model)`` on four models (two branches, BatchNorm, Dropout, odd sizes): the
    extractor's outputs on batches of 1 and 3, called twice."""

    def __init__(self, exercise):
        self.models = _models_04()
        self.saved = [model.get_weights() for model in self.models]

    def behaviour(self, answer):
        import keras

        _restore(self.models, self.saved)
        result = []
        for model in self.models:
            made = call_guarded(answer, model)
            if made[0] != "value" or not isinstance(made[1], keras.Model):
                result.append((model.name, made[:2] if made[0] != "value" else ("error", "not a model")))
                continue
            x = np.random.default_rng(2).random((3, *model.input_shape[1:])).astype("float32")
            try:
                outs = [made[1](x), made[1](x[:1]), made[1].predict(x, verbose=0)]
                outs = [[np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])] for out in outs]
                result.append((model.name, ("value", outs)))
            except Exception as err:  # noqa: BLE001
                result.append((model.name, ("error", type(err).__name__)))
        return result

    def differ(self, a, b):
        if a[0] != b[0] or a[0] != "value":
            return super().differ(a, b)
        for want, got in zip(a[1], b[1], strict=True):
            if len(want) != len(got) or not all(close_enough(w, g) for w, g in zip(want, got, strict=True)):
                return "other feature maps"
        return None


class SaliencyProbe(KerasProbe):
    """``saliency(model, image, class_index)`` on four models (Dropout and BatchNorm make training mode matter),
    float32 and float64 images, the first and the last class."""

    def __init__(self, exercise):
        self.models = _models_04()
        self.saved = [model.get_weights() for model in self.models]

    def behaviour(self, answer):
        _restore(self.models, self.saved)
        result = []
        for model in self.models:
            rng = np.random.default_rng(5)
            shape = model.input_shape[1:]
            for image, index in ((rng.random(shape).astype("float32"), 0), (rng.normal(size=shape), -1 % 3),
                                 (rng.random(shape).astype("float32"), int(model.output_shape[-1]) - 1)):
                made = call_guarded(answer, model, image.copy(), index)
                if made[0] == "value":
                    try:
                        made = ("value", np.asarray(made[1], dtype=float))
                    except Exception:  # noqa: BLE001
                        made = ("error", "not an array")
                result.append((f"{model.name}, class {index}", made))
        return result

    def differ(self, a, b):
        if a[0] == b[0] == "value":
            return None if close_enough(a[1], b[1], rtol=1e-3, atol=1e-5) else "another map"
        return super().differ(a, b)


__all__ = ["FeatureProbe", "ModelProbe", "SaliencyProbe", "TrainedProbe", "trained_mutants"]
