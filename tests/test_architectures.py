"""course_utils.building.architectures: parameters, multiply-adds and depth of famous CNNs, against published numbers."""

import pytest

from course_utils.building import architectures


def test_lenet5_by_formula_matches_a_hand_count():
    # C1 (5*5*1+1)*6 = 156; C3 (5*5*6+1)*16 = 2,416; F5 (400+1)*120 = 48,120; F6 (120+1)*84 = 10,164; out 850
    counted = architectures.count_layers(architectures.lenet5_layers(), (32, 32, 1))
    assert counted["params"] == 156 + 2_416 + 48_120 + 10_164 + 850
    assert counted["depth"] == 5 and counted["output_shape"] == (10,)


def test_alexnet_as_published_has_its_grouped_convolutions_and_about_60_million_parameters():
    counted = architectures.count_layers(architectures.alexnet_layers(), (227, 227, 3))
    assert counted["params"] == 60_965_224  # "60 million parameters" (Krizhevsky et al., 2012)
    assert counted["macs"] == pytest.approx(0.72e9, rel=0.02)
    assert counted["depth"] == 8


def test_vgg16_by_formula_equals_keras_published_count():
    counted = architectures.count_layers(architectures.vgg16_layers(), (224, 224, 3))
    assert counted["params"] == 138_357_544  # keras.applications.VGG16: 138,357,544
    assert counted["macs"] == pytest.approx(15.5e9, rel=0.01)  # the usual "15.5 GFLOPs"
    assert counted["depth"] == 16


def test_count_layers_rejects_unknown_layers_and_impossible_groups():
    with pytest.raises(ValueError, match="Unknown layer kind"):
        architectures.count_layers([("attention", 8)], (8, 8, 3))
    with pytest.raises(ValueError, match="groups"):
        architectures.count_layers([("conv", 8, 3, 1, "same", 2)], (8, 8, 3))


@pytest.mark.parametrize("name, params, depth, gmacs", [
    ("MobileNetV2", 3_538_984, 53, 0.30),  # Sandler et al. 2018: 300M multiply-adds
    ("ResNet50", 25_636_712, 50, 3.86),  # He et al. 2015: 3.8 billion FLOPs (multiply-adds)
])
def test_built_applications_are_counted_like_their_papers(name, params, depth, gmacs):
    pytest.importorskip("keras")
    counted = architectures.count_model(architectures.build_application(name))
    assert counted["params"] == params
    assert counted["depth"] == depth
    assert counted["macs"] / 1e9 == pytest.approx(gmacs, rel=0.03)


def test_rows_leave_unbuilt_architectures_empty_and_keep_the_published_facts():
    rows = architectures.architecture_rows(build=())
    by_name = {row["name"]: row for row in rows}
    assert [row["year"] for row in rows] == sorted(row["year"] for row in rows)
    assert by_name["VGG16"]["params"] == by_name["VGG16"]["published params"]
    assert by_name["ResNet-50"]["params"] is None and by_name["ResNet-50"]["top-1 %"] == 74.9
    assert by_name["LeNet-5"]["top-1 %"] is None
