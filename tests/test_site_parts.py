"""The parts of ``course site`` that need no browser: quiz data, figure descriptions, pages, the command."""

import base64
import json
import subprocess
import sys

import pytest

from course_utils.checking.quiz import banks
from course_utils.instructor.site import figures, pages, quizdata


def _all_specs():
    return [spec for bank in banks().values() for spec in bank.questions]


@pytest.mark.parametrize("spec", _all_specs(), ids=lambda spec: spec.id)
def test_quiz_data_holds_the_feedback_the_notebook_gives_for_every_answer(spec):
    data = quizdata.quiz_data("t", [spec])["questions"][0]
    for variant in data["variants"]:
        question = spec.make_with({}) if not spec.generated else None
        if spec.generated:  # find the seed that made this variant
            question = next(q for q in (spec.make(f"site-{k}") for k in range(quizdata.VARIANTS))
                            if quizdata.question_data(q) == variant)
        if question.type == "numeric":
            assert variant["answer"] == pytest.approx(float(question.answer))
            assert variant["right"]["status"] == "correct" and variant["wrong"]["status"] == "wrong"
            assert variant["right"]["html"] == question.check(question.answer).html()
            continue
        choices = question.choices or (True, False)
        for key, box in variant["feedback"].items():
            picked = [choices[int(i)] for i in key.split(",")]
            value = picked if question.type == "multiple" else picked[0]
            expected = question.check(value)
            assert (box["status"], box["html"]) == (expected.status, expected.html()), key
        assert sum(box["status"] == "correct" for box in variant["feedback"].values()) == 1


def test_generated_questions_come_with_several_variants():
    spec = next(s for s in _all_specs() if s.id == "conv-output-size-valid")
    variants = quizdata.quiz_data("t", [spec])["questions"][0]["variants"]
    assert len(variants) > 1 and len({v["prompt"] for v in variants}) == len(variants)


def test_quiz_html_is_inert_json_that_cannot_close_its_script_tag():
    data = {"title": "x</script><b>", "note": "", "questions": []}
    markup = quizdata.quiz_html(data)
    assert markup.count("</script>") == 1
    payload = markup.split('class="course-site-quiz-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(payload)["title"] == data["title"]


def test_final_quiz_on_the_site_draws_like_the_notebook():
    from course_utils.checking import quiz

    data = quizdata.final_quiz(n=8, seed=3)
    assert [q["id"] for q in data["questions"]] == quiz.final_quiz(n=8, seed=3).ids


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (left, right) = plt.subplots(1, 2)
    left.plot([3, 2, 1], label="training")
    left.plot([3, 2.5, 2], label="validation")
    left.legend()
    left.set(title="Loss", xlabel="epoch", ylabel="loss")
    right.imshow(np.arange(-4, 5).reshape(3, 3), cmap="viridis")
    right.set_title("kernel")
    fig.suptitle("Training")
    return fig, plt


def test_a_figure_is_described_by_its_titles_axes_and_legend():
    fig, plt = _figure()
    try:
        text = figures.describe(fig)
    finally:
        plt.close(fig)
    assert text == ("Figure: Training. 2 panels: line plot 'Loss' of loss against epoch (training, validation); "
                    "image 'kernel'.")


def test_colour_maps_that_colour_blind_readers_cannot_read_are_reported():
    fig, plt = _figure()
    try:
        assert figures.colour_problems(fig) == ["kernel: signed values on the one-sided colour map 'viridis'"]
        fig.axes[1].images[0].set_cmap("RdBu_r")
        assert figures.colour_problems(fig) == []
        fig.axes[1].images[0].set_cmap("jet")
        assert any("rainbow" in p for p in figures.colour_problems(fig))
    finally:
        plt.close(fig)


def test_the_describer_becomes_the_figures_text_version():
    code = ("import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt\n"
            "from course_utils.instructor.site import figures\nfigures.install()\n"
            "fig, ax = plt.subplots(); ax.set_title('Accuracy'); ax.plot([1, 2]); print(repr(fig))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "Figure. A line plot 'Accuracy'."


def _png():
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 16).decode()


def test_a_page_gets_launch_buttons_figure_files_with_alt_text_a_quiz_and_exercise_links(tmp_path):
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# 00 · Start\n\n<!-- badges -->\n[![x](https://x/y.svg)](u)\n"
                                                             "<!-- /badges -->\n"},
        {"cell_type": "code", "metadata": {"tags": ["setup"]}, "source": "import sys", "outputs": []},
        {"cell_type": "markdown", "metadata": {}, "source": "## Pictures"},
        {"cell_type": "code", "metadata": {}, "source": "plot()", "outputs": [
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": _png(), "text/plain": "Figure: Digits. 3 images titled 1, 2, 3."}},
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": _png(), "text/plain": "<Figure size 640x480 with 1 Axes>"}}]},
        {"cell_type": "code", "metadata": {}, "source": "x = None  # YOUR CODE HERE\nex.n_pixels.check(x)",
         "outputs": []},
        {"cell_type": "code", "metadata": {}, "source": 'quiz = course_utils.quiz.load("00_start_here")\nquiz.show()',
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "1. ..."}]},
        {"cell_type": "code", "metadata": {}, "source": '# course_utils.quiz.load("03").show()', "outputs": []},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    maker = pages.PageMaker("00_start_here.ipynb", tmp_path / "figures")
    page = maker.page(nb)
    first = page["cells"][0]["source"]
    assert "badges" not in first and "https://x/y.svg" not in first
    assert 'class="course-launch"' in first and "downloads/00_start_here.ipynb" in first
    assert "hide-input" in page["cells"][1]["metadata"]["tags"]
    figure_html = [o["data"]["text/html"] for o in page["cells"][3]["outputs"]]
    assert 'alt="Figure: Digits. 3 images titled 1, 2, 3."' in figure_html[0]
    assert "section &#x27;Pictures&#x27;" in figure_html[1]  # no description: the section it is in
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [name for name, _ in maker.figures]
    assert "Run <code>ex.n_pixels</code> on" in page["cells"][4]["outputs"][-1]["data"]["text/html"]
    quiz_outputs = page["cells"][5]["outputs"]
    assert len(quiz_outputs) == 1 and "course-site-quiz-data" in quiz_outputs[0]["data"]["text/html"]
    assert page["cells"][6]["outputs"] == []  # a commented-out quiz stays code


def test_course_site_is_a_subcommand_and_import_course_utils_loads_no_sphinx():
    from course_utils.instructor import cli

    args = cli.build_parser().parse_args(["site", "out", "00", "--fast"])
    assert args.out_dir == "out" and args.notebooks == ["00"] and args.fast
    code = "import sys, course_utils; print(any(m.split('.')[0] in ('sphinx', 'myst_nb', 'tensorflow') " \
           "for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_inline_text_colours_of_outputs_are_made_readable():
    markup = ('<span style="color: #00d7ff; text-decoration-color: #00d7ff">None</span><b style="color: #000000">x</b>'
              '<i style="background-color: #00d7ff">y</i>')
    fixed = pages.readable_colours(markup)
    colours = [c for c in __import__("re").findall(r"color: #(\w{6})", fixed)]
    assert colours[2] == "000000"  # already readable: unchanged
    assert "background-color: #00d7ff" in fixed  # backgrounds stay
    assert pages.contrast([int(colours[0][i:i + 2], 16) for i in (0, 2, 4)]) >= pages.MIN_CONTRAST
    assert colours[0] != "00d7ff" and colours[0] == colours[1]


def test_without_npm_and_without_a_cache_the_error_says_what_to_do(monkeypatch, tmp_path):
    from course_utils.instructor.site import assets

    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm is not installed.*apt-get install npm"):
        assets.package_dir("mathjax", cache=tmp_path)
