"""Mutants of 06's references that are right after all (``tests/test_mutation.py``): each with the reason."""

from course_utils.checking.exercises.catalogue import Equivalent

CLASSIFIER_EQUIVALENTS = [  # tests/test_mutation.py: mutants of the reference that are right after all
    Equivalent("keyword: base(..., training=False) -> (dropped)", why="a frozen base (base.trainable = False) runs its BatchNorm layers in inference mode whatever `training` says (Keras 3): the same outputs, and a training step changes nothing in the base."),
    Equivalent("bool: False -> True #2", why="base(inputs, training=True): a frozen base (base.trainable = False) runs its BatchNorm layers in inference mode whatever `training` says (Keras 3): the same outputs, and a training step changes nothing in the base."),
]

PHOTO_EQUIVALENTS = [  # tests/test_mutation.py
    Equivalent("string: 'bilinear' -> 'nearest'", why="another resizing method: the same class and a probability within "
               "0.02, as the checker allows (any good resizing passes; the alternative _nearest is the same)."),
    Equivalent("string: 'float32' -> 'uint8'", why="load_img gives whole pixel values 0-255, exact in uint8, and the "
               "model casts its input to float32: the same prediction."),
    Equivalent("string: 'float32' -> 'int32'", why="load_img gives whole pixel values 0-255, exact in int32, and the "
               "model casts its input to float32: the same prediction."),
    Equivalent("keyword: np.asarray(..., dtype='float32') -> (dropped)", why="np.asarray of a PIL image is uint8 "
               "0-255, and the model casts its input to float32: the same prediction."),
    Equivalent("keyword: keras.utils.load_img(..., interpolation='bili... -> (dropped)", why="load_img's default, "
               "'nearest': another resizing method, within the checker's 0.02 (the alternative _nearest)."),
    Equivalent("keyword: model.predict(..., verbose=0) -> (dropped)", why="only Keras' progress line is printed; the "
               "same prediction."),
    Equivalent("constant: 0 -> 1", why="predict(..., verbose=1): only Keras' progress line is printed."),
    Equivalent("constant: 0 -> -1", why="predict(..., verbose=-1) prints nothing more: the same prediction."),
    Equivalent("constant: 0 -> -1 #2", why="the batch holds one photo: index -1 is index 0."),
    Equivalent("unwrap: int(np.argmax(probabilities)) -> np.argmax(probabilities)", why="a NumPy integer indexes "
               "the list of class names as well: the same name."),
    Equivalent("unwrap: float(probabilities[best]) -> probabilities[best]", why="a NumPy float32 of the same value "
               "(the checker compares the probability within 0.02)."),
]

PREPROCESS_EQUIVALENTS = []  # dropping dtype="float32" gives float64 for uint8 pixels: rejected now


_STILL_FROZEN = ("base.trainable left False with every layer's own flag set: on Keras 3 the fit of a classifier "
                 "holding the base trains exactly the layers unfrozen (it collects every trainable variable of the "
                 "nested layers) and the BatchNormalization layers stay in inference mode; only base.trainable_weights "
                 "and base.summary() count nothing. The checker accepts it with a note (the alternative "
                 "_base_still_frozen)")
FINE_TUNING_EQUIVALENTS = [  # tests/test_mutation.py
    Equivalent("statement: base.trainable = True -> (dropped)", why=_STILL_FROZEN + "."),
    Equivalent("bool: True -> False", why="base.trainable = False before setting the layers' flags: " + _STILL_FROZEN
               + "."),
]
