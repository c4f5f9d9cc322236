"""The course website (``course site``) in a real browser: Debian's Chromium driven by Playwright for Python.

One site is built per test session (``COURSE_SITE_TEST_EXECUTED=DIR`` reuses executed copies of the released
notebooks, e.g. ``build/site-work/run`` of an earlier ``course site --fast``) (``SITE_NOTEBOOKS`` with fast parameters: a demo quiz and exercises, math
and figures, the final quiz) into ``build/site-test``, served on 127.0.0.1, and checked: every page loads with
no request leaving 127.0.0.1, math is typeset, every figure loads and has alt text, search finds a term, a quiz
answered wrongly then rightly shows the bank's feedback, no page holds a solution, headings are in order and
axe-core (from npm) reports no serious or critical violation (its report: ``build/site-browser/axe.json``).
Screenshots go to ``build/site-browser/``.

Skips, with the reason, where Chromium, Playwright, the ``site`` extra (Sphinx, myst-nb, sphinx-book-theme), or
npm with its registry (MathJax, axe-core, fetched once into the cache) is missing.
"""

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "site-test"
OUT = ROOT / "build" / "site-browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SITE_NOTEBOOKS = ["00", "01", "07"]
PAGES = ["index.html", "00_start_here.html", "01_convolution_by_hand.html", "07_final_quiz.html", "search.html"]
LOCAL_SCHEMES = ("data:", "blob:", "about:")

if not Path(CHROMIUM).is_file():
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the site test needs it",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
pytest.importorskip("myst_nb", reason="the site extra is not installed (pip install 'cnn-course[site]')")
pytest.importorskip("sphinx_book_theme", reason="the site extra is not installed (pip install 'cnn-course[site]')")

from course_utils.instructor.site import assets, build  # noqa: E402 - after the skips


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once per session from the released notebooks executed with fast parameters."""
    try:
        axe = assets.package_dir("axe-core") / "axe.min.js"
        executed = os.environ.get("COURSE_SITE_TEST_EXECUTED")  # executed copies to reuse (faster reruns)
        report = build.build(SITE, executed=executed, fast=True, names=SITE_NOTEBOOKS,
                             work=tmp_path_factory.mktemp("site-work"))
    except (assets.AssetError, build.SiteError) as err:
        if "npm" in str(err):
            pytest.skip(f"npm or its registry is unavailable: {str(err)[:300]}")
        raise
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "site-report.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    return {"dir": SITE, "report": report, "axe": axe}


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(QuietHandler, directory=str(site["dir"]))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh page that records every request and every script error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.requests, tab.errors = [], []
    tab.on("request", lambda request: tab.requests.append(request.url))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.base = server
    yield tab
    context.close()


def _open(page, name):
    page.goto(f"{page.base}/{name}", wait_until="load")
    page.wait_for_load_state("networkidle")


def _load_every_image(page):
    page.evaluate("document.querySelectorAll('img').forEach(img => { img.loading = 'eager'; })")
    page.wait_for_function("Array.from(document.images).every(img => img.complete)", timeout=30_000)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_loads_from_127_0_0_1_only(page, name):
    _open(page, name)
    _load_every_image(page)
    page.wait_for_load_state("networkidle")
    outside = [url for url in page.requests if not url.startswith(page.base) and not url.startswith(LOCAL_SCHEMES)]
    assert outside == [], f"{name} requested addresses outside 127.0.0.1: {outside}"
    assert page.errors == [], f"{name} raised script errors: {page.errors}"
    assert page.title(), f"{name} has no title"


def test_no_page_names_a_script_style_or_font_outside_the_site(site):
    remote = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["'](https?:)?//""", re.I)
    css_remote = re.compile(r"""url\(\s*["']?(https?:)?//""", re.I)
    bad = [str(path.relative_to(site["dir"])) for path in site["dir"].rglob("*.html")
           if remote.search(path.read_text(encoding="utf-8"))]
    bad += [str(path.relative_to(site["dir"])) for path in site["dir"].rglob("*.css")
            if css_remote.search(path.read_text(encoding="utf-8", errors="replace"))]
    assert bad == [], f"these files load something from another site: {bad}"


def test_math_is_typeset(page):
    _open(page, "01_convolution_by_hand.html")
    page.wait_for_selector("mjx-container", timeout=30_000)
    assert page.locator("mjx-container").count() >= 1
    assert page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error"


@pytest.mark.parametrize("name", ["00_start_here.html", "01_convolution_by_hand.html"])
def test_every_figure_loads_and_says_what_it_shows(page, site, name):
    _open(page, name)
    _load_every_image(page)
    figures = page.evaluate("""Array.from(document.querySelectorAll('figure.course-figure img')).map(img => (
        {src: img.getAttribute('src'), alt: img.alt, width: img.naturalWidth}))""")
    built = site["report"]["figures"][name.removesuffix(".html")]
    assert len(figures) == len(built) > 0
    for figure in figures:
        assert figure["width"] > 0, f"{figure['src']} did not load"
        assert len(figure["alt"]) > 20, f"{figure['src']} has no useful alt text: {figure['alt']!r}"
    described = [f for f in figures if f["alt"].startswith("Figure:") or f["alt"].startswith("Figure. ")]
    assert len(described) == len(figures), "a figure's alt text does not come from its titles and axes"


def test_figures_use_colour_maps_readable_by_colour_blind_students(site):
    problems = {name: found for name, found in site["report"]["colour_problems"].items() if found}
    assert problems == {}, f"colour maps to fix: {problems}"


def test_search_finds_a_term(page):
    _open(page, "search.html?q=convolution")
    page.wait_for_selector("ul.search li", timeout=30_000)
    results = page.locator("ul.search li a").all_inner_texts()
    assert any("Convolution by hand" in text for text in results), results


def _quiz_card(page, question_id):
    card = page.locator(f'[data-question-id="{question_id}"]')
    card.scroll_into_view_if_needed()
    return card


def test_quiz_answered_wrongly_then_rightly_shows_the_banks_feedback(page):
    from course_utils.checking.quiz import find_spec

    _, spec = find_spec("start-white-pixel")
    question = spec.make(0)
    right = question.choices.index(question.answer)
    wrong = next(i for i in range(len(question.choices)) if i != right)
    _open(page, "00_start_here.html")
    card = _quiz_card(page, "start-white-pixel")
    feedback = card.locator(".course-site-feedback")
    card.locator(f'input[value="{wrong}"]').check()
    card.locator(".course-site-submit").click()
    assert feedback.get_attribute("data-status") == "wrong"
    assert question.check(question.choices[wrong]).message in feedback.inner_text()
    card.locator(f'input[value="{right}"]').check()
    card.locator(".course-site-submit").click()
    assert feedback.get_attribute("data-status") == "correct"
    text = feedback.inner_text()
    assert "Correct" in text and question.explanation.split(".")[0] in text
    assert "1 correct of 1 answered" in page.locator(".course-site-score").first.inner_text()
    OUT.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(OUT / "quiz.png"))


def test_generated_question_is_scored_with_its_own_numbers(page):
    _open(page, "01_convolution_by_hand.html")
    card = _quiz_card(page, "conv-output-size-valid")
    data = json.loads(page.locator("script.course-site-quiz-data").first.text_content())
    variants = next(q["variants"] for q in data["questions"] if q["id"] == "conv-output-size-valid")
    assert len(variants) > 1, "a generated question should come with several variants"
    answer = variants[int(card.get_attribute("data-variant"))]["answer"]
    entry, feedback = card.locator("input"), card.locator(".course-site-feedback")
    for typed, status in [("twelve", "invalid"), (str(answer + 1), "wrong"), (str(answer), "correct")]:
        entry.fill(typed)
        card.locator(".course-site-submit").click()
        assert feedback.get_attribute("data-status") == status, typed


def _solution_lines(notebook, student_source):
    """Lines of the exercise module's reference solutions that the student notebook does not show anyway."""
    from course_utils.checking import exercises

    try:
        found = exercises.load(notebook)
    except LookupError:
        return set()
    lines = set()
    for exercise in found:
        for line in exercise.solution_text().splitlines():
            line = line.strip()
            if len(line) >= 8 and not line.startswith("#") and line not in student_source:
                lines.add(line)
    return lines


@pytest.mark.parametrize("notebook", ["00_start_here", "01_convolution_by_hand", "07_final_quiz"])
def test_no_page_contains_a_solution(site, notebook):
    page_text = (site["dir"] / f"{notebook}.html").read_text(encoding="utf-8")
    import html

    page_text = html.unescape(re.sub(r"<[^>]+>", "", page_text))
    student = (site["dir"] / "downloads" / f"{notebook}.ipynb").read_text(encoding="utf-8")
    student_source = "\n".join("".join(c["source"]) for c in json.loads(student)["cells"])
    leaked = [line for line in _solution_lines(notebook, student_source) if line in page_text]
    assert leaked == [], f"{notebook}'s page shows solution lines: {leaked[:5]}"
    assert "### BEGIN SOLUTION" not in page_text


@pytest.mark.parametrize("name", PAGES[:4])
def test_headings_are_in_order(page, name):
    _open(page, name)
    levels = page.evaluate("Array.from(document.querySelectorAll('article h1, article h2, article h3, article h4,"
                           " article h5, article h6')).map(h => Number(h.tagName[1]))")
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert jumps == [], f"{name}: heading levels skip: {jumps}"


def test_axe_finds_no_serious_or_critical_violation(browser, server, site):
    report = {}
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        for name in PAGES:
            tab = context.new_page()
            tab.goto(f"{server}/{name}", wait_until="load")
            tab.wait_for_load_state("networkidle")
            if "quiz" in name or name.startswith("0"):
                tab.wait_for_timeout(500)  # quizzes and MathJax drawn
            tab.add_script_tag(path=str(site["axe"]))
            result = tab.evaluate("""async () => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa',
                    'wcag21a', 'wcag21aa', 'best-practice']}});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
                                              targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }""")
            report[name] = result
            tab.close()
    finally:
        context.close()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "axe.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
    serious = {name: [v for v in found if v["impact"] in ("serious", "critical")] for name, found in report.items()}
    serious = {name: found for name, found in serious.items() if found}
    assert serious == {}, f"axe-core found serious violations (all in {OUT / 'axe.json'}): {serious}"


def test_screenshots_of_the_home_page_and_a_notebook(page):
    OUT.mkdir(parents=True, exist_ok=True)
    _open(page, "index.html")
    page.screenshot(path=str(OUT / "home.png"), full_page=False)
    _open(page, "01_convolution_by_hand.html")
    page.wait_for_selector("mjx-container", timeout=30_000)
    page.screenshot(path=str(OUT / "notebook-top.png"), full_page=False)
    page.locator("mjx-container").first.locator("xpath=..").screenshot(path=str(OUT / "math.png"))
    exercise = page.locator("div.cell:has(.course-site-exercise)").first
    exercise.scroll_into_view_if_needed()
    exercise.screenshot(path=str(OUT / "exercise.png"))
    page.locator("figure.course-figure").first.scroll_into_view_if_needed()
    _load_every_image(page)
    page.screenshot(path=str(OUT / "notebook.png"), full_page=False)
    assert (OUT / "home.png").stat().st_size > 10_000
