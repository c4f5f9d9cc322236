"""One answering convention for quiz questions and Choice exercises (course_utils.checking.answers)."""

import numpy as np
import pytest

from course_utils.checking.answers import as_plain_number, as_sequence, listing, match_choice, normalize

POOL = ["3, the pool size", "4", "2 (the stride)", "none: pooling has no weights"]


@pytest.mark.parametrize("value, index", [
    ("none: pooling has no weights", 3),        # the text
    ("  NONE:   pooling has no weights. ", 3),   # case, spacing and a final full stop ignored
    ("c", 2), ("C", 2), ("c)", 2), ("(c)", 2),  # the letter as shown
    (3, 0), ("3", 0), (3.0, 0), (np.int64(3), 0),  # the value a choice starts with
    ("4", 1), (4, 1),
    (2, 2), ("none", 3),
])
def test_a_choice_is_named_by_text_letter_or_value(value, index):
    assert match_choice(value, POOL) == index


@pytest.mark.parametrize("value", ["e", "x", "5", 5, True, None, [3], {"a": 1}, len, "pool", ""])
def test_anything_else_names_no_choice(value):
    assert match_choice(value, POOL) is None


def test_spacing_around_punctuation_is_ignored():
    assert match_choice("(3,3,3,16)", ["(3, 3, 3, 16)", "(3, 3, 16)"]) == 0
    assert normalize("keras.losses.CategoricalCrossentropy( )") == "keras.losses.categoricalcrossentropy()"


def test_a_value_shared_by_two_choices_is_ambiguous_and_names_neither():
    assert match_choice("3", ["3, the pool size", "3 (the kernel size)"]) is None


def test_exact_text_wins_over_letters_and_prefixes():
    assert match_choice("a", ["b", "a"]) == 1
    assert match_choice("relu", ["relu6", "relu"]) == 1
    assert match_choice("relu6", ["relu", "relu6"]) == 1


def test_booleans_only_name_boolean_choices():
    assert match_choice(True, ["True", "False"]) == 0
    assert match_choice("false", [True, False]) == 1
    assert match_choice(1, [True, False]) is None
    assert match_choice(True, ["1, one", "0"]) is None


def test_an_odd_object_names_no_choice():
    class Odd:
        def __eq__(self, other):
            raise RuntimeError("no")

        def __str__(self):
            raise RuntimeError("no")

    assert match_choice(Odd(), POOL) is None


def test_listing_shows_letters():
    assert listing(["mse", "hinge"]) == "a) mse, b) hinge"


@pytest.mark.parametrize("value, choices, index", [
    ("3.0", POOL, 0), (np.float32(3), POOL, 0),                        # numbers compare as numbers
    ("C)", POOL, 2), ("none : pooling has no weights", POOL, 3),       # letters and spacing around ':'
    ("none:\tpooling\nhas no   weights", POOL, 3),                      # any whitespace
    (-1, ["-1, no limit", "0", "1"], 0), (0.5, ["0.5 (half)", "1"], 0),  # negative and decimal values
    ("same", ["same: the output keeps its size", "valid"], 0),         # a leading word
    ("(3,3,3,16)", ["(3, 3, 16)", "(3, 3, 3, 16)"], 1), ("(3, 3, 3, 16)", ["(3,3,3,16)", "(3,3,16)"], 0),
])
def test_more_ways_of_naming_a_choice(value, choices, index):
    assert match_choice(value, choices) == index


@pytest.mark.parametrize("value, choices", [
    (3, ["3x3 kernel", "5x5 kernel"]),   # a value names a choice only when punctuation or a space follows it
    ("3, the", POOL),                    # part of a text is not the text
    ("ab", POOL),                        # two letters are not a letter
])
def test_near_misses_name_no_choice(value, choices):
    assert match_choice(value, choices) is None


# --- right answers typed the way students type them (review 2026-12-07 m10, issue 15) ------------------------


@pytest.mark.parametrize("value, choices, index", [
    ('Dense(10, activation="softmax")', ["Dense(10)", "Dense(10, activation='softmax')"], 1),  # double quotes
    ("`(batch, 64)`", ["(batch, 3136)", "(batch, 64)"], 1),                                    # in backticks
    ("[0, 0.5, 3]", ["[0.0, 0.5, 3.0]", "[0.0, 1.0, 3.0]"], 0),                               # 3 for 3.0
    ("[0.00, 0.50, 3.00]", ["[0.0, 0.5, 3.0]", "[0.0, 1.0, 3.0]"], 0),
    ("(None, 64)", ["(batch, 3136)", "(batch, 64)"], 1),                                      # as Keras prints it
    ("(none,7,7,64)", ["(batch, 7, 7, 64)", "(batch, 64)"], 0),
    ("34,826", [34_826, 34_816], 0), ("204,928", ["204928", "204800"], 0),                   # as summary() prints
])
def test_right_answers_typed_as_students_type_them_name_their_choice(value, choices, index):
    assert match_choice(value, choices) == index


@pytest.mark.parametrize("value, choices", [
    ("[0, 0.5, 3.5]", ["[0.0, 0.5, 3.0]"]),     # a different number stays different
    ("3,5", [3.5, 35]),                         # not a thousands separator: names nothing
    ("(None, 63)", ["(batch, 64)"]),
    ("(batch, None)", ["(batch, 64)"]),
])
def test_the_relaxed_reading_does_not_make_wrong_answers_right(value, choices):
    assert match_choice(value, choices) is None


LOSSES = ["categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy"]


@pytest.mark.parametrize("value, index", [
    ("SparseCategoricalCrossentropy", 1), ("sparse categorical crossentropy", 1), ("Sparse-Categorical-Crossentropy", 1),
    ("CategoricalCrossentropy()", 0), ("'binary_crossentropy'", 2),
])
def test_a_snake_case_choice_is_named_in_words_or_class_name_spelling(value, index):
    assert match_choice(value, LOSSES) == index


@pytest.mark.parametrize("value", ["sparse", "categorical", "SparseCategoricalAccuracy"])
def test_part_of_a_name_names_no_choice(value):
    assert match_choice(value, LOSSES) is None


@pytest.mark.parametrize("value, expected", [
    ((3, 3, 3, 16), (3.0, 3.0, 3.0, 16.0)), ("[0. 0.5 3.]", (0.0, 0.5, 3.0)), ("3x3x16", (3.0, 3.0, 16.0)),
    ("(None, 64)", (None, 64.0)), (np.array([1, 2]), (1.0, 2.0)), ("(3, 3,)", (3.0, 3.0)),
    ("3", None), ("max 6, average 3", None), ("3*3", None), ([], None), ("a, b", None),
])
def test_sequences_of_numbers_are_read_however_written(value, expected):
    assert as_sequence(value) == expected


def test_a_tuple_list_or_array_names_the_choice_with_its_values():
    shapes = ["(28, 28, 3)", "(24, 24, 10)", "(28, 28, 10)"]
    assert match_choice((28, 28, 10), shapes) == 2
    assert match_choice(np.array([24, 24, 10]), shapes) == 1
    assert match_choice("(None, 28, 28, 10)", shapes) == 2  # the batch axis left in
    assert match_choice([28, 28], shapes) is None


@pytest.mark.parametrize("text, number", [("1 792", 1792.0), ("1\u202f792", 1792.0), ("'255'", 255.0),
                                          ("1 79", None), ("5,5", None)])
def test_plain_numbers_with_space_separators_and_quotes(text, number):
    assert as_plain_number(text) == number


def test_a_choice_exercise_reads_a_sequence_value_as_the_quiz_does():
    from course_utils.checking.exercises import Choice

    shapes = Choice("kernel_shape", ["(3, 3, 16)", "(3, 3, 3, 16)"], "(3, 3, 3, 16)")
    assert shapes.evaluate((3, 3, 3, 16)).correct
    assert shapes.evaluate(np.array([3, 3, 16])).status == "wrong"
    assert shapes.evaluate([1, 2]).status == "wrong_type"
