"""Explorers and map figures: static figures when headless, live widgets otherwise, honest colour scales."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from course_utils import conv, explorers


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    return rng.random((12, 12))


@pytest.fixture
def headless(monkeypatch):
    monkeypatch.setenv("COURSE_HEADLESS", "1")


def _images(fig):
    return [ax.get_images()[0] for ax in fig.axes if ax.get_images()]


def test_plot_maps_uses_a_symmetric_diverging_scale_for_signed_maps(image):
    square = np.zeros((10, 10))
    square[3:7, 3:7] = 1.0
    edges = conv.conv2d(square, explorers.DEFAULT_KERNELS["sobel x"], padding="same")
    fig = explorers.plot_maps({"input": square, "edges": edges})
    gray, signed = _images(fig)
    assert gray.get_cmap().name == "gray" and gray.get_clim() == (0.0, 1.0)
    assert signed.get_cmap().name == "RdBu_r"
    low, high = signed.get_clim()
    assert low == -high == -np.abs(edges).max()
    assert "edges\n10x10" in [ax.get_title() for ax in fig.axes]


def test_plot_maps_rejects_an_empty_dict_and_images_with_other_channel_counts():
    with pytest.raises(ValueError, match="non-empty dict"):
        explorers.plot_maps({})
    with pytest.raises(ValueError, match="gray=True"):
        explorers.plot_maps({"photo": np.zeros((4, 4, 4))})
    with pytest.raises(ValueError, match="None"):
        explorers.plot_maps({"nothing": None})


def test_plot_numbers_writes_every_value_and_outlines_the_window():
    values = np.arange(12.0).reshape(3, 4)
    fig = explorers.plot_numbers(values, window=(0, 1, 2, 2))
    ax = fig.axes[0]
    assert sorted(float(t.get_text()) for t in ax.texts) == list(values.ravel())
    (patch,) = ax.patches
    assert (patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height()) == (0.5, -0.5, 2, 2)


def test_plot_numbers_refuses_arrays_too_big_to_read():
    with pytest.raises(ValueError, match="at most 16x16"):
        explorers.plot_numbers(np.zeros((28, 28)))


@pytest.mark.parametrize("stride, padding, expected", [
    (1, "valid", "H' = (28 - 3) // 1 + 1 = 26; output 26x26"),
    (2, "same", "H' = ceil(28 / 2) = 14 (zeros: 0 top, 1 bottom); output 14x14"),
    (3, 2, "H' = (28 + 2*2 - 3) // 3 + 1 = 10; output 10x10"),
])
def test_conv_setting_text_shows_the_formula_and_the_size(stride, padding, expected):
    assert explorers.conv_setting_text((28, 28), (3, 3), stride, padding) == expected


def test_conv_explorer_headless_draws_one_row_per_setting_with_the_right_output_sizes(image, headless):
    settings = [("sobel x", 1, "valid"), ("box blur", 2, "same"), ("identity", 3, 1)]
    fig = explorers.conv_explorer(image, settings=settings)
    outputs = [im.get_array() for im in _images(fig)][2::3]
    assert [o.shape for o in outputs] == [(10, 10), (6, 6), (4, 4)]
    np.testing.assert_allclose(outputs[1], conv.conv2d(image, explorers.DEFAULT_KERNELS["box blur"], 2, "same"))
    assert "10x10" in fig.axes[2].get_title()


def test_conv_explorer_reports_an_unknown_kernel_name(image, headless):
    with pytest.raises(ValueError, match="Unknown kernel 'laplace'"):
        explorers.conv_explorer(image, settings=[("laplace", 1, "valid")])


def test_conv_explorer_rejects_bad_inputs_with_a_message(headless):
    with pytest.raises(ValueError, match="None"):
        explorers.conv_explorer(None)
    with pytest.raises(ValueError, match="shape"):
        explorers.conv_explorer(np.zeros(5))
    with pytest.raises(ValueError, match="2-D"):
        explorers.conv_explorer(np.zeros((5, 5)), kernels={"bad": np.zeros((3, 3, 3))})
    with pytest.raises(ValueError, match="positive ints"):
        explorers.conv_explorer(np.zeros((5, 5)), strides=(0,))


def test_pool_explorer_headless_draws_each_setting_at_the_right_size(image, headless):
    fig = explorers.pool_explorer(image, settings=[(2, 2, "max", "valid"), (3, 2, "average", "same")])
    first, second = [im.get_array() for im in _images(fig)][1:]
    np.testing.assert_allclose(first, conv.pool2d(image, 2))
    np.testing.assert_allclose(second, conv.pool2d(image, 3, 2, "average", "same"))
    assert first.shape == (6, 6) and second.shape == (6, 6)


@pytest.fixture
def live(monkeypatch):
    """A live kernel: not headless; what `display` shows is collected (only ipywidgets boxes)."""
    import ipywidgets

    shown = []
    monkeypatch.setattr(explorers.paths, "headless", lambda: False)
    monkeypatch.setattr("IPython.display.display",
                        lambda obj, *args, **kwargs: shown.append(obj) if isinstance(obj, ipywidgets.Box) else None)
    return shown


def test_conv_explorer_live_displays_its_widgets_once_and_returns_nothing(image, live):
    assert explorers.conv_explorer(image) is None
    assert explorers.pool_explorer(image) is None
    assert len(live) == 2


def test_conv_widget_redraws_when_a_control_changes(image, live):
    explorers.conv_explorer(image, paddings=("valid", "same"))
    (box,) = live
    kernel, stride, padding = box.children[0].children
    text = box.children[1]
    assert "output 10x10" in text.value
    stride.value = 2
    padding.value = "same"
    assert "output 6x6" in text.value


def test_conv_widget_shows_a_message_instead_of_a_traceback_for_a_kernel_too_large(live):
    explorers.conv_explorer(np.ones((4, 4)), kernels={"big": np.ones((5, 5)), "small": np.ones((3, 3))},
                            paddings=("same", "valid"))
    (box,) = live
    box.children[0].children[2].value = "valid"
    assert "larger than" in box.children[1].value


def test_pool_widget_reports_the_output_size_and_the_reduction(image, live):
    explorers.pool_explorer(image, sizes=(2, 3), strides=(2, 3))
    (box,) = live
    assert "output 6x6: 144 numbers -> 36 (25%)" in box.children[1].value
    box.children[0].children[0].value = 3
    box.children[0].children[1].value = 3
    assert "output 4x4" in box.children[1].value


def test_plot_maps_shared_scale_gives_every_map_the_same_limits():
    fig = explorers.plot_maps({"dim": np.full((4, 4), 0.2), "bright": np.full((4, 4), 0.8)}, shared_scale=True)
    assert [im.get_clim() for im in _images(fig)] == [(0.0, 0.8), (0.0, 0.8)]
    fig = explorers.plot_maps({"dim": np.full((4, 4), 0.2), "bright": np.full((4, 4), 0.8)})
    assert [im.get_clim() for im in _images(fig)] == [(0.0, 0.2), (0.0, 0.8)]


def test_plot_maps_shows_an_rgb_image_in_colour():
    rgb = np.zeros((5, 6, 3))
    rgb[..., 0] = 1.0
    fig = explorers.plot_maps({"red": rgb, "gray": rgb[..., 0]})
    shown = _images(fig)[0].get_array()
    assert shown.shape == (5, 6, 3)
    assert fig.axes[0].get_title() == "red\n5x6x3"
