"""Misconception catalogue of notebook 04: a feature-extraction model, a saliency map, Grad-CAM from feature
maps and their gradients. The wrong functions are written as a student would, with TensorFlow imported inside
(the module imports neither TensorFlow nor Keras)."""

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Equivalent, Mistake

# --------------------------------------------------------------------------- build_feature_extractor(model)


def _convs(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def _last_conv_only(model):
    import keras

    return keras.Model(model.inputs, [_convs(model)[-1].output])


def _every_layer(model):
    import keras

    return keras.Model(model.inputs, [layer.output for layer in model.layers])


def _conv_inputs(model):
    import keras

    return keras.Model(model.inputs, [layer.input for layer in _convs(model)])


def _list_of_outputs(model):
    return [layer.output for layer in _convs(model)]


def _reversed(model):
    import keras

    return keras.Model(model.inputs, [layer.output for layer in _convs(model)][::-1])


def _fresh_weights(model):
    import keras

    copy = keras.models.clone_model(model)  # same layers, new random weights
    return keras.Model(copy.inputs, [layer.output for layer in _convs(copy)])


def _by_layer_name(model):
    import keras

    return keras.Model(model.inputs, [layer.output for layer in model.layers if "conv" in layer.name])


def _model_input(model):
    import keras

    return keras.Model(inputs=model.input, outputs=[layer.output for layer in _convs(model)])


def _dict_outputs(model):
    import keras

    return keras.Model(model.inputs, {layer.name: layer.output for layer in _convs(model)})


def _conv_in_class_name(model):
    import keras

    return keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers
                                                     if "Conv" in type(layer).__name__])


def _by_class_name(model):
    import keras

    return keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers
                                                     if type(layer).__name__ == "Conv2D"])


def _sorted_by_name(model):
    import keras

    return keras.Model(model.inputs, [layer.output for layer in sorted(_convs(model), key=lambda layer: layer.name)])


def _keyed_by_filters(model):
    import keras

    return keras.Model(model.inputs, list({layer.filters: layer.output for layer in _convs(model)}.values()))


def _freezes_the_model(model):
    import keras

    model.trainable = False
    return keras.Model(model.inputs, [layer.output for layer in _convs(model)])


def _by_depth(model):
    import keras

    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    return keras.Model(model.inputs, [convs[i].output for i in range(len(convs))])


def _as_tuple(model):
    import keras

    outputs = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            outputs.append(layer.output)
    return keras.Model(model.inputs, tuple(outputs))


def _conv_layers(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def _pre_activation_maps(model):
    """Side effect: sets the convolutions' activation to linear (the maps come out before ReLU)."""
    import keras

    for layer in _conv_layers(model):
        layer.activation = keras.activations.linear
    return keras.Model(model.inputs, [layer.output for layer in _conv_layers(model)])


def _shifts_biases(model):
    """Side effect: adds 0.1 to the convolutions' biases after building the extractor."""
    import keras

    extractor = keras.Model(model.inputs, [layer.output for layer in _conv_layers(model)])
    for layer in _conv_layers(model):
        layer.bias.assign(layer.bias + 0.1)
    return extractor


def _pops_a_layer(model):
    """Side effect: removes the model's last layer (Sequential.pop)."""
    import keras

    extractor = keras.Model(model.inputs, [layer.output for layer in _conv_layers(model)])
    model.pop()
    return extractor


FEATURE_EXTRACTOR = {
    "mistakes": [
        Mistake(_last_conv_only, "only"),
        Mistake(_every_layer, "keep only"),
        Mistake(_conv_inputs, "layer.input"),
        Mistake(_list_of_outputs, "keras.Model"),
        Mistake(_reversed, "reversed"),
        Mistake(_fresh_weights, "not the values"),
        Mistake(_model_input, "use `model.inputs`"),
        Mistake(_by_layer_name, "by their type"),
        Mistake(_dict_outputs, "outputs are a dict"),
        Mistake(_conv_in_class_name, "class names contain 'Conv'"),  # DepthwiseConv2D, SeparableConv2D
        Mistake(_sorted_by_name, "not sorted by name"),
        Mistake(_keyed_by_filters, "only 2 output(s)"),  # two convolutions with 4 filters
        Mistake(_freezes_the_model, "changed the model it was given"),
        Mistake(_pre_activation_maps, "an activation or a layer was changed"),
        Mistake(_shifts_biases, "(its weights)"),
        Mistake(_pops_a_layer, "layers, now"),
    ],
    "alternatives": [
        Alternative(_by_class_name, note="the class name, exactly 'Conv2D'"),
        Alternative(_by_depth, note="indexing a list of the convolutions"),
        Alternative(_as_tuple, note="a loop, outputs as a tuple"),
    ],
}

# --------------------------------------------------------------------------- saliency(score_model, image, class_index)


def _gradient(score_model, image, class_index, *, watch=True, score=None):
    import tensorflow as tf

    x = tf.convert_to_tensor(image[None], dtype="float32")
    with tf.GradientTape() as tape:
        if watch:
            tape.watch(x)
        outputs = score_model(x, training=False)
        value = outputs[0, class_index] if score is None else score(outputs)
    return tape.gradient(value, x)


def _not_watched(score_model, image, class_index):
    grad = _gradient(score_model, image, class_index, watch=False)
    return np.abs(grad.numpy()).max(axis=-1)[0]


def _signed(score_model, image, class_index):
    return _gradient(score_model, image, class_index)[0].numpy().max(axis=-1)


def _divides_by_255(score_model, image, class_index):
    image = np.asarray(image, dtype="float32") / 255.0  # the image is already prepared: scaled twice
    return np.abs(_gradient(score_model, image, class_index)[0].numpy()).max(axis=-1)


def _float16_map(score_model, image, class_index):
    return np.abs(_gradient(score_model, image, class_index)[0].numpy()).max(axis=-1).astype(np.float16)


def _channel_mean(score_model, image, class_index):
    return np.abs(_gradient(score_model, image, class_index)[0].numpy()).mean(axis=-1)


def _softmax_probability(score_model, image, class_index):
    import tensorflow as tf

    grad = _gradient(score_model, image, class_index, score=lambda out: tf.nn.softmax(out)[0, class_index])
    return np.abs(grad[0].numpy()).max(axis=-1)


def _predicted_class(score_model, image, class_index):
    import tensorflow as tf

    grad = _gradient(score_model, image, class_index, score=lambda out: tf.reduce_max(out[0]))
    return np.abs(grad[0].numpy()).max(axis=-1)


def _all_scores(score_model, image, class_index):
    import tensorflow as tf

    grad = _gradient(score_model, image, class_index, score=tf.reduce_sum)
    return np.abs(grad[0].numpy()).max(axis=-1)


def _batch_axis_kept(score_model, image, class_index):
    return np.abs(_gradient(score_model, image, class_index).numpy()).max(axis=-1)


def _channel_axis_kept(score_model, image, class_index):
    return np.abs(_gradient(score_model, image, class_index)[0].numpy())


def _with_a_variable(score_model, image, class_index):
    import tensorflow as tf

    x = tf.Variable(image[np.newaxis].astype("float32"))  # a tape watches variables by itself
    with tf.GradientTape() as tape:
        score = score_model(x, training=False)[0, class_index]
    return tf.reduce_max(tf.abs(tape.gradient(score, x)), axis=-1)[0]  # a tensor: np.asarray() works on it


def _plain_call(score_model, image, class_index):
    """``score_model(x)`` without ``training=False``: augmentation layers run (Keras 3)."""
    import tensorflow as tf

    x = tf.convert_to_tensor(image[None], dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = score_model(x)[0, class_index]
    return np.abs(tape.gradient(score, x)[0].numpy()).max(axis=-1)


def _training_true(score_model, image, class_index):
    """``training=True``: augmentation and Dropout both on."""
    import tensorflow as tf

    x = tf.convert_to_tensor(image[None], dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = score_model(x, training=True)[0, class_index]
    return np.abs(tape.gradient(score, x)[0].numpy()).max(axis=-1)


def _tensorflow_only(score_model, image, class_index):
    import tensorflow as tf

    x = tf.constant(image[np.newaxis], dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = score_model(x, training=False)[:, class_index]
    grad = tape.gradient(score, x)
    return tf.reduce_max(tf.abs(grad[0]), axis=-1).numpy()


def _as_list(score_model, image, class_index):
    return np.abs(_gradient(score_model, image, class_index)[0].numpy()).max(axis=-1).tolist()


def _scales_the_image_in_place(score_model, image, class_index):
    import tensorflow as tf

    x = tf.convert_to_tensor(image[None], dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        score = score_model(x, training=False)[0, class_index]
    grad = tape.gradient(score, x)[0].numpy()
    image *= 255  # for the plot: writes into the caller's picture
    return np.abs(grad).max(axis=-1)


SALIENCY = {
    "mistakes": [
        Mistake(_not_watched, "tape.watch"),
        Mistake(_signed, "absolute value",
                message="Your map keeps the sign of the gradient: saliency is its absolute value (`np.abs`), since "
                        "a pixel matters whether it raises or lowers the score."),
        Mistake(_channel_mean, "largest over the channels",
                message="You averaged over the channels: take the largest over the channels (`.max(axis=-1)`)."),
        Mistake(_softmax_probability, "softmax",
                message="You differentiated the softmax probability: saliency uses the class score itself "
                        "(`score_model` gives logits), whose gradient does not shrink as the model gets confident."),
        Mistake(_predicted_class, "class_index",
                message="You used the predicted class (the largest score): use the class you are given, "
                        "`class_index`."),
        Mistake(_all_scores, "one class",
                message="You differentiated the sum of all class scores: take the score of one class, "
                        "`score_model(x)[0, class_index]`."),
        Mistake(_batch_axis_kept, "batch axis",
                message="Your map keeps the batch axis, shape (1, H, W): take the first (only) image of the "
                        "gradient with `[0]`."),
        Mistake(_channel_axis_kept, "channel axis",
                message="Your map keeps the channel axis, shape (H, W, C): take the largest over the channels "
                        "with `.max(axis=-1)`."),

        Mistake(_plain_call, "training=False"),
        Mistake(_training_true, "ran in training mode"),
        Mistake(_scales_the_image_in_place, "wrote into the `image`"),
        Mistake(_divides_by_255, "divided the image by 255",
                message="You divided the image by 255 inside your function: the image is given as the model "
                        "takes it, so the gradient must be taken at `image` itself (scaling it again moves the "
                        "point where the model is differentiated, and the map changes)."),
        Mistake(_float16_map, "Your map is float16"),
    ],
    "alternatives": [
        Alternative(_with_a_variable, note="a tf.Variable instead of tape.watch, a tensor returned"),
        Alternative(_tensorflow_only, note="TensorFlow operations, [:, class_index]"),
        Alternative(_as_list, note="a list (use() hands on an array)"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("keyword: tf.convert_to_tensor(..., dtype='float32') -> (dropped)", why="the image is a float array "
                   "(float32 in the notebook): the gradient has the same values."),
        Equivalent("keyword: score_model(..., training=False) -> (dropped)", why="a model called directly runs in "
                   "inference mode by default (training=None): only training=True changes Dropout and BatchNorm."),
        Equivalent("constant: 0 -> -1", why="the batch holds one image: index -1 is index 0."),
        Equivalent("constant: 0 -> -1 #2", why="the gradient's batch holds one image: index -1 is index 0."),
    ],
}

# --------------------------------------------------------------------------- grad_cam_from_maps(maps, grads)


def _normalised(cam):
    top = cam.max()
    return cam / top if top > 0 else cam


def _no_relu(maps, grads):
    cam = (maps * grads.mean(axis=(0, 1))).sum(axis=-1)
    return cam / np.abs(cam).max()


def _absolute_value(maps, grads):
    return _normalised(np.abs((maps * grads.mean(axis=(0, 1))).sum(axis=-1)))


def _not_normalised(maps, grads):
    return np.maximum((maps * grads.mean(axis=(0, 1))).sum(axis=-1), 0)


def _weights_from_maps(maps, grads):
    return _normalised(np.maximum((maps * maps.mean(axis=(0, 1))).sum(axis=-1), 0))


def _weights_over_channels(maps, grads):
    weights = grads.mean(axis=-1)  # (h, w) instead of one weight per channel
    return _normalised(np.maximum((maps * weights[..., None]).sum(axis=-1), 0))


def _position_by_position(maps, grads):
    return _normalised(np.maximum((maps * grads).sum(axis=-1), 0))


def _divides_by_zero(maps, grads):
    cam = np.maximum((maps * grads.mean(axis=(0, 1))).sum(axis=-1), 0)
    return cam / cam.max()


def _min_max(maps, grads):
    cam = np.maximum((maps * grads.mean(axis=(0, 1))).sum(axis=-1), 0)
    spread = cam.max() - cam.min()
    return (cam - cam.min()) / spread if spread > 0 else cam


def _relu_on_weights(maps, grads):
    return _normalised((maps * np.maximum(grads.mean(axis=(0, 1)), 0)).sum(axis=-1))


_CACHE = {}


def _cached_by_shape(maps, grads):
    """Remembers the first answer for each shape: the second 4x4x3 case gets the first one's map."""
    if maps.shape not in _CACHE:
        cam = np.maximum((maps * grads.mean(axis=(0, 1))).sum(axis=-1), 0)
        _CACHE[maps.shape] = cam / cam.max() if cam.max() > 0 else cam
    return _CACHE[maps.shape]


GRAD_CAM_FROM_MAPS = {
    "mistakes": [
        Mistake(_no_relu, "np.maximum(cam, 0)",
                message="Your map keeps negative values: Grad-CAM keeps only the regions that raise the class "
                        "score, `np.maximum(cam, 0)`, before dividing by the maximum."),
        Mistake(_absolute_value, "absolute value",
                message="You took the absolute value of the weighted sum: regions that speak *against* the class "
                        "would then light up as support. Keep only the positive part, `np.maximum(cam, 0)`."),
        Mistake(_not_normalised, "divide by its maximum",
                message="Your map is not scaled to [0, 1]: divide by its maximum (unless the maximum is 0)."),
        Mistake(_weights_from_maps, "come from the feature maps",
                message="Your channel weights come from the feature maps: each channel's weight is the average "
                        "of its gradients, `grads.mean(axis=(0, 1))`."),
        Mistake(_weights_over_channels, "axis=(0, 1)",
                message="You averaged the gradients over the channels: average over the positions, "
                        "`grads.mean(axis=(0, 1))`, to get one weight per channel."),
        Mistake(_position_by_position, "HiResCAM",
                message="You multiplied maps and gradients position by position (that is HiResCAM, a faithful "
                        "variant): Grad-CAM first averages each channel's gradients into one weight per channel."),
        Mistake(_divides_by_zero, "maximum is 0",
                message="When every position is negative the map is all 0 and its maximum is 0: dividing by it "
                        "gives NaN. Return the all-0 map as it is."),
        Mistake(_min_max, "subtracted the minimum",
                message="You subtracted the minimum: Grad-CAM only divides by the maximum, so a weakly active "
                        "region keeps a small but non-zero value."),
        Mistake(_cached_by_shape, "no caching"),
        Mistake(_relu_on_weights, "ReLU on the weights",
                message="You applied the ReLU on the weights: apply it to the weighted sum of the maps, "
                        "`np.maximum((maps * weights).sum(axis=-1), 0)`: a negative weight can still matter."),
    ],
    "alternatives": [
        Alternative(lambda maps, grads: _normalised(np.maximum(np.einsum("hwk,k->hw", maps, grads.mean((0, 1))), 0)),
                    note="einsum"),
        Alternative(lambda maps, grads: _normalised(np.maximum(maps @ grads.sum(axis=(0, 1)), 0)),
                    note="weights as sums: the same after scaling"),
        Alternative(lambda maps, grads: _normalised(np.maximum((maps.astype(np.float32)
                                                                * grads.astype(np.float32).mean(axis=(0, 1)))
                                                               .sum(axis=-1), 0)), note="float32"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("name: grads.mean -> grads.sum", why="the weights are scaled by h * w > 0 and the map is divided "
                   "by its maximum: the same map in [0, 1] (0 stays 0)."),
        Equivalent("name: (maps * weights).sum -> (maps * weights).mean", why="the map is scaled by 1 / k > 0 and "
                   "then divided by its maximum: the same map in [0, 1]."),
    ],
}
