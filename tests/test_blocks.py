"""course_utils.building.blocks: the residual block's shapes and shortcut, the broken tutorial block, deep_cnn."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils.building import blocks  # noqa: E402


@pytest.mark.parametrize("shape, filters, stride, expected, projected", [
    ((32, 32, 64), 64, 1, (32, 32, 64), False),
    ((32, 32, 64), 128, 2, (16, 16, 128), True),
    ((7, 5, 3), 8, 2, (4, 3, 8), True),
    ((9, 9, 16), 16, 1, (9, 9, 16), False),
])
def test_residual_block_shapes_and_projection(shape, filters, stride, expected, projected):
    inputs = keras.Input(shape)
    model = keras.Model(inputs, blocks.residual_block(inputs, filters, stride))
    assert tuple(model.output_shape[1:]) == expected
    ones = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D) and layer.kernel_size == (1, 1)]
    assert bool(ones) == projected
    # parameters by formula: two 3x3 convolutions without bias, BatchNorms of 4 per channel, the projection
    c_in = shape[-1]
    expected_params = 9 * c_in * filters + 9 * filters * filters + 2 * 4 * filters
    if projected:
        expected_params += c_in * filters + 4 * filters
    assert model.count_params() == expected_params


def test_identity_block_passes_its_input_when_the_main_path_is_zero():
    inputs = keras.Input((6, 6, 4))
    model = keras.Model(inputs, blocks.residual_block(inputs, 4))
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            layer.kernel.assign(np.zeros(layer.kernel.shape, "float32"))
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 4)).astype("float32")
    assert np.allclose(model(x, training=False), np.maximum(x, 0), atol=1e-6)


def test_the_tutorial_block_fails_with_the_shape_error_the_notebook_explains():
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(32, 32, 64\).*\(28, 28, 128\)"):
        blocks.tutorial_residual_block(keras.Input((32, 32, 64)))
    assert "incompatible shapes" in blocks.shape_check(blocks.tutorial_residual_block, (32, 32, 64))
    assert blocks.shape_check(blocks.residual_block, (32, 32, 64), filters=128, stride=2) == "(None, 16, 16, 128)"


def test_deep_cnn_has_the_same_depth_and_parameters_with_or_without_shortcuts():
    plain, residual = blocks.deep_cnn(3, residual=False), blocks.deep_cnn(3, residual=True)
    assert plain.count_params() == residual.count_params()
    weight_layers = [layer for layer in plain.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    assert len(weight_layers) == 2 * 3 + 2
    assert any(isinstance(layer, keras.layers.Add) for layer in residual.layers)
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)


def test_deep_cnn_init_gain_scales_the_kernels():
    small = blocks.deep_cnn(1, init_gain=0.1).get_layer("block1_conv1").kernel.numpy().std()
    he = blocks.deep_cnn(1, init_gain=1.0).get_layer("block1_conv1").kernel.numpy().std()
    assert he == pytest.approx(np.sqrt(2 / (9 * 16)), rel=0.1)
    assert small == pytest.approx(he / 10, rel=0.15)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_sizes_get_a_clear_message(bad):
    with pytest.raises(ValueError, match="positive whole number"):
        blocks.deep_cnn(bad)
    with pytest.raises(ValueError, match="init_gain"):
        blocks.deep_cnn(2, init_gain=0)
