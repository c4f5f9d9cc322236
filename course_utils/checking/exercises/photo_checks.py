"""The checker of notebook 06's last exercise, ``predict_photo``: a small test classifier of colours and test
photo files it writes itself (every image mode a folder of photos holds: RGB, RGBA, grayscale, a palette), and the
exercise class that calls a student's function on them."""

import re
import tempfile
from pathlib import Path

import numpy as np

from course_utils.checking.exercises import Problem
from course_utils.checking.exercises.compare import describe
from course_utils.checking.exercises.functions import call_with_time_limit, describe_error
from course_utils.checking.exercises.transfer_checks import FunctionAnswer

_PHOTO_FILES = {}
# Not alphabetical, and not the reverse of it either: a sorted list, and reversed colour channels, each show.
PHOTO_CLASSES = ["green", "red", "blue"]
_PHOTO_INPUT = (40, 56)  # (height, width): not square, so that (width, height) mistakes show
_PHOTO_TIME_LIMIT = 60.0  # seconds per photo: a first predict traces a function, slow on a busy machine
_DROPOUT_SEED = 3
_BIAS = np.array([0.3, 0.0, -0.3], "float32")  # a grey photo is "green", p = 0.437; so is any photo in the probe


def _zero_in_training():
    """A layer that outputs zeros when called with training=True (and its input otherwise)."""
    import keras

    class ZeroInTraining(keras.layers.Layer):
        def call(self, x, training=None):
            return x * 0.0 if training else x

    return ZeroInTraining()


def photo_model(training_probe=False, brightness=False):
    """A test classifier that takes 40x56 RGB photos, pixels 0-255 (its preprocessing inside) and tells which colour
    dominates (``PHOTO_CLASSES``: output 0 is green, 1 red, 2 blue; a grey photo is "green", p = 0.44):
    Rescaling(1/127.5, -1) -> GlobalAveragePooling2D -> Dropout(0.5) -> Dense(3, softmax). The Dropout changes
    any prediction made with training=True. With ``training_probe`` a layer that outputs zeros in training replaces
    it: called with training=True, the model then answers "green", p = 0.437, for every photo. A new one for every
    call: a wrong call can leave Keras' predict function of a model in a state that changes how later calls fail.
    With ``brightness`` the green output also grows with the overall brightness, so that a grey photo's class
    depends on how bright it is (it tells a photo scaled to [0, 1], all dark, from one that lost its colours)."""
    import keras

    inputs = keras.Input((*_PHOTO_INPUT, 3))
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = _zero_in_training()(x) if training_probe else keras.layers.Dropout(0.5, seed=_DROPOUT_SEED)(x)
    dense = keras.layers.Dense(3, activation="softmax")
    outputs = dense(x)
    kernel = np.zeros((3, 3), "float32")
    kernel[[1, 0, 2], [0, 1, 2]] = 6.0  # channel G -> output 0, R -> 1, B -> 2
    if brightness:
        kernel[:, 0] += 2.0
    dense.set_weights([kernel, _BIAS])
    return keras.Model(inputs, outputs, name="colour_classifier")


def photo_files():
    """Test photos written once to a temporary folder: a wide and a tall picture whose edges differ from their
    centre (so squashing instead of cropping changes the answer), a real photo (scikit-image's cat), and the files
    that are not 3-channel RGB: a PNG with an alpha channel (opaque), a grayscale JPEG and a palette GIF."""
    if "files" not in _PHOTO_FILES:
        from PIL import Image

        from course_utils.data import sample_image

        folder = Path(tempfile.mkdtemp(prefix="course-photos-"))
        wide = np.zeros((60, 180, 3), np.uint8)
        wide[:, :, 2] = 150
        wide[:, :45] = (255, 40, 40)  # a red band on the left, outside the centre crop
        tall = np.zeros((200, 90, 3), np.uint8)
        tall[:, :, 0] = 120
        tall[:60] = (30, 230, 30)  # a green band on top, outside the centre crop
        cat = (sample_image("chelsea") * 255).astype(np.uint8)
        alpha = np.zeros((50, 70, 4), np.uint8)
        alpha[..., 1], alpha[..., 3] = 180, 255  # green, opaque: RGB and RGB composited on any background agree
        alpha[:, :10, 0] = 255  # a red band on the left, outside the centre crop
        gray = np.tile(np.linspace(20, 230, 64, dtype=np.uint8), (48, 1))
        palette = Image.fromarray(tall[::2, ::2]).convert("P", palette=Image.ADAPTIVE, colors=8)
        images = (("wide.png", Image.fromarray(wide)), ("tall.jpg", Image.fromarray(tall)),
                  ("cat.jpg", Image.fromarray(cat)), ("alpha.png", Image.fromarray(alpha, "RGBA")),
                  ("gray.jpg", Image.fromarray(gray, "L")), ("palette.gif", palette))
        files = []
        for name, image in images:
            image.save(folder / name, **({"quality": 95} if name.endswith(".jpg") else {}))
            files.append(folder / name)
        _PHOTO_FILES["files"] = files
    return _PHOTO_FILES["files"]


TRAINING_TRUE = ("you called the model with training=True: its Dropout (and any augmentation layers) then run as "
                 "in training and the prediction changes from call to call. Predict in inference mode: "
                 "model.predict(batch) or model(batch, training=False).")


def _in_training_mode(answer):
    """True when ``answer`` runs the model in training mode (seen on the probe model: "green", p = 0.437, for a
    photo that is clearly red)."""
    tall = photo_files()[1]
    outcome = call_with_time_limit(answer, (photo_model(training_probe=True), str(tall), list(PHOTO_CLASSES)), {},
                                   _PHOTO_TIME_LIMIT)
    probabilities = np.exp(_BIAS) / np.exp(_BIAS).sum()
    return _same(_outcome_of(outcome), (PHOTO_CLASSES[0], float(probabilities[0])))


def _outcome(function, path, brightness=False):
    """What ``function`` returns for one test photo (on a new test model), or the error it raises, for comparisons."""
    return _outcome_of(call_with_time_limit(function, (photo_model(brightness=brightness), str(path),
                                                       list(PHOTO_CLASSES)), {}, _PHOTO_TIME_LIMIT))


def _outcome_of(outcome):
    if outcome.error is not None or outcome.timed_out:
        text = re.sub(r"(_\d+)+\b", "", str(outcome.error))[:300]  # layer names are numbered per model: drop that
        return ("error", type(outcome.error).__name__ if outcome.error else "timeout", text)
    return outcome.value


def _same(a, b):
    if isinstance(a, tuple) and a[:1] == ("error",):
        return a == b
    try:
        return len(a) == len(b) == 2 and str(a[0]) == str(b[0]) and abs(float(a[1]) - float(b[1])) < 0.02
    except Exception:  # noqa: BLE001
        return False


def readable_photos(function):
    """``function(model, path, class_names)``, but a file that cannot be read as an image raises a ``DataError``
    that names it (instead of Pillow's ``UnidentifiedImageError`` or ``OSError: image file is truncated``)."""
    import functools

    from course_utils.data import DataError

    @functools.wraps(function)
    def predict(model, path, class_names):
        try:
            return function(model, path, class_names)
        except FileNotFoundError:
            raise DataError(f"There is no file {path}.") from None
        except OSError as err:  # PIL.UnidentifiedImageError is an OSError too
            raise DataError(f"{path} cannot be read as an image ({type(err).__name__}: {str(err)[:120]}): it is "
                            "truncated, not an image whatever its name says, or in a format Pillow cannot read (such "
                            "as HEIC). Open it in an image viewer, or save it again as JPEG or PNG.") from None

    return predict


class PredictPhoto(FunctionAnswer):
    """``predict_photo(model, path, class_names)`` must give the reference's class name, and its probability
    within 0.02 (any good resizing method passes; squashing instead of cropping does not). The test photos include
    an RGBA PNG, a grayscale JPEG and a palette GIF; the test model has Dropout (training=True shows).
    ``use()`` hands out the reference with a clear message for files that are not readable images."""

    def _reference_answer(self):
        return readable_photos(self.reference)

    def _evaluate(self, answer):
        problem = self._not_a_function(answer)
        if problem is not None:
            return problem
        import logging

        logger = logging.getLogger("tensorflow")
        level = logger.level
        logger.setLevel(logging.ERROR)  # each test model traces its own predict function: TF would warn about it
        try:
            return self._evaluate_photos(answer)
        finally:
            logger.setLevel(level)

    def _evaluate_photos(self, answer):
        files = photo_files()
        answers = {}  # the answer's outcome on each test photo, computed when a diagnosis needs it
        for path in files:
            outcome = call_with_time_limit(answer, (photo_model(), str(path), list(PHOTO_CLASSES)), {},
                                           _PHOTO_TIME_LIMIT)
            if outcome.error is not None and isinstance(outcome.error, NotImplementedError):
                return Problem("not_attempted", "Write the body of your function, run the cell, then check again.")
            got = _outcome_of(outcome)
            want = self.reference(photo_model(), str(path), list(PHOTO_CLASSES))
            if _same(got, want):
                continue
            where = f"For the test photo {path.name} (model input {_PHOTO_INPUT[0]}x{_PHOTO_INPUT[1]}, classes " \
                    f"{PHOTO_CLASSES}): "
            # A catalogued mistake is recognised only if it behaves like the answer on every test photo: on one
            # photo, different mistakes can give the same (saturated) prediction.

            def behaves_like(wrong, path=path, got=got):
                if not _same(_outcome(wrong, path), got):
                    return False
                for other in files:
                    if other not in answers:
                        answers[other] = _outcome(answer, other)
                    if not _same(_outcome(wrong, other), answers[other]):
                        return False
                for other in files:  # a model that sees brightness: tells a photo scaled to [0, 1] (dark) from
                    if ("bright", other) not in answers:  # one that lost its colours (grey)
                        answers["bright", other] = _outcome(answer, other, brightness=True)
                    if not _same(_outcome(wrong, other, brightness=True), answers["bright", other]):
                        return False
                return True

            recognised = self.diagnose(behaves_like)
            if recognised:
                return Problem(recognised.status, where + recognised.message)
            if outcome.timed_out:
                return Problem("timeout", where + f"your function took longer than {_PHOTO_TIME_LIMIT:g} s.")
            if outcome.error is None and _in_training_mode(answer):
                return Problem("wrong", where + TRAINING_TRUE)
            if outcome.error is not None:
                return Problem("error", where + f"your function raised {describe_error(outcome.error)}.")
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                return Problem("wrong_outputs", where + f"return two values, (class name, probability), not "
                               f"{describe(got)}.")
            if not isinstance(got[0], str):
                return Problem("wrong_type", where + f"the first value should be the class name (a string from "
                               f"class_names), not {describe(got[0])}.")
            if not isinstance(got[1], (int, float, np.number)) or not 0 <= float(got[1]) <= 1:
                return Problem("wrong_type", where + f"the second value should be a probability between 0 and 1, "
                               f"not {describe(got[1])}.")
            return Problem("wrong", where + f"you return {describe(tuple(got))}; the model predicts another class "
                           "or probability for this photo. Resize it to the model's input (height, width) with a "
                           "centre crop, keep pixels 0-255 and RGB, add a batch axis.")
        return None


