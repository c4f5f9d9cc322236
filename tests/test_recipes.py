"""course_utils.building.recipes: the best recipe's network, settings, training on a few images, test-time flips."""

import numpy as np
import pytest

from course_utils.building import recipes

keras = pytest.importorskip("keras")


def test_fashion_net_parameters_by_formula():
    model = recipes.fashion_net()
    # conv 9*32 and 9*32*64 without bias, BN 4*32 and 4*64; 13x13 -> same conv -> pool: 6*6*64 = 2304 values;
    # dense 2304*256 without bias, BN 4*256; out (256+1)*10
    expected = 288 + 18_432 + 4 * 32 + 4 * 64 + 2304 * 256 + 4 * 256 + 257 * 10
    assert model.count_params() == expected
    assert isinstance(model.layers[1], keras.layers.RandomFlip)
    assert not any(isinstance(layer, keras.layers.RandomFlip) for layer in recipes.fashion_net(flip=False).layers)


def test_train_fashion_overrides_the_recipe_and_refuses_unknown_settings():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 40)
    model, history, seconds = recipes.train_fashion(x, y, epochs=1, batch_size=20, validation_data=(x[:10], y[:10]))
    assert len(history.history["loss"]) == 1 and "val_accuracy" in history.history and seconds > 0
    with pytest.raises(ValueError, match="Unknown recipe setting"):
        recipes.train_fashion(x, y, epoch=1)
    with pytest.raises(ValueError, match="one integer label per image"):
        recipes.train_fashion(x, y[:5], epochs=1)


def test_flip_prediction_averages_an_image_and_its_mirror():
    model = recipes.fashion_net()
    x = np.random.default_rng(1).random((6, 28, 28, 1)).astype("float32")
    both = recipes.predict_with_flips(model, x)
    expected = (model.predict(x, verbose=0) + model.predict(x[:, :, ::-1], verbose=0)) / 2
    assert np.allclose(both, expected, atol=1e-6)
    assert np.allclose(recipes.predict(model, x, test_flips=False), model.predict(x, verbose=0), atol=1e-6)
    assert recipes.accuracy(np.eye(10)[[1, 2, 3]], [1, 2, 0]) == pytest.approx(2 / 3)


def test_one_cycle_warms_up_then_decays():
    schedule = recipes.one_cycle(100, 1e-2)
    values = [float(schedule(step)) for step in (0, 25, 100)]
    assert values[0] == pytest.approx(1e-3, rel=1e-3)
    assert values[1] == pytest.approx(1e-2, rel=1e-3)
    assert values[2] == pytest.approx(1e-4, rel=1e-2)
