"""course_utils.checking.quiz.widgets: cards driven by setting values and clicking, labels shown in full, the fallback to
text. These tests also run under ipywidgets 7.7 (Colab's version): see test_quiz_ipywidgets7.py."""

import sys
import textwrap
import types

import pytest

from course_utils import paths
from course_utils.checking import progress, quiz
from course_utils.checking.exercises.feedback import STATUSES
from course_utils.checking.quiz import widgets

ipywidgets = pytest.importorskip("ipywidgets")

LONG = "Max pooling, which keeps the largest value of every window and so survives small shifts of a feature"
BANK = f"""\
notebook: 09_test_notebook
title: "09 · Test quiz"
questions:
  - id: t-single
    type: single
    topic: pooling
    prompt: Which pooling keeps the largest value?
    choices: ["Average pooling", "{LONG}", "3, the pool size"]
    answer: "{LONG}"
    explanation: Max pooling keeps the maximum of each window.
  - id: t-multiple
    type: multiple
    topic: parameter counts
    prompt: Which are shapes of a Conv2D(16, 3) layer's weights on RGB input?
    choices: ["(3, 3, 3, 16)", "(16,)", "(16, 3, 3, 3)", "A shape that no Conv2D layer ever has, written out at length"]
    answer: ["(3, 3, 3, 16)", "(16,)"]
    explanation: The kernel is (3, 3, 3, 16) and the bias has one value per filter.
  - id: t-numeric
    type: numeric
    topic: convolution arithmetic
    answer: 26
    prompt: Valid output size of a 3x3 convolution on a 28x28 image?
    explanation: 28 - 3 + 1 = 26 positions fit in each direction.
  - id: t-true-false
    type: true_false
    topic: pooling
    answer: false
    prompt: Pooling layers have trainable weights.
    explanation: Pooling is a fixed max or mean.
"""


@pytest.fixture(autouse=True)
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
    monkeypatch.setenv("COURSE_HEADLESS", "1")
    quiz._LIVE.clear()
    widgets._colab_widget_manager.cache_clear()
    yield
    widgets._colab_widget_manager.cache_clear()


@pytest.fixture
def test_quiz(tmp_path):
    path = tmp_path / "09_test.yaml"
    path.write_text(BANK, encoding="utf-8")
    return quiz.load(path, seed=7)


@pytest.fixture
def live(monkeypatch):
    """A live notebook: not headless, and ``display`` calls collected instead of sent to a frontend."""
    shown = []
    monkeypatch.setattr(paths, "headless", lambda: False)
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.append((objs, kw)))
    return shown


def records():
    return progress.load()["records"]


def classes(widget):
    return set(widget._dom_classes)


def submit(parts):
    parts["button"].click()
    return parts["feedback"].value


# ---- answering with the widgets ------------------------------------------------------------------------------


def test_widgets_are_driven_by_setting_values_and_clicking(test_quiz):
    box = test_quiz.build_widgets()
    assert len(box.children) == 2 + len(test_quiz)  # header, cards, score line
    single = test_quiz.widgets["t-single"]
    single["input"].value = LONG
    html = submit(single)
    assert "Correct" in html and STATUSES["correct"][3] in html
    assert "Max pooling keeps the maximum" in html
    assert "1/4 correct" in test_quiz.score_widget.value

    multiple = test_quiz.widgets["t-multiple"]
    multiple["input"].children[0].value = True  # the kernel only: the bias is missing
    html = submit(multiple)
    assert "Partly right" in html and "1 right choice is missing" in html and "(16,)" not in html
    assert "Show answer" in html and "Why:" not in html

    numeric = test_quiz.widgets["t-numeric"]
    numeric["input"].value = "twelve"
    assert "is not a number" in submit(numeric)
    numeric["input"].value = "26"
    assert "Correct" in submit(numeric)

    true_false = test_quiz.widgets["t-true-false"]
    true_false["input"].value = "True"
    html = submit(true_false)
    assert "Not yet" in html and "The answer is: False." in html and STATUSES["wrong"][3] in html
    assert "2/4 correct, 4 of 4 answered" in test_quiz.score_widget.value
    assert [r["status"] for r in records()] == ["correct", "partial", "correct", "wrong"]


def test_checkboxes_whose_choices_hold_commas_are_graded_whole(test_quiz):
    test_quiz.build_widgets()
    multiple = test_quiz.widgets["t-multiple"]
    multiple["input"].children[0].value = True
    multiple["input"].children[1].value = True
    assert "Correct" in submit(multiple)
    assert records()[-1]["detail"] == "try 1 of 2; answer=['(3, 3, 3, 16)', '(16,)']"


def test_a_radio_choice_that_starts_with_a_number_is_graded_as_that_choice(test_quiz):
    test_quiz.build_widgets()
    single = test_quiz.widgets["t-single"]
    single["input"].value = "3, the pool size"
    assert "&quot;3, the pool size&quot; is not it" in submit(single)
    assert "The answer is: Max pooling" in submit(single)


def test_a_wrong_first_try_gets_a_hint_and_show_answer_reveals_it(test_quiz):
    test_quiz.build_widgets()
    numeric = test_quiz.widgets["t-numeric"]
    numeric["input"].value = "28"
    html = submit(numeric)
    assert "Not yet" in html and "28 is too high." in html and 'press &quot;Show answer&quot;' in html
    assert "26" not in html and "Why:" not in html
    numeric["reveal"].click()
    html = numeric["feedback"].value
    assert "The answer</b> - 26." in html and "28 - 3 + 1 = 26" in html and STATUSES["revealed"][1] in html
    numeric["input"].value = "26"
    assert "the score keeps this question as missed" in submit(numeric)
    assert "0/4 correct, 1 of 4 answered" in test_quiz.score_widget.value
    assert [(r["status"], r["correct"]) for r in records()] == [("wrong", False), ("revealed", False),
                                                               ("practice", False)]


def test_the_widget_header_states_the_tries_rule(test_quiz):
    box = test_quiz.build_widgets()
    assert "Two tries per question" in box.children[0].value and "Show answer" in box.children[0].value


def test_right_at_the_second_try_counts_in_the_widgets(test_quiz):
    test_quiz.build_widgets()
    single = test_quiz.widgets["t-single"]
    single["input"].value = "Average pooling"
    assert "Not yet" in submit(single)
    single["input"].value = LONG
    assert "Correct" in submit(single)
    assert "1/4 correct, 1 of 4 answered" in test_quiz.score_widget.value


def test_widget_submit_without_a_choice_asks_to_pick_one(test_quiz):
    test_quiz.build_widgets()
    assert "Pick an answer first" in submit(test_quiz.widgets["t-single"])
    assert "Tick at least one box" in submit(test_quiz.widgets["t-multiple"])
    assert "Not counted" in test_quiz.widgets["t-single"]["feedback"].value
    assert test_quiz.score() == (0, 0, 4) and records() == []


def test_widget_text_is_escaped_and_code_is_formatted(tmp_path):
    path = tmp_path / "escape.yaml"
    path.write_text(textwrap.dedent("""\
        notebook: 01_convolution_by_hand
        title: Escaping
        questions:
          - id: esc
            type: true_false
            topic: pooling
            answer: true
            prompt: "Is `a<b` shown as code?"
            explanation: Yes, and <script> stays text.
        """), encoding="utf-8")
    loaded = quiz.load(path)
    loaded.build_widgets()
    assert "<code>a&lt;b</code>" in loaded.widgets["esc"]["card"].children[0].value
    loaded.widgets["esc"]["input"].value = "True"
    assert "&lt;script&gt; stays text" in submit(loaded.widgets["esc"])


# ---- every label in full -----------------------------------------------------------------------------------------


def test_every_checkbox_shows_its_whole_choice_and_may_grow(test_quiz):
    test_quiz.build_widgets()
    question = test_quiz.question("t-multiple")
    boxes = test_quiz.widgets["t-multiple"]["input"].children
    assert [box.description for box in boxes] == list(question.choices)
    for box in boxes:
        assert box.layout.width == "auto" and box.layout.height == "auto"  # not the 300px default width
        assert box.indent is False and "course-quiz-choice" in classes(box)


def test_radio_buttons_show_their_whole_choices_and_may_grow(test_quiz):
    test_quiz.build_widgets()
    for qid in ("t-single", "t-true-false"):
        radio = test_quiz.widgets[qid]["input"]
        assert radio.layout.width == "auto" and radio.layout.height == "auto"
        assert "course-quiz-choices" in classes(radio)
    assert list(test_quiz.widgets["t-single"]["input"].options) == list(test_quiz.question("t-single").choices)


def test_the_quiz_style_sheet_lets_labels_wrap_in_ipywidgets_7_and_8(test_quiz):
    header = test_quiz.build_widgets().children[0].value
    assert header.startswith("<style>") and widgets.STYLE in header
    for selector in (".course-quiz .course-quiz-choice .widget-label-basic",  # ipywidgets 7 class names
                     ".course-quiz .course-quiz-choice .jupyter-widget-label-basic",  # ipywidgets 8
                     ".course-quiz .widget-radio-box label", ".course-quiz .jupyter-widget-radio-box label"):
        rule = widgets.STYLE.split(selector, 1)[1].split("}", 1)[0]
        assert "white-space: normal" in rule, selector
    assert all(line.lstrip().startswith((".course-quiz", "<", "}")) or ":" in line
               for line in widgets.STYLE.splitlines()), "every rule is scoped to the quiz"


def test_cards_carry_stable_classes_for_styles_and_browser_tests(test_quiz):
    box = test_quiz.build_widgets()
    assert "course-quiz" in classes(box) and "course-quiz-score" in classes(test_quiz.score_widget)
    for qid in test_quiz.ids:
        parts = test_quiz.widgets[qid]
        assert {"course-quiz-card", f"course-quiz-id-{qid}"} <= classes(parts["card"])
        assert "course-quiz-submit" in classes(parts["button"])
        assert "course-quiz-reveal" in classes(parts["reveal"]) and parts["reveal"].description == "Show answer"
        assert "course-quiz-feedback" in classes(parts["feedback"])


# ---- where widgets cannot render: the text version ---------------------------------------------------------------


def test_headless_runs_print_the_text_version(test_quiz, capsys):
    assert widgets.unavailable_reason() == "no live notebook"
    test_quiz.show()
    assert "Q1. [t-single]" in capsys.readouterr().out


def test_a_live_notebook_shows_widgets_with_the_text_version_as_plain_text(test_quiz, live, monkeypatch, capsys):
    built = []
    monkeypatch.setattr(widgets, "build", lambda q, build=widgets.build: built.append(build(q)) or built[-1])
    test_quiz.show()
    assert capsys.readouterr().out == ""
    [(objs, kwargs)] = live
    bundle = objs[0]
    assert kwargs == {"raw": True}
    assert bundle["text/plain"] == test_quiz.text()  # what a frontend without widgets shows
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["version_major"] == 2 and view["model_id"] == built[0].model_id


@pytest.mark.parametrize("broken", [None, "raise"])
def test_missing_or_broken_ipywidgets_falls_back_to_text(test_quiz, live, monkeypatch, capsys, broken):
    if broken is None:
        monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import raises ImportError
    else:
        module = types.ModuleType("ipywidgets")
        module.__getattr__ = lambda name: (_ for _ in ()).throw(AttributeError("half-installed"))
        monkeypatch.setitem(sys.modules, "ipywidgets", module)
        monkeypatch.setattr(widgets, "build", lambda _quiz: (_ for _ in ()).throw(AttributeError("Layout")))
    test_quiz.show()
    out = capsys.readouterr().out
    assert "Q1. [t-single]" in out and 'quiz.answer("t-single", ...)' in out
    assert live == []


def test_asking_for_widgets_where_they_cannot_render_says_why(test_quiz, live, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    test_quiz.show(widgets=True)
    out = capsys.readouterr().out
    assert out.startswith("Widgets cannot be shown here (ipywidgets could not be imported")
    assert "Q4. [t-true-false]" in out


def test_show_widgets_false_prints_text_even_in_a_live_notebook(test_quiz, live, capsys):
    test_quiz.show(widgets=False)
    assert "Q1. [t-single]" in capsys.readouterr().out and live == []


def fake_colab(monkeypatch, enable):
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = enable
    colab = types.ModuleType("google.colab")
    colab.output = output
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)


def test_on_colab_ipywidgets_8_turns_on_colabs_widget_manager_and_7_needs_nothing(live, monkeypatch):
    calls = []
    fake_colab(monkeypatch, lambda: calls.append("enabled"))
    assert widgets.unavailable_reason() is None
    assert widgets.unavailable_reason() is None
    major = int(ipywidgets.__version__.split(".")[0])
    assert calls == (["enabled"] if major >= 8 else [])


@pytest.mark.skipif(int(ipywidgets.__version__.split(".")[0]) < 8, reason="Colab renders ipywidgets 7 itself")
def test_on_colab_without_a_widget_manager_for_ipywidgets_8_the_quiz_is_text(test_quiz, live, monkeypatch, capsys):
    def missing():
        raise AttributeError("module 'google.colab.output' has no attribute 'enable_custom_widget_manager'")

    fake_colab(monkeypatch, missing)
    assert "Colab could not enable its widget manager" in widgets.unavailable_reason()
    test_quiz.show()
    assert "Q1. [t-single]" in capsys.readouterr().out and live == []
