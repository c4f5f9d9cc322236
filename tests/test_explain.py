"""course_utils.visualizing.explain on tiny conv models built so that the right answer is known."""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
keras = pytest.importorskip("keras")

from course_utils.visualizing import explain  # noqa: E402

SIZE = 10
REGION = (slice(3, 6), slice(3, 6))  # the only conv-output positions the classifier reads
N_CLASSES = 3


def _tiny_cnn(seed=0, softmax=True):
    """10x10x1 -> Conv(4, 3x3, same, relu) -> Conv(3, 3x3, same, relu) -> Flatten -> Dense(3)."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(SIZE, SIZE, 1)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a"),
        keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv_b"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(N_CLASSES, activation="softmax" if softmax else None, name="head"),
    ])
    return model


@pytest.fixture(scope="module")
def model():
    return _tiny_cnn()


TOP_LOGIT = 2.0  # the region image's class-0 logit: p(class 0) about 0.8, far from saturation


@pytest.fixture(scope="module")
def region_model():
    """Positive kernels, zero biases; the head reads only REGION of conv_b's output (weights 0 elsewhere).
    Class 0 has positive weights there, so a bright input in the region makes class 0 win. The head is scaled
    so that the region image's largest logit is TOP_LOGIT: its probability is well inside (0, 1) in float32,
    so hiding part of the region changes it by far more than rounding (an unscaled head gives logits over
    100 and p == 1.0 exactly, whatever is hidden)."""
    m = _tiny_cnn(seed=1)
    rng = np.random.default_rng(1)
    for name in ("conv_a", "conv_b"):
        kernel, bias = m.get_layer(name).get_weights()
        m.get_layer(name).set_weights([np.abs(kernel) + 0.05, np.zeros_like(bias)])
    mask = np.zeros((SIZE, SIZE, 3), dtype="float32")
    mask[REGION] = 1.0
    weights = rng.normal(0, 0.3, (SIZE * SIZE * 3, N_CLASSES)).astype("float32")
    weights[:, 0] = np.abs(weights[:, 0]) + 0.5
    weights *= mask.reshape(-1, 1)
    features = np.asarray(m.get_layer("conv_b")(m.get_layer("conv_a")(_region_image()[None]))).reshape(-1)
    weights *= TOP_LOGIT / np.abs(features @ weights).max()  # the head is linear: logits scale with it
    m.get_layer("head").set_weights([weights, np.zeros(N_CLASSES, "float32")])
    return m


def test_region_model_is_confident_but_not_saturated(region_model):
    logits = explain.class_scores(region_model, _region_image())
    assert logits.argmax() == 0 and logits[0] == pytest.approx(TOP_LOGIT, rel=1e-4)
    p = float(np.asarray(region_model(_region_image()[None]))[0, 0])
    assert 0.6 < p < 0.95


def _region_image():
    """Bright pixels in the receptive field of REGION only (rows/cols 2-6), zero elsewhere."""
    image = np.zeros((SIZE, SIZE, 1), dtype="float32")
    image[3:6, 3:6, 0] = 1.0
    return image


def _random_image(seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (SIZE, SIZE, 1)).astype("float32")


def _logits_model(model):
    """The same network with a linear head (an independent route to the logits)."""
    twin = _tiny_cnn(softmax=False)
    twin.set_weights(model.get_weights())
    return twin


# ------------------------------------------------------------------------------------ feature_extractor


def test_feature_extractor_outputs_equal_layers_applied_step_by_step(model):
    image = _random_image()[None]
    maps = explain.feature_extractor(model)(image)
    x = image
    expected = {}
    for layer in model.layers:
        x = layer(x)
        expected[layer.name] = np.asarray(x)
    assert len(maps) == 2
    np.testing.assert_allclose(np.asarray(maps[0]), expected["conv_a"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(maps[1]), expected["conv_b"], rtol=1e-5, atol=1e-6)


def test_feature_extractor_with_one_name_has_one_output_and_works_on_functional_models():
    inputs = keras.Input(shape=(SIZE, SIZE, 1))
    hidden = keras.layers.Conv2D(2, 3, name="c1")(inputs)
    outputs = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(hidden))
    functional = keras.Model(inputs, outputs)
    extractor = explain.feature_extractor(functional, "c1")
    assert extractor(_random_image()[None]).shape == (1, SIZE - 2, SIZE - 2, 2)
    assert explain.conv_layer_names(functional) == ["c1"]


def test_conv_layer_names_lists_convolutions_in_order(model):
    assert explain.conv_layer_names(model) == ["conv_a", "conv_b"]


def test_layers_called_in_another_graph_first_are_taken_from_this_models_graph():
    conv_layer = keras.layers.Conv2D(3, 3, activation="relu", name="shared_conv")
    head = keras.layers.Dense(2, activation="softmax", name="shared_head")
    other_input = keras.Input(shape=(SIZE, SIZE, 1))
    head(keras.layers.Flatten()(conv_layer(other_input)))  # first nodes: another graph (like a model rebuilt)
    shared = keras.Sequential([keras.Input(shape=(SIZE, SIZE, 1)), conv_layer, keras.layers.Flatten(), head])
    image = _random_image(8)
    cam = explain.grad_cam(shared, image)
    assert cam.shape == (SIZE, SIZE) and cam.max() <= 1
    maps = np.asarray(explain.feature_extractor(shared, "shared_conv")(image[None], training=False))
    np.testing.assert_allclose(maps, np.asarray(conv_layer(image[None])), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------ saliency


def test_saliency_equals_finite_difference_of_the_logit(model):
    image = _random_image(3)
    twin = _logits_model(model)
    saliency = explain.saliency_map(model, image, class_index=2)
    assert saliency.shape == (SIZE, SIZE)
    eps = 1e-2
    for r, c in [(0, 0), (4, 5), (9, 2), (6, 6)]:
        plus, minus = image.copy(), image.copy()
        plus[r, c, 0] += eps
        minus[r, c, 0] -= eps
        diff = (np.asarray(twin(plus[None]))[0, 2] - np.asarray(twin(minus[None]))[0, 2]) / (2 * eps)
        assert saliency[r, c] == pytest.approx(abs(diff), rel=2e-2, abs=1e-3)


def test_class_scores_are_the_logits_for_a_softmax_model(model):
    image = _random_image(4)
    np.testing.assert_allclose(explain.class_scores(model, image), np.asarray(_logits_model(model)(image[None]))[0],
                               rtol=1e-5, atol=1e-5)


def test_score_model_outputs_the_logits_behind_the_softmax(model):
    image = _random_image(6)[None]
    logits = np.asarray(explain.score_model(model)(image), dtype="float64")
    np.testing.assert_allclose(logits, np.asarray(_logits_model(model)(image)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.exp(logits) / np.exp(logits).sum(), np.asarray(model(image)), rtol=1e-4)


def test_explanations_ignore_augmentation_layers_at_inference():
    keras.utils.set_random_seed(3)
    augmented = keras.Sequential([
        keras.Input(shape=(SIZE, SIZE, 1)),
        keras.layers.RandomTranslation(0.3, 0.3, fill_mode="constant"),
        keras.layers.Conv2D(2, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(N_CLASSES, activation="softmax"),
    ])
    image = _random_image(7)
    probabilities = augmented.predict(image[None], verbose=0)[0]
    scores = explain.class_scores(augmented, image)
    np.testing.assert_allclose(np.exp(scores) / np.exp(scores).sum(), probabilities, rtol=1e-4)
    np.testing.assert_array_equal(explain.saliency_map(augmented, image), explain.saliency_map(augmented, image))


def test_saliency_defaults_to_the_predicted_class_and_accepts_2d_images(model):
    image = _random_image(5)
    predicted = int(np.argmax(model(image[None])))
    np.testing.assert_allclose(explain.saliency_map(model, image[:, :, 0]),
                               explain.saliency_map(model, image, class_index=predicted))


def test_saliency_is_zero_where_the_model_does_not_look(region_model):
    saliency = explain.saliency_map(region_model, _region_image(), class_index=0)
    assert saliency[2:7, 2:7].max() > 0
    outside = np.ones((SIZE, SIZE), bool)
    outside[1:8, 1:8] = False  # two 3x3 convs: REGION sees rows/cols 1-7 of the input
    assert saliency[outside].max() == 0


# ------------------------------------------------------------------------------------ Grad-CAM


def test_grad_cam_is_in_unit_range_with_input_shape_and_peaks_in_the_region(region_model):
    cam = explain.grad_cam(region_model, _region_image(), class_index=0)
    assert cam.shape == (SIZE, SIZE) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() == pytest.approx(1.0)
    row, col = np.unravel_index(cam.argmax(), cam.shape)
    assert 2 <= row <= 6 and 2 <= col <= 6
    assert cam[0, 0] < 0.05 and cam[9, 9] < 0.05


def test_layer_maps_and_gradients_are_the_layer_output_and_the_head_weights(model):
    image = _random_image(9)
    maps, grads = explain.layer_maps_and_gradients(model, image, class_index=1, layer_name="conv_b")
    assert maps.shape == grads.shape == (SIZE, SIZE, 3)
    np.testing.assert_allclose(maps, np.asarray(model.get_layer("conv_b")(model.get_layer("conv_a")(image[None])))[0],
                               rtol=1e-5, atol=1e-6)
    head_kernel = model.get_layer("head").get_weights()[0].reshape(SIZE, SIZE, 3, N_CLASSES)
    np.testing.assert_allclose(grads, head_kernel[..., 1], rtol=1e-5, atol=1e-6)  # the logit is linear in the maps


def test_grad_cam_uses_the_named_layer_and_resizes_smaller_maps():
    inputs = keras.Input(shape=(SIZE, SIZE, 1))
    hidden = keras.layers.Conv2D(3, 3, activation="relu", name="small")(inputs)  # 8x8 maps
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Flatten()(hidden))
    cam = explain.grad_cam(keras.Model(inputs, outputs), _random_image(), layer_name="small")
    assert cam.shape == (SIZE, SIZE)
    assert 0 <= cam.min() and cam.max() <= 1


def _flatten_head_model(seed=0, head="flatten"):
    """10x10x1 -> Conv(3, 3x3, same, relu, "conv") -> Flatten or GlobalAveragePooling -> Dense(2), linear."""
    keras.utils.set_random_seed(seed)
    pool = keras.layers.Flatten() if head == "flatten" else keras.layers.GlobalAveragePooling2D()
    return keras.Sequential([
        keras.Input(shape=(SIZE, SIZE, 1)),
        keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv"),
        pool,
        keras.layers.Dense(2, name="head"),
    ])


def test_hires_cam_of_a_flatten_dense_head_is_the_exact_decomposition_of_the_score():
    model = _flatten_head_model()
    image = _random_image(11)
    _, signed = explain.signed_cams(model, image[None], class_indices=[1])
    kernel, bias = model.get_layer("head").get_weights()
    maps = np.asarray(explain.feature_extractor(model, "conv")(image[None]))[0]
    contribution = (maps * kernel[:, 1].reshape(SIZE, SIZE, 3)).sum(axis=-1)  # each position's share of the logit
    np.testing.assert_allclose(signed[0], contribution, rtol=1e-5, atol=1e-6)
    logit = explain.class_scores(model, image)[1]
    assert signed[0].sum() == pytest.approx(logit - bias[1], rel=1e-4, abs=1e-5)


def test_grad_cam_equals_hires_cam_when_the_gradient_is_constant_per_channel():
    model = _flatten_head_model(seed=3, head="gap")  # GAP -> Dense: d logit / d A_k = w_k / (h * w) everywhere
    images = np.stack([_random_image(s) for s in (1, 2, 3)])
    grad_cams, hires_cams = explain.signed_cams(model, images)
    np.testing.assert_allclose(grad_cams, hires_cams, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(explain.grad_cam(model, images[0]), explain.hires_cam(model, images[0]), atol=1e-6)


def test_grad_cam_can_be_blank_where_hires_cam_shows_the_evidence():
    """A channel that fires only where its head weight is positive, with negative weights everywhere else:
    its mean gradient is negative, so Grad-CAM (ReLU of a negatively weighted active channel) is all zero,
    although that channel is the only reason the class score is positive."""
    model = _flatten_head_model(seed=4)
    kernel = np.zeros((3, 3, 1, 3), "float32")
    kernel[1, 1, 0, 0] = 1.0  # channel 0 copies the image; channels 1 and 2 stay silent
    model.get_layer("conv").set_weights([kernel, np.zeros(3, "float32")])
    head = np.zeros((SIZE, SIZE, 3, 2), "float32")
    head[:, :, 0, 0] = -1.0
    head[4:6, 4:6, 0, 0] = 5.0  # supports class 0 on a 2x2 square, opposes it elsewhere: mean weight < 0
    model.get_layer("head").set_weights([head.reshape(-1, 2), np.zeros(2, "float32")])
    image = np.zeros((SIZE, SIZE, 1), "float32")
    image[4:6, 4:6, 0] = 1.0
    assert explain.class_scores(model, image)[0] == pytest.approx(20.0)
    assert explain.grad_cam(model, image, class_index=0).max() == 0
    hires = explain.hires_cam(model, image, class_index=0)
    assert hires.max() == pytest.approx(1.0)
    row, col = np.unravel_index(hires.argmax(), hires.shape)
    assert 4 <= row <= 5 and 4 <= col <= 5


def test_hires_cam_is_in_unit_range_and_peaks_in_the_region(region_model):
    cam = explain.hires_cam(region_model, _region_image(), class_index=0)
    assert cam.shape == (SIZE, SIZE) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() == pytest.approx(1.0)
    row, col = np.unravel_index(cam.argmax(), cam.shape)
    assert 2 <= row <= 6 and 2 <= col <= 6
    assert cam[0, 0] < 0.05 and cam[9, 9] < 0.05


def test_signed_cams_match_the_single_image_maps_and_default_to_the_predicted_class(model):
    images = np.stack([_random_image(s) for s in (20, 21)])
    grad_cams, hires_cams = explain.signed_cams(model, images[:, :, :, 0], layer_name="conv_b", batch_size=1)
    for i, image in enumerate(images):
        maps, grads = explain.layer_maps_and_gradients(model, image, layer_name="conv_b")
        np.testing.assert_allclose(grad_cams[i], (maps * grads.mean(axis=(0, 1))).sum(-1), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(hires_cams[i], (maps * grads).sum(-1), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="2 images but 1 class"):
        explain.signed_cams(model, images, class_indices=[0])


def test_plot_cam_comparison_draws_weights_and_both_maps(region_model):
    fig = explain.plot_cam_comparison(region_model, _region_image(), class_index=0)
    titles = [ax.get_title() for ax in fig.axes]
    assert sum("before ReLU" in t for t in titles) == 2 and sum("as shown" in t for t in titles) == 2
    assert len(fig.axes[0].patches) == 3  # one bar per channel of conv_b
    import matplotlib.pyplot as plt

    plt.close(fig)


# ------------------------------------------------------------------------------------ occlusion


def test_occlusion_over_an_irrelevant_region_changes_nothing(region_model):
    occ = explain.occlusion_map(region_model, _region_image(), class_index=0, patch=2, stride=2)
    assert occ.shape == (SIZE, SIZE)
    # patches in columns/rows 8-9 are outside the receptive field of REGION: the logits do not change at all
    assert np.abs(occ[:, 8:]).max() < 1e-6 and np.abs(occ[8:, :]).max() < 1e-6
    assert occ[3:6, 3:6].min() > 0.01  # hiding the bright square lowers p(class 0) by whole percents


def test_occlusion_in_log_odds_has_the_same_sign_and_zeros(region_model):
    probability = explain.occlusion_map(region_model, _region_image(), class_index=0, patch=2, stride=2)
    log_odds = explain.occlusion_map(region_model, _region_image(), class_index=0, patch=2, stride=2,
                                     measure="log_odds")
    assert np.abs(log_odds[:, 8:]).max() < 1e-4
    assert np.all(np.sign(log_odds[np.abs(probability) > 1e-4]) == np.sign(probability[np.abs(probability) > 1e-4]))
    with pytest.raises(ValueError, match="'probability' or 'log_odds'"):
        explain.occlusion_map(region_model, _region_image(), measure="logit")


def test_occlusion_with_fill_equal_to_the_image_changes_nothing(model):
    image = np.full((SIZE, SIZE, 1), 0.3, dtype="float32")
    np.testing.assert_allclose(explain.occlusion_map(model, image, fill=0.3), 0.0, atol=1e-6)


def test_occlusion_positions_cover_the_image_and_the_last_patch_touches_the_border():
    positions = explain.occlusion_positions(28, 28, patch=4, stride=2)
    assert len(positions) == 13 * 13 and positions[-1] == (24, 24)
    assert explain.occlusion_positions(10, 10, patch=4, stride=4) == [(r, c) for r in (0, 4, 6) for c in (0, 4, 6)]
    with pytest.raises(ValueError, match="must fit"):
        explain.occlusion_positions(10, 10, patch=11)


def test_occlusion_handles_models_that_output_logits():
    logits_model = _tiny_cnn(softmax=False)
    occ = explain.occlusion_map(logits_model, _random_image(), patch=3, stride=3)
    assert occ.shape == (SIZE, SIZE) and np.all(np.abs(occ) <= 1)


# ------------------------------------------------------------------------------------ maximize_filter


def test_maximize_filter_increases_the_activation(model):
    image, curve = explain.maximize_filter(model, "conv_b", 1, steps=15, lr=0.05, seed=0)
    assert image.shape == (SIZE, SIZE, 1) and curve.shape == (16,)
    assert curve[-1] > curve[0] + 1e-3
    assert image.min() >= 0 and image.max() <= 1


def test_maximize_filter_revives_a_filter_that_relu_silences_at_the_start():
    silent = _tiny_cnn(seed=2)
    kernel, bias = silent.get_layer("conv_a").get_weights()
    bias[0] = -50.0  # ReLU output 0 everywhere: its gradient is 0, only the pre-activation can rise
    silent.get_layer("conv_a").set_weights([kernel, bias])
    _, curve = explain.maximize_filter(silent, "conv_a", 0, steps=10, seed=0)
    assert curve[-1] > curve[0] + 0.1


def test_maximize_filter_optimizes_a_list_of_filters_together(model):
    images, curves = explain.maximize_filter(model, "conv_a", [0, 2, 3], steps=5, seed=1)
    assert images.shape == (3, SIZE, SIZE, 1) and curves.shape == (6, 3)
    assert np.all(curves[-1] >= curves[0])


# ------------------------------------------------------------------------------------ figure


def test_plot_explanations_draws_four_panels_per_image_and_marks_mistakes(region_model):
    images = np.stack([_region_image(), _random_image()])
    fig = explain.plot_explanations(region_model, images, labels=[0, 2], class_names=["a", "b", "c"])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert sum("true a, predicted a" in t for t in titles) == 1
    assert sum(t.startswith("✗ true c") for t in titles) == 1
    assert len([ax for ax in fig.axes if ax.images]) == 10  # image, saliency, Grad-CAM, HiResCAM, occlusion
    import matplotlib.pyplot as plt

    plt.close(fig)


# ------------------------------------------------------------------------------------ errors


def test_wrong_image_shape_says_what_the_model_expects(model):
    with pytest.raises(ValueError, match=r"shape \(28, 28, 1\).*expects one image of shape \(10, 10, 1\)"):
        explain.saliency_map(model, np.zeros((28, 28, 1)))
    with pytest.raises(ValueError, match="not a batch"):
        explain.grad_cam(model, np.zeros((5, SIZE, SIZE, 1)))
    with pytest.raises(ValueError, match="image is None"):
        explain.occlusion_map(model, None)


def test_unknown_layer_name_lists_the_convolution_layers(model):
    with pytest.raises(ValueError, match="no layer named 'conv9'.*'conv_a', 'conv_b'"):
        explain.feature_extractor(model, ["conv9"])
    with pytest.raises(ValueError, match="no layer named 'nope'"):
        explain.grad_cam(model, _random_image(), layer_name="nope")


def test_model_without_convolutions_is_refused_clearly():
    dense = keras.Sequential([keras.Input(shape=(SIZE, SIZE, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no convolution layers"):
        explain.feature_extractor(dense)
    with pytest.raises(ValueError, match="no convolution layers"):
        explain.grad_cam(dense, _random_image())


def test_a_model_with_a_nested_base_is_told_where_its_convolutions_are_and_how_to_flatten_it():
    """Review 2026-12-07 m11: a fine-tuned model wraps its pretrained base (the standard Keras pattern)."""
    base = keras.Sequential([keras.Input(shape=(SIZE, SIZE, 1)), keras.layers.Conv2D(2, 3, name="inner_conv")],
                            name="base")
    inputs = keras.Input(shape=(SIZE, SIZE, 1))
    outputs = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(base(inputs)))
    wrapped = keras.Model(inputs, outputs)
    with pytest.raises(ValueError, match="inside the nested model 'base' \\(1 of them\\).*flat copy"):
        explain.grad_cam(wrapped, _random_image())


def test_class_index_out_of_range_is_refused(model):
    with pytest.raises(ValueError, match="between 0 and 2.*got 7"):
        explain.saliency_map(model, _random_image(), class_index=7)
    with pytest.raises(ValueError, match="between 0 and 2"):
        explain.occlusion_map(model, _random_image(), class_index=-1)
    with pytest.raises(TypeError, match="whole number"):
        explain.grad_cam(model, _random_image(), class_index="3")


def test_sequential_without_an_input_asks_for_keras_input():
    unbuilt = keras.Sequential([keras.layers.Conv2D(2, 3), keras.layers.Flatten(), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"keras.Input\(shape="):
        explain.feature_extractor(unbuilt)


def test_not_a_model_and_bad_filter_index_are_refused(model):
    with pytest.raises(TypeError, match="must be a Keras model"):
        explain.saliency_map("model.keras", _random_image())
    with pytest.raises(ValueError, match="between 0 and 2 .*'conv_b' has 3 filters.*got 5"):
        explain.maximize_filter(model, "conv_b", 5)
