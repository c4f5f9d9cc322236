"""Mutants of 05's references that are right after all (``tests/test_mutation.py``): each with the reason."""

from course_utils.checking.exercises.catalogue import Equivalent

AUGMENTATION_EQUIVALENTS = [  # tests/test_mutation.py: mutants of the reference that are right after all
    Equivalent("keyword: keras.layers.RandomTranslation(..., fill_mode... -> (dropped)",
               why="shifts filled by reflection (the default): still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> 0.2", why="shifts of up to 20% of the height: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("constant: 0.1 -> 0.2 #2", why="shifts of up to 20% of the width: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
    Equivalent("keyword: keras.layers.RandomTranslation(..., interpola... -> (dropped)",
               why="shifts with the default bilinear interpolation: still random flips and shifts, active in "
                   "training only, before the model, with its own weights: what the exercise asks."),
    Equivalent("string: 'constant' -> 'reflect'", why="shifts filled by reflection: still a random augmentation that is active in training only, before the model, with its own weights: what the exercise asks (the recipe's layers are an example)."),
]

_BIAS = ("a bias in front of BatchNormalization: BatchNorm subtracts the batch mean, so the bias changes nothing but "
         "the parameter count; the task leaves use_bias to the student (the hint says so)")
RESIDUAL_EQUIVALENTS = [  # tests/test_mutation.py
    Equivalent("bool: False -> True", why=f"use_bias=True on the first 3x3 convolution: {_BIAS}."),
    Equivalent("bool: False -> True #2", why=f"use_bias=True on the second 3x3 convolution: {_BIAS}."),
    Equivalent("bool: False -> True #3", why=f"use_bias=True on the 1x1 projection: {_BIAS}."),
]
