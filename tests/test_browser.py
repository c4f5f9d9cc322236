"""The course in a real browser: JupyterLab on 127.0.0.1 (a free port, a token), Debian's Chromium driven by
Playwright for Python (its own executable, never a downloaded browser).

Notebooks 00, 01 and 03 are opened with ``COURSE_FAST=1`` and run with Run All, as a student would; then what the
student sees is checked: no error output, the quiz answers and shows feedback when clicked (a wrong, then a right
answer), the convolution explorer redraws when a control changes, the tqdm bar is a widget, and every
multiple-choice label is shown in full. Screenshots and timings go to ``build/browser/``.

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
NOTEBOOKS = ["00_start_here", "01_convolution_by_hand", "03_mnist_cnn"]
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
    for name in NOTEBOOKS:
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


class Notebook:
    """One notebook opened in JupyterLab and run with Run All."""

    def __init__(self, browser, lab, name):
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
        finished = self.page.evaluate(
            f"""() => Promise.race([
                  window.jupyterapp.commands.execute('notebook:run-all-cells'),
                  new Promise(resolve => setTimeout(() => resolve('timeout'), {RUN_ALL_TIMEOUT_S * 1000}))])""")
        assert finished != "timeout", f"{name}: Run All did not finish in {RUN_ALL_TIMEOUT_S} s"
        TIMINGS[name] = {"open_s": round(opened - start, 1), "run_all_s": round(time.perf_counter() - opened, 1)}
        self.cells = self.page.evaluate(CELLS_JS)
        self.shot("after-run-all")

    def cell(self, text):
        """The locator of the first code cell whose source contains ``text``."""
        index = next(c["index"] for c in self.cells if c["type"] == "code" and text in c["source"])
        locator = self.page.locator(f'[data-test-cell="{index}"]')
        locator.scroll_into_view_if_needed()
        return locator

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
            notebooks[name] = Notebook(browser, lab, name)
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
    from course_utils import quiz

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
    from course_utils import quiz

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
