"""Famous CNN architectures in numbers: parameters, multiply-adds and depth counted by the course.

Two ways of counting, both by formula:

- ``count_layers(spec, input_shape)``: from a list of layer descriptions (LeNet-5, AlexNet, VGG16 are written
  out below), with no weights allocated (VGG16 alone would need 553 MB of float32 weights).
- ``count_model(model)``: from a built Keras model, e.g. ``keras.applications.ResNet50(weights=None)``.

Conventions: parameters are every weight (trainable or not, as ``model.count_params()``); multiply-adds
(MACs, one multiplication plus one addition, what most papers call "FLOPs") are counted for convolution and
dense layers at the model's standard input size; depth is the number of weight layers (convolution and
dense) on the longest path from input to output, the number in "ResNet-50" and "VGG16".
The ImageNet top-1 accuracies are published numbers, with their source; the course does not train on ImageNet.
"""

from typing import NamedTuple

from course_utils.conv import output_size


class Architecture(NamedTuple):
    name: str
    year: int
    added: str  # what it brought, in one line
    top1: float | None  # published ImageNet top-1 accuracy (%), None when it was not an ImageNet model
    top1_source: str
    build: str  # "spec": written out in this module; otherwise a keras.applications name
    published_params: int  # the count its authors or Keras publish, to compare with the course's count


ARCHITECTURES = [
    Architecture("LeNet-5", 1998, "conv - pool - conv - pool - dense, trained end to end by backprop (digits)",
                 None, "not an ImageNet model (99.05% on MNIST)", "spec", 60_000),
    Architecture("AlexNet", 2012, "ReLU, dropout, data augmentation, GPUs: deep CNNs win ImageNet",
                 59.3, "Krizhevsky et al. 2012, table 2, one CNN", "spec", 60_000_000),
    Architecture("VGG16", 2014, "only 3x3 convolutions, stacked deep (16 weight layers)",
                 71.3, "keras.io/api/applications", "spec", 138_357_544),
    Architecture("Inception v3", 2015, "parallel 1x1/3x3/5x5 branches, factorized convolutions, BatchNorm",
                 77.9, "keras.io/api/applications", "InceptionV3", 23_851_784),
    Architecture("ResNet-50", 2015, "residual shortcuts (y = x + F(x)) and 1x1 bottlenecks: 50+ layers train",
                 74.9, "keras.io/api/applications", "ResNet50", 25_636_712),
    Architecture("DenseNet-121", 2017, "each layer sees the concatenated maps of all earlier ones",
                 75.0, "keras.io/api/applications", "DenseNet121", 8_062_504),
    Architecture("MobileNetV2", 2018, "depthwise-separable convolutions, inverted residuals: phones",
                 71.3, "keras.io/api/applications", "MobileNetV2", 3_538_984),
    Architecture("EfficientNet-B0", 2019, "depth, width and resolution scaled together; found by search",
                 77.1, "keras.io/api/applications", "EfficientNetB0", 5_330_571),
]


# --- architectures written out as layer lists --------------------------------------------------------
# ("conv", filters, kernel, stride, padding[, groups]), ("pool", size, stride), ("flatten",), ("dense", units)

def lenet5_layers():
    """LeNet-5 as usually rebuilt today (32x32x1 input, every C3 map sees all S2 maps, pooling without weights).
    The 1998 original connected C3 sparsely and gave its subsampling layers weights: about 60,000 parameters."""
    return [("conv", 6, 5, 1, "valid"), ("pool", 2, 2), ("conv", 16, 5, 1, "valid"), ("pool", 2, 2),
            ("flatten",), ("dense", 120), ("dense", 84), ("dense", 10)]


def alexnet_layers():
    """AlexNet as published (227x227x3 input; conv2, conv4, conv5 split in two groups, one per GPU)."""
    return [("conv", 96, 11, 4, "valid"), ("pool", 3, 2),
            ("conv", 256, 5, 1, "same", 2), ("pool", 3, 2),
            ("conv", 384, 3, 1, "same"), ("conv", 384, 3, 1, "same", 2), ("conv", 256, 3, 1, "same", 2),
            ("pool", 3, 2), ("flatten",), ("dense", 4096), ("dense", 4096), ("dense", 1000)]


def vgg16_layers():
    """VGG16 (configuration D, 224x224x3 input): 13 convolutions of 3x3 in five blocks, three dense layers."""
    spec = []
    for filters, repeats in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        spec += [("conv", filters, 3, 1, "same")] * repeats + [("pool", 2, 2)]
    return spec + [("flatten",), ("dense", 4096), ("dense", 4096), ("dense", 1000)]


SPECS = {"LeNet-5": (lenet5_layers, (32, 32, 1)), "AlexNet": (alexnet_layers, (227, 227, 3)),
         "VGG16": (vgg16_layers, (224, 224, 3))}


def count_layers(spec, input_shape):
    """Parameters, multiply-adds and depth of a layer list, by formula (no weights are made).

    Conv (F filters, k x k, C inputs, g groups): (k*k*C/g + 1)*F parameters and H_out*W_out*k*k*C/g*F MACs;
    dense (U units, N inputs): (N + 1)*U and N*U. Returns ``{"params", "macs", "depth", "output_shape"}``.
    """
    h, w, c = input_shape
    params = macs = depth = 0
    flat = None
    for layer in spec:
        kind = layer[0]
        if kind == "conv":
            filters, k, stride, padding = layer[1:5]
            groups = layer[5] if len(layer) > 5 else 1
            if c % groups or filters % groups:
                raise ValueError(f"{layer}: {c} input channels and {filters} filters must both split into {groups} groups.")
            h, w = output_size(h, k, stride, padding), output_size(w, k, stride, padding)
            params += (k * k * c // groups + 1) * filters
            macs += h * w * k * k * c // groups * filters
            c = filters
            depth += 1
        elif kind == "pool":
            size, stride = layer[1:3]
            h, w = output_size(h, size, stride, "valid"), output_size(w, size, stride, "valid")
        elif kind == "flatten":
            flat = h * w * c
        elif kind == "dense":
            n_in = flat if flat is not None else c
            params += (n_in + 1) * layer[1]
            macs += n_in * layer[1]
            flat = layer[1]
            depth += 1
        else:
            raise ValueError(f"Unknown layer kind {kind!r} in {layer}; use conv, pool, flatten or dense.")
    shape = (flat,) if flat is not None else (h, w, c)
    return {"params": params, "macs": macs, "depth": depth, "output_shape": shape}


# --- built Keras models ---------------------------------------------------------------------------------

def _weight_layer_macs(layer, keras):
    """Multiply-adds of one conv/dense layer of a built model; 0 for every other layer."""
    L = keras.layers
    out = layer.output.shape
    if isinstance(layer, L.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        return out[1] * out[2] * kh * kw * out[3]
    if isinstance(layer, L.SeparableConv2D):
        kh, kw = layer.kernel_size
        c_in = layer.input.shape[-1]
        return out[1] * out[2] * (kh * kw * c_in + c_in * out[3])
    if isinstance(layer, L.Conv2D):
        kh, kw = layer.kernel_size
        c_in = layer.input.shape[-1]
        return out[1] * out[2] * kh * kw * c_in // layer.groups * out[3]
    if isinstance(layer, L.Dense):
        return int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    return 0


def _inbound_names(node_config):
    """Names of the layers whose outputs feed a layer, from its serialized inbound nodes."""
    names = []
    if isinstance(node_config, dict):
        history = node_config.get("config", {}).get("keras_history") if node_config.get(
            "class_name") == "__keras_tensor__" else None
        if history:
            return [history[0]]
        for value in node_config.values():
            names += _inbound_names(value)
    elif isinstance(node_config, (list, tuple)):
        for value in node_config:
            names += _inbound_names(value)
    return names


def count_model(model):
    """Parameters, multiply-adds (conv and dense layers) and depth (weight layers on the longest path) of a
    built functional Keras model. Returns ``{"params", "macs", "depth"}``."""
    import keras

    weighted = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.SeparableConv2D,
                keras.layers.Dense)
    layers = {layer.name: layer for layer in model.layers}
    depth = {}
    for entry in model.get_config()["layers"]:  # topological order
        name = entry["name"]
        parents = _inbound_names(entry.get("inbound_nodes", []))
        own = 1 if isinstance(layers[name], weighted) else 0
        depth[name] = own + max((depth.get(p, 0) for p in parents), default=0)
    macs = sum(_weight_layer_macs(layer, keras) for layer in model.layers)
    return {"params": int(model.count_params()), "macs": int(macs), "depth": max(depth.values(), default=0)}


def build_application(name):
    """``keras.applications.<name>(weights=None)``: the architecture with random weights (nothing downloaded)."""
    import keras

    return getattr(keras.applications, name)(weights=None)


def architecture_rows(build=None, progress=None):
    """One dict per famous architecture: name, year (text), depth, params, MACs (multiply-adds per image at the
    model's input size), published params and top-1, what it added.

    ``build``: the ``keras.applications`` names to build now (``None``: all of them). Each is built with
    random weights, counted, and freed (``experiments.release_memory``); ResNet-50 takes about 100 MB.
    Architectures not built get ``None`` in the counted columns. ``progress``: a callable given each name.
    """
    rows = []
    for arch in ARCHITECTURES:
        counted = None
        if arch.build == "spec":
            layers_of, shape = SPECS[arch.name]
            counted = count_layers(layers_of(), shape)
        elif build is None or arch.build in build:
            if progress is not None:
                progress(arch.name)
            from course_utils.building.experiments import release_memory

            model = build_application(arch.build)
            counted = count_model(model)
            del model
            release_memory()
        rows.append({
            "name": arch.name, "year": str(arch.year),
            "depth": counted and counted["depth"], "params": counted and counted["params"],
            "MACs": counted and counted["macs"], "published params": arch.published_params,
            "top-1 %": arch.top1, "added": arch.added,
        })
    return rows
