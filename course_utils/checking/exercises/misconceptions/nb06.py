"""Misconception catalogue of notebook 06: the frozen-base classifier, its trainable parameters, MobileNetV2's
preprocessing, and a base made ready for fine-tuning (predicting one photo: ``nb06_photo``). The wrong functions
are written as a student would, with Keras imported inside (the module imports neither TensorFlow nor Keras)."""

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Mistake

# ----------------------------------------------------------------------------------------- build_classifier


def _not_frozen(base, n_classes):
    import keras

    x = keras.layers.GlobalAveragePooling2D()(base.output)
    return keras.Model(base.input, keras.layers.Dense(n_classes, activation="softmax")(x))


def _variables_frozen(base, n_classes):
    """The PyTorch habit (``p.requires_grad = False``): every variable frozen, the layers themselves not."""
    import keras

    for weight in base.weights:
        weight.trainable = False
    inputs = keras.Input(base.input_shape[1:])
    x = keras.layers.GlobalAveragePooling2D()(base(inputs, training=False))
    return keras.Model(inputs, keras.layers.Dense(n_classes, activation="softmax")(x))


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
    head = keras.Sequential([keras.layers.GlobalAveragePooling2D(),
                             keras.layers.Dense(n_classes, activation="softmax")])
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


def _subclassed(base, n_classes):
    """A subclassed keras.Model (built by a call), with no ``input_shape``."""
    import keras

    class Classifier(keras.Model):
        def __init__(self):
            super().__init__()
            self.base = base
            self.pool = keras.layers.GlobalAveragePooling2D()
            self.head = keras.layers.Dense(n_classes, activation="softmax")

        def call(self, x, training=None):
            return self.head(self.pool(self.base(x, training=False)))

    base.trainable = False
    model = Classifier()
    model(np.zeros((1, *base.input_shape[1:]), "float32"))
    return model


def _subclassed_unbuilt(base, n_classes):
    """The same, never called: Keras builds it at the first call."""
    import keras

    class Classifier(keras.Model):
        def __init__(self):
            super().__init__()
            self.base, self.pool = base, keras.layers.GlobalAveragePooling2D()
            self.head = keras.layers.Dense(n_classes, activation="softmax")

        def call(self, x):
            return self.head(self.pool(self.base(x, training=False)))

    base.trainable = False
    return Classifier()


CLASSIFIER = {
    "mistakes": [
        Mistake(_not_frozen, "base.trainable = False",
                message="model.fit would also train the pretrained base: freeze it with base.trainable = False "
                        "before training the new head, or its random gradients wreck the pretrained features."),
        Mistake(_variables_frozen, "the variables, not the layer"),  # diagnosed by the checker's fit step
        Mistake(_flatten, "Flatten",
                message="Flatten keeps every position of the last maps as a separate input, so the head has "
                        "(h * w * channels + 1) * n_classes weights to learn from a few photos. Average the maps "
                        "over the positions with GlobalAveragePooling2D."),
        Mistake(_max_pool, "max pooling",
                message="Global max pooling keeps only the strongest position of each map; the head was meant to "
                        "see the average (GlobalAveragePooling2D), which is what MobileNetV2's own classifier uses."),
        Mistake(_no_softmax, "softmax",
                message="Your last layer has no activation, so the outputs are scores, not probabilities: use "
                        "Dense(n_classes, activation='softmax') to go with sparse_categorical_crossentropy."),
        Mistake(_hidden_dense, "hidden Dense",
                message="A hidden Dense(1024) layer (the classic VGG16 tutorial) adds over a million weights to "
                        "learn from a few hundred photos. The pooled features are already good: one Dense(softmax)."),
        Mistake(_rescaled, "already preprocessed",
                message="Your model rescales its input, but the images it receives are already preprocessed to "
                        "[-1, 1]: they would be scaled twice. Add no rescaling here."),
    ],
    "alternatives": [
        Alternative(_sequential, note="Sequential([base, pooling, Dense])"),
        Alternative(_on_base_output, note="on base.output, layer by layer frozen, with Dropout"),
        Alternative(_softmax_layer, note="Dense then a Softmax layer"),
        Alternative(_nested_head, note="the head as a keras.Sequential"),
        Alternative(_subclassed, note="a subclassed keras.Model, built"),
        Alternative(_subclassed_unbuilt, note="a subclassed keras.Model, not built yet"),
    ],
}

# ----------------------------------------------------------------------------------------- n_trainable

N_TRAINABLE = {
    "mistakes": [
        Mistake(2_257_984 + 2562, "frozen base",
                message="That counts the frozen base too: model.fit trains only the head."),
        Mistake(2_223_872 + 2562, "not frozen",
                message="That is the Trainable params line of model.summary() when the base is not frozen (its "
                        "2,223,872 trainable weights; its 34,112 BatchNormalization moving statistics never are) "
                        "plus the head. With base.trainable = False only the head trains."),
        Mistake(1280 * 2, "bias", message="That leaves out the biases: (1280 + 1) * 2."),
        Mistake((7 * 7 * 1280 + 1) * 2, "Flatten",
                message="That is the head on Flatten (7 * 7 * 1280 inputs); global average pooling leaves 1,280."),
        Mistake(1281, "two classes", message="That is one output; the head has one per class, two classes here."),
        Mistake((1280 + 1) * 1024 + (1024 + 1) * 2, "hidden Dense",
                message="That is a head with a hidden Dense(1024) layer; ours is one Dense(2) on the features."),
    ],
    "alternatives": [Alternative(2562.0, note="a float"), Alternative(np.int64(2562), note="a NumPy integer")],
}

# ----------------------------------------------------------------------------------------- preprocess


def _keras_in_place(images):
    import keras

    return keras.applications.mobilenet_v2.preprocess_input(images)


def _keras_on_a_copy(images):
    import keras

    return keras.applications.mobilenet_v2.preprocess_input(np.array(images, dtype="float32"))


def _caffe(images):
    import keras

    return keras.applications.vgg16.preprocess_input(np.array(images, dtype="float32"))


def _torch_normalize(images):
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return ((np.asarray(images, dtype="float32") / 255 - mean) / std).astype("float32")


def _rescaling_layer(images):
    """The notebook's own preprocessing layer: it returns a tensor."""
    import keras

    return keras.layers.Rescaling(1 / 127.5, offset=-1)(np.asarray(images, dtype="float32"))


PREPROCESS = {
    "mistakes": [
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
                message="That is the Caffe-style preprocessing of VGG16 and ResNet-50 (their preprocess_input): "
                        "channels swapped to BGR and the ImageNet mean subtracted. Every keras.applications model "
                        "has its own preprocess_input; MobileNetV2's is x / 127.5 - 1."),
        Mistake(_keras_in_place, "in place"),  # diagnosed by the generic mutation check
        Mistake(lambda images: (np.asarray(images, dtype="float32") / 127.5 - 1).tolist(), "NumPy array"),
        Mistake(_rescaling_layer, "a tensor"),
        Mistake(lambda images: images / 127.5 - 1, "expected float32"),  # float64 for uint8 pixels  # the task asks for a NumPy array: diagnosed by ArrayFunction
    ],
    "alternatives": [
        Alternative(lambda images: (np.asarray(images, dtype="float32") - 127.5) / 127.5, note="(x - 127.5) / 127.5"),
        Alternative(lambda images: (np.asarray(images, dtype="float64") / 255 * 2 - 1).astype("float32"),
                    note="computed in float64, x / 255 * 2 - 1, returned as float32"),
        Alternative(_keras_on_a_copy, note="Keras' preprocess_input on a float32 copy"),
    ],
}

# ----------------------------------------------------------------------------------------- prepare_fine_tuning


def _start(base, first_layer):
    return [layer.name for layer in base.layers].index(first_layer)


def _everything(base, first_layer):
    base.trainable = True


def _bn_trainable(base, first_layer):
    base.trainable = True
    start = _start(base, first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start


def _bn_variables_frozen(base, first_layer):
    """The PyTorch habit (``p.requires_grad = False``) on the BatchNormalization layers' variables."""
    import keras

    base.trainable = True
    start = _start(base, first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start
        if isinstance(layer, keras.layers.BatchNormalization):
            for weight in layer.trainable_weights:
                weight.trainable = False


def _base_still_frozen(base, first_layer):
    import keras

    start = _start(base, first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and not isinstance(layer, keras.layers.BatchNormalization)


def _off_by_one(base, first_layer):
    import keras

    base.trainable = True
    start = _start(base, first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index > start and not isinstance(layer, keras.layers.BatchNormalization)


def _from_previous(base, first_layer):
    """``index(first_layer) - 1``: passes whenever the layer before first_layer holds no weights (a ReLU)."""
    import keras

    base.trainable = True
    start = _start(base, first_layer) - 1
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and not isinstance(layer, keras.layers.BatchNormalization)


def _only_first(base, first_layer):
    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name == first_layer


def _bn_by_name(base, first_layer):
    base.trainable = True
    start = _start(base, first_layer)
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start and not layer.name.endswith("_BN")


def _ignores_first_layer(base, first_layer):
    import keras

    base.trainable = True
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def _alphabetical(base, first_layer):
    import keras

    base.trainable = True
    for layer in base.layers:
        layer.trainable = layer.name >= first_layer and not isinstance(layer, keras.layers.BatchNormalization)


def _fixed_count(base, first_layer):
    """TensorFlow's tutorial: ``fine_tune_at``, a number of layers, instead of a layer's name."""
    import keras

    base.trainable = True
    for layer in base.layers[:-4]:
        layer.trainable = False
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
    from course_utils.transfer_learning import transfer

    transfer.unfreeze_from(base, first_layer)


def _freeze_lower_then_bn(base, first_layer):
    import keras

    base.trainable = True
    start = _start(base, first_layer)
    for layer in base.layers[:start]:
        layer.trainable = False
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return base


FINE_TUNING = {
    "mistakes": [
        Mistake(_everything, "every layer",
                message="Your function makes every layer trainable, BatchNormalization and the early layers "
                        "included. (Setting base.trainable = True after your loop has the same effect: it resets "
                        "every layer.)"),
        Mistake(_bn_trainable, "BatchNormalization layers",
                message="The right layers are trainable, but so are their BatchNormalization layers. In Keras 3 "
                        "a BatchNormalization layer whose own flag is True runs in training mode in fit, even "
                        "inside base(x, training=False): it normalises each batch with that batch's own "
                        "statistics, trains its gamma and beta, and (unless its momentum is 1.0) moves its moving "
                        "mean and variance. Freeze them (layer.trainable = False)."),
        Mistake(_bn_variables_frozen, "the variables, not the layer"),  # diagnosed by the checker (layer flags)
        Mistake(_bn_by_name, "their names",
                message="You found the BatchNormalization layers by their names, and one named otherwise stayed "
                        "trainable: names differ between models (MobileNetV2 alone has bn_Conv1 and "
                        "block_1_expand_BN). Test the type: isinstance(layer, keras.layers.BatchNormalization)."),
        Mistake(_off_by_one, "first_layer itself",
                message="first_layer itself stays frozen: start unfreezing at first_layer, not after it."),
        Mistake(_from_previous, "the layer just before first_layer",
                message="The layer just before first_layer is trainable too (it holds weights here): start at "
                        "names.index(first_layer), not one layer earlier."),
        Mistake(_only_first, "after it",
                message="Only first_layer is trainable: unfreeze it and every layer after it (except "
                        "BatchNormalization)."),
        Mistake(_ignores_first_layer, "before first_layer",
                message="Your function ignores first_layer: the layers before first_layer (general edges and "
                        "textures) should stay frozen; unfreeze only from first_layer on."),
        Mistake(_alphabetical, "alphabetical",
                message="You compared layer names as text (layer.name >= first_layer): that is alphabetical order "
                        "('stem_conv' comes after 'block_1_conv'), not the order of the layers. Find first_layer's "
                        "position: names.index(first_layer)."),
        Mistake(_fixed_count, "a fixed number of layers",
                message="You unfroze a fixed number of layers from the end (base.layers[-n:], the fine_tune_at of "
                        "TensorFlow's tutorial), which is right for one base only. Find first_layer's position, "
                        "names.index(first_layer), and unfreeze from there."),
    ],
    "alternatives": [
        Alternative(_flag_loop, note="a flag set at first_layer, class name test"),
        Alternative(_course_helper, note="transfer.unfreeze_from"),
        Alternative(_freeze_lower_then_bn, note="freeze the lower layers, then every BatchNorm"),
        Alternative(_base_still_frozen, note="layer flags set, base.trainable left False (accepted with a note)"),
    ],
}
