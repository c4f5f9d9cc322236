"""What a pretrained backbone costs before you use it: parameters, weight memory and CPU time per image.

Every number is computed or measured by the course, with ``weights=None`` (random weights cost exactly what
ImageNet weights cost, and need no download):

- ``vgg16_parameters(include_top)``: VGG16's parameters by formula (its 13 conv layers and 3 dense layers), so
  the classic tutorial's 138-million-parameter model never has to be built to be counted (528 MB of float32);
- ``measure(name, image_size)``: build one backbone without its top, count its parameters and time it on a batch.

``BACKBONES`` lists the ``keras.applications`` builders the course compares. Keras is imported inside the functions.
"""

import time

import numpy as np

BACKBONES = {
    "VGG16": "VGG16",
    "ResNet50": "ResNet50",
    "MobileNetV2": "MobileNetV2",
}
# VGG16's convolution widths, block by block ("M" = 2x2 max pooling), and its three dense layers (Simonyan &
# Zisserman 2015, configuration D).
VGG16_CONVS = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
VGG16_DENSE = (4096, 4096, 1000)


def vgg16_parameters(include_top=True, image_size=224, channels=3):
    """VGG16's parameters by formula: ``[(layer, formula, count)]`` and the total as a last row.

    Conv 3x3: ``(3 * 3 * c_in + 1) * c_out``; Dense: ``(n_in + 1) * n_out``, where the first dense layer sees the
    last 7x7x512 maps flattened (for 224 px input): 25,088 numbers. With the top: 138,357,544 parameters.
    """
    rows, c_in, block, conv = [], channels, 1, 0
    for item in VGG16_CONVS:
        if item == "M":
            block, conv = block + 1, 0
            continue
        conv += 1
        rows.append((f"block{block}_conv{conv}", f"(3*3*{c_in} + 1) * {item}", (9 * c_in + 1) * item))
        c_in = item
    if include_top:
        side = image_size // 32
        n_in = side * side * c_in
        for i, units in enumerate(VGG16_DENSE):
            name = ("fc1", "fc2", "predictions")[i]
            rows.append((name, f"({n_in} + 1) * {units}", (n_in + 1) * units))
            n_in = units
    rows.append(("total", "sum", sum(count for _, _, count in rows)))
    return rows


def megabytes(n_parameters, bytes_per_parameter=4):
    """Memory of ``n_parameters`` float32 weights in MB (2**20 bytes)."""
    return n_parameters * bytes_per_parameter / 2 ** 20


def build(name, image_size=224):
    """``keras.applications.<name>(include_top=False, weights=None)`` for square RGB images of ``image_size``."""
    import keras

    if name not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}; the course compares {', '.join(BACKBONES)}.")
    return getattr(keras.applications, BACKBONES[name])(
        include_top=False, weights=None, input_shape=(image_size, image_size, 3))


def measure(name, image_size=224, batch_size=8, repeats=3, seed=0):
    """Build ``name`` without its top (random weights) and time it: a dict with ``name``, ``image_size``,
    ``parameters``, ``weights_mb`` (float32), ``ms_per_image`` (median of ``repeats`` timed batches of
    ``batch_size`` random images after one warm-up batch, inference mode, this machine's CPU) and ``output``
    (the feature maps' shape for one image)."""
    import gc

    import keras

    model = build(name, image_size)
    images = np.random.default_rng(seed).uniform(-1, 1, (batch_size, image_size, image_size, 3)).astype("float32")
    run = keras.ops.convert_to_numpy
    output = run(model(images[:1], training=False)).shape[1:]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(model(images, training=False))
        times.append(time.perf_counter() - start)
    parameters = int(model.count_params())
    del model
    gc.collect()
    return {"name": name, "image_size": image_size, "parameters": parameters,
            "weights_mb": megabytes(parameters), "ms_per_image": 1000 * float(np.median(times)) / batch_size,
            "output": tuple(int(s) for s in output)}
