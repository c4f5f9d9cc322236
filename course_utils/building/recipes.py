"""The best recipe of notebook 05 for Fashion-MNIST on a CPU, shared with ``benchmarks/bench_fashion.py``.

The settings were chosen on a validation split (never the test set) by the benchmark, which ablates some of them
(epochs, flips, label smoothing, batch size; ``fashion_validation`` lists what each variant measured). Not every
ingredient was shown to help: the label-smoothing ablation is within noise, and the weight decay was never
ablated; at 5e-4, scaled by the learning rate as Keras does, it takes about 0.15% off the weights over a 5-epoch
run (``decay_shrink``), next to nothing. The parts:

- the network (``fashion_net``): [random horizontal flips] - Conv 3x3 (no bias) - BatchNorm - ReLU - MaxPool -
  Conv 3x3 ("same", no bias) - BatchNorm - ReLU - MaxPool - Flatten - Dropout - Dense (no bias) - BatchNorm -
  ReLU - Dropout - Dense(10);
- the training (``train_fashion``): AdamW (decoupled weight decay), a one-cycle learning rate (warm-up, then
  cosine decay), label smoothing, batches of 256, a ``tf.data`` pipeline that keeps the images as uint8;
- optionally, at test time (``predict_with_flips``): the average prediction for an image and its mirror image.

Images: (N, 28, 28[, 1]), uint8 0-255 (kept as uint8 in memory while training, see ``batches``) or float in
[0, 1]; labels: integers (N,). Keras is imported inside the functions, never at ``import course_utils``.
"""

import time

import numpy as np

from course_utils.startup import load_keras as _keras  # keras, imported with TensorFlow quiet

# The recipe, chosen on a validation split of the training images (benchmarks/bench_fashion.py --validate
# --frontier; its recording, course_utils/recorded/fashion_validation.json, lists what each variant measured).
RECIPE = {"width": 32, "head": 256, "dropout": 0.2, "flip": False, "epochs": 5, "batch_size": 256,
          "peak_learning_rate": 5e-3, "weight_decay": 5e-4, "label_smoothing": 0.1, "test_flips": False}
_NET = ("width", "head", "dropout", "flip")
_TRAINING = ("epochs", "batch_size", "peak_learning_rate", "weight_decay", "label_smoothing")


def fashion_net(width=32, head=256, dropout=0.2, flip=True, input_shape=(28, 28, 1), name="fashion_net"):
    """[RandomFlip] - [Conv(w, 3x3) - BN - ReLU - MaxPool] - [Conv(2w, 3x3, "same") - BN - ReLU - MaxPool] -
    Flatten - Dropout - Dense(head) - BN - ReLU - Dropout - Dense(10, softmax). 612,522 parameters by default:
    28x28 -> 26x26x32 -> 13x13x32 -> 13x13x64 ("same" keeps the border pixels) -> 6x6x64.

    ``flip``: random horizontal flips while training (right for clothes, wrong for digits: a mirrored 2 is no 2).
    """
    keras = _keras()
    layers = keras.layers
    inputs = keras.Input(input_shape, name="image")
    x = layers.RandomFlip("horizontal", name="aug_flip")(inputs) if flip else inputs
    for block, (filters, padding) in enumerate(((width, "valid"), (2 * width, "same")), start=1):
        x = layers.Conv2D(filters, 3, padding=padding, use_bias=False, kernel_initializer="he_normal",
                          name=f"conv{block}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{block}")(x)
        x = layers.ReLU(name=f"relu{block}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{block}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout1")(x)
    x = layers.Dense(head, use_bias=False, kernel_initializer="he_normal", name="dense")(x)
    x = layers.BatchNormalization(momentum=0.9, name="bn_dense")(x)
    x = layers.ReLU(name="relu_dense")(x)
    x = layers.Dropout(dropout, name="dropout2")(x)
    outputs = layers.Dense(10, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


WARMUP_SHARE = 0.25  # of the training steps, in one_cycle


def one_cycle(steps, peak_learning_rate):
    """A one-cycle learning rate: linear warm-up from peak / 10 to ``peak_learning_rate`` over the first
    ``WARMUP_SHARE`` (25%) of ``steps``, then cosine decay to 1% of the peak."""
    keras = _keras()
    warmup = max(1, int(WARMUP_SHARE * steps))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak_learning_rate / 10, decay_steps=max(1, steps - warmup), alpha=0.01,
        warmup_target=peak_learning_rate, warmup_steps=warmup)


def training_steps(n_images, epochs=None, batch_size=None):
    """The number of training steps of ``train_fashion`` on ``n_images`` (the recipe's epochs and batch size)."""
    epochs = int(epochs or RECIPE["epochs"])
    return epochs * int(np.ceil(n_images / int(batch_size or RECIPE["batch_size"])))


def decay_shrink(n_images, epochs=None, weight_decay=None):
    """What the recipe's weight decay alone does to a weight over a run on ``n_images``: the product of
    ``1 - learning_rate * weight_decay`` over the steps of the one-cycle schedule (Keras scales the decay by the
    learning rate). 0.9985 means 0.15% off: next to nothing."""
    from course_utils.building import experiments

    steps = training_steps(n_images, epochs)
    decay = RECIPE["weight_decay"] if weight_decay is None else weight_decay
    return experiments.shrink_factor(one_cycle(steps, RECIPE["peak_learning_rate"]), decay, steps)


def smoothed_targets(label_smoothing=None, classes=10):
    """``(true class, each other class)``: the targets label smoothing trains towards, (1 - s) + s / k and s / k."""
    s = RECIPE["label_smoothing"] if label_smoothing is None else label_smoothing
    return 1 - s + s / classes, s / classes


def _images(x):
    from course_utils.building import models

    return models.prepare_images(x)


def batches(x, y, batch_size, seed=0):
    """Shuffled batches ``(images in [0, 1], one-hot labels)`` as a ``tf.data`` pipeline, from uint8 images.

    Only the uint8 images stay in memory (47 MB for 60,000, not a float32 copy four times larger, and not a
    second copy inside the pipeline's graph): a Python generator converts each batch when it is needed, a new
    order every epoch, and ``prefetch`` prepares the next batch while the current one trains.
    """
    import tensorflow as tf

    x, y = np.asarray(x), np.asarray(y)
    scale = np.float32(1 / 255.0) if x.dtype == np.uint8 else np.float32(1.0)
    rng = np.random.default_rng(seed)
    eye = np.eye(10, dtype="float32")

    def generate():
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            index = np.sort(order[start:start + batch_size])  # sorted: faster gathering, same batch
            images = x[index].astype("float32") * scale
            yield (images if images.ndim == 4 else images[..., np.newaxis]), eye[y[index]]

    signature = (tf.TensorSpec((None, *x.shape[1:3], 1), tf.float32), tf.TensorSpec((None, 10), tf.float32))
    steps = -(-len(x) // batch_size)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(steps)).prefetch(2)


def train_fashion(x, y, validation_data=None, callbacks=None, seed=0, verbose=0, jit_compile=False, **settings):
    """Build ``fashion_net`` and train it with the recipe: ``RECIPE``, with any of its keys overridden by
    ``settings`` (e.g. ``epochs=2``; ``None`` keeps the recipe's value).

    Loss: categorical cross-entropy with ``label_smoothing`` on one-hot labels (converted per batch by
    ``batches``); optimizer: AdamW with ``weight_decay`` and ``one_cycle``. ``validation_data``: ``(x_val, y_val)``, integer labels.
    Returns ``(model, history, seconds)``; ``seconds`` is the wall time of ``fit``.
    """
    keras = _keras()
    unknown = set(settings) - set(RECIPE)
    if unknown:
        raise ValueError(f"Unknown recipe setting(s) {sorted(unknown)}; the recipe has {sorted(RECIPE)}.")
    recipe = {**RECIPE, **{k: v for k, v in settings.items() if v is not None}}
    x = np.asarray(x)
    if x.dtype != np.uint8:
        x = _images(x)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must hold one integer label per image: got shape {y.shape} for {len(x)} images.")
    keras.utils.set_random_seed(seed)
    model = fashion_net(input_shape=(*x.shape[1:3], 1), **{k: recipe[k] for k in _NET})
    epochs, batch_size = int(recipe["epochs"]), int(recipe["batch_size"])
    steps = training_steps(len(x), epochs, batch_size)
    model.compile(optimizer=keras.optimizers.AdamW(one_cycle(steps, recipe["peak_learning_rate"]),
                                                   weight_decay=recipe["weight_decay"]),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe["label_smoothing"]),
                  metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")], jit_compile=jit_compile)
    if validation_data is not None:
        x_val, y_val = validation_data
        validation_data = (_images(x_val), keras.utils.to_categorical(np.asarray(y_val), 10))
    start = time.perf_counter()
    history = model.fit(batches(x, y, batch_size, seed), epochs=epochs, validation_data=validation_data,
                        shuffle=False, callbacks=list(callbacks or []), verbose=verbose)
    return model, history, time.perf_counter() - start


def predict(model, x, test_flips=None, batch_size=256):
    """Class probabilities (N, 10); with ``test_flips`` (default: ``RECIPE["test_flips"]``) averaged over each
    image and its mirror image. ``x`` may be uint8: it is converted ``batch_size`` images at a time."""
    test_flips = RECIPE["test_flips"] if test_flips is None else test_flips
    if test_flips:
        return predict_with_flips(model, x, batch_size)
    return _probabilities(model, x, batch_size)


def _probabilities(model, x, batch_size=256, mirror=False):
    """``model``'s probabilities in inference mode, converting and calling one batch at a time (no float copy
    of all the images, no compiled prediction graph kept in memory)."""
    x = np.asarray(x)
    parts = []
    for start in range(0, len(x), batch_size):
        chunk = _images(x[start:start + batch_size])
        parts.append(np.asarray(model(chunk[:, :, ::-1] if mirror else chunk, training=False)))
    return np.concatenate(parts)


def predict_with_flips(model, x, batch_size=256):
    """Class probabilities averaged over each image and its mirror image (test-time augmentation), (N, 10).
    Only for data where a mirror image keeps its label (clothes, not digits)."""
    return (_probabilities(model, x, batch_size) + _probabilities(model, x, batch_size, mirror=True)) / 2


def accuracy(probabilities, y):
    """Fraction of rows of ``probabilities`` whose largest entry is the label ``y``."""
    return float((np.asarray(probabilities).argmax(axis=1) == np.asarray(y)).mean())
