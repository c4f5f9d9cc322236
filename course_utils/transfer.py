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


def extract_features(base, images, preprocess=mobilenet_preprocess, batch_size=32, flip=False, verbose=True):
    """Features ``(N, C)`` of ``images`` ``(N, H, W, channels)`` (photos: 0-255) from the frozen ``base``, averaged over positions.

    ``preprocess`` turns a batch of pixels into the base's input range. ``flip=True`` averages the features of each
    photo and its mirror image (test-time augmentation: twice the time). Runs in batches in inference mode.
    """
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images must be a batch (N, H, W, channels); got shape {images.shape}.")
    start = time.perf_counter()
    batches = range(0, len(images), batch_size)
    if verbose and not paths.headless():
        from tqdm.auto import tqdm

        batches = tqdm(batches, desc="features", unit="batch")
    out = []
    for i in batches:
        x = preprocess(images[i:i + batch_size])
        views = [x, x[:, :, ::-1]] if flip else [x]
        maps = [np.asarray(base(v, training=False)) for v in views]
        pooled = [m.mean(axis=(1, 2)) if m.ndim == 4 else m for m in maps]
        out.append(np.mean(pooled, axis=0))
    features = np.concatenate(out).astype("float32")
    if verbose:
        print(f"features of {len(images)} photos{' and their mirror images' if flip else ''}: {features.shape} "
              f"in {time.perf_counter() - start:.1f} s")
    return features


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
        """This head as a built ``keras.layers.Dense(K, activation="softmax")`` holding its weights."""
        import keras

        layer = keras.layers.Dense(self.bias.shape[0], activation="softmax", name=name)
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


def _all_layers(model):
    """Every layer inside ``model``, nested models included (depth first)."""
    import keras

    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)


def freeze_batchnorm(model):
    """Set ``trainable = False`` on every BatchNormalization layer inside ``model`` (nested models too): they then
    normalize with their stored moving statistics and never update them, whatever ``training`` says. Returns how
    many layers were frozen. Recompile the model afterwards."""
    import keras

    frozen = 0
    for layer in _all_layers(model):
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


def trainable_count(model):
    """The number of trainable parameters (what the optimizer updates)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def batchnorm_statistics(model):
    """``{layer name: (moving_mean, moving_variance)}`` copies for every BatchNormalization layer in ``model``."""
    import keras

    copy = keras.ops.convert_to_numpy
    return {layer.name: (copy(layer.moving_mean).copy(), copy(layer.moving_variance).copy())
            for layer in _all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)}


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


def predict_with_flips(model, images, batch_size=32):
    """Class probabilities averaged over each image and its mirror image (test-time augmentation): ``(N, K)``."""
    images = np.asarray(images)
    direct = model.predict(images, batch_size=batch_size, verbose=0)
    mirrored = model.predict(images[:, :, ::-1], batch_size=batch_size, verbose=0)
    return (np.asarray(direct) + np.asarray(mirrored)) / 2
