"""Exercises of notebook 06 (transfer learning): the frozen-base classifier, its trainable parameters, the
preprocessing, a base made ready for fine-tuning, and predicting one photo.

Every check runs on small networks and image files the checker makes itself (``transfer_checks``), never on
ImageNet weights, so it is fast and works offline. Each exercise lists its reference, the classic wrong answers
(``Mistake``) and right-but-different answers (``Alternative``).
"""

import numpy as np

from course_utils.exercises import Alternative, Mistake, Value, case
from course_utils.exercises.catalogue import Equivalent
from course_utils.exercises.transfer_checks import ArrayFunction, Classifier, FineTuning, PredictPhoto

NOTEBOOK = "06_transfer_learning"


# ----------------------------------------------------------------------------------------- 1. the classifier


def build_classifier(base, n_classes):
    """Freeze ``base``; input -> base (inference mode) -> global average pooling -> Dense(n_classes, softmax)."""
    import keras

    base.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def _not_frozen(base, n_classes):
    import keras

    x = keras.layers.GlobalAveragePooling2D()(base.output)
    return keras.Model(base.input, keras.layers.Dense(n_classes, activation="softmax")(x))


def _flatten(base, n_classes):
    import keras

    base.trainable = False
    return keras.Sequential([base, keras.layers.Flatten(), keras.layers.Dense(n_classes, activation="softmax")])


def _max_pool(base, n_classes):
    import keras

    base.trainable = False
    return keras.Sequential([base, keras.layers.GlobalMaxPooling2D(),
                             keras.layers.Dense(n_classes, activation="softmax")])


def _no_softmax(base, n_classes):
    import keras

    base.trainable = False
    return keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(n_classes)])


def _hidden_dense(base, n_classes):
    import keras

    base.trainable = False
    return keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1024, activation="relu"),
                             keras.layers.Dense(n_classes, activation="softmax")])


def _rescaled(base, n_classes):
    import keras

    base.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    x = keras.layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(base(x, training=False))
    return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(x))


def _sequential(base, n_classes):
    import keras

    base.trainable = False
    return keras.Sequential([base, keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(n_classes, activation="softmax")])


def _nested_head(base, n_classes):
    import keras

    base.trainable = False
    head = keras.Sequential([keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(n_classes, activation="softmax")])
    inputs = keras.Input(base.input_shape[1:])
    return keras.Model(inputs, head(base(inputs, training=False)))


def _on_base_output(base, n_classes):
    import keras

    for layer in base.layers:
        layer.trainable = False
    x = keras.layers.GlobalAveragePooling2D()(base.output)
    x = keras.layers.Dropout(0.2)(x)
    return keras.Model(base.input, keras.layers.Dense(n_classes, activation="softmax")(x))


def _softmax_layer(base, n_classes):
    import keras

    base.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    x = keras.layers.Dense(n_classes)(x)
    return keras.Model(inputs, keras.layers.Softmax()(x))


CLASSIFIER_MISTAKES = [
    Mistake(_not_frozen, "base.trainable = False",
            message="model.fit would also train the pretrained base: freeze it with base.trainable = False before "
                    "training the new head, or its random gradients wreck the pretrained features."),
    Mistake(_flatten, "Flatten",
            message="Flatten keeps every position of the last maps as a separate input, so the head has "
                    "(h * w * channels + 1) * n_classes weights to learn from a few photos. Average the maps over "
                    "the positions with GlobalAveragePooling2D."),
    Mistake(_max_pool, "max pooling",
            message="Global max pooling keeps only the strongest position of each map; the head was meant to see "
                    "the average (GlobalAveragePooling2D), which is what MobileNetV2's own classifier uses."),
    Mistake(_no_softmax, "softmax",
            message="Your last layer has no activation, so the outputs are scores, not probabilities: use "
                    "Dense(n_classes, activation='softmax') to go with sparse_categorical_crossentropy."),
    Mistake(_hidden_dense, "hidden Dense",
            message="A hidden Dense(1024) layer (the classic VGG16 tutorial) adds over a million weights to learn "
                    "from a few hundred photos. The pooled features are already good: one Dense(softmax) layer."),
    Mistake(_rescaled, "already preprocessed",
            message="Your model rescales its input, but the images it receives are already preprocessed to "
                    "[-1, 1]: they would be scaled twice. Add no rescaling here."),
]

# ----------------------------------------------------------------------------------------- 3. preprocessing


def preprocess(images):
    """Pixels 0-255 (uint8 or float, any shape) -> float32 in [-1, 1], the caller's array unchanged."""
    return np.asarray(images, dtype="float32") / 127.5 - 1.0


def preprocess_cases(rng):
    yield case(rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8), note="uint8 photos")
    yield case(rng.uniform(0, 255, (2, 3, 5, 3)).astype("float32"), note="float32 pixels 0-255")
    yield case(rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), note="one photo, no batch axis")
    yield case(np.array([[[0, 255, 128]]], dtype=np.uint8), note="black, white and mid-grey channels")
    yield case(rng.uniform(0, 255, (1, 2, 2, 3)), note="float64 pixels")


def _keras_in_place(images):
    import keras

    return keras.applications.mobilenet_v2.preprocess_input(images)


def _keras_on_a_copy(images):
    import keras

    return keras.applications.mobilenet_v2.preprocess_input(np.array(images, dtype="float32"))


def _caffe(images):
    import keras

    return keras.applications.resnet50.preprocess_input(np.array(images, dtype="float32"))


def _torch_normalize(images):
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return ((np.asarray(images, dtype="float32") / 255 - mean) / std).astype("float32")


PREPROCESS_MISTAKES = [
    Mistake(lambda images: np.asarray(images, dtype="float32") / 255, "[0, 1]",
            message="Your pixels end in [0, 1]: right for the CNNs we trained ourselves, but MobileNetV2 was "
                    "trained on [-1, 1]: x / 127.5 - 1."),
    Mistake(lambda images: np.asarray(images, dtype="float32") / 127.5, "[0, 2]",
            message="Your pixels end in [0, 2]: dividing by 127.5 is half of it; subtract 1 as well."),
    Mistake(lambda images: (np.asarray(images, dtype="float32") - 127.5) / 255, "[-0.5, 0.5]",
            message="Your pixels end in [-0.5, 0.5]: centred, but half the range MobileNetV2 expects ([-1, 1])."),
    Mistake(_torch_normalize, "mean and standard deviation",
            message="That is the ImageNet mean and standard deviation normalisation of torchvision's models; "
                    "Keras' MobileNetV2 expects x / 127.5 - 1."),
    Mistake(_caffe, "BGR",
            message="That is ResNet-50's (Caffe-style) preprocessing: channels swapped to BGR and the ImageNet "
                    "mean subtracted. Every keras.applications model has its own preprocess_input."),
    Mistake(_keras_in_place, "in place"),  # diagnosed by the generic mutation check
    Mistake(lambda images: (np.asarray(images, dtype="float32") / 127.5 - 1).tolist(), "NumPy array"),
]

PREPROCESS_ALTERNATIVES = [
    Alternative(lambda images: (np.asarray(images, dtype="float32") - 127.5) / 127.5, note="(x - 127.5) / 127.5"),
    Alternative(lambda images: np.asarray(images, dtype="float64") / 255 * 2 - 1, note="float64, x / 255 * 2 - 1"),
    Alternative(_keras_on_a_copy, note="Keras' preprocess_input on a float32 copy"),
]

# ----------------------------------------------------------------------------------------- 4. fine-tuning


def prepare_fine_tuning(base, first_layer):
    """Layers from ``first_layer`` (a name) on trainable, the ones before frozen, every BatchNormalization frozen."""
    import keras

    base.trainable = True
    names = [layer.name for layer in base.layers]
    start = names.index(first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and not isinstance(layer, keras.layers.BatchNormalization)


def _everything(base, first_layer):
    base.trainable = True


def _bn_trainable(base, first_layer):
    base.trainable = True
    start = [layer.name for layer in base.layers].index(first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start


def _base_still_frozen(base, first_layer):
    import keras

    start = [layer.name for layer in base.layers].index(first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and not isinstance(layer, keras.layers.BatchNormalization)


def _off_by_one(base, first_layer):
    import keras

    base.trainable = True
    start = [layer.name for layer in base.layers].index(first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index > start and not isinstance(layer, keras.layers.BatchNormalization)


def _only_first(base, first_layer):
    base.trainable = False
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name == first_layer


def _bn_by_name(base, first_layer):
    base.trainable = True
    start = [layer.name for layer in base.layers].index(first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and not layer.name.endswith("_BN")


def _ignores_first_layer(base, first_layer):
    import keras

    base.trainable = True
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def _flag_loop(base, first_layer):
    base.trainable = True
    unfreeze = False
    for layer in base.layers:
        unfreeze = unfreeze or layer.name == first_layer
        layer.trainable = unfreeze and type(layer).__name__ != "BatchNormalization"


def _course_helper(base, first_layer):
    from course_utils import transfer

    transfer.unfreeze_from(base, first_layer)


def _freeze_lower_then_bn(base, first_layer):
    import keras

    base.trainable = True
    start = [layer.name for layer in base.layers].index(first_layer)
    for layer in base.layers[:start]:
        layer.trainable = False
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return base


FINE_TUNING_MISTAKES = [
    Mistake(_everything, "every layer",
            message="Your function makes every layer trainable, BatchNormalization and the early layers included. "
                    "(Setting base.trainable = True after your loop has the same effect: it resets every layer.)"),
    Mistake(_bn_trainable, "BatchNormalization layers",
            message="The right layers are trainable, but so are their BatchNormalization layers: in Keras 3 they "
                    "would update their statistics during fit even if you call base(x, training=False). Freeze them."),
    Mistake(_bn_by_name, "their names",
            message="You found the BatchNormalization layers by their names, and one named otherwise stayed "
                    "trainable: names differ between models (MobileNetV2 alone has bn_Conv1 and block_1_expand_BN). "
                    "Test the type: isinstance(layer, keras.layers.BatchNormalization)."),
    Mistake(_base_still_frozen, "base.trainable",
            message="Nothing is trainable: base.trainable is still False, and a frozen model keeps every layer inside "
                    "it frozen whatever their own flags. Set base.trainable = True first, then freeze what must stay."),
    Mistake(_off_by_one, "first_layer itself",
            message="first_layer itself stays frozen: start unfreezing at first_layer, not after it."),
    Mistake(_only_first, "after it",
            message="Only first_layer is trainable: unfreeze it and every layer after it (except BatchNormalization)."),
    Mistake(_ignores_first_layer, "before first_layer",
            message="Your function ignores first_layer: the layers before first_layer (general edges and textures) "
                    "should stay frozen; unfreeze only from first_layer on."),
]

# ----------------------------------------------------------------------------------------- 5. predict a photo

def predict_photo(model, path, class_names):
    """``(class name, probability)`` for the photo at ``path``: centre-cropped and resized to the model's input."""
    import keras

    height, width = model.input_shape[1:3]
    photo = keras.utils.load_img(path, target_size=(height, width), keep_aspect_ratio=True, interpolation="bilinear")
    probabilities = model.predict(np.asarray(photo, dtype="float32")[None], verbose=0)[0]
    best = int(np.argmax(probabilities))
    return class_names[best], float(probabilities[best])


def _scaled_by_255(model, path, class_names):
    import keras

    photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], keep_aspect_ratio=True)
    p = model.predict(np.asarray(photo, dtype="float32")[None] / 255, verbose=0)[0]
    return class_names[int(p.argmax())], float(p.max())


def _index(model, path, class_names):
    import keras

    photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], keep_aspect_ratio=True)
    p = model.predict(np.asarray(photo)[None], verbose=0)[0]
    return int(p.argmax()), float(p.max())


def _bgr(model, path, class_names):
    import keras

    photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], keep_aspect_ratio=True)
    p = model.predict(np.asarray(photo)[None, :, :, ::-1], verbose=0)[0]
    return class_names[int(p.argmax())], float(p.max())


def _grayscale(model, path, class_names):
    import keras

    photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], keep_aspect_ratio=True, color_mode="grayscale")
    p = model.predict(np.asarray(photo)[None], verbose=0)[0]
    return class_names[int(p.argmax())], float(p.max())


def _squashed(model, path, class_names):
    import keras

    photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], interpolation="bilinear")
    p = model.predict(np.asarray(photo)[None], verbose=0)[0]
    return class_names[int(p.argmax())], float(p.max())


def _width_height(model, path, class_names):
    import keras

    height, width = model.input_shape[1:3]
    photo = keras.utils.load_img(path, target_size=(width, height), keep_aspect_ratio=True)
    p = model.predict(np.asarray(photo)[None], verbose=0)[0]
    return class_names[int(p.argmax())], float(p.max())


def _no_batch_axis(model, path, class_names):
    import keras

    photo = keras.utils.load_img(path, target_size=model.input_shape[1:3], keep_aspect_ratio=True)
    p = model.predict(np.asarray(photo), verbose=0)[0]
    return class_names[int(p.argmax())], float(p.max())


def _with_pil(model, path, class_names):
    from PIL import Image

    height, width = model.input_shape[1:3]
    image = Image.open(path).convert("RGB")
    w, h = image.size
    scale = max(width / w, height / h)
    image = image.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
    left, top = (image.size[0] - width) // 2, (image.size[1] - height) // 2
    pixels = np.asarray(image.crop((left, top, left + width, top + height)), dtype="float32")
    p = model(pixels[None], training=False).numpy()[0]
    return class_names[int(np.argmax(p))], float(np.max(p))


def _with_tensorflow(model, path, class_names):
    import keras
    import tensorflow as tf

    pixels = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    resize = keras.layers.Resizing(*model.input_shape[1:3], crop_to_aspect_ratio=True)
    p = model.predict(resize(tf.cast(pixels, "float32"))[None], verbose=0)[0]
    return class_names[int(p.argmax())], float(p.max())


def _nearest(model, path, class_names):
    import keras

    photo = keras.utils.img_to_array(keras.utils.load_img(path, target_size=model.input_shape[1:3],
                                                          keep_aspect_ratio=True))
    p = model.predict(np.expand_dims(photo, 0), verbose=0)[0]
    return [class_names[int(p.argmax())], p.max()]


PHOTO_MISTAKES = [
    Mistake(_scaled_by_255, "scaled twice",
            message="You scaled the pixels yourself (x / 255, or MobileNetV2's x / 127.5 - 1), but this model "
                    "rescales its input itself: they are scaled twice and every photo looks almost black to it. "
                    "Pass pixels 0-255."),
    Mistake(_index, "class name",
            message="You return the class index; return the class name, class_names[index], with the probability."),
    Mistake(_bgr, "RGB",
            message="Your photo reaches the model with its colour channels reversed (BGR, as OpenCV reads images); "
                    "keras.utils.load_img gives RGB, the order the model was trained on."),
    Mistake(_grayscale, "three colour channels",
            message="Your photo reaches the model in grayscale, one channel; the model takes three colour channels: "
                    "load it in RGB (load_img's default, color_mode='rgb')."),
    Mistake(_squashed, "squashed",
            message="You squashed the whole photo to the model's shape; in training it was centre-cropped to that "
                    "shape first (crop_to_aspect_ratio=True): use keep_aspect_ratio=True in load_img."),
    Mistake(_width_height, "(height, width)",
            message="target_size is (height, width), in that order: model.input_shape[1:3]. Yours crops and "
                    "resizes the photo to the transposed shape."),
    Mistake(_no_batch_axis, "batch axis",
            message="model.predict expects a batch: add a batch axis with photo[None] (shape (1, height, width, 3))."),
]

PHOTO_ALTERNATIVES = [
    Alternative(_with_pil, note="Pillow: resize and crop by hand"),
    Alternative(_with_tensorflow, note="tf.io + keras.layers.Resizing(crop_to_aspect_ratio=True)"),
    Alternative(_nearest, note="load_img's default interpolation, img_to_array, a list and a NumPy float"),
]

CLASSIFIER_EQUIVALENTS = [  # tests/test_mutation.py: mutants of the reference that are right after all
    Equivalent("keyword: base(..., training=False) -> (dropped)", why="a frozen base (base.trainable = False) runs its BatchNorm layers in inference mode whatever `training` says (Keras 3): the same outputs, and a training step changes nothing in the base."),
    Equivalent("bool: False -> True #2", why="base(inputs, training=True): a frozen base (base.trainable = False) runs its BatchNorm layers in inference mode whatever `training` says (Keras 3): the same outputs, and a training step changes nothing in the base."),
]

PHOTO_EQUIVALENTS = [  # tests/test_mutation.py
    Equivalent("string: 'bilinear' -> 'nearest'", why="another resizing method: the same class and a probability within "
               "0.02, as the checker allows (any good resizing passes; the alternative _nearest is the same)."),
    Equivalent("string: 'float32' -> 'uint8'", why="load_img gives whole pixel values 0-255, exact in uint8, and the "
               "model casts its input to float32: the same prediction."),
    Equivalent("string: 'float32' -> 'int32'", why="load_img gives whole pixel values 0-255, exact in int32, and the "
               "model casts its input to float32: the same prediction."),
    Equivalent("keyword: np.asarray(..., dtype='float32') -> (dropped)", why="np.asarray of a PIL image is uint8 "
               "0-255, and the model casts its input to float32: the same prediction."),
    Equivalent("keyword: keras.utils.load_img(..., interpolation='bili... -> (dropped)", why="load_img's default, "
               "'nearest': another resizing method, within the checker's 0.02 (the alternative _nearest)."),
    Equivalent("keyword: model.predict(..., verbose=0) -> (dropped)", why="only Keras' progress line is printed; the "
               "same prediction."),
    Equivalent("constant: 0 -> 1", why="predict(..., verbose=1): only Keras' progress line is printed."),
    Equivalent("constant: 0 -> -1", why="predict(..., verbose=-1) prints nothing more: the same prediction."),
    Equivalent("constant: 0 -> -1 #2", why="the batch holds one photo: index -1 is index 0."),
    Equivalent("unwrap: int(np.argmax(probabilities)) -> np.argmax(probabilities)", why="a NumPy integer indexes "
               "the list of class names as well: the same name."),
    Equivalent("unwrap: float(probabilities[best]) -> probabilities[best]", why="a NumPy float32 of the same value "
               "(the checker compares the probability within 0.02)."),
]

PREPROCESS_EQUIVALENTS = [  # tests/test_mutation.py
    Equivalent("unwrap: np.asarray(images, dtype='float32') -> images", why="images / 127.5 - 1 on uint8 or float pixels gives the same values in [-1, 1] (float64); the checker accepts any float dtype."),
    Equivalent("keyword: np.asarray(..., dtype='float32') -> (dropped)", why="images / 127.5 - 1 on uint8 or float pixels gives the same values in [-1, 1] (float64); the checker accepts any float dtype."),
]

EXERCISES = [
    Classifier(
        "build_classifier", build_classifier,
        title="The frozen-base classifier: base -> global average pooling -> Dense(softmax)",
        hints=[
            "Freeze first: `base.trainable = False`. Then build a functional model on a new `keras.Input` with the "
            "base's input shape (`base.input_shape[1:]`).",
            "Call the base in inference mode, `base(inputs, training=False)`, then average each feature map over "
            "its positions with `keras.layers.GlobalAveragePooling2D()`.",
            "End with `keras.layers.Dense(n_classes, activation='softmax')` and return `keras.Model(inputs, outputs)`.",
        ],
        mistakes=CLASSIFIER_MISTAKES,
        equivalents=CLASSIFIER_EQUIVALENTS,
        alternatives=[Alternative(_sequential, note="Sequential([base, pooling, Dense])"),
                      Alternative(_on_base_output, note="on base.output, layer by layer frozen, with Dropout"),
                      Alternative(_softmax_layer, note="Dense then a Softmax layer"),
                      Alternative(_nested_head, note="the head as a keras.Sequential")],
    ),
    Value(
        "n_trainable", (1280 + 1) * 2,
        title="Trainable parameters of MobileNetV2 + global average pooling + Dense(2)",
        solution="n_trainable = (1280 + 1) * 2  # the Dense head only: 1,280 pooled features + 1 bias, per class",
        hints=["Only the head is trained: the base is frozen and pooling has no parameters.",
               "A Dense layer has (inputs + 1) * units parameters; global average pooling leaves 1,280 inputs."],
        mistakes=[
            Mistake(2_257_984 + 2562, "frozen base",
                    message="That counts the frozen base too: model.fit trains only the head."),
            Mistake(1280 * 2, "bias", message="That leaves out the biases: (1280 + 1) * 2."),
            Mistake((7 * 7 * 1280 + 1) * 2, "Flatten",
                    message="That is the head on Flatten (7 * 7 * 1280 inputs); global average pooling leaves 1,280."),
            Mistake(1281, "two classes", message="That is one output; the head has one per class, two classes here."),
            Mistake((1280 + 1) * 1024 + (1024 + 1) * 2, "hidden Dense",
                    message="That is a head with a hidden Dense(1024) layer; ours is one Dense(2) on the features."),
        ],
        alternatives=[Alternative(2562.0, note="a float"), Alternative(np.int64(2562), note="a NumPy integer")],
    ),
    ArrayFunction(
        "preprocess", preprocess, preprocess_cases, rtol=1e-5, atol=1e-5,
        title="MobileNetV2's preprocessing: pixels 0-255 to [-1, 1], on a copy",
        hints=[
            "MobileNetV2 was trained on pixels in [-1, 1]: 0 must become -1 and 255 must become 1.",
            "x / 127.5 - 1 does it. Convert to float32 first with np.asarray(images, dtype='float32').",
            "Keras' preprocess_input divides a float array in place: if you use it, give it a copy.",
        ],
        mistakes=PREPROCESS_MISTAKES, alternatives=PREPROCESS_ALTERNATIVES,
        equivalents=PREPROCESS_EQUIVALENTS,
    ),
    FineTuning(
        "prepare_fine_tuning", prepare_fine_tuning,
        title="Unfreeze the top of a base for fine-tuning, BatchNormalization frozen",
        hints=[
            "Start with `base.trainable = True`: while the base itself is frozen, nothing inside it can train. "
            "Then set each layer's own flag (and never base.trainable again: it resets them all).",
            "Find where to start: `names = [layer.name for layer in base.layers]`, `start = names.index(first_layer)`.",
            "`layer.trainable = index >= start and not isinstance(layer, keras.layers.BatchNormalization)`.",
        ],
        mistakes=FINE_TUNING_MISTAKES,
        alternatives=[Alternative(_flag_loop, note="a flag set at first_layer, class name test"),
                      Alternative(_course_helper, note="transfer.unfreeze_from"),
                      Alternative(_freeze_lower_then_bn, note="freeze the lower layers, then every BatchNorm")],
    ),
    PredictPhoto(
        "predict_photo", predict_photo,
        title="Predict one photo: load, crop and resize, add a batch axis, predict",
        hints=[
            "`keras.utils.load_img(path, target_size=(height, width), keep_aspect_ratio=True)` reads the photo, "
            "centre-crops it to the target's shape and resizes it; `model.input_shape[1:3]` is (height, width).",
            "Keep pixels 0-255 (the model rescales them itself) and add a batch axis: "
            "`np.asarray(photo, dtype='float32')[None]`.",
            "`p = model.predict(batch, verbose=0)[0]`; the answer is `class_names[p.argmax()], float(p.max())`.",
        ],
        mistakes=PHOTO_MISTAKES, alternatives=PHOTO_ALTERNATIVES,
        equivalents=PHOTO_EQUIVALENTS,
    ),
]
