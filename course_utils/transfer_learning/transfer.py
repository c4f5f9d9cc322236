"""Transfer-learning helpers for notebook 06: features of a frozen base, a linear head fitted exactly,
cross-validation on the training photos, freezing for fine-tuning, and BatchNormalization statistics.

A head on cached features is multinomial logistic regression: ``Dense(K, softmax)`` trained with sparse
cross-entropy and ``kernel_regularizer=L2(l2)``. ``fit_linear_head`` finds that model's optimum with L-BFGS (scipy)
in milliseconds instead of many epochs, so it can be refitted dozens of times (cross-validation, learning curves);
``LinearHead.as_dense()`` turns the result into that Keras layer. Keras is imported inside the functions.
"""

import time

import numpy as np

from course_utils import paths

# ----------------------------------------------------------------------------------------- features


def mobilenet_preprocess(images):
    """``keras.applications.mobilenet_v2.preprocess_input`` on a float32 *copy*: pixels 0-255 -> [-1, 1].

    (Keras' function divides a float NumPy array in place and returns the same array; a copy keeps yours intact.)
    """
    return np.asarray(images, dtype="float32") / 127.5 - 1.0


_COMPILED = {}  # id(model) -> (weak reference to the model, its compiled inference function)


def compiled_inference(model):
    """``model(batch, training=False)`` compiled once per model (a ``tf.function`` with a fixed input signature:
    one trace whatever the batch size, and about 1.7x faster than eager calls on a CPU)."""
    import weakref

    import tensorflow as tf

    entry = _COMPILED.get(id(model))
    if entry is None or entry[0]() is not model:
        for key in [k for k, (ref, _) in _COMPILED.items() if ref() is None]:
            del _COMPILED[key]  # models that are gone
        ref = weakref.ref(model)  # the function must not keep the model alive
        spec = tf.TensorSpec((None, *model.input_shape[1:]), tf.float32)
        function = tf.function(lambda batch: ref()(batch, training=False), input_signature=[spec], autograph=False)
        entry = (ref, function)
        _COMPILED[id(model)] = entry
    return entry[1]


def predict(model, images, batch_size=8, preprocess=None, progress=None):
    """The model's outputs for ``images`` in inference mode, in batches (``preprocess`` applied to each batch):
    a NumPy array. Like ``model.predict`` without its per-call set-up, and without retracing. ``progress``: a label
    for a progress bar in Jupyter (none headless)."""
    images = np.asarray(images)
    run = compiled_inference(model)
    out = []
    starts = range(0, len(images), batch_size)
    if progress and not paths.headless():
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc=progress, unit="batch", leave=False)
    for i in starts:
        batch = images[i:i + batch_size]
        batch = preprocess(batch) if preprocess is not None else batch
        out.append(np.asarray(run(np.ascontiguousarray(batch, dtype="float32"))))
    return np.concatenate(out)


def extract_features(base, images, preprocess=mobilenet_preprocess, batch_size=8, flip=False, verbose=True):
    """Features ``(N, C)`` of ``images`` ``(N, H, W, channels)`` (photos: 0-255) from the frozen ``base``, averaged
    over positions.

    ``preprocess`` turns a batch of pixels into the base's input range. ``flip=True`` averages the features of each
    photo and its mirror image (test-time augmentation: twice the time). Runs in batches in inference mode.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, channels); got shape {images.shape}.")
    start = time.perf_counter()
    views = [images, images[:, :, ::-1]] if flip else [images]
    label = "features" if verbose else None
    maps = [predict(base, view, batch_size, preprocess, progress=label) for view in views]
    pooled = [m.mean(axis=(1, 2)) if m.ndim == 4 else m for m in maps]
    features = np.mean(pooled, axis=0).astype("float32")
    if verbose:
        print(f"features of {len(images)} photos{' and their mirror images' if flip else ''}: {features.shape} "
              f"in {time.perf_counter() - start:.1f} s")
    return features


def nearest_neighbour_similarity(features):
    """For each row of ``features``, the cosine similarity to the most similar *other* row: low values mark the
    examples least like anything else in the set (outliers, things that are not photos of the subject at all)."""
    unit = np.asarray(features, dtype="float64")
    unit = unit / np.maximum(np.linalg.norm(unit, axis=1, keepdims=True), 1e-12)
    similarity = unit @ unit.T
    np.fill_diagonal(similarity, -np.inf)
    return similarity.max(axis=1)


# ----------------------------------------------------------------------------------------- the head


class LinearHead:
    """Softmax regression: ``probabilities = softmax(features @ weights + bias)``; ``weights`` (F, K), ``bias`` (K,)."""

    def __init__(self, weights, bias, l2=0.0):
        self.weights = np.asarray(weights, dtype="float32")
        self.bias = np.asarray(bias, dtype="float32")
        self.l2 = l2

    @property
    def n_parameters(self):
        return int(self.weights.size + self.bias.size)

    def predict_proba(self, features):
        logits = np.asarray(features, dtype="float64") @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return (exp / exp.sum(axis=1, keepdims=True)).astype("float32")

    def accuracy(self, features, labels):
        return float((self.predict_proba(features).argmax(axis=1) == np.asarray(labels)).mean())

    def as_dense(self, name="head"):
        """This head as a built ``keras.layers.Dense(K, activation="softmax")`` holding its weights, with the same L2
        penalty on its kernel (so that fine-tuning keeps the objective the head was fitted with)."""
        import keras

        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        layer = keras.layers.Dense(self.bias.shape[0], activation="softmax", kernel_regularizer=regularizer, name=name)
        layer.build((None, self.weights.shape[0]))
        layer.set_weights([self.weights, self.bias])
        return layer

    def __repr__(self):
        return f"LinearHead({self.weights.shape[0]} features -> {self.bias.shape[0]} classes, l2={self.l2:g})"


def fit_linear_head(features, labels, l2=1e-3, n_classes=None):
    """The optimum of ``Dense(K, softmax)`` + sparse cross-entropy (mean) + ``l2 * sum(weights ** 2)`` (Keras'
    ``L2(l2)`` on the kernel; the bias is not penalized), found with L-BFGS. Returns a ``LinearHead``."""
    from scipy.optimize import minimize

    x = np.asarray(features, dtype="float64")
    y = np.asarray(labels).astype(np.int64)
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"features must be (N, F) with one label each; got {x.shape} and {y.shape} labels.")
    k = int(n_classes or y.max() + 1)
    n, f = x.shape
    onehot = np.eye(k)[y]

    def loss_and_gradient(theta):
        w, b = theta[:f * k].reshape(f, k), theta[f * k:]
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        p = np.exp(log_p)
        loss = -(onehot * log_p).sum() / n + l2 * (w ** 2).sum()
        grad_logits = (p - onehot) / n
        grad_w = x.T @ grad_logits + 2 * l2 * w
        return loss, np.concatenate([grad_w.ravel(), grad_logits.sum(axis=0)])

    result = minimize(loss_and_gradient, np.zeros(f * k + k), jac=True, method="L-BFGS-B",
                      options={"maxiter": 2000})
    theta = result.x
    return LinearHead(theta[:f * k].reshape(f, k), theta[f * k:], l2)


def fold_indices(labels, folds=5, seed=0):
    """Stratified folds: a list of ``folds`` index arrays that split ``range(len(labels))``, each class spread evenly."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(folds)]
    offset = 0
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        for i, index in enumerate(members):
            parts[(i + offset) % folds].append(index)
        offset += len(members)
    return [np.sort(np.array(p, dtype=np.int64)) for p in parts]


def out_of_fold_probabilities(features, labels, l2=1e-3, folds=5, seed=0):
    """Each training example's class probabilities from a head that did not see it (``folds``-fold cross-validation):
    ``(N, K)``. The honest way to score choices, or to find suspicious training labels, without the validation set."""
    features, labels = np.asarray(features), np.asarray(labels)
    k = int(labels.max() + 1)
    probabilities = np.zeros((len(labels), k), dtype="float32")
    for held_out in fold_indices(labels, folds, seed):
        keep = np.setdiff1d(np.arange(len(labels)), held_out)
        head = fit_linear_head(features[keep], labels[keep], l2, n_classes=k)
        probabilities[held_out] = head.predict_proba(features[held_out])
    return probabilities


def choose_l2(features, labels, candidates=(1e-4, 1e-3, 1e-2, 1e-1), folds=5, seed=0):
    """The L2 strength with the best cross-validated accuracy on the training features (ties: the stronger one,
    the simpler model), and ``{l2: accuracy}``."""
    labels = np.asarray(labels)
    scores = {}
    for l2 in candidates:
        probabilities = out_of_fold_probabilities(features, labels, l2, folds, seed)
        scores[l2] = float((probabilities.argmax(axis=1) == labels).mean())
    best = max(scores, key=lambda l2: (round(scores[l2], 6), l2))
    return best, scores


def per_class_sample(labels, n_per_class, seed=0):
    """Indices of ``n_per_class`` random examples of every class (all of a class when it has fewer), sorted."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picked = [rng.permutation(np.flatnonzero(labels == c))[:n_per_class] for c in np.unique(labels)]
    return np.sort(np.concatenate(picked))


# ----------------------------------------------------------------------------------------- fine-tuning


def all_layers(model):
    """Every layer inside ``model``, nested models included (depth first)."""
    import keras

    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from all_layers(layer)


def freeze_batchnorm(model):
    """Set ``trainable = False`` on every BatchNormalization layer inside ``model`` (nested models too): they then
    normalize with their stored moving statistics and never update them, whatever ``training`` says. Returns how
    many layers were frozen. Recompile the model afterwards."""
    import keras

    frozen = 0
    for layer in all_layers(model):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
            frozen += 1
    return frozen


def unfreeze_from(base, first_layer, freeze_bn=True):
    """Make ``base``'s layers from ``first_layer`` (a name) to the end trainable and the ones before it frozen;
    with ``freeze_bn`` every BatchNormalization layer stays frozen. Returns the names of the trainable layers that
    have weights. Recompile the model afterwards."""
    import keras

    names = [layer.name for layer in base.layers]
    if first_layer not in names:
        blocks = sorted({n.split("_expand")[0] for n in names if n.endswith("_expand")})
        raise ValueError(f"The base has no layer {first_layer!r}. Pick one of its layer names, e.g. "
                         f"{', '.join(b + '_expand' for b in blocks[-3:])} (see base.summary()).")
    start = names.index(first_layer)
    base.trainable = True
    for index, layer in enumerate(base.layers):
        layer.trainable = index >= start
        if freeze_bn and isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return [layer.name for layer in base.layers if layer.trainable and layer.weights]


def split_at(base, first_top_layer):
    """``(bottom, top)``: two models that share ``base``'s layers and weights. ``bottom`` runs from the input to the
    tensor that feeds the layer named ``first_top_layer``; ``top`` from there to ``base``'s output, so that
    ``top(bottom(x))`` equals ``base(x)``. With the bottom frozen, its output for a photo is the same in every
    epoch: compute it once and fine-tune only the top on it."""
    import keras

    names = [layer.name for layer in base.layers]
    if first_top_layer not in names:
        raise ValueError(f"The base has no layer {first_top_layer!r}; see base.summary() for the names.")
    cut = base.get_layer(first_top_layer).input
    return keras.Model(base.input, cut, name=f"{base.name}_bottom"), keras.Model(cut, base.output, name=f"{base.name}_top")


def photo_views(images, zoom=0.8):
    """Four views of each photo for training on cached features: the photo, its mirror image, and both zoomed in
    (the centre ``zoom`` of each side, resized back). ``{name: (N, H, W, 3) uint8}``."""
    import tensorflow as tf

    images = np.asarray(images)
    height, width = images.shape[1:3]
    top, left = int(round(height * (1 - zoom) / 2)), int(round(width * (1 - zoom) / 2))
    zoomed = np.empty_like(images)
    for i in range(0, len(images), 32):  # in batches: float copies of all photos at once would cost 250 MB
        crop = images[i:i + 32, top:height - top, left:width - left]
        resized = np.asarray(tf.image.resize(crop, (height, width), method="bilinear"))
        zoomed[i:i + 32] = np.clip(np.round(resized), 0, 255).astype(images.dtype)
    return {"photo": images, "mirror": images[:, :, ::-1], "zoom": zoomed, "mirror + zoom": zoomed[:, :, ::-1]}


def trainable_count(model):
    """The number of trainable parameters (what the optimizer updates)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def batchnorm_statistics(model):
    """``{layer name: (moving_mean, moving_variance)}`` copies for every BatchNormalization layer in ``model``."""
    import keras

    copy = keras.ops.convert_to_numpy
    return {layer.name: (copy(layer.moving_mean).copy(), copy(layer.moving_variance).copy())
            for layer in all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)}


def statistics_change(before, after):
    """The largest absolute change of any moving mean or variance between two ``batchnorm_statistics`` snapshots,
    and the number of layers whose statistics changed at all."""
    largest, changed = 0.0, 0
    for name, (mean, variance) in before.items():
        new_mean, new_variance = after[name]
        delta = max(float(np.abs(new_mean - mean).max()), float(np.abs(new_variance - variance).max()))
        largest = max(largest, delta)
        changed += delta > 0
    return largest, changed


def predict_with_flips(model, images, batch_size=8):
    """Class probabilities averaged over each image and its mirror image (test-time augmentation): ``(N, K)``."""
    images = np.asarray(images)
    return (predict(model, images, batch_size) + predict(model, images[:, :, ::-1], batch_size)) / 2


# ----------------------------------------------------------------------------------------- from scratch


def small_photo_cnn(image_size=224, working_size=128, n_classes=2, seed=0):
    """The from-scratch baseline for photos: random flips, rotations and zooms (training only), then four
    Conv(3x3) - BatchNorm - ReLU - MaxPool blocks (16, 32, 64, 128 filters) on ``working_size`` px, global
    average pooling, dropout and ``Dense(n_classes, softmax)``: about 98,000 parameters, all learned from your photos.
    Takes photos of ``image_size`` px with pixels 0-255."""
    import keras

    layers = keras.layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((image_size, image_size, 3), name="photo")
    x = layers.Resizing(working_size, working_size, name="resize")(inputs)
    x = layers.RandomFlip("horizontal", name="flip")(x)
    x = layers.RandomRotation(0.1, name="rotate")(x)
    x = layers.RandomZoom(0.2, name="zoom")(x)
    x = layers.Rescaling(1 / 255, name="scale")(x)
    for block, filters in enumerate((16, 32, 64, 128), start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = layers.BatchNormalization(name=f"bn{block}")(x)
        x = layers.ReLU(name=f"relu{block}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{block}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="small_photo_cnn")


def train_from_scratch(images, labels, epochs=30, batch_size=8, learning_rate=1e-3, min_steps=0, callbacks=None,
                       seed=0, working_size=128):
    """Build ``small_photo_cnn`` and train it with Adam on ``images`` (N, S, S, 3) 0-255 and integer ``labels``
    for ``epochs`` epochs, or more when that is fewer than ``min_steps`` gradient steps (tiny training sets).
    Returns ``(model, history)``."""
    import keras

    images = np.asarray(images)
    model = small_photo_cnn(images.shape[1], working_size, int(np.max(labels)) + 1, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    steps_per_epoch = int(np.ceil(len(images) / batch_size))
    epochs = max(int(epochs), int(np.ceil(min_steps / steps_per_epoch)))
    history = model.fit(images, np.asarray(labels), epochs=epochs, batch_size=batch_size,
                        callbacks=list(callbacks or []), verbose=0)
    return model, history
