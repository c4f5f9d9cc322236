"""Misconception catalogue of notebook 06's last exercise, predicting one photo (the others: ``nb06``). The wrong
functions are written as a student would, with Keras imported inside (the module imports neither TensorFlow nor
Keras)."""

import numpy as np

from course_utils.checking.exercises.catalogue import Alternative, Mistake

# ----------------------------------------------------------------------------------------- predict_photo


def _load(model, path, **options):
    import keras

    options.setdefault("target_size", model.input_shape[1:3])
    options.setdefault("keep_aspect_ratio", True)
    return keras.utils.load_img(path, **options)


def _answer(p, class_names):
    return class_names[int(p.argmax())], float(p.max())


def _scaled_by_255(model, path, class_names):
    p = model.predict(np.asarray(_load(model, path), dtype="float32")[None] / 255, verbose=0)[0]
    return _answer(p, class_names)


def _index(model, path, class_names):
    p = model.predict(np.asarray(_load(model, path))[None], verbose=0)[0]
    return int(p.argmax()), float(p.max())


def _sorted_names(model, path, class_names):
    p = model.predict(np.asarray(_load(model, path))[None], verbose=0)[0]
    return _answer(p, sorted(class_names))


def _bgr(model, path, class_names):
    p = model.predict(np.asarray(_load(model, path))[None, :, :, ::-1], verbose=0)[0]
    return _answer(p, class_names)


def _grayscale(model, path, class_names):
    p = model.predict(np.asarray(_load(model, path, color_mode="grayscale"))[None], verbose=0)[0]
    return _answer(p, class_names)


def _grayscale_as_rgb(model, path, class_names):
    gray = np.asarray(_load(model, path, color_mode="grayscale"), dtype="float32")
    p = model.predict(np.repeat(gray, 3, axis=-1)[None], verbose=0)[0]
    return _answer(p, class_names)


def _pil_luminance(model, path, class_names):
    from PIL import Image

    height, width = model.input_shape[1:3]
    image = Image.open(path).convert("L").convert("RGB").resize((width, height))
    p = model.predict(np.asarray(image, dtype="float32")[None], verbose=0)[0]
    return _answer(p, class_names)


_COLOURS_LOST = ("Your photo reaches the model without its colours (it lost its colours: loaded as grayscale, "
                 "color_mode='grayscale' or Image.convert('L'), then copied to three channels), so every photo "
                 "looks grey to it. Load it in RGB: load_img's default, color_mode='rgb', or Image.convert('RGB') "
                 "directly.")


def _squashed(model, path, class_names):
    p = model.predict(np.asarray(_load(model, path, keep_aspect_ratio=False, interpolation="bilinear"))[None],
                      verbose=0)[0]
    return _answer(p, class_names)


def _width_height(model, path, class_names):
    height, width = model.input_shape[1:3]
    p = model.predict(np.asarray(_load(model, path, target_size=(width, height)))[None], verbose=0)[0]
    return _answer(p, class_names)


def _no_batch_axis(model, path, class_names):
    p = model.predict(np.asarray(_load(model, path)), verbose=0)[0]
    return _answer(p, class_names)


def _training_true(model, path, class_names):
    p = model(np.asarray(_load(model, path), dtype="float32")[None], training=True).numpy()[0]
    return _answer(p, class_names)


def _pil_any_mode(model, path, class_names):
    """Pillow without ``.convert("RGB")``: a PNG with transparency keeps 4 channels, a grayscale JPEG 1."""
    from PIL import Image, ImageOps

    height, width = model.input_shape[1:3]
    image = ImageOps.fit(Image.open(path), (width, height), Image.BILINEAR)
    p = model.predict(np.asarray(image, dtype="float32")[None], verbose=0)[0]
    return _answer(p, class_names)


def _decode_any_channels(model, path, class_names):
    """``tf.io.decode_image`` without ``channels=3``."""
    import keras
    import tensorflow as tf

    pixels = tf.io.decode_image(tf.io.read_file(str(path)), expand_animations=False)
    resize = keras.layers.Resizing(*model.input_shape[1:3], crop_to_aspect_ratio=True)
    p = model.predict(resize(tf.cast(pixels, "float32"))[None], verbose=0)[0]
    return _answer(p, class_names)


def _with_pil(model, path, class_names):
    from PIL import Image

    height, width = model.input_shape[1:3]
    image = Image.open(path).convert("RGB")
    w, h = image.size
    scale = max(width / w, height / h)
    image = image.resize((round(w * scale), round(h * scale)), Image.BILINEAR)
    left, top = (image.size[0] - width) // 2, (image.size[1] - height) // 2
    pixels = np.asarray(image.crop((left, top, left + width, top + height)), dtype="float32")
    p = model(pixels[None], training=False).numpy()[0]
    return class_names[int(np.argmax(p))], float(np.max(p))


def _with_tensorflow(model, path, class_names):
    import keras
    import tensorflow as tf

    pixels = tf.io.decode_image(tf.io.read_file(str(path)), channels=3, expand_animations=False)
    resize = keras.layers.Resizing(*model.input_shape[1:3], crop_to_aspect_ratio=True)
    p = model.predict(resize(tf.cast(pixels, "float32"))[None], verbose=0)[0]
    return _answer(p, class_names)


def _nearest(model, path, class_names):
    import keras

    photo = keras.utils.img_to_array(_load(model, path))
    p = model.predict(np.expand_dims(photo, 0), verbose=0)[0]
    return [class_names[int(p.argmax())], p.max()]


PREDICT_PHOTO = {
    "mistakes": [
        Mistake(_scaled_by_255, "scaled twice",
                message="You scaled the pixels yourself (x / 255, or MobileNetV2's x / 127.5 - 1), but this model "
                        "rescales its input itself: they are scaled twice and every photo looks almost black to it. "
                        "Pass pixels 0-255."),
        Mistake(_index, "class name",
                message="You return the class index; return the class name, class_names[index], with the "
                        "probability."),
        Mistake(_sorted_names, "order of class_names",
                message="You sorted the class names: output k of the model is class_names[k] in the order you are "
                        "given (the order the model was trained with), which need not be alphabetical. Keep the "
                        "order of class_names."),
        Mistake(_bgr, "RGB",
                message="Your photo reaches the model with its colour channels reversed (BGR, as OpenCV reads "
                        "images); keras.utils.load_img gives RGB, the order the model was trained on."),
        Mistake(_grayscale, "three colour channels",
                message="Your photo reaches the model in grayscale, one channel; the model takes three colour "
                        "channels: load it in RGB (load_img's default, color_mode='rgb')."),
        Mistake(_grayscale_as_rgb, "lost its colours", message=_COLOURS_LOST),
        Mistake(_pil_luminance, "Image.convert('L')", message=_COLOURS_LOST),
        Mistake(_pil_any_mode, "as it is stored",
                message="You pass the photo's channels as it is stored: a PNG with transparency has 4 (RGBA), a "
                        "grayscale JPEG 1, a GIF a palette. Convert every photo to RGB first: "
                        "Image.open(path).convert('RGB') (load_img does it for you)."),
        Mistake(_decode_any_channels, "channels=3",
                message="tf.io.decode_image keeps the channels a file stores (4 for a PNG with transparency, 1 for "
                        "a grayscale JPEG): ask for channels=3."),
        Mistake(_squashed, "squashed",
                message="You squashed the whole photo to the model's shape; in training it was centre-cropped to "
                        "that shape first (crop_to_aspect_ratio=True): use keep_aspect_ratio=True in load_img."),
        Mistake(_width_height, "(height, width)",
                message="target_size is (height, width), in that order: model.input_shape[1:3]. Yours crops and "
                        "resizes the photo to the transposed shape."),
        Mistake(_no_batch_axis, "batch axis",
                message="model.predict expects a batch: add a batch axis with photo[None] (shape (1, height, "
                        "width, 3))."),
        Mistake(_training_true, "training=True"),  # diagnosed by the checker's probe model (photo_checks)
    ],
    "alternatives": [
        Alternative(_with_pil, note="Pillow: resize and crop by hand"),
        Alternative(_with_tensorflow, note="tf.io + keras.layers.Resizing(crop_to_aspect_ratio=True)"),
        Alternative(_nearest, note="load_img's default interpolation, img_to_array, a list and a NumPy float"),
    ],
}
