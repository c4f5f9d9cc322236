"""The course in a real browser: JupyterLab on 127.0.0.1 (a free port, a token), Debian's Chromium driven by
Playwright for Python (its own executable, never a downloaded browser).

Notebooks 00, 01 and 03 are opened with ``COURSE_FAST=1`` and run with Run All, as a student would; then what the
student sees is checked: no error output, the quiz answers and shows feedback when clicked (a wrong, then a right
answer), the convolution explorer redraws when a control changes, the tqdm bar is a widget counting whole batches,
the exercise table is left-aligned, and every multiple-choice label is shown in full. In every notebook with
exercises (00-06) the first exercise is answered wrongly, then rightly, by typing code into its cell and running
it, and the check's message is read in the page. 02, 04, 05 and 06 are not run whole (that takes minutes): only
their set-up, imports, parameters and ``exercises.load`` cells, then the exercise cell, and in 05 and 06 the quiz
(a wrong answer gets "Not yet" and a hint, not the answer; then the right one; Show answer reveals another).
One JupyterLab server serves every notebook. Screenshots and timings go to ``build/browser/``.

Skips, with the reason, where Chromium (``apt-get install chromium``) or Playwright (``pip install playwright``)
is missing. JupyterLab runs on copies of the notebooks, with its own settings, so nothing in the repository or
the user's Jupyter setup changes.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
NOTEBOOKS = ["00_start_here", "01_convolution_by_hand", "03_mnist_cnn"]  # run with Run All
EXERCISE_NOTEBOOKS = ["00_start_here", "01_convolution_by_hand", "02_pooling", "03_mnist_cnn", "04_visualizing_cnns",
                      "05_better_cnns", "06_transfer_learning"]
QUIZ_NOTEBOOKS = ["05_better_cnns", "06_transfer_learning"]  # besides 00's quiz, run whole
# The first exercise of each notebook: the call that marks its cell, and a wrong answer a student could type (the
# right answer is the cell's own solution).
WRONG_ANSWERS = {
    "00_start_here": ("ex.normalize.check(", """ex = course_utils.exercises.load("00_start_here")


def normalize(images):
    return np.asarray(images) // 255


ex.normalize.check(normalize)
"""),
    "01_convolution_by_hand": ("ex.conv2d_loop.check(", """ex = course_utils.exercises.load("01_convolution_by_hand")


def conv2d_loop(image, kernel):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)[::-1, ::-1]
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


ex.conv2d_loop.check(conv2d_loop)
"""),
    "02_pooling": ("ex.max_pool.check(", """ex = course_utils.exercises.load("02_pooling")


def max_pool(image, size=2):
    image = np.asarray(image, dtype=float)
    out = np.zeros((image.shape[0] // size, image.shape[1] // size))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = image[i * size:(i + 1) * size, j * size:(j + 1) * size].mean()
    return out


ex.max_pool.check(max_pool)
"""),
    "03_mnist_cnn": ("ex.param_counts.check(", """param_counts = (3 * 3 * 32 * 64, 5 * 5 * 64 * 128)
ex.param_counts.check(param_counts)
"""),
    "04_visualizing_cnns": ("ex.feature_extractor.check(", """def build_feature_extractor(model):
    return model


ex.feature_extractor.check(build_feature_extractor)
"""),
    "05_better_cnns": ("ex.batch_norm.check(", """def batch_norm(x, gamma, beta, epsilon=1e-3):
    mean, variance = x.mean(), x.var()
    return gamma * (x - mean) / np.sqrt(variance + epsilon) + beta


ex.batch_norm.check(batch_norm)
"""),
    "06_transfer_learning": ("ex.build_classifier.check(", """def build_classifier(base, n_classes):
    inputs = keras.Input(base.input_shape[1:])
    x = base(inputs, training=False)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


ex.build_classifier.check(build_classifier)
"""),
}
RUN_ALL_TIMEOUT_S = 900
TIMINGS = {}

if not Path(CHROMIUM).is_file():
    pytest.skip("Chromium is not installed (Debian: apt-get install chromium); the browser test needs it",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")

# Settings for a student's JupyterLab: every cell rendered (so all of them can be measured), no news pop-up,
# and nbgrader's extensions off (a test requirement, not part of the course environment).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
}
PAGE_CONFIG = {"disabledExtensions": {"@jupyter/nbgrader": True, "@jupyter-notebook/lab-extension": True}}

# What the page reports about the current notebook: each code cell's source, execution count and outputs.
CELLS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, index) => {
    cell.node.setAttribute('data-test-cell', String(index));
    const outputs = cell.model.type === 'code' ? cell.model.outputs.toJSON() : [];
    return {index, type: cell.model.type, source: cell.model.sharedModel.getSource(),
            count: cell.model.type === 'code' ? cell.model.executionCount : null,
            tags: cell.model.getMetadata('tags') || [],
            errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
            stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr')
                           .map(o => Array.isArray(o.text) ? o.text.join('') : o.text),
            mimes: outputs.flatMap(o => Object.keys(o.data || {}))};
  });
}"""

# Every multiple-choice label of the quizzes (radio buttons and check boxes): what it shows and what it holds.
LABELS_JS = """(root) => Array.from(root.querySelectorAll(
    '.course-quiz .widget-radio-box label, .course-quiz .jupyter-widget-radio-box label, '
    + '.course-quiz-choice .widget-label-basic, .course-quiz-choice .jupyter-widget-label-basic'))
  .map(label => {
    label.scrollIntoView();
    const card = label.closest('.course-quiz-card');
    const box = label.getBoundingClientRect(), outer = card ? card.getBoundingClientRect() : box;
    return {text: label.textContent.trim(), scrollWidth: label.scrollWidth, clientWidth: label.clientWidth,
            scrollHeight: label.scrollHeight, clientHeight: label.clientHeight,
            right: box.right, cardRight: outer.right, visible: box.width > 0 && box.height > 0};
  })"""


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def lab():
    """A JupyterLab server on copies of the notebooks; yields its base URL and token."""
    shutil.rmtree(OUT, ignore_errors=True)
    folder = OUT / "notebooks"
    folder.mkdir(parents=True)
    for name in sorted(set(NOTEBOOKS + EXERCISE_NOTEBOOKS)):
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", folder)
    for relative, settings in LAB_SETTINGS.items():
        _write_json(OUT / "lab-settings" / relative, settings)
    _write_json(OUT / "jupyter-config" / "labconfig" / "page_config.json", PAGE_CONFIG)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "COURSE_FAST": "1", "COURSE_OFFLINE": "1", "COURSE_WORK_DIR": str(OUT / "work"),
           "COURSE_PROGRESS_FILE": str(OUT / "work" / "progress.json"),
           "JUPYTER_CONFIG_DIR": str(OUT / "jupyter-config"), "JUPYTERLAB_SETTINGS_DIR": str(OUT / "lab-settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(OUT / "workspaces")}
    for name in ("COURSE_HEADLESS", "TF_CPP_MIN_LOG_LEVEL"):  # a student's kernel: widgets, TensorFlow as it is
        env.pop(name, None)
    log = open(OUT / "jupyterlab.log", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={folder}", "--LabApp.expose_app_in_browser=True"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(OUT / 'jupyterlab.log').read_text()[-3000:]}")
            time.sleep(1)
        yield url, token
    finally:
        server.send_signal(signal.SIGTERM)  # the server shuts its kernels down
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except sync_api.Error as err:
            pytest.skip(f"Chromium could not be started by Playwright: {str(err)[:300]}")
        yield chromium
        chromium.close()


# Runs the given cells one after the other (each awaited until its kernel reply); returns their execution counts.
RUN_CELLS_JS = """async (indices) => {
  const app = window.jupyterapp, notebook = app.shell.currentWidget.content;
  for (const index of indices) {
    notebook.deselectAll();
    notebook.activeCellIndex = index;
    await app.commands.execute('notebook:run-cell');
  }
  return indices.map(index => notebook.widgets[index].model.executionCount);
}"""


class Notebook:
    """One notebook opened in JupyterLab and run with Run All (or, with ``run_all=False``, only opened)."""

    def __init__(self, browser, lab, name, run_all=True):
        url, token = lab
        self.name = name
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.set_default_timeout(60_000)
        start = time.perf_counter()
        self.page.goto(f"{url}/lab/tree/{name}.ipynb?reset&token={token}")
        self.page.wait_for_function(
            f"""() => {{ const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                        return w && w.context && w.context.path === '{name}.ipynb' && w.sessionContext; }}""",
            timeout=180_000)
        self.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.ready")
        opened = time.perf_counter()
        self.ran_prelude = run_all
        if not run_all:
            self.cells = self._cells()
            TIMINGS[name] = {"open_s": round(opened - start, 1)}
            return
        finished = self.page.evaluate(
            f"""() => Promise.race([
                  window.jupyterapp.commands.execute('notebook:run-all-cells'),
                  new Promise(resolve => setTimeout(() => resolve('timeout'), {RUN_ALL_TIMEOUT_S * 1000}))])""")
        assert finished != "timeout", f"{name}: Run All did not finish in {RUN_ALL_TIMEOUT_S} s"
        TIMINGS[name] = {"open_s": round(opened - start, 1), "run_all_s": round(time.perf_counter() - opened, 1)}
        self.cells = self._cells()
        self.shot("after-run-all")

    def _cells(self):
        cells = self.page.evaluate(CELLS_JS)
        for cell in cells:
            cell["tags"] = set(cell["tags"])
        return cells

    def index(self, text):
        """The index of the first code cell whose source contains ``text``."""
        return next(c["index"] for c in self.cells if c["type"] == "code" and text in c["source"])

    def cell(self, text):
        """The locator of the first code cell whose source contains ``text``."""
        locator = self.page.locator(f'[data-test-cell="{self.index(text)}"]')
        locator.scroll_into_view_if_needed()
        return locator

    def run(self, indices):
        """Run these cells in order (each to its end); returns their execution counts."""
        start = time.perf_counter()
        counts = self.page.evaluate(RUN_CELLS_JS, list(indices))
        TIMINGS[self.name]["run_cells_s"] = round(TIMINGS[self.name].get("run_cells_s", 0)
                                                  + time.perf_counter() - start, 1)
        return counts

    def run_prelude(self, before):
        """Run what a notebook needs before its first exercise, once: set-up, imports, parameters, exercises."""
        if self.ran_prelude:
            return
        needed = [c["index"] for c in self.cells[:before] if c["type"] == "code" and (
            c["tags"] & {"setup", "parameters"} or "import course_utils" in c["source"]
            or "exercises.load(" in c["source"])]
        counts = self.run(needed)
        assert None not in counts, f"{self.name}: the cells before the exercise did not run: {needed} -> {counts}"
        self.ran_prelude = True

    def run_definitions_for(self, index):
        """Run the earlier code cells that assign a name cell ``index`` reads (e.g. 06's quiz reads ``IMAGENET``)."""
        import ast

        def assigned(source):
            try:
                tree = ast.parse(source)
            except SyntaxError:  # cell magics
                return set()
            return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                    if isinstance(t, ast.Name)}

        source = next(c["source"] for c in self.cells if c["index"] == index)
        read = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        needed = [c["index"] for c in self.cells[:index] if c["type"] == "code" and assigned(c["source"]) & read]
        counts = self.run(needed)
        assert None not in counts, f"{self.name}: the cells cell {index} needs did not run: {needed} -> {counts}"

    def type_and_run(self, index, code):
        """Type ``code`` into cell ``index`` (replacing its text), run it; returns the text of its outputs."""
        cell = self.page.locator(f'[data-test-cell="{index}"]')
        cell.scroll_into_view_if_needed()
        cell.locator(".cm-content").first.click()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.insert_text(code)
        typed = self.page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.sharedModel.getSource()", index)
        assert typed == code, f"{self.name}: the editor changed the typed code:\n{typed}"
        [count] = self.run([index])
        assert count is not None, f"{self.name}: cell {index} did not run"
        cell.locator(".jp-OutputArea-output").first.wait_for()
        return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())

    def shot(self, label, locator=None):
        """A PNG of the page or of one element (the window grows to fit a tall element, then shrinks back)."""
        path = OUT / f"{self.name}-{label}.png"
        size = self.page.viewport_size
        if locator is not None:
            box = locator.bounding_box()
            if box and box["height"] + 250 > size["height"]:
                self.page.set_viewport_size({"width": size["width"], "height": int(box["height"]) + 250})
            locator.scroll_into_view_if_needed()
        try:
            (locator or self.page).screenshot(path=str(path))
        finally:
            self.page.set_viewport_size(size)
        return path

    def labels(self, width):
        """The multiple-choice labels as measured in a window ``width`` pixels wide."""
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": width, "height": size["height"]})
        self.page.wait_for_timeout(500)  # let JupyterLab lay the notebook out again
        try:
            return self.page.evaluate(LABELS_JS, self.page.locator(".jp-NotebookPanel").first.element_handle())
        finally:
            self.page.set_viewport_size(size)


@pytest.fixture(scope="module")
def opened(browser, lab):
    notebooks = {}

    def open_notebook(name):
        if name not in notebooks:
            notebooks[name] = Notebook(browser, lab, name, run_all=name in NOTEBOOKS)
        return notebooks[name]

    yield open_notebook
    for notebook in notebooks.values():
        notebook.page.close()
    _write_json(OUT / "timings.json", TIMINGS)
    print(f"\nbrowser timings (s): {json.dumps(TIMINGS)}")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_run_all_executes_every_cell_without_an_error(opened, name):
    notebook = opened(name)
    code = [c for c in notebook.cells if c["type"] == "code"]
    not_run = [c["source"][:80] for c in code if c["count"] is None]
    errors = [(c["source"][:80], c["errors"]) for c in code if c["errors"]]
    assert not errors, f"{name}: error output in {errors}"
    assert not not_run, f"{name}: cells not executed: {not_run}"
    _write_json(OUT / f"{name}-stderr.json", [(c["source"][:80], c["stderr"]) for c in code if c["stderr"]])


@pytest.mark.parametrize("width", [1400, 900])  # a wide window; half of a 1920-pixel screen, file browser open
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_multiple_choice_label_is_shown_in_full(opened, name, width):
    from course_utils.checking import quiz

    notebook = opened(name)
    labels = notebook.labels(width)
    assert labels, f"{name}: no multiple-choice labels rendered"
    clipped = [label for label in labels if not label["visible"] or not label["text"]
               or label["scrollWidth"] > label["clientWidth"] + 1 or label["scrollHeight"] > label["clientHeight"] + 1
               or label["right"] > label["cardRight"] + 1]
    size = notebook.page.viewport_size
    notebook.page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        notebook.shot(f"quiz-{width}px", notebook.cell("quiz.show()"))
    finally:
        notebook.page.set_viewport_size(size)
    assert not clipped, f"{name}: {len(clipped)} of {len(labels)} labels are clipped at {width} px, e.g. {clipped[:3]}"
    fixed = [choice for question in quiz.load(name).questions if not question.values
             for choice in question.choices]  # generated questions draw new numbers each time
    shown = {label["text"] for label in labels}
    assert [choice for choice in fixed if choice not in shown] == []


def test_quiz_answers_a_click_with_feedback_wrong_then_right(opened):
    from course_utils.checking import quiz

    question = next(q for q in quiz.load("00_start_here").questions if q.type == "single")
    right = question.answer_text
    wrong = next(choice for choice in question.choices if choice != right)
    notebook = opened("00_start_here")
    card = notebook.page.locator(f".course-quiz-id-{question.id}")
    card.scroll_into_view_if_needed()
    feedback = card.locator(".course-quiz-feedback")
    card.get_by_label(wrong, exact=True).check()
    card.locator(".course-quiz-submit").click()
    feedback.filter(has_text="Not yet").wait_for()
    notebook.shot("quiz-wrong", card)
    card.get_by_label(right, exact=True).check()
    card.locator(".course-quiz-submit").click()
    feedback.filter(has_text="Correct").wait_for()
    notebook.shot("quiz-right", card)
    assert "Not yet" not in feedback.inner_text()


def test_explorer_redraws_when_a_control_changes(opened):
    notebook = opened("01_convolution_by_hand")
    explorer = notebook.cell("conv_explorer(")
    figure, setting = explorer.locator(".widget-output img").first, explorer.locator(".widget-html").first
    figure.wait_for()
    before = (figure.get_attribute("src"), setting.inner_text())
    notebook.shot("explorer-before", explorer)
    explorer.locator(".widget-dropdown", has_text="stride").locator("select").select_option(label="2")
    notebook.page.wait_for_function(  # the figure is replaced by a new <img>: look it up each time
        """([index, before]) => {
             const cell = document.querySelector(`[data-test-cell="${index}"]`);
             const img = cell.querySelector('.widget-output img'), text = cell.querySelector('.widget-html');
             return img && text && img.getAttribute('src') !== before[0] && text.innerText !== before[1]; }""",
        arg=[int(explorer.get_attribute("data-test-cell")), list(before)], timeout=60_000)
    notebook.shot("explorer-after", explorer)
    assert ") // 2 + 1 = 13" in setting.inner_text()  # 28 pixels, a 3x3 kernel, stride 2, no padding


def test_training_progress_is_a_tqdm_widget(opened):
    notebook = opened("03_mnist_cnn")
    training = notebook.cell("course_utils.progress_bar()")
    bar = training.locator(".widget-hprogress").first
    bar.wait_for()
    notebook.shot("tqdm", training.locator(".jp-OutputArea").first)
    index = int(training.get_attribute("data-test-cell"))
    cell = notebook.cells[index]
    assert "application/vnd.jupyter.widget-view+json" in cell["mimes"]
    assert not any("it/s" in text or "%|" in text for text in cell["stderr"]), "tqdm fell back to a text bar"


def test_training_progress_counts_whole_batches(opened):
    """tqdm's Keras callback printed `7.00/31.0` (review, platform item 8): the bar counts batches, integers."""
    import re

    notebook = opened("03_mnist_cnn")
    text = notebook.cell("course_utils.progress_bar()").locator(".jp-OutputArea").first.inner_text()
    assert re.search(r"\b\d+/\d+\b", text), text
    assert not re.search(r"\d\.\d+/\d", text), f"fractional batch counts in the bar: {text}"


def test_the_exercise_table_is_left_aligned(opened):
    notebook = opened("00_start_here")
    index = next(c["index"] for c in notebook.cells if c["type"] == "code" and c["source"].strip() == "ex")
    table = notebook.page.locator(f'[data-test-cell="{index}"] .jp-OutputArea-output table').first
    table.scroll_into_view_if_needed()
    notebook.shot("exercise-table", table)
    aligns = table.evaluate("t => Array.from(t.querySelectorAll('th, td')).map(c => getComputedStyle(c).textAlign)")
    assert aligns and set(aligns) <= {"left", "start"}, aligns


@pytest.mark.parametrize("name", EXERCISE_NOTEBOOKS)
def test_the_first_exercise_typed_wrong_then_right_shows_the_checks_message(opened, name):
    marker, wrong = WRONG_ANSWERS[name]
    notebook = opened(name)
    index = notebook.index(marker)
    right = notebook.cells[index]["source"]
    assert "BEGIN SOLUTION" in right, f"{name}: the first exercise cell holds no solution"
    notebook.run_prelude(index)
    cell = notebook.page.locator(f'[data-test-cell="{index}"]')
    shown = notebook.type_and_run(index, wrong)
    notebook.shot("exercise-wrong", cell)
    assert "✘" in shown and "Correct" not in shown, f"{name}: a wrong answer got: {shown[:500]}"
    assert "Traceback" not in shown and "Error" not in shown.split("\n")[0], shown[:500]
    shown = notebook.type_and_run(index, right)
    notebook.shot("exercise-right", cell)
    assert "✔ Correct" in shown and "✘" not in shown, f"{name}: the solution got: {shown[:500]}"


def _a_question_with_two_tries(name):
    """A fixed single-choice question with more than two choices, one with a hint in its bank if there is one."""
    from course_utils.checking import quiz

    candidates = [q for q in quiz.load(name).questions if q.type == "single" and len(q.choices) > 2 and not q.values]
    return sorted(candidates, key=lambda q: not q.hint)[0], candidates


@pytest.mark.parametrize("name", QUIZ_NOTEBOOKS)
def test_a_wrong_quiz_answer_gets_a_hint_then_the_right_one_counts(opened, name):
    question, others = _a_question_with_two_tries(name)
    wrong = next(choice for choice in question.choices if choice != question.answer)
    notebook = opened(name)
    index = notebook.index("quiz.show()")
    notebook.run_prelude(index)
    notebook.run_definitions_for(index)
    assert notebook.run([index]) != [None]
    card = notebook.page.locator(f".course-quiz-id-{question.id}")
    card.scroll_into_view_if_needed()
    feedback = card.locator(".course-quiz-feedback")
    card.get_by_label(wrong, exact=True).check()
    card.locator(".course-quiz-submit").click()
    feedback.filter(has_text="Not yet").wait_for()
    notebook.shot("quiz-hint", card)
    text = feedback.inner_text()
    assert "Try once more" in text and "The answer is" not in text and "Why:" not in text, text
    assert (f"Hint: {question.hint[:40]}" if question.hint else "Look again at what notebook") in text, text
    card.get_by_label(question.answer, exact=True).check()
    card.locator(".course-quiz-submit").click()
    feedback.filter(has_text="Correct").wait_for()
    notebook.shot("quiz-right", card)
    assert "Why:" in feedback.inner_text()
    score = notebook.page.locator(f'[data-test-cell="{index}"] .course-quiz-score')
    assert "1/" in score.inner_text() and "1 of" in score.inner_text(), score.inner_text()

    other = next(q for q in others if q.id != question.id)  # Show answer, without a try
    card = notebook.page.locator(f".course-quiz-id-{other.id}")
    card.scroll_into_view_if_needed()
    card.locator(".course-quiz-reveal").click()
    card.locator(".course-quiz-feedback").filter(has_text="The answer").wait_for()
    notebook.shot("quiz-show-answer", card)
    assert other.answer in card.locator(".course-quiz-feedback").inner_text()
    assert "1/" in score.inner_text() and "2 of" in score.inner_text(), score.inner_text()
