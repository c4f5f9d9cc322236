"""Misconception catalogue of notebook 05's residual block, ``residual_block(x, filters, stride)``: the wrong
blocks as a student would write them (Keras imported inside), and the right variants the checker accepts."""

from course_utils.checking.exercises.catalogue import Alternative, Mistake


def _block(x, filters, stride=1, *, padding="same", bn=True, relu_before_add=False, project="auto",
           projection_stride=True, stride_on=(0,), convs=2, shortcut_relu=False, merge="add", after_add=None,
           main_stride=None, zero_gamma=False, normalise=None, final_relu=True, order="conv-bn-relu",
           projection_bn=True, shortcut_extra=None, main_extra=None, middle="relu", second_size=3, first_filters=1.0,
           bn_kw=None, conv_kw=None):
    """A residual block with one thing changed (the defaults give the right one): the padding, BatchNorm or
    biases, a ReLU before the addition, the shortcut (``project``: "auto", "always", "never", "dropped", "3x3"),
    which of the convolutions carry the stride, the number of 3x3 convolutions, a ReLU on the shortcut, the merge
    ("add", "subtract", "concatenate", "concatenate+1x1", "average", "multiply"), a layer after the addition, a zero
    gamma, ``normalise``: a function replacing BatchNormalization (given the Keras module), no final ReLU, the
    order "conv-relu-bn", a projection without BN, a layer added on the shortcut or in the main path, another
    middle activation, the second kernel size, or a fraction of the filters in the first convolution."""
    import keras

    layers = keras.layers

    def norm(t, gamma="ones"):
        if normalise is not None:
            return layers.Lambda(normalise)(t)
        return layers.BatchNormalization(gamma_initializer=gamma, **(bn_kw or {}))(t) if bn else t

    y = x
    for i in range(convs):
        strides = stride if i in stride_on else 1
        last = i == convs - 1
        width = filters if last else int(filters * first_filters)
        size = second_size if last else 3
        y = layers.Conv2D(width, size, strides=strides, padding=padding, use_bias=not bn, **(conv_kw or {}))(y)
        if order == "conv-relu-bn" and not last:
            y = norm(layers.ReLU()(y))
        else:
            y = norm(y, "zeros" if last and zero_gamma else "ones")
            if not last or relu_before_add:
                y = layers.ReLU()(y) if middle == "relu" or last else layers.Activation(middle)(y)
        if main_extra is not None and not last:
            y = main_extra(layers)(y)
    changes = stride != 1 or x.shape[-1] != filters
    shortcut = x
    if project == "always" or (project in ("auto", "3x3") and changes):
        size = 3 if project == "3x3" else 1
        shortcut = layers.Conv2D(filters, size, strides=stride if projection_stride else 1, padding="same",
                                 use_bias=not bn)(x)
        shortcut = norm(shortcut) if projection_bn else shortcut
    if shortcut_extra is not None:
        shortcut = shortcut_extra(layers)(shortcut)
    if shortcut_relu:
        shortcut = layers.ReLU()(shortcut)
    if project == "dropped" and changes:
        return layers.ReLU()(y)
    if merge == "add":
        out = layers.Add()([y, shortcut])
    elif merge == "subtract":
        out = layers.Subtract()([y, shortcut])
    elif merge in ("average", "multiply"):
        out = (layers.Average if merge == "average" else layers.Multiply)()([y, shortcut])
    else:
        out = layers.Concatenate()([y, shortcut])
        if merge == "concatenate+1x1":
            out = layers.Conv2D(filters, 1)(out)
    if after_add == "bn":
        out = layers.BatchNormalization()(out)
    return layers.ReLU()(out) if final_relu else out


def _variant(**changes):
    def residual_block(x, filters, stride=1):
        return _block(x, filters, stride, **changes)
    return residual_block


def _res_tutorial(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, activation="relu")(x)
    y = layers.Conv2D(filters, 3)(y)
    return layers.Add()([x, y])


def _res_relu_before_add(x, filters, stride=1):
    """The tutorial style: activation="relu" on both convolutions, then Add (no ReLU after it)."""
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.Conv2D(filters, 3, padding="same", activation="relu")(y)
    s = x if (stride == 1 and x.shape[-1] == filters) else layers.Conv2D(filters, 1, strides=stride)(x)
    return layers.Add()([y, s])


def _batch_statistics(t):
    """The student's section-3 batch_norm in a Lambda: the batch's own statistics, also at inference."""
    from keras import ops

    mean, variance = ops.moments(t, axes=[0, 1, 2])
    return (t - mean) / ops.sqrt(variance + 1e-3)


def _noise(t):
    import keras

    return t * keras.random.uniform(keras.ops.shape(t), 0.9, 1.1)


def _res_plain(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    return layers.Conv2D(filters, 3, padding="same", activation="relu")(y)


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


def _res_no_first_bn(x, filters, stride=1):
    from keras import layers

    y = layers.Conv2D(filters, 3, strides=stride, padding="same", activation="relu")(x)
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
    s = x
    if stride != 1 or x.shape[-1] != filters:
        s = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride)(x))
    return layers.ReLU()(layers.Add()([y, s]))


def _res_maxpool_shortcut(x, filters, stride=1):
    from keras import layers

    y = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=stride, padding="same")(x)))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
    s = x
    if stride != 1:
        s = layers.MaxPooling2D(stride, padding="same")(s)
    if x.shape[-1] != filters:
        s = layers.BatchNormalization()(layers.Conv2D(filters, 1)(s))
    return layers.ReLU()(layers.Add()([y, s]))


def _res_lambda_merge(x, filters, stride=1):
    """The right maths, but the addition and the ReLU in one Lambda."""
    import keras
    from keras import layers

    y = layers.ReLU()(layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=stride, padding="same")(x)))
    y = layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same")(y))
    s = x
    if stride != 1 or x.shape[-1] != filters:
        s = layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride)(x))
    return layers.Lambda(lambda t: keras.ops.relu(t[0] + t[1]))([y, s])


def _res_functional(x, filters, stride=1):
    """``+`` and keras.ops.relu, Activation layers, biases before BatchNorm."""
    import keras
    from keras import layers

    y = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(filters, 3, strides=stride,
                                                                              padding="same")(x)))
    y = layers.BatchNormalization()(layers.Conv2D(filters, (3, 3), padding="same")(y))
    if stride != 1 or x.shape[-1] != filters:
        x = layers.BatchNormalization()(layers.Conv2D(filters, (1, 1), strides=(stride, stride))(x))
    return keras.ops.relu(y + x)


RESIDUAL_BLOCK = {
    "mistakes": [
        Mistake(_res_tutorial, "padding",
                message="Each 3x3 convolution with the default padding='valid' crops 2 pixels, so the main path "
                        "no longer matches the input: use padding='same' (and a 1x1 projection when channels "
                        "change)."),
        Mistake(_variant(project="never"), "1x1 projection",
                message="The channels (or the size) change, so x cannot be added as it is: pass the shortcut "
                        "through a 1x1 projection, Conv2D(filters, 1, strides=stride), when stride != 1 or the "
                        "channels differ."),
        Mistake(_variant(projection_stride=False), "same stride",
                message="Your 1x1 projection keeps the full size while the main path is strided: give the "
                        "projection the same stride, Conv2D(filters, 1, strides=stride)."),
        Mistake(_variant(stride_on=(0, 1)), "stride only in the first",
                message="Your main path is strided twice and shrinks by stride**2: put the stride only in the "
                        "first 3x3 convolution."),
        Mistake(_res_plain, "no shortcut",
                message="With every 3x3 kernel at zero your block outputs 0: there is no shortcut. Add the input "
                        "(or its projection) to the main path: layers.Add()([y, shortcut])."),
        Mistake(_variant(merge="concatenate"), "add, not concatenate",
                message="Concatenate stacks the channels (2 * filters); a residual block adds the shortcut to the "
                        "main path, element by element: use Add, not Concatenate."),
        Mistake(_variant(merge="concatenate+1x1"), "merges the two paths with Concatenate"),
        Mistake(lambda x, filters, stride=1: _block(x, 64, stride), "`filters` argument",
                message="Your block always has 64 channels: use the `filters` argument for every convolution."),
        Mistake(_variant(project="3x3"), "a 1x1 convolution, not 3x3",
                message="Your projection shortcut is a 3x3 convolution: it mixes neighbouring pixels and costs 9 "
                        "times the weights. Project with a 1x1 convolution, not 3x3: Conv2D(filters, 1, "
                        "strides=stride)."),
        Mistake(_variant(project="dropped"), "dropped the shortcut",
                message="When the shape changes you dropped the shortcut altogether. Keep it, projected with a "
                        "1x1 convolution: without it the block is a plain pair of convolutions."),
        Mistake(_res_relu_before_add, "ReLU before the addition"),
        Mistake(_variant(relu_before_add=True), "never negative"),
        Mistake(_variant(normalise=_batch_statistics), "batch statistics at inference"),
        Mistake(_variant(normalise=_noise), "random at inference"),
        Mistake(_variant(after_add="bn"), "BatchNorm after the addition",
                message="Your block normalises after the Add (BatchNorm after the addition), so even the "
                        "identity shortcut's x comes out rescaled. Put the BatchNormalization at the end of the "
                        "main path, before the Add; after the Add comes only the ReLU."),
        Mistake(_variant(shortcut_relu=True), "ReLU on the shortcut",
                message="Your shortcut passes through a ReLU before the Add (a ReLU on the shortcut): negative "
                        "values of x never reach the output. The identity shortcut is x itself; the only ReLU "
                        "comes after the Add."),
        Mistake(_variant(convs=3), "exactly two"),
        Mistake(_variant(stride_on=(1,)), "the stride belongs on the first"),
        Mistake(_variant(merge="subtract"), "merges the two paths with Subtract"),
        Mistake(_variant(final_relu=False), "no ReLU after the Add",
                message="Your block ends with the addition: there is no ReLU after the Add, so its outputs can be "
                        "negative. The task asks for ReLU(F(x) + shortcut): `return layers.ReLU()(layers.Add()"
                        "([y, shortcut]))`."),
        Mistake(_variant(relu_before_add=True, final_relu=False), "the main path F(x) is never negative"),
        Mistake(_res_preactivation, "pre-activation block (BatchNormalization - ReLU - Conv2D"),
        Mistake(_res_bias_no_bn, "the task's block has exactly"),
        Mistake(_variant(bn=False), "your main path is Conv2D(16, 3x3) - ReLU - Conv2D(16, 3x3);"),
        Mistake(_variant(order="conv-relu-bn"), "ReLU - BatchNormalization - Conv2D",
                message="your main path applies the ReLU before BatchNormalization (ReLU - BatchNormalization - "
                        "Conv2D): the task's order is Conv2D - BatchNormalization - ReLU - Conv2D - "
                        "BatchNormalization, BatchNorm normalising the convolution's output."),
        Mistake(_res_no_first_bn, "your main path is Conv2D(16, 3x3) - ReLU - Conv2D(16, 3x3) - BatchNormalization"),
        Mistake(_variant(projection_bn=False), "followed by BatchNorm"),
        Mistake(_variant(project="always"), "add the input unchanged (no projection",
                message="when nothing changes shape the shortcut is x itself, and yours is a 1x1 projection: add "
                        "the input unchanged (no projection, no activation, no pooling); project only when the "
                        "stride or the channels change."),
        Mistake(_variant(project="auto", shortcut_extra=lambda layers: layers.ReLU()), "a ReLU on the shortcut"),
        Mistake(_variant(main_extra=lambda layers: layers.Dropout(0.2)), "ReLU - Dropout - Conv2D"),
        Mistake(_variant(middle="sigmoid"), "BatchNormalization - sigmoid - Conv2D"),
        Mistake(_variant(second_size=5), "Conv2D(16, 5x5)"),
        Mistake(_variant(first_filters=0.5), "your main path is Conv2D(8, 3x3)"),
        Mistake(_res_maxpool_shortcut, "MaxPooling2D"),
        Mistake(_variant(merge="average"), "merges the two paths with Average"),
        Mistake(_variant(merge="multiply"), "merges the two paths with Multiply"),
        Mistake(_variant(bn_kw={"axis": 1}), "must normalise each channel, the last axis"),
        Mistake(_variant(bn_kw={"trainable": False}), "BatchNormalization with trainable=False"),
        Mistake(_variant(conv_kw={"trainable": False}), "Conv2D with trainable=False"),
        Mistake(_variant(bn_kw={"epsilon": 10.0}), "epsilon is only there to avoid a division by zero"),
        Mistake(_variant(bn_kw={"scale": False}), "scale=False fixes gamma at 1"),
        Mistake(_variant(bn_kw={"center": False}), "BatchNormalization(center=False)"),
        Mistake(_res_lambda_merge, "the checker cannot read what a Lambda computes"),
        Mistake(_variant(convs=1), "the second Conv2D(filters, 3, padding='same') and its BatchNormalization"),
    ],
    "alternatives": [
        Alternative(_res_nested_main_path, note="the main path as a keras.Sequential"),
        Alternative(_res_functional, note="`y + x`, keras.ops.relu, Activation('relu'), biases before BatchNorm"),
        Alternative(_variant(zero_gamma=True), note="the last BatchNorm's gamma initialised to zero (Goyal et al.)"),
    ],
}
