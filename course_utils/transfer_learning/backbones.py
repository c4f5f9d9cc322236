"""What a pretrained backbone costs before you use it: parameters, weight memory and CPU time per image.

Every number is computed or measured by the course, with ``weights=None`` (random weights cost exactly what
ImageNet weights cost, and need no download):

- ``vgg16_parameters(include_top)``: VGG16's parameters by formula (its 13 conv layers and 3 dense layers), so
  the classic tutorial's 138-million-parameter model never has to be built to be counted (528 MB of float32);
- ``measure(name, image_size)``: build one backbone, count its parameters and time it on a batch;
- the measurements of the classic backbones are a recorded benchmark (``benchmarks/bench_backbones.py --record``,
  shown with ``course_utils.recorded.show("backbones")``): VGG16 and ResNet-50 need more memory than a notebook on
  Binder should spend on a comparison.

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


def build(name, image_size=224, include_top=False):
    """``keras.applications.<name>(include_top=..., weights=None)`` for square RGB images of ``image_size``
    (with the top: 224 only, the size of its classifier)."""
    import keras

    if name not in BACKBONES:
        raise ValueError(f"Unknown backbone {name!r}; the course compares {', '.join(BACKBONES)}.")
    return getattr(keras.applications, BACKBONES[name])(
        include_top=include_top, weights=None, input_shape=(image_size, image_size, 3))


def time_per_image(model, batch_size=2, repeats=3, seed=0):
    """``(wall ms, CPU ms)`` per image for ``model`` in inference mode on random inputs: the median of ``repeats``
    timed batches of ``batch_size`` after one warm-up batch. CPU time counts every core this process used: on an
    idle machine with ``c`` cores busy, wall time is about CPU time / ``c``."""
    import resource

    from course_utils.transfer_learning.transfer import compiled_inference

    shape = tuple(model.input_shape[1:])
    images = np.random.default_rng(seed).uniform(-1, 1, (batch_size, *shape)).astype("float32")
    infer = compiled_inference(model)  # a graph, as model.predict runs it (eager calls are slower and use more memory)
    np.asarray(infer(images))
    walls, cpus = [], []
    for _ in range(repeats):
        usage = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        np.asarray(infer(images))
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpus.append(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime)
    return 1000 * float(np.median(walls)) / batch_size, 1000 * float(np.median(cpus)) / batch_size


def measure(name, image_size=224, include_top=False, batch_size=2, repeats=3):
    """Build ``name`` with random weights and time it: ``{name, image_size, include_top, parameters, weights_mb,
    ms_per_image, cpu_ms_per_image, output}`` (``output``: the shape for one image)."""
    import gc

    model = build(name, image_size, include_top)
    wall, cpu = time_per_image(model, batch_size, repeats)
    row = {"name": name, "image_size": image_size, "include_top": include_top,
           "parameters": int(model.count_params()), "weights_mb": megabytes(model.count_params()),
           "ms_per_image": wall, "cpu_ms_per_image": cpu, "output": tuple(int(s) for s in model.output_shape[1:])}
    del model
    gc.collect()
    return row
