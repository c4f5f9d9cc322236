"""Model builders shared by the notebooks (03, 04, 05) and ``benchmarks/bench_mnist.py``, plus model facts.

Every builder takes 28x28x1 images scaled to [0, 1] and returns an uncompiled ``keras.Model`` whose 10 outputs
are softmax probabilities. ``compile_for(model, labels="integer")`` adds the matching loss.
Keras is imported inside the functions, never at ``import course_utils``.

- ``classic_a()``: Conv(32) - MaxPool - Flatten - Dense(128) - Dense(10)
- ``classic_b()``: [Conv(32) - MaxPool] - [Conv(64) - MaxPool] - Flatten - Dense(128) - Dense(10)
- ``classic_c()``: Conv(32) - MaxPool - Conv(64) - MaxPool - Conv(64) - Flatten - Dense(64) - Dense(10)
  (the TensorFlow CNN tutorial)
- ``mlp()``: Flatten - Dense(hidden) - Dense(hidden) - Dense(10), about the budget of ``classic_a``
- ``keras_io_convnet()``: keras-io's ``mnist_convnet`` (Conv32-Pool-Conv64-Pool-Flatten-Dropout0.5-Dense10)
- ``recommended()``: random shifts + keras-io's conv blocks with BatchNorm; train it with
  ``train_recommended`` (AdamW, one-cycle learning rate): about 98.5% from 5,000 training digits
"""

import time

import numpy as np

from course_utils import paths
from course_utils.startup import load_keras as _keras  # keras, imported with TensorFlow quiet

INPUT_SHAPE = (28, 28, 1)
N_CLASSES = 10
FALLBACK_HOW = "trained now (notebook 03's model not found)"


class ModelFileError(ValueError):
    """A saved model file is missing, corrupted or not an MNIST classifier; the message says what to do."""


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, e.g. {name}=32; got {value!r}.")
    return int(value)


def classic_a(filters=32, dense=128, name="classic_a"):
    """(a) Conv(filters, 3x3) - MaxPool(2) - Flatten - Dense(dense) - Dense(10): 693,962 parameters by default."""
    keras = _keras()
    layers = keras.layers
    filters, dense = _check_size("filters", filters), _check_size("dense", dense)
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(filters, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Flatten(name="flatten"),
        layers.Dense(dense, activation="relu", name="dense"),
        layers.Dense(N_CLASSES, activation="softmax", name="output"),
    ], name=name)


def classic_b(name="classic_b"):
    """(b) two Conv/MaxPool blocks (32, 64) - Flatten - Dense(128) - Dense(10): 225,034 parameters."""
    keras = _keras()
    layers = keras.layers
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(32, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(64, 3, activation="relu", name="conv2"),
        layers.MaxPooling2D(2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dense(128, activation="relu", name="dense"),
        layers.Dense(N_CLASSES, activation="softmax", name="output"),
    ], name=name)


def classic_c(name="classic_c"):
    """(c) Conv(32) - Pool - Conv(64) - Pool - Conv(64) - Flatten - Dense(64) - Dense(10): 93,322 parameters."""
    keras = _keras()
    layers = keras.layers
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(32, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(64, 3, activation="relu", name="conv2"),
        layers.MaxPooling2D(2, name="pool2"),
        layers.Conv2D(64, 3, activation="relu", name="conv3"),
        layers.Flatten(name="flatten"),
        layers.Dense(64, activation="relu", name="dense"),
        layers.Dense(N_CLASSES, activation="softmax", name="output"),
    ], name=name)


def mlp(hidden=(512, 512), name="mlp"):
    """Flatten - Dense(h) for h in ``hidden`` - Dense(10). Default (512, 512): 669,706 parameters,
    about the budget of ``classic_a`` (693,962)."""
    keras = _keras()
    layers = keras.layers
    if isinstance(hidden, (int, np.integer)):
        hidden = (hidden,)
    hidden = [_check_size("hidden", h) for h in hidden]
    stack = [keras.Input(INPUT_SHAPE), layers.Flatten(name="flatten")]
    stack += [layers.Dense(h, activation="relu", name=f"dense{i + 1}") for i, h in enumerate(hidden)]
    stack.append(layers.Dense(N_CLASSES, activation="softmax", name="output"))
    return keras.Sequential(stack, name=name)


def keras_io_convnet(name="keras_io_convnet"):
    """keras-io's ``mnist_convnet``: Conv(32) - Pool - Conv(64) - Pool - Flatten - Dropout(0.5) - Dense(10):
    34,826 parameters. keras-io trains it 15 epochs, batch 128, Adam, categorical cross-entropy."""
    keras = _keras()
    layers = keras.layers
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        layers.Conv2D(32, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(64, 3, activation="relu", name="conv2"),
        layers.MaxPooling2D(2, name="pool2"),
        layers.Flatten(name="flatten"),
        layers.Dropout(0.5, name="dropout"),
        layers.Dense(N_CLASSES, activation="softmax", name="output"),
    ], name=name)


def recommended(width=32, augment=True, name="recommended"):
    """Accurate and fast on a CPU: keras-io's two conv blocks made trainable fast and made robust.

    RandomTranslation (up to 10% = 2.8 px; active only in training) - [Conv 3x3 (no bias) - BatchNorm - ReLU -
    MaxPool] with ``width`` then 2x``width`` filters - Flatten - Dropout(0.4) - Dense(10, softmax).
    35,114 parameters for width 32. Train with ``train_recommended`` (AdamW, one-cycle learning rate).
    """
    keras = _keras()
    layers = keras.layers
    width = _check_size("width", width)
    inputs = keras.Input(INPUT_SHAPE, name="image")
    x = inputs
    if augment:
        x = layers.RandomTranslation(0.1, 0.1, fill_mode="constant", name="aug_shift")(x)
    for block, filters in enumerate((width, 2 * width), start=1):
        x = layers.Conv2D(filters, 3, use_bias=False, name=f"conv{block}")(x)
        # momentum 0.9: the running statistics used at inference settle within a few dozen steps
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{block}")(x)
        x = layers.ReLU(name=f"relu{block}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{block}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.4, name="dropout")(x)
    outputs = layers.Dense(N_CLASSES, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


BUILDERS = {
    "classic_a": classic_a,
    "classic_b": classic_b,
    "classic_c": classic_c,
    "mlp": mlp,
    "keras_io_convnet": keras_io_convnet,
    "recommended": recommended,
}


def compile_for(model, labels="integer", learning_rate=1e-3):
    """Compile ``model`` with Adam and the loss that matches the labels; returns the model.

    ``labels="integer"`` (shape (N,), values 0-9): ``sparse_categorical_crossentropy``;
    ``labels="onehot"`` (shape (N, 10)): ``categorical_crossentropy``.
    """
    keras = _keras()
    losses = {"integer": "sparse_categorical_crossentropy", "onehot": "categorical_crossentropy"}
    if labels not in losses:
        raise ValueError(f"labels must be 'integer' (labels like 7) or 'onehot' (labels like [0,..,1,..0]); "
                         f"got {labels!r}.")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=losses[labels], metrics=["accuracy"])
    return model


def prepare_images(x):
    """uint8 (N, 28, 28) or (N, 28, 28, 1) images (0-255) -> float32 (N, 28, 28, 1) in [0, 1]."""
    if x is None:
        raise ValueError("prepare_images got None: pass the images, e.g. prepare_images(x_train).")
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., np.newaxis]
    if x.ndim != 4 or x.shape[1:] != INPUT_SHAPE:
        raise ValueError(f"Expected images of shape (N, 28, 28) or (N, 28, 28, 1), got {x.shape}.")
    x = x.astype("float32")
    return x / 255.0 if x.max(initial=0) > 1.5 else x


def _one_cycle(keras, steps, peak):
    """Linear warm-up to ``peak`` over the first 25% of ``steps``, then cosine decay to ~0."""
    warmup = max(1, int(0.25 * steps))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=peak / 10, decay_steps=max(1, steps - warmup), alpha=0.01,
        warmup_target=peak, warmup_steps=warmup)


def recommended_epochs(n_images):
    """Default epochs of ``train_recommended``: 9 on up to 10,000 digits, 3 on more (full MNIST: 60,000)."""
    return 9 if n_images <= 10_000 else 3


def train_recommended(x, y, epochs=None, batch_size=64, peak_learning_rate=4e-3, validation_data=None,
                      callbacks=None, seed=0, width=32, verbose=0):
    """Build ``recommended(width)`` and train it with AdamW and a one-cycle learning rate.

    ``epochs=None``: ``recommended_epochs(len(x))`` (9 on 5,000 digits: about 98.5% test accuracy).

    ``x``: images (N, 28, 28[, 1]), uint8 0-255 or float 0-1; ``y``: integer labels (N,).
    Returns ``(model, history, seconds)``; ``seconds`` is the wall time of ``fit``.
    """
    keras = _keras()
    x = prepare_images(x)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(f"y must hold one integer label per image: got shape {y.shape} for {len(x)} images.")
    epochs = recommended_epochs(len(x)) if epochs is None else _check_size("epochs", epochs)
    batch_size = _check_size("batch_size", batch_size)
    keras.utils.set_random_seed(seed)
    model = recommended(width=width)
    steps = epochs * int(np.ceil(len(x) / batch_size))
    model.compile(optimizer=keras.optimizers.AdamW(_one_cycle(keras, steps, peak_learning_rate), weight_decay=1e-4),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data,
                        callbacks=list(callbacks or []), verbose=verbose)
    return model, history, time.perf_counter() - start


# --- facts about a model ---------------------------------------------------------------------------

def _layer_kind(layer):
    return type(layer).__name__


def receptive_fields(model):
    """The receptive field of every layer of a conv/pool stack, in input pixels.

    Returns a list of dicts ``{"layer", "kind", "size", "jump", "output_shape"}``: ``size`` is the side (px)
    of the input square one output unit sees; ``jump`` the distance (px) in the input between neighbouring
    output units. Layers after ``Flatten``/global pooling see the whole image (size = 28 for MNIST).
    Recurrence: size_out = size_in + (k - 1) * jump_in; jump_out = jump_in * stride.
    """
    keras = _keras()
    _check_model(model, keras)
    size, jump = 1, 1
    rows = []
    image = max(model.input_shape[1:3]) if model.input_shape[1] is not None else None
    whole = False
    for layer in model.layers:
        kind = _layer_kind(layer)
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D,
                              keras.layers.DepthwiseConv2D)):
            k = layer.kernel_size[0] if hasattr(layer, "kernel_size") else layer.pool_size[0]
            if getattr(layer, "dilation_rate", (1, 1))[0] != 1:
                k = (k - 1) * layer.dilation_rate[0] + 1
            size += (k - 1) * jump
            jump *= layer.strides[0]
        elif isinstance(layer, (keras.layers.Flatten, keras.layers.GlobalAveragePooling2D,
                                keras.layers.GlobalMaxPooling2D, keras.layers.Dense)):
            whole = True
        if whole and image is not None:
            size, jump = image, None
        rows.append({"layer": layer.name, "kind": kind, "size": size, "jump": jump,
                     "output_shape": _output_shape(layer)})
    return rows


def _output_shape(layer):
    try:
        return tuple(layer.output.shape)
    except Exception:  # noqa: BLE001 - layers without a symbolic output
        return None


def _check_model(model, keras):
    if not isinstance(model, keras.Model):
        raise TypeError(f"Expected a keras.Model (e.g. models.classic_a()), got {type(model).__name__}.")


def layer_param_formula(layer):
    """``(formula_text, count)`` for one layer by hand, or ``(None, None)`` for a kind it does not know.

    Conv2D: (k_h * k_w * c_in + 1) * filters; Dense: (n_in + 1) * units; BatchNormalization: 4 * channels
    (2 trained + 2 running statistics); pooling, Flatten, Dropout, activations, augmentation: 0.
    """
    keras = _keras()
    L = keras.layers
    if isinstance(layer, L.Conv2D) and not isinstance(layer, L.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        c_in = layer.kernel.shape[2]
        bias = 1 if layer.use_bias else 0
        count = (kh * kw * c_in + bias) * layer.filters
        text = f"({kh}*{kw}*{c_in}{' + 1' if bias else ''}) * {layer.filters}"
        return text, count
    if isinstance(layer, L.Dense):
        n_in = layer.kernel.shape[0]
        bias = 1 if layer.use_bias else 0
        return f"({n_in}{' + 1' if bias else ''}) * {layer.units}", (n_in + bias) * layer.units
    if isinstance(layer, L.BatchNormalization):
        channels = layer.gamma.shape[0] if layer.gamma is not None else layer.moving_mean.shape[0]
        return f"4 * {channels}", 4 * channels
    if not layer.weights:
        return "0", 0
    return None, None


def param_count_by_formula(model):
    """Per-layer parameter counts by formula next to Keras' own ``count_params()``.

    Returns a list of dicts ``{"layer", "kind", "formula", "by_formula", "keras"}`` and, last, a
    ``{"layer": "total", ...}`` row. ``by_formula`` is None for a layer kind without a formula.
    """
    keras = _keras()
    _check_model(model, keras)
    rows = []
    for layer in model.layers:
        text, count = layer_param_formula(layer)
        rows.append({"layer": layer.name, "kind": _layer_kind(layer), "formula": text, "by_formula": count,
                     "keras": int(layer.count_params())})
    known = [r["by_formula"] for r in rows]
    total = None if any(v is None for v in known) else int(sum(known))
    rows.append({"layer": "total", "kind": "", "formula": "sum", "by_formula": total,
                 "keras": int(model.count_params())})
    return rows


def format_table(rows, columns):
    """Rows (dicts) as a fixed-width text table with the given ``columns`` (for printing in notebooks)."""
    def cell(value):
        return "-" if value is None else f"{value:,}" if isinstance(value, (int, np.integer)) else str(value)
    widths = [max(len(c), *(len(cell(r.get(c))) for r in rows)) for c in columns]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(cell(r.get(c)).ljust(w) for c, w in zip(columns, widths, strict=True)) for r in rows]
    return "\n".join(lines)


# --- the model notebook 03 saves, for 04 and later ------------------------------------------------

def mnist_model_path():
    """Where notebook 03 saves its trained model: ``<models dir>/mnist_cnn.keras`` (a ``Path``)."""
    return paths.models_dir() / "mnist_cnn.keras"


def validate_mnist_model(model):
    """Raise ``ModelFileError`` unless ``model`` takes (28, 28, 1) images and has 10 outputs."""
    keras = _keras()
    if not isinstance(model, keras.Model):
        raise ModelFileError(f"The file did not hold a Keras model but a {type(model).__name__}.")
    try:
        in_shape, out_shape = tuple(model.input_shape), tuple(model.output_shape)
    except Exception as err:  # noqa: BLE001 - multi-input models and the like
        raise ModelFileError(f"The model has no single input/output ({err}).") from err
    if in_shape[1:] != INPUT_SHAPE or out_shape[-1] != N_CLASSES:
        raise ModelFileError(f"The model takes {in_shape[1:]} and gives {out_shape[-1]} outputs; an MNIST "
                             f"model takes (28, 28, 1) images and gives 10 outputs.")
    return model


def load_model_file(path):
    """Load a ``.keras`` file and validate it as an MNIST classifier; ``ModelFileError`` with a fix otherwise."""
    keras = _keras()
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"No model file at {path}. Run notebook 03 to train and save one.")
    try:
        model = keras.saving.load_model(path)
    except Exception as err:  # noqa: BLE001 - zip errors, bad JSON, wrong format...
        raise ModelFileError(
            f"The model file {path} could not be read ({type(err).__name__}: {str(err)[:150]}). It is probably "
            f"incomplete or corrupted: delete it and run notebook 03 again.") from err
    return validate_mnist_model(model)


def quick_mnist_model(n_train=3000, epochs=3, seed=0, verbose=True):
    """A small CNN (``classic_b``) trained for about 10 s on 3,000 MNIST digits; about 94% test accuracy."""
    from course_utils import data

    keras = _keras()
    (x, y), _ = data.load_mnist(n_train=n_train, n_test=100, verbose=verbose)
    keras.utils.set_random_seed(seed)
    model = compile_for(classic_b())
    model.fit(prepare_images(x), y, epochs=epochs, batch_size=64, verbose=0)
    return model


#: The seed notebook 03 builds and trains its saved model with (its ``SEED`` parameter).
NOTEBOOK_03_SEED = 42


def untrained_twin(how):
    """The model ``load_mnist_model()`` returned (``how``, its second value) before training: the same
    architecture built with the same seed (notebook 03: ``set_seed(NOTEBOOK_03_SEED)``; the fallback
    ``quick_mnist_model``: seed 0), so its weights are the very starting point of the trained ones."""
    from course_utils import training

    keras = _keras()
    if how == FALLBACK_HOW:
        keras.utils.set_random_seed(0)
        return compile_for(classic_b())
    training.set_seed(NOTEBOOK_03_SEED)
    return compile_for(classic_b(name="mnist_cnn"))


def load_mnist_model(train_if_missing=True, path=None):
    """``(model, how)``: the model notebook 03 saved (``how = "loaded from <path>"``) when it is there and valid;
    otherwise a small CNN trained now (``how = "trained now (notebook 03's model not found)"``).

    A corrupted or wrong file prints why and falls back. With ``train_if_missing=False`` a missing or bad
    file raises ``ModelFileError`` instead.
    """
    path = mnist_model_path() if path is None else path
    try:
        return load_model_file(path), f"loaded from {path}"
    except ModelFileError as err:
        if not train_if_missing:
            raise
        if "No model file" not in str(err):
            print(f"Note: {err}")
    print("Notebook 03's model is not available, so a small CNN is trained now (about 10-20 s).")
    return quick_mnist_model(), FALLBACK_HOW
