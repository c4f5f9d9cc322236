"""Look inside a trained CNN (notebook 04): the toolbox in one namespace, and the figures that compare explanations.

The tools live in modules with one job each, and are all reachable from here:

- ``feature_maps``: ``conv_layer_names``, ``feature_extractor``, ``score_model``, ``class_scores``;
- ``attribution``: ``saliency_map``, ``layer_maps_and_gradients``, ``grad_cam``, ``hires_cam``, ``signed_cams``,
  ``occlusion_positions``, ``occlusion_map``;
- ``filter_ascent``: ``maximize_filter``.

This module adds the figures: ``plot_explanations`` (several explanations of each prediction, side by side) and
``plot_cam_comparison`` (why Grad-CAM can be blank after a Flatten head, and what HiResCAM shows instead).
TensorFlow, Keras and matplotlib are imported inside the functions (``import course_utils`` stays light).
"""

import numpy as np

from course_utils.visualizing.attribution import (
    grad_cam,
    hires_cam,
    layer_maps_and_gradients,
    occlusion_map,
    occlusion_positions,
    saliency_map,
    signed_cams,
)
from course_utils.visualizing.feature_maps import (
    as_batch,
    as_probabilities,
    check_model,
    class_scores,
    conv_layer_names,
    feature_extractor,
    input_shape,
    model_outputs,
    score_model,
)
from course_utils.visualizing.filter_ascent import maximize_filter

__all__ = [
    "conv_layer_names",
    "feature_extractor",
    "saliency_map",
    "grad_cam",
    "hires_cam",
    "signed_cams",
    "layer_maps_and_gradients",
    "occlusion_positions",
    "occlusion_map",
    "maximize_filter",
    "score_model",
    "class_scores",
    "plot_explanations",
    "plot_cam_comparison",
]


def _blank_note(ax, cam):
    if float(cam.max()) == 0.0:
        ax.text(0.5, 0.5, "all zero", transform=ax.transAxes, ha="center", va="center", fontsize=9,
                color="white", bbox={"facecolor": "black", "alpha": 0.6, "edgecolor": "none"})


def plot_explanations(model, images, labels=None, class_names=None, patch=4, stride=2, measure="log_odds"):
    """One row per image: the image, its saliency map, Grad-CAM and HiResCAM (last conv layer, over the image)
    and the occlusion map (``measure``: see ``occlusion_map``), each explaining the *predicted* class. Row titles
    give the true and predicted class and the probability; a wrong prediction is marked with a vermillion title
    and a "✗". A CAM that is zero everywhere is labelled "all zero".

    images: (N, H, W, C) or (N, H, W); labels: class ids (N,) or None. Colour-blind-safe maps: ``viridis``
    (saliency), ``magma`` (the CAMs), ``PuOr_r`` (occlusion; orange = the class loses probability).
    """
    from course_utils.plot import RIGHT_COLOR, WRONG_COLOR, WRONG_MARK, hide_ticks, subplots

    check_model(model)
    if images is None:
        raise ValueError("images is None. Pass a few images, e.g. x_test[:4].")
    images = np.asarray(images, dtype="float32")
    if images.ndim == len(input_shape(model)) or (images.ndim == 2):
        raise ValueError(f"images must be a batch (N, H, W, C); got one image of shape {images.shape}. "
                         f"Wrap it as images[None].")
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(images):
            raise ValueError(f"There are {len(images)} images but {len(labels)} labels; pass one per image.")

    def name(k):
        return str(class_names[k]) if class_names is not None else str(k)

    batches = [as_batch(model, image, what=f"images[{i}]") for i, image in enumerate(images)]
    n = len(batches)
    fig, axes = subplots(n, 5, figsize=(12, 2.5 * n + 0.4))
    unit = "p" if measure == "probability" else "log-odds"
    columns = ("", "saliency |∂logit/∂x|", "Grad-CAM (last conv)", "HiResCAM (last conv)",
               f"occlusion: drop in {unit}")
    for row, batch in enumerate(batches):
        probs = as_probabilities(model_outputs(model, batch))[0]
        pred = int(probs.argmax())
        pixels = batch[0, :, :, 0] if batch.shape[-1] == 1 else np.clip(batch[0], 0, 1)
        occ = occlusion_map(model, batch, pred, patch=patch, stride=stride, measure=measure)
        ax = axes[row]
        ax[0].imshow(pixels, cmap="gray")
        ax[1].imshow(saliency_map(model, batch, pred), cmap="viridis")
        for col, cam in ((2, grad_cam(model, batch, pred)), (3, hires_cam(model, batch, pred))):
            ax[col].imshow(pixels, cmap="gray")
            ax[col].imshow(cam, cmap="magma", alpha=0.6, vmin=0, vmax=1)
            _blank_note(ax[col], cam)
        limit = float(np.abs(occ).max()) or 1.0
        image = ax[4].imshow(occ, cmap="PuOr_r", vmin=-limit, vmax=limit)
        fig.colorbar(image, ax=ax[4], fraction=0.046, pad=0.04)
        if labels is None:
            title, color = f"predicted {name(pred)} (p={probs[pred]:.2f})", "black"
        else:
            wrong = int(labels[row]) != pred
            title = f"true {name(int(labels[row]))}, predicted {name(pred)} (p={probs[pred]:.2f})"
            title, color = (f"{WRONG_MARK} {title}", WRONG_COLOR) if wrong else (title, RIGHT_COLOR)
        ax[0].set_title(title, fontsize=8, color=color)
        for col in range(1, 5):
            ax[col].set_title(columns[col], fontsize=8)
        for col in range(5):
            hide_ticks(ax[col])
    fig.suptitle("Why this prediction? Saliency, Grad-CAM, HiResCAM and occlusion of the predicted class")
    fig.tight_layout()
    return fig


def plot_cam_comparison(model, image, class_index=None, layer_name=None):
    """Grad-CAM and HiResCAM of one image, step by step, in one row of five panels:

    the channel weights of Grad-CAM (the mean gradient of each channel; channels that are active somewhere in
    this image in colour, silent ones grey), Grad-CAM before its ReLU (signed, on the layer's grid), Grad-CAM
    as shown (over the image), HiResCAM before the ReLU and HiResCAM as shown. Signed maps use ``RdBu_r`` with
    symmetric limits (red supports the class, blue speaks against it). Explains ``class_index`` (default: the
    predicted class) at ``layer_name`` (default: the last convolution layer).
    """
    from course_utils.plot import PALETTE, hide_ticks, subplots

    batch = as_batch(model, image)
    maps, grads = layer_maps_and_gradients(model, batch, class_index, layer_name)
    weights = grads.mean(axis=(0, 1))
    active = maps.max(axis=(0, 1)) > 0
    signed = {"Grad-CAM": (maps * weights).sum(axis=-1), "HiResCAM": (maps * grads).sum(axis=-1)}
    shown = {"Grad-CAM": grad_cam(model, batch, class_index, layer_name),
             "HiResCAM": hires_cam(model, batch, class_index, layer_name)}
    pixels = batch[0, :, :, 0] if batch.shape[-1] == 1 else np.clip(batch[0], 0, 1)

    fig, axes = subplots(1, 5, figsize=(14, 3.2), gridspec_kw={"width_ratios": [1.6, 1, 1, 1, 1]})
    axes = axes[0]
    ax = axes[0]
    order = np.argsort(weights)
    colors = [PALETTE[0] if active[k] else "#BBBBBB" for k in order]
    ax.bar(np.arange(len(order)), weights[order], color=colors, width=1.0)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks([])
    ax.set_xlabel(f"{int(active.sum())} active channels (blue), {int((~active).sum())} silent (grey)", fontsize=8)
    ax.set_title(f"Grad-CAM weights: mean gradient\n{int((weights[active] > 0).sum())} of the active ones > 0",
                 fontsize=9)
    for col, name in ((1, "Grad-CAM"), (3, "HiResCAM")):
        values = signed[name]
        limit = float(np.abs(values).max()) or 1.0
        shown_map = axes[col].imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit)
        fig.colorbar(shown_map, ax=axes[col], fraction=0.046, pad=0.04)
        axes[col].set_title(f"{name} before ReLU\n(largest value {values.max():+.2g})", fontsize=9)
        axes[col + 1].imshow(pixels, cmap="gray")
        axes[col + 1].imshow(shown[name], cmap="magma", alpha=0.6, vmin=0, vmax=1)
        axes[col + 1].set_title(f"{name} as shown\n(ReLU, resized)", fontsize=9)
        _blank_note(axes[col + 1], shown[name])
    for ax in axes[1:]:
        hide_ticks(ax)
    fig.suptitle("Grad-CAM averages each channel's gradient; HiResCAM keeps each position's own")
    fig.tight_layout()
    return fig
