"""Misconception catalogue of notebook 03: the small CNN, two parameter counts, the loss for one-hot labels,
a model trained to an accuracy floor. Models are built lazily (only the catalogue test builds them)."""

import functools

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Equivalent, Mistake

# --------------------------------------------------------------------------- small_cnn


def _small_cnn(conv1=None, conv2=None, pool2=None, head=None, pool=None):
    """The reference Sequential with some layers replaced (each argument a list of layers)."""
    import keras
    from keras import layers

    pool = pool or layers.MaxPooling2D
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        *(conv1 or [layers.Conv2D(16, 5, activation="relu")]),
        pool(2),
        *(conv2 or [layers.Conv2D(32, 3, activation="relu")]),
        *(pool2 or [pool(2)]),
        layers.Flatten(),
        *(head or [layers.Dense(10, activation="softmax")]),
    ])


def _no_softmax():
    from keras import layers

    return _small_cnn(head=[layers.Dense(10)])


def _no_relu():
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5)], conv2=[layers.Conv2D(32, 3)])


def _sigmoid_output():
    from keras import layers

    return _small_cnn(head=[layers.Dense(10, activation="sigmoid")])


def _same_padding_equal_parameters():
    """'same' padding in the first conv and a 3x3/2 second pool: every layer has the reference's parameter count
    (13,066 in all), but the feature maps have other sizes."""
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5, padding="same", activation="relu")],
                      pool2=[layers.MaxPooling2D(3, strides=2)])


def _filters_swapped():
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(32, 5, activation="relu")], conv2=[layers.Conv2D(16, 3, activation="relu")])


def _no_second_pool():
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
                             layers.Conv2D(32, 3, activation="relu"), layers.Flatten(),
                             layers.Dense(10, activation="softmax")])


def _dense_without_bias():
    from keras import layers

    return _small_cnn(head=[layers.Dense(10, activation="softmax", use_bias=False)])


def _softmax_twice():
    from keras import layers

    return _small_cnn(head=[layers.Dense(10, activation="softmax"), layers.Softmax()])


def _average_pooling():
    from keras import layers

    return _small_cnn(pool=layers.AveragePooling2D)


def _list_of_layers():
    import keras
    from keras import layers

    return [keras.Input((28, 28, 1)), layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
            layers.Dense(10, activation="softmax")][1:]


def _extra_dense():
    from keras import layers

    return _small_cnn(head=[layers.Dense(64, activation="relu"), layers.Dense(10, activation="softmax")])


def _separate_activation_layers():
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5), layers.ReLU()], conv2=[layers.Conv2D(32, 3), layers.ReLU()],
                      head=[layers.Dense(10), layers.Softmax()])


def _activation_layers():
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5), layers.Activation("relu")],
                      conv2=[layers.Conv2D(32, (3, 3)), layers.Activation("relu")],
                      head=[layers.Dense(10), layers.Activation("softmax")])


def _relu_after_pooling_model():
    """Conv2D -> MaxPooling2D -> ReLU: the same function as Conv2D(relu) -> MaxPooling2D (max and ReLU commute)."""
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(16, 5), layers.MaxPooling2D(2), layers.ReLU(),
                             layers.Conv2D(32, 3), layers.MaxPooling2D(2), layers.Activation("relu"), layers.Flatten(),
                             layers.Dense(10, activation="softmax")])


def _functional():
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(16, (5, 5), activation=keras.activations.relu)(inputs)
    x = layers.MaxPooling2D(pool_size=(2, 2))(x)
    x = layers.Conv2D(32, (3, 3), activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(layers.Flatten()(x))
    return keras.Model(inputs, outputs)


def _tf_nn_activations():
    """The TensorFlow idiom: ``activation=tf.nn.relu`` / ``tf.nn.softmax`` (named ``softmax_v2`` in TF 2.x)."""
    import tensorflow as tf
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5, activation=tf.nn.relu)],
                      conv2=[layers.Conv2D(32, 3, activation=tf.nn.relu)],
                      head=[layers.Dense(10, activation=tf.nn.softmax)])


def _ops_lambdas():
    """Activations written as lambdas over ``keras.ops``."""
    import keras
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5, activation=lambda x: keras.ops.maximum(x, 0.0))],
                      head=[layers.Dense(10, activation=lambda x: keras.ops.softmax(x, axis=-1))])


def _tanh_output():
    from keras import layers

    return _small_cnn(head=[layers.Dense(10, activation="tanh")])


def _log_softmax_output():
    import tensorflow as tf
    from keras import layers

    return _small_cnn(head=[layers.Dense(10, activation=tf.nn.log_softmax)])


def _builder_without_input():
    """A function that builds the model without keras.Input: the check builds it."""
    import keras
    from keras import layers

    def build():
        return keras.Sequential([layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(2),
                                 layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2), layers.Flatten(),
                                 layers.Dense(10, activation="softmax")])
    return build


def _lambda_softmax():
    import keras
    from keras import layers

    return _small_cnn(head=[layers.Dense(10), layers.Lambda(lambda x: keras.ops.softmax(x))])


def _frozen_first_conv():
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5, activation="relu", trainable=False)])


def _relu6_lambda():
    import keras
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5, activation=lambda z: keras.ops.relu6(z))])


def _relu_max_value_partial():
    import keras
    from keras import layers

    capped = functools.partial(keras.activations.relu, max_value=6.0)
    return _small_cnn(conv1=[layers.Conv2D(16, 5, activation=capped)])


def _frozen_kernel_variable():
    model = _small_cnn()
    model.layers[0].kernel.trainable = False
    return model


def _kernel_constraint():
    import keras
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5, activation="relu", kernel_constraint=keras.constraints.NonNeg())])


def _abs_lambda():
    import keras
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5), layers.Lambda(keras.ops.abs)])


def _zeros_initializer():
    from keras import layers

    return _small_cnn(conv1=[layers.Conv2D(16, 5, activation="relu", kernel_initializer="zeros")])


def _uint8_input():
    import keras

    return keras.Sequential([keras.Input((28, 28, 1), dtype="uint8"), *_small_cnn().layers])


SMALL_CNN = {
    "mistakes": [
        Mistake(_no_softmax, "no softmax", lazy=True),
        Mistake(_no_relu, "activation='relu'", lazy=True),
        Mistake(_sigmoid_output, "sigmoid", lazy=True),
        Mistake(_same_padding_equal_parameters, "spatial size differs", lazy=True),
        Mistake(_filters_swapped, "number of filters", lazy=True),
        Mistake(_no_second_pool, "missing a MaxPooling2D after layer 3", lazy=True),
        Mistake(_dense_without_bias, "use_bias", lazy=True),
        Mistake(_softmax_twice, "softmax twice", lazy=True),
        Mistake(_average_pooling, "AveragePooling2D", lazy=True),
        Mistake(_list_of_layers, "wrap it with `keras.Sequential", lazy=True),
        Mistake(_extra_dense, "a Dense too many", lazy=True),
        Mistake(_tanh_output, "applies tanh", lazy=True),
        Mistake(_log_softmax_output, "applies log_softmax", lazy=True),
        Mistake(_frozen_first_conv, "frozen (trainable=False)", lazy=True),
        Mistake(_zeros_initializer, "all its weights equal", lazy=True),
        Mistake(_relu6_lambda, "applies relu6", lazy=True),  # told apart from relu on probe values past 6
        Mistake(_relu_max_value_partial, "relu6, but it should", lazy=True),
        Mistake(_frozen_kernel_variable, "`.kernel.trainable = False`", lazy=True),
        Mistake(_kernel_constraint, "kernel_constraint", lazy=True),
        Mistake(_abs_lambda, "applies abs", lazy=True),
        Mistake(_uint8_input, "input has dtype uint8", lazy=True),
    ],
    "alternatives": [
        Alternative(_separate_activation_layers, lazy=True, note="ReLU() and Softmax() layers"),
        Alternative(_activation_layers, lazy=True, note='Activation("relu") layers'),
        Alternative(_functional, lazy=True, note="the functional API"),
        Alternative(_relu_after_pooling_model, lazy=True, note="ReLU after the pooling layer (max and ReLU commute)"),
        Alternative(_builder_without_input, lazy=True, note="a builder without keras.Input"),
        Alternative(_tf_nn_activations, lazy=True, note="activation=tf.nn.relu / tf.nn.softmax"),
        Alternative(_ops_lambdas, lazy=True, note="activations as lambdas over keras.ops"),
        Alternative(_lambda_softmax, lazy=True, note="Dense(10) then a Lambda layer computing softmax"),
    ],
    "equivalents": [  # tests/test_mutation.py: mutants of the reference that are right after all
        Equivalent("element: [keras.Input((28, 28, 1)), layers.Conv2D(16, ... -> [layers.Conv2D(16, 5, "
                   "activation='relu'), lay...", why="a Sequential without Input is built on its first call; the "
                   "checker builds it for (28, 28, 1) and it has the same layers, shapes and outputs."),
    ],
}

# --------------------------------------------------------------------------- param_counts: (Conv2D 64 3x3 on 32, Dense 128 on 5x5x64)


def _param_counts_by_keras():
    import keras

    conv, dense = keras.layers.Conv2D(64, 3), keras.layers.Dense(128)
    conv.build((None, 7, 7, 32))
    dense.build((None, 5 * 5 * 64))
    return conv.count_params(), dense.count_params()


PARAM_COUNTS = {
    "mistakes": [
        Mistake((18_432, 204_928), "biases of the convolution",
                message="18,432 leaves out the biases of the convolution: one per filter, 64 more."),
        Mistake((18_432, 204_800), "biases of both layers",
                message="18,432 and 204,800 leave out the biases of both layers: each filter and each unit has "
                        "one bias too, (3*3*32 + 1) * 64 and (5*5*64 + 1) * 128."),
        Mistake((18_496, 204_800), "biases of the Dense layer",
                message="204,800 leaves out the biases of the Dense layer: one per unit, 128 more."),
        Mistake((640, 204_928), "input channels",
                message="640 forgets the 32 input channels: each filter has a 3x3 weight for every input channel, "
                        "(3*3*32 + 1) * 64."),
        Mistake((18_496, 3_328), "5*5*64",
                message="3,328 counts 5*5 = 25 inputs to the Dense layer: the flattened map has 5*5*64 = 1,600 "
                        "values, (1,600 + 1) * 128."),
        Mistake((204_928, 18_496), "order",
                message="Right numbers, wrong order: the convolution's count comes first, then the Dense layer's."),
        Mistake(18_496 + 204_928, "tuple of 2 items"),
        Mistake("(18496, 204928)", "should be a tuple"),
        Mistake((18_496, 204_928.5), "204928.5 is not right"),  # shown as given, not rounded to 204928
    ],
    "alternatives": [
        Alternative([18_496, 204_928], note="a list"),
        Alternative((18_496.0, 204_928.0), note="floats"),
        Alternative(np.array([18_496, 204_928]), note="an array"),
        Alternative(_param_counts_by_keras, lazy=True, note="counted by Keras"),
    ],
}

# --------------------------------------------------------------------------- loss_for_onehot (a choice)


def _keras_loss(name, build=True, module="losses"):
    def make():
        import keras

        found = getattr(getattr(keras, module), name)
        return found() if name[0].isupper() and build else found
    return make


def _keras_metric(name, build=True):
    return _keras_loss(name, build, module="metrics")


def _configured_loss(**config):
    def make():
        import keras

        return keras.losses.CategoricalCrossentropy(**config)
    return make


def _named_loss(kind, name):
    def make():
        import keras

        return getattr(keras.losses, kind)(name=name)
    return make


def _sparse_wrapper_named_cce():
    import keras
    from keras.src.losses.losses import LossFunctionWrapper

    return LossFunctionWrapper(keras.losses.sparse_categorical_crossentropy,
                                            name="categorical_crossentropy")


def _wrapped_loss(name):
    def make():
        import keras

        function = getattr(keras.losses, name)
        return lambda y_true, y_pred: function(y_true, y_pred)
    return make


def _numpy_cross_entropy(y_true, y_pred):
    return -np.sum(np.asarray(y_true) * np.log(np.asarray(y_pred)), axis=-1)


LOSS_FOR_ONEHOT = {
    "mistakes": [
        Mistake("sparse_categorical_crossentropy", "sparse",
                message="The 'sparse' loss expects one integer per image (shape (N,)), not one-hot rows."),
        Mistake(_keras_loss("SparseCategoricalCrossentropy"), "one integer per image", lazy=True),
        Mistake("binary_crossentropy", "yes/no",
                message="Binary cross-entropy treats the 10 outputs as 10 independent yes/no questions; a digit "
                        "is exactly one of 10 classes."),
        Mistake("mean_squared_error", "trains, but slowly",
                message="It trains, but slowly: cross-entropy is the loss that matches softmax probabilities."),
        Mistake("mse", "matches softmax probabilities"),
        Mistake("hinge", "not one of the options"),
        Mistake(_keras_metric("CategoricalCrossentropy"), "is a metric, not a loss", lazy=True),
        Mistake(_keras_metric("CategoricalCrossentropy", build=False), "keras.metrics is a metric", lazy=True),
        Mistake(_configured_loss(axis=0), "along axis=0", lazy=True),  # trains to 7% instead of 92%
        Mistake(_configured_loss(label_smoothing=0.9), "closer to a uniform guess", lazy=True),
        Mistake(_wrapped_loss("binary_crossentropy"), "10 independent yes/no", lazy=True),
        # judged by what the loss computes, not by its name
        Mistake(_named_loss("SparseCategoricalCrossentropy", "categorical_crossentropy"), "(shape (N,))",
                lazy=True),
        Mistake(_named_loss("BinaryCrossentropy", "categorical_crossentropy"), "exactly one of 10 classes", lazy=True),
        Mistake(_sparse_wrapper_named_cce, "not one-hot rows", lazy=True),
        Mistake("cce", "'cce' is not"),  # keras.losses.get("cce") raises: compile() refuses it
        Mistake("Categorical_Crossentropy", "is not a name Keras knows"),  # an option's text, as Keras refuses it
    ],
    "alternatives": [
        Alternative(_keras_loss("CategoricalCrossentropy"), lazy=True, note="a loss object"),
        Alternative(_keras_loss("CategoricalCrossentropy", build=False), lazy=True, note="a loss class"),
        Alternative(_keras_metric("categorical_crossentropy"), lazy=True,
                    note="keras.metrics.categorical_crossentropy: the very function of keras.losses"),
        Alternative(_keras_loss("categorical_crossentropy"), lazy=True, note="the loss function"),
        Alternative("b", note="a letter"),
        Alternative("loss='categorical_crossentropy'", note="as written in compile()"),
        Alternative(_wrapped_loss("categorical_crossentropy"), lazy=True, note="a wrapper lambda y, p: ..."),
        Alternative(_numpy_cross_entropy, note="the formula in NumPy"),
        Alternative(_configured_loss(label_smoothing=0.1), lazy=True, note="smoothed one-hot targets"),
        Alternative(_configured_loss(from_logits=True), lazy=True,
                    note="from_logits on a softmax output: Keras 3 finds the logits (same loss value)"),
        Alternative(_named_loss("CategoricalCrossentropy", "sparse_categorical_crossentropy"), lazy=True,
                    note="a CategoricalCrossentropy under another name: it computes CCE"),
        Alternative("CategoricalCrossentropy", note="a class name compile() accepts"),
        Alternative(_configured_loss(axis=1), lazy=True, note="axis=1 is the class axis of (N, 10) labels"),
    ],
}
