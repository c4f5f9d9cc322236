"""Behaviour of the shared figures in course_utils.plot (Agg backend, nothing shown)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from course_utils import plot  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(25, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=25)
    predictions = labels.copy()
    wrong = np.array([0, 3, 4, 10, 11, 20, 24])
    predictions[wrong] = (predictions[wrong] + 1) % 10
    return images, labels, predictions, wrong


# ------------------------------------------------------------------------------------------ plot_images


def test_plot_images_draws_one_axis_per_image_without_ticks(digits):
    images, labels, _, _ = digits
    fig = plot.plot_images(images, labels)
    axes = image_axes(fig)
    assert len(axes) == 25
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in axes)
    assert [ax.get_title() for ax in axes] == [str(v) for v in labels]


def test_plot_images_returns_a_course_figure(digits):
    fig = plot.plot_images(digits[0][:3])
    assert isinstance(fig, plot.CourseFigure)
    assert isinstance(fig, matplotlib.figure.Figure)


def test_plot_images_marks_mistakes_in_title_colour_and_suptitle(digits):
    images, labels, predictions, wrong = digits
    fig = plot.plot_images(images, labels, predictions, title="Test set")
    axes = image_axes(fig)
    assert fig._suptitle.get_text() == "Test set - 7 of 25 wrong"
    for i, ax in enumerate(axes):
        title = ax.title
        expected = f"true {labels[i]} / pred {predictions[i]}"
        if i in wrong:
            assert title.get_text() == f"✗ {expected}"
            assert to_hex(title.get_color()).upper() == "#D55E00"
        else:
            assert title.get_text() == expected
            assert "✗" not in title.get_text()
            assert to_hex(title.get_color()).upper() == "#0072B2"


def test_plot_images_uses_class_names_and_probability_rows(digits):
    images, labels, _, _ = digits
    names = [f"class{i}" for i in range(10)]
    probabilities = np.eye(10)[labels] * 0.9 + 0.01
    fig = plot.plot_images(images[:4], labels[:4], probabilities[:4], class_names=names)
    titles = [ax.get_title() for ax in image_axes(fig)]
    assert titles == [f"true {names[v]} / pred {names[v]}" for v in labels[:4]]
    assert fig._suptitle.get_text() == "0 of 4 wrong"


@pytest.mark.parametrize("shape", [(6, 8, 8), (6, 8, 8, 1), (6, 8, 8, 3)])
def test_plot_images_accepts_gray_channel_and_rgb_layouts(shape):
    images = np.random.default_rng(1).random(shape).astype(np.float32)
    fig = plot.plot_images(images, ncols=3)
    axes = image_axes(fig)
    assert len(axes) == 6
    shown = axes[0].images[0].get_array()
    assert shown.shape == ((8, 8, 3) if shape[-1] == 3 else (8, 8))


def test_plot_images_scales_0_255_float_rgb_into_unit_range():
    images = np.full((2, 4, 4, 3), 255.0)
    fig = plot.plot_images(images)
    assert np.allclose(image_axes(fig)[0].images[0].get_array(), 1.0)


def test_plot_images_caps_the_number_drawn_and_says_so(digits):
    fig = plot.plot_images(digits[0], max_images=10)
    assert len(image_axes(fig)) == 10
    assert fig._suptitle.get_text() == "first 10 of 25 images"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": None}, "images is None"),
        ({"images": np.zeros((0, 28, 28))}, "images is empty"),
        ({"images": np.zeros((28, 28))}, "images[None]"),
        ({"images": np.zeros((2, 28, 28, 5))}, "(N, H, W, 3)"),
        ({"images": np.zeros((4, 8, 8)), "labels": [1, 2, 3]}, "4 images but 3 labels"),
        ({"images": np.zeros((4, 8, 8)), "labels": [1, 2, 3, 4], "predictions": [1]}, "4 images but 1 predictions"),
        ({"images": np.zeros((2, 8, 8)), "predictions": [1, 2]}, "need the true labels"),
        ({"images": np.zeros((2, 8, 8)), "labels": [0, 5], "class_names": ["a", "b"]}, "only 2 names"),
        ({"images": np.full((2, 8, 8), np.nan)}, "NaN"),
        ({"images": "picture.png"}, "not a str"),
    ],
)
def test_plot_images_rejects_bad_input_with_a_clear_message(kwargs, message):
    with pytest.raises(ValueError) as info:
        plot.plot_images(**kwargs)
    assert message in str(info.value)
    assert not plt.get_fignums(), "no half-built figure is left open"


# ----------------------------------------------------------------------------------------- plot_history


class FakeHistory:
    def __init__(self, history):
        self.history = history


HISTORY = {
    "loss": [1.0, 0.6, 0.4],
    "val_loss": [1.1, 0.7, 0.6],
    "accuracy": [0.6, 0.8, 0.9],
    "val_accuracy": [0.55, 0.75, 0.8],
}


@pytest.mark.parametrize("history", [HISTORY, FakeHistory(HISTORY)])
def test_plot_history_draws_train_and_validation_per_metric(history):
    fig = plot.plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, name in zip(fig.axes, ["loss", "accuracy"], strict=True):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == ["train", "validation"]
        assert list(lines[0].get_xdata()) == [1, 2, 3], "epochs count from 1"
        assert list(lines[0].get_ydata()) == HISTORY[name]
        assert list(lines[1].get_ydata()) == HISTORY[f"val_{name}"]
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == name
        assert ax.get_legend() is not None


def test_plot_history_without_validation_or_accuracy_draws_what_exists():
    fig = plot.plot_history({"loss": [0.5, 0.4]})
    assert len(fig.axes) == 1
    assert [line.get_label() for line in fig.axes[0].get_lines()] == ["train"]


def test_plot_history_names_missing_metrics_and_what_is_available():
    with pytest.raises(ValueError, match=r"no 'auc'.*\['loss'\]"):
        plot.plot_history({"loss": [0.5]}, metrics=("loss", "auc"))
    with pytest.raises(ValueError, match="model.fit"):
        plot.plot_history(None)
    with pytest.raises(ValueError, match="History or a dict"):
        plot.plot_history([0.5, 0.4])
    with pytest.raises(ValueError, match="empty"):
        plot.plot_history({"loss": []})


# ------------------------------------------------------------------------------------- confusion matrix


def test_confusion_matrix_cells_match_histogram_counts():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, 200))
    reference, _, _ = np.histogram2d(y_true, y_pred, bins=4, range=[[0, 4], [0, 4]])
    fig = plot.plot_confusion_matrix(y_true, y_pred, class_names=["a", "b", "c", "d"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), reference)
    cell_texts = [int(t.get_text()) for t in ax.texts]
    assert cell_texts == reference.astype(int).ravel().tolist()
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    assert f"accuracy {np.mean(y_true == y_pred):.1%}" in ax.get_title()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]


def test_confusion_matrix_normalized_rows_sum_to_one_and_empty_rows_stay_zero():
    y_true = np.array([0, 0, 0, 1, 1, 3])
    y_pred = np.array([0, 1, 1, 1, 1, 0])
    fig = plot.plot_confusion_matrix(y_true, y_pred, normalize=True)
    values = np.asarray(fig.axes[0].images[0].get_array())
    np.testing.assert_allclose(values.sum(axis=1), [1, 1, 0, 1])
    np.testing.assert_allclose(values[0], [1 / 3, 2 / 3, 0, 0])
    assert fig.axes[0].texts[1].get_text() == "0.67"


def test_confusion_matrix_accepts_probability_rows_and_rejects_mismatch():
    y_true = np.array([0, 1, 2])
    probs = np.eye(3)[[0, 2, 2]]
    counts = plot.confusion_counts(y_true, probs)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 0, 1], [0, 0, 1]])
    with pytest.raises(ValueError, match="y_true has 3 labels but y_pred has 2"):
        plot.plot_confusion_matrix(y_true, [0, 1])
    with pytest.raises(ValueError, match="negative class id"):
        plot.plot_confusion_matrix([0, -1], [0, 1])


# ------------------------------------------------------------------------------------------ class balance


def test_class_balance_bar_heights_are_counts_per_class():
    labels = np.array([0, 0, 2, 2, 2, 1])
    fig = plot.plot_class_balance(labels, class_names=["x", "y", "z", "w"])
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == [2, 1, 3, 0]
    assert "6 in all" in ax.get_title()


# ---------------------------------------------------------------------------------------------- filters


def test_plot_filters_keras_layout_one_panel_per_filter_with_symmetric_limits():
    kernels = np.random.default_rng(4).normal(size=(3, 3, 2, 12))
    kernels[0, 0, 1, 0] = 9.0  # largest |w| in channel 1: channel 0 is shown, limits use what is shown
    fig = plot.plot_filters(kernels, ncols=4)
    axes = image_axes(fig)
    assert len(axes) == 12
    limit = np.abs(kernels[:, :, 0, :]).max()
    for i, ax in enumerate(axes):
        image = ax.images[0]
        assert image.get_clim() == pytest.approx((-limit, limit))
        assert image.get_cmap().name == "RdBu_r"
        np.testing.assert_allclose(image.get_array(), kernels[:, :, 0, i])
    assert "input channel 0" in fig._suptitle.get_text()


@pytest.mark.parametrize(("shape", "count"), [((5, 5), 1), ((3, 3, 6), 6), ((3, 3, 1, 70), 64)])
def test_plot_filters_accepts_2d_3d_4d_and_caps_at_max_filters(shape, count):
    fig = plot.plot_filters(np.random.default_rng(5).normal(size=shape))
    assert len(image_axes(fig)) == count


def test_plot_filters_shows_rgb_filters_in_colour_with_grey_for_zero():
    kernels = np.zeros((3, 3, 3, 4))
    kernels[0, 0, 0, 0] = 2.0
    fig = plot.plot_filters(kernels)
    image = image_axes(fig)[0].images[0].get_array()
    assert image.shape == (3, 3, 3)
    assert image[0, 0].tolist() == [1.0, 0.5, 0.5] and image[1, 1].tolist() == [0.5, 0.5, 0.5]


def test_plot_filters_rejects_bad_shapes_and_weight_lists():
    with pytest.raises(ValueError, match=r"\(kh, kw, C_in, C_out\)"):
        plot.plot_filters(np.zeros((1, 3, 3, 1, 2)))
    with pytest.raises(ValueError, match=r"get_weights\(\)\[0\]"):
        plot.plot_filters([np.zeros((3, 3, 1, 2)), np.zeros(2)])
    with pytest.raises(ValueError, match="kernels is None"):
        plot.plot_filters(None)


# ----------------------------------------------------------------------------------------- feature maps


def test_plot_feature_maps_one_panel_per_channel_capped_by_max_maps():
    maps = np.random.default_rng(6).random((1, 10, 10, 40))
    fig = plot.plot_feature_maps(maps, max_maps=32)
    axes = image_axes(fig)
    assert len(axes) == 32
    assert [ax.get_title() for ax in axes[:3]] == ["#0", "#1", "#2"]
    np.testing.assert_allclose(axes[5].images[0].get_array(), maps[0, :, :, 5])
    assert "(10, 10, 40)" in fig._suptitle.get_text() and "32 of 40" in fig._suptitle.get_text()
    assert len(image_axes(plot.plot_feature_maps(maps[0, :, :, :3]))) == 3


def test_plot_feature_maps_rejects_a_batch_and_wrong_ndim():
    with pytest.raises(ValueError, match=r"maps\[0\]"):
        plot.plot_feature_maps(np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        plot.plot_feature_maps(np.zeros(5))


# ----------------------------------------------------------------------------------------------- bars


def test_plot_bars_heights_labels_and_log_scale():
    fig = plot.plot_bars({"loops": 2.5, "numpy": 0.01}, "seconds", "conv2d timing", log=True)
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == [2.5, 0.01]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["loops", "numpy"]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "seconds" and ax.get_title() == "conv2d timing"


@pytest.mark.parametrize(
    ("values", "log", "message"),
    [({}, False, "non-empty dict"), ({"a": "fast"}, False, "finite number"), ({"a": float("nan")}, False,
     "finite number"), ({"a": 0.0}, True, "> 0")],
)
def test_plot_bars_rejects_bad_values(values, log, message):
    with pytest.raises(ValueError, match=message):
        plot.plot_bars(values, "s", "t", log=log)


# ---------------------------------------------------------------------------------------- display, save


def test_ipython_display_shows_a_png_once_and_closes_the_figure(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw=False: shown.append((data, raw)))
    fig = plot.plot_bars({"a": 1.0}, "s", "t")
    assert plt.fignum_exists(fig.number)
    fig._ipython_display_()
    assert not plt.fignum_exists(fig.number)
    assert len(shown) == 1 and shown[0][1] is True
    import base64

    assert base64.b64decode(shown[0][0]["image/png"]).startswith(b"\x89PNG")


def test_save_figure_writes_relative_paths_under_the_work_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path))
    fig = plot.plot_bars({"a": 1.0}, "s", "t")
    path = plot.save_figure(fig, "timing")
    assert path == tmp_path / "figures" / "timing.png"
    assert path.read_bytes().startswith(b"\x89PNG")
    assert f"Saved figure to {path}" in capsys.readouterr().out
    with pytest.raises(ValueError, match="plot_\\* function"):
        plot.save_figure(None, "x.png")
    with pytest.raises(ValueError, match="file name"):
        plot.save_figure(fig, "")


def test_importing_plot_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, course_utils.plot; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
