"""course_utils.building.signal_flow: spread and gradient per layer at initialisation, against theory."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils.building import signal_flow  # noqa: E402


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return rng.random((64, 12, 12, 1)).astype("float32"), rng.integers(0, 10, 64)


def test_layer_statistics_has_one_row_per_conv_layer_with_the_true_spread(batch):
    x, y = batch
    model = signal_flow.plain_stack(3, "relu", "he_normal", width=4, input_shape=(12, 12, 1))
    rows = signal_flow.layer_statistics(model, x, y)
    assert [r["index"] for r in rows] == [1, 2, 3]
    first = keras.Model(model.input, model.get_layer("conv1").output)(x)
    assert rows[0]["activation_std"] == pytest.approx(float(np.std(first)), rel=1e-4)
    assert all(r["gradient_norm"] > 0 for r in rows)


def test_sigmoid_gradients_vanish_and_relu_he_keeps_them(batch):
    x, y = batch
    results = signal_flow.initialization_study(x, y, depth=12, activations=("sigmoid", "relu"),
                                               initializers=("glorot_normal", "he_normal"), width=8)
    sigmoid = results[("sigmoid", "glorot_normal")]
    relu_he = results[("relu", "he_normal")]
    relu_glorot = results[("relu", "glorot_normal")]
    assert sigmoid[0]["gradient_norm"] < 1e-4 * sigmoid[-1]["gradient_norm"]  # many orders of magnitude
    assert 0.1 < relu_he[0]["gradient_norm"] / relu_he[-1]["gradient_norm"] < 10
    assert relu_glorot[-1]["activation_std"] < 0.1 * relu_he[-1]["activation_std"]  # ReLU + Glorot shrinks


def test_plain_stack_rejects_a_bad_depth():
    with pytest.raises(ValueError, match="depth"):
        signal_flow.plain_stack(0)


def test_layer_statistics_needs_a_conv_layer(batch):
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="no Conv2D"):
        signal_flow.layer_statistics(model, *batch)


def test_plot_has_two_panels(batch):
    results = signal_flow.initialization_study(*batch, depth=2, activations=("relu",), width=2)
    fig = signal_flow.plot_initialization_study(results)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
