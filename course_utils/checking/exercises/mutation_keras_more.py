"""Behaviour probes for the Keras exercises of notebooks 05 and 06 (see ``mutation_keras``)."""

import numpy as np

from course_utils.checking.exercises import mutation_keras
from course_utils.checking.exercises.mutation_keras import (
    KerasProbe,
    call_guarded,
    close_enough,
    randomise_weights,
)


def _images(shape, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.random((n, *shape)).astype("float32") * 0.3
    x[:, :, : shape[1] // 2] += 0.7  # a bright left half: a flip changes the image
    return x


class AugmentationProbe(KerasProbe):
    """``with_augmentation(model)``, as its spec says, on two base models (12x12x1 and 10x14x3): at inference the
    base's outputs (batches of 16 and 1, called twice and through predict), in training random and still the base's
    probabilities, the base's own weights."""

    def __init__(self, exercise):
        import keras

        from course_utils.checking.exercises.keras_checks import base_model

        keras.utils.set_random_seed(8)
        other = keras.Sequential([keras.Input((10, 14, 3)), keras.layers.Conv2D(3, 3, activation="relu"),
                                  keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(5, activation="softmax")],
                                 name="colour")
        self.bases = [base_model(), other]

    def behaviour(self, answer):
        import keras

        result = []
        for base in self.bases:
            made = call_guarded(answer, base)
            if made[0] != "value" or not isinstance(made[1], keras.Model):
                result.append((base.name, made[:2] if made[0] != "value" else ("error", "not a model")))
                continue
            new = made[1]
            x = _images(base.input_shape[1:], 16, 3)
            want = np.asarray(base(x, training=False))
            try:
                keras.utils.set_random_seed(12)
                inference = [np.asarray(new(x, training=False)), np.asarray(new.predict(x, verbose=0)),
                             np.asarray(new(x, training=False)), np.asarray(new(x[:1], training=False))]
                draws = [np.asarray(new(x, training=True)) for _ in range(3)]
            except Exception as err:  # noqa: BLE001
                result.append((base.name, ("error", type(err).__name__)))
                continue
            facts = (all(close_enough(i, w) for i, w in zip(inference, [want, want, want, want[:1]], strict=True)),
                     any(not close_enough(d, want) for d in draws),
                     all(d.shape == want.shape and np.allclose(d.sum(axis=-1), 1, atol=1e-4) for d in draws),
                     {id(v) for v in base.weights} <= {id(v) for v in new.weights})
            result.append((base.name, ("facts", facts)))
        return result

    def differ(self, a, b):
        if a != b:
            names = ("same outputs at inference", "random in training", "probabilities in training", "own weights")
            if a[0] == b[0] == "facts":
                return "; ".join(f"not {n}" for n, x, y in zip(names, a[1], b[1], strict=True) if x != y)
            return f"{b}"
        return None


RESIDUAL_PROBES = [((8, 8, 16), 16, 1), ((8, 8, 8), 16, 1), ((7, 7, 3), 8, 2), ((5, 6, 8), 4, 1),
                   ((6, 6, 4), 4, None)]


class ResidualProbe(KerasProbe):
    """``residual_block(x, filters, stride)`` on five shapes (odd sizes, stride 2 on odd sizes, fewer filters, the
    default stride): the block's weights set to the reference's (random BatchNorm statistics), then its outputs at
    inference on batches of 4 and 1 (the same per image: no batch statistics, no noise), called twice, and in
    training mode."""

    def __init__(self, exercise):
        self.reference = exercise.reference

    def behaviour(self, answer):
        import keras

        result = []
        for shape, filters, stride in RESIDUAL_PROBES:
            inputs = keras.Input(shape)
            made = call_guarded(answer, inputs, filters) if stride is None else call_guarded(answer, inputs, filters, stride)
            where = f"{shape}, filters {filters}, stride {stride or 'default'}"
            if made[0] != "value" or not isinstance(made[1], keras.KerasTensor):
                result.append((where, made[:2] if made[0] != "value" else ("error", "not a tensor")))
                continue
            try:
                result.append((where, ("value", keras.Model(inputs, made[1]))))
            except Exception as err:  # noqa: BLE001
                result.append((where, ("error", type(err).__name__)))
        return result

    def differ(self, a, b):
        if a[0] != b[0] or a[0] != "value":
            return super().differ(a, b)
        want, got = a[1], b[1]
        if tuple(want.output_shape) != tuple(got.output_shape):
            return f"output shape {got.output_shape}"
        if [tuple(w.shape) for w in want.weights] != [tuple(w.shape) for w in got.weights]:
            return "other weights"
        randomise_weights(want, 4)
        got.set_weights(want.get_weights())
        x = np.random.default_rng(1).normal(0.0, 1.0, (4, *want.input_shape[1:])).astype("float32")
        try:
            for inputs, training in ((x, False), (x, False), (x[:1], False), (x, True)):
                if not close_enough(want(inputs, training=training), got(inputs, training=training), rtol=1e-3, atol=1e-4):
                    return f"other outputs (training={training}, batch {len(inputs)})"
        except Exception as err:  # noqa: BLE001
            return f"fails when called ({type(err).__name__})"
        return None


def _fit_changes(model, base, side, train_base):
    """Names of the base's variables that one training step of ``model`` changes (moving statistics included)."""
    import keras

    before = [np.array(w) for w in base.weights]
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(3).uniform(-1, 1, (4, side, side, 3)).astype("float32")
    model.train_on_batch(x, np.array([0, 1, 0, 1]))
    return sorted(w.path for w, b in zip(base.weights, before, strict=True) if not np.array_equal(np.array(w), b))


class ClassifierProbe(KerasProbe):
    """``build_classifier(base, n)`` on two test bases and 2 or 7 classes: trainable count, outputs with fixed
    Dense weights, what one training step changes in the base, and what unfreezing the base later trains."""

    CASES = ((32, 16, 2), (16, 8, 7))

    def __init__(self, exercise):
        pass

    def behaviour(self, answer):
        import keras

        from course_utils.checking.exercises.transfer_checks import model_behaviour, test_base
        from course_utils.transfer_learning.transfer import trainable_count

        result = []
        for side, channels, n in self.CASES:
            base = test_base(side, channels)
            made = call_guarded(answer, base, n)
            if made[0] != "value" or not isinstance(made[1], keras.Model):
                result.append((f"base {side}", made[:2] if made[0] != "value" else ("error", "not a model")))
                continue
            try:
                count, outputs = model_behaviour(made[1], side)
                changed = _fit_changes(made[1], base, side, False)
                base.trainable = True  # fine-tuning later: the whole base becomes trainable
                later = trainable_count(made[1])
                result.append((f"base {side}, {n} classes", ("value", (count, outputs, changed, later))))
            except Exception as err:  # noqa: BLE001
                result.append((f"base {side}", ("error", type(err).__name__)))
        return result

    def differ(self, a, b):
        if a[0] != b[0] or a[0] != "value":
            return super().differ(a, b)
        (count, outputs, changed, later), (count2, outputs2, changed2, later2) = a[1], b[1]
        if count != count2:
            return f"{count2} trainable parameters, not {count}"
        if not close_enough(outputs, outputs2):
            return "other outputs"
        if changed != changed2:
            return f"a training step changes {changed2[:2]} in the base"
        if later != later2:
            return f"after base.trainable = True, {later2} trainable parameters, not {later}"
        return None


class FineTuningProbe(KerasProbe):
    """``prepare_fine_tuning(base, first_layer)`` on frozen test bases from four first layers (a convolution, a ReLU,
    a BatchNorm, the last layer): which variables are trainable, each layer's flag, and (once) which variables a
    training step (base in training mode) changes."""

    def __init__(self, exercise):
        pass

    def behaviour(self, answer):
        import keras

        from course_utils.checking.exercises.transfer_checks import test_base

        result = []
        for side, channels, first, fit in ((32, 16, "block_1_conv", True), (24, 12, "stem_relu", False),
                                           (24, 12, "block_2_norm", False), (32, 16, "out_relu", False)):
            base = test_base(side, channels)
            base.trainable = False
            made = call_guarded(answer, base, first)
            where = f"base {side}, from {first}"
            if made[0] != "value":
                result.append((where, made[:2]))
                continue
            model = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2)])
            trainable = sorted(w.path for w in base.trainable_weights)
            flags = [layer.trainable for layer in base.layers]
            changed = _fit_changes(model, base, side, True) if fit else None
            result.append((where, ("value", (trainable, flags, changed, made[1] is None or made[1] is base))))
        return result

    def differ(self, a, b):
        if a[0] != b[0] or a[0] != "value":
            return super().differ(a, b)
        names = ("trainable variables", "layer flags", "variables a training step changes", "returns base or None")
        for name, x, y in zip(names, a[1], b[1], strict=True):
            if x != y:
                return f"other {name}"
        return None


def photo_probe_files():
    """Photos a student meets: RGB JPEG and PNG of odd shapes, smaller than the model's input, RGBA PNG, grayscale
    JPEG, palette GIF."""
    import tempfile
    from pathlib import Path

    from PIL import Image

    from course_utils.checking.exercises.photo_checks import photo_files

    folder = Path(tempfile.mkdtemp(prefix="course-probe-photos-"))
    rng = np.random.default_rng(9)
    files = list(photo_files())
    for name, shape, mode in (("small.png", (17, 23, 3), "RGB"), ("alpha.png", (50, 70, 4), "RGBA"),
                              ("grey.jpg", (45, 90), "L"), ("palette.gif", (80, 40, 3), "P"),
                              ("banded.png", (40, 160, 3), "RGB")):
        pixels = rng.integers(0, 120, shape, dtype=np.uint8)
        pixels[..., len(files) % 3] += 130  # one colour dominates clearly: the class does not hang on resizing noise
        if name == "banded.png":
            pixels[:] = (20, 20, 200)
            pixels[:, 60:100] = (230, 30, 30)  # red in the centre, blue outside
        image = Image.fromarray(pixels[..., :3] if mode == "P" else pixels)
        if mode == "P":
            image = image.convert("P", palette=Image.Palette.ADAPTIVE)
        image.save(folder / name)
        files.append(folder / name)
    return files


class PhotoProbe(KerasProbe):
    """``predict_photo(model, path, class_names)`` on eight photos (one with two namings of the classes): the class name,
    and the probability within the checker's 0.02."""

    def __init__(self, exercise):
        self.files = photo_probe_files()

    def behaviour(self, answer):
        from course_utils.checking.exercises.photo_checks import PHOTO_CLASSES, photo_model

        result = []
        for index, path in enumerate(self.files):
            for names in (list(PHOTO_CLASSES), ["R", "G", "B"])[: 2 if index == 0 else 1]:
                made = call_guarded(answer, photo_model(), str(path), names)
                result.append((f"{path.name}, {names[0]}", made[:2]))
        return result

    def differ(self, a, b):
        if a[0] != b[0] or a[0] != "value":
            return super().differ(a, b)
        try:
            same = str(a[1][0]) == str(b[1][0]) and abs(float(a[1][1]) - float(b[1][1])) < 0.02 and len(b[1]) == 2
        except Exception:  # noqa: BLE001
            same = False
        return None if same else f"returns {b[1]!r:.60}"


def probes():
    return {"augmentation": AugmentationProbe, "residual_block": ResidualProbe, "build_classifier": ClassifierProbe,
            "prepare_fine_tuning": FineTuningProbe, "predict_photo": PhotoProbe}


def probe_for(exercise):
    """The Keras probe for ``exercise``, by its id or kind, or ``None``."""
    from course_utils.checking.exercises.models import Model

    by_id = {"trained_model": mutation_keras.TrainedProbe, "feature_extractor": mutation_keras.FeatureProbe,
             "saliency": mutation_keras.SaliencyProbe,
             **probes()}
    if exercise.id in by_id:
        return by_id[exercise.id](exercise)
    if isinstance(exercise, Model):
        return mutation_keras.ModelProbe(exercise)
    return None
