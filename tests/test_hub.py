"""A class's term on a real JupyterHub (`course hub`), end to end, through the Hub's REST API and real kernels.

The instructor and three students sign up (NativeAuthenticator; the instructor approves the students). The
instructor releases two assignments (00 and 01) with nbgrader; each student starts a server, fetches both,
writes code into the notebooks and runs them in a kernel of their own server, then submits: alice right, bob
blank, carol half right with a classic mistake (no ``+ 1`` in the output size). The instructor collects,
autogrades, writes feedback, releases it, exports grades and runs ``course progress`` over the collected and the
autograded submissions. The instructor's commands are the README's, run in a kernel of the instructor's server.

Everything lives in ``build/hub/`` (kept to open); ``build/hub/term.json`` records the timings (hub start, each
server start, each notebook run, autograde per assignment), the grade table and the memory of each student's
server. The hub's Python packages come from a side environment (tests/side_venv.py), configurable-http-proxy
from npm (``build/proxy``). Every process the hub started is gone when the term ends (checked).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import nbformat
import pytest
from side_venv import HUB, HUB_SCRIPTS, python_with
from test_nbgrader import CAROL, EXPECTED, MARKERS, _fill, _grade_id

from course_utils.checking import exercises, progress
from course_utils.instructor import hub as course_hub

pytestmark = pytest.mark.hub
requests = pytest.importorskip("requests")
pytest.importorskip("websocket")
psutil = pytest.importorskip("psutil")
from hub_client import Account  # noqa: E402 - after the skips: it needs requests and websocket-client

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "build" / "hub"
COURSE = course_hub.COURSE_ID
ASSIGNMENTS = ["00_start_here", "01_convolution_by_hand"]
STUDENTS = ["alice", "bob", "carol"]
INSTRUCTOR = "teacher"
PASSWORDS = {name: f"{name}-Conv2D-{i}x3!" for i, name in enumerate([INSTRUCTOR, *STUDENTS])}


def _carols_mistake():
    """What ``check()`` says to carol's output size (the forgotten ``+ 1``)."""
    namespace = {}
    exec(CAROL["01_convolution_by_hand"]["answer_conv_output_size"].join(  # noqa: S102 - carol's answer
        ["def f(n, k, stride=1, padding=0):\n    ", "\n"]), namespace)
    return exercises.load("01").conv_output_size.evaluate(namespace["f"]).message


def _proxy():
    """configurable-http-proxy from npm into build/proxy (skips, saying why, where npm or its registry fails)."""
    try:
        return course_hub.find_proxy()
    except course_hub.HubError:
        pass
    if not shutil.which("npm"):
        pytest.skip("npm is not installed: configurable-http-proxy (JupyterHub's proxy) comes from npm")
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(ROOT / "build" / "proxy"),
                           "configurable-http-proxy@5"], capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        pytest.skip(f"npm could not install configurable-http-proxy (is the npm registry reachable?): "
                    f"{done.stderr.strip()[-300:]}")
    return course_hub.find_proxy()


def _free_ports():
    """A port p with p, p+1 and p+2 free (the proxy, the hub's API, the proxy's API)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port > 65000:
            continue
        try:
            for offset in (1, 2):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", port + offset))
            return port
        except OSError:
            continue
    pytest.skip("no three consecutive free ports on 127.0.0.1")


def _wait_for(url, process, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the hub exited ({process.returncode}); see {FOLDER / 'hub.log'}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the hub did not answer at {url} in {timeout} s; see {FOLDER / 'hub.log'}")


def _server_memory(hub_process, user):
    """RSS in MiB of ``user``'s Jupyter server and its kernels (psutil)."""
    for process in hub_process.children(recursive=True):
        try:
            if "jupyterhub.singleuser" in " ".join(process.cmdline()) and \
                    process.environ().get("JUPYTERHUB_USER") == user:
                server = process.memory_info().rss
                kernels = sum(child.memory_info().rss for child in process.children(recursive=True))
                return round(server / 2**20), round((server + kernels) / 2**20)
        except psutil.Error:
            continue
    return None, None


def _answers(student, assignment, nb):
    """The student's notebook with their code written into the answer cells (bob writes nothing)."""
    source = nbformat.read(FOLDER / "home" / INSTRUCTOR / COURSE / "source" / assignment / f"{assignment}.ipynb",
                           as_version=4)
    solutions = {_grade_id(c): c.source for c in source.cells if _grade_id(c)}
    for cell in nb["cells"]:
        grade_id = _grade_id(cell)
        if not grade_id or not grade_id.startswith("answer_"):
            continue
        text = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if student == "alice":
            cell["source"] = "\n".join(line for line in solutions[grade_id].split("\n")
                                       if not any(marker in line for marker in MARKERS))
        elif student == "carol" and grade_id in CAROL[assignment]:
            cell["source"] = _fill(text, CAROL[assignment][grade_id])
    return nb


SHELL = '''
import subprocess, sys, time
def sh(*command):
    """Run an instructor's command in the course folder; print its output; fail on a non-zero exit."""
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    print(done.stdout[-3000:], done.stderr[-3000:])
    assert done.returncode == 0, f"{command} exited with {done.returncode}"
    return time.perf_counter() - began
'''


def _instructor_kernel(server):
    """A kernel in the instructor's course folder, with ``sh(...)`` defined."""
    kernel = server.open_kernel(f"{COURSE}/term.ipynb")  # its working folder: the course folder
    kernel.run(SHELL)
    return kernel


def _instructor_step(kernel, *command):
    """Run one of the README's commands in the instructor's kernel; returns its seconds."""
    words = ", ".join(repr(word) for word in command)
    if command[0] == "course":  # the course command of the kernel's Python
        words = ", ".join(["sys.executable", "'-m'", "'course_utils'"] + [repr(w) for w in command[1:]])
    return float(kernel.run(f"print(sh({words}))", timeout=1200).strip().split("\n")[-1])


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """The whole term; returns what the tests check (grades, feedback, progress, timings, leftovers)."""
    proxy = _proxy()
    python = python_with(HUB, scripts=HUB_SCRIPTS)
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    notebooks = tmp_path_factory.mktemp("notebooks")
    for name in ASSIGNMENTS:
        shutil.copy(ROOT / "notebooks" / f"{name}.ipynb", notebooks)
    port = _free_ports()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items()
           if key not in ("COURSE_WORK_DIR", "COURSE_PROGRESS_FILE", "COURSE_STUDENT")}
    env.update(PYTHONPATH=str(ROOT), COURSE_FAST="1", COURSE_HEADLESS="1", COURSE_OFFLINE="1",
               JUPYTER_PATH=str(Path(sysconfig.get_paths()["data"]) / "share" / "jupyter"))  # this env's nbconvert
    record = {"device": f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} at start", "timings_s": {},
              "memory_mib": {}}
    timings = record["timings_s"]
    began = time.perf_counter()
    with open(FOLDER / "hub.log", "w") as log:
        hub_process = subprocess.Popen(
            [str(python), "-m", "course_utils", "hub", str(FOLDER), "--port", str(port), "--instructor", INSTRUCTOR,
             "--proxy", proxy, "--notebooks", str(notebooks)],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=FOLDER, start_new_session=True,
            stdin=subprocess.DEVNULL)
    hub_ps = psutil.Process(hub_process.pid)
    seen = {}
    leftovers = []
    try:
        _wait_for(f"{url}/hub/api", hub_process)
        timings["hub start"] = time.perf_counter() - began
        result = _run_term(url, hub_ps, record, seen)
    finally:
        seen.update({p.pid: p for p in hub_ps.children(recursive=True)} if hub_ps.is_running() else {})
        os.killpg(hub_process.pid, signal.SIGTERM)  # the hub stops the servers and the proxy itself
        try:
            hub_process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(hub_process.pid, signal.SIGKILL)
            hub_process.wait(30)
        _, alive = psutil.wait_procs(list(seen.values()), timeout=30)
        leftovers = [f"{p.pid} {p.name()}" for p in alive]
        for process in alive:
            process.kill()
    record["leftover processes"] = leftovers
    (FOLDER / "term.json").write_text(json.dumps({k: v for k, v in record.items()}, indent=1, default=str))
    print(json.dumps(record, indent=1, default=str))
    return {**result, "leftovers": leftovers, "record": record}


def _run_term(url, hub_ps, record, seen):
    timings, memory = record["timings_s"], record["memory_mib"]
    teacher = Account(url, INSTRUCTOR, PASSWORDS[INSTRUCTOR])
    teacher.sign_up()
    assert teacher.sign_in(), "the instructor (an admin) signs in right after signing up"
    teacher.get_token()
    students = {name: Account(url, name, PASSWORDS[name]) for name in STUDENTS}
    signed_in_before_approval = {}
    for name, account in students.items():
        account.sign_up()
        signed_in_before_approval[name] = account.sign_in()
        teacher.approve(name)
        assert account.sign_in(), f"{name} signs in once approved"
        account.get_token()
    wrong_password = Account(url, "alice", "not-her-password-1").sign_in()

    began = time.perf_counter()
    teaching = teacher.start_server()
    timings[f"server start: {INSTRUCTOR}"] = teaching.start_s
    formgrader = teaching.request("GET", "/formgrader").status_code
    kernel = _instructor_kernel(teaching)
    try:
        for assignment in ASSIGNMENTS:
            timings[f"generate_assignment {assignment}"] = _instructor_step(
                kernel, "nbgrader", "generate_assignment", assignment)
            _instructor_step(kernel, "nbgrader", "release_assignment", assignment)
    finally:
        kernel.close()
    formgrader_assignments = teaching.request("GET", "/formgrader/api/assignments").json()

    # the students' part of the term
    released, fetched, runs = {}, {}, {}
    for name, account in students.items():
        server = account.start_server()
        seen.update({p.pid: p for p in hub_ps.children(recursive=True)})
        timings[f"server start: {name}"] = server.start_s
        memory[f"{name}: server idle"] = _server_memory(hub_ps, name)[0]
        released[name] = sorted(a["assignment_id"] for a in server.assignments(COURSE)["value"]
                                if a["status"] == "released")
        for assignment in ASSIGNMENTS:
            server.assignment_action("fetch", COURSE, assignment)
            path = f"{assignment}/{assignment}.ipynb"
            fetched[(name, assignment)] = server.exists(path)
            server.write_notebook(path, _answers(name, assignment, server.read_notebook(path)))
            ran = time.perf_counter()

            def measure(name=name):
                seen.update({p.pid: p for p in hub_ps.children(recursive=True)})
                memory[f"{name}: server + kernel"] = max(memory.get(f"{name}: server + kernel") or 0,
                                                        _server_memory(hub_ps, name)[1] or 0)

            _, errors = server.run_notebook(path, on_done=measure)
            timings[f"run {assignment}: {name}"] = time.perf_counter() - ran
            runs[(name, assignment)] = errors
            server.assignment_action("submit", COURSE, assignment)
        account.stop_server()

    kernel = _instructor_kernel(teaching)  # a new kernel for the grading: an idle websocket is closed meanwhile
    try:
        for assignment in ASSIGNMENTS:
            _instructor_step(kernel, "nbgrader", "collect", assignment)
            seconds = _instructor_step(kernel, "nbgrader", "autograde", assignment)
            timings[f"autograde {assignment} (3 submissions)"] = seconds
            timings[f"autograde {assignment} per notebook"] = seconds / len(STUDENTS)
            _instructor_step(kernel, "nbgrader", "generate_feedback", assignment)
            _instructor_step(kernel, "nbgrader", "release_feedback", assignment)
        _instructor_step(kernel, "nbgrader", "export")
        for folder in ("submitted", "autograded"):
            _instructor_step(kernel, "course", "progress", f"{folder}/", "--json", f"progress-{folder}.json")
    finally:
        kernel.close()
    grades_csv = teaching.request("GET", f"/api/contents/{COURSE}/grades.csv", params={"content": 1}).json()
    summaries = {folder: json.loads(teaching.request(
        "GET", f"/api/contents/{COURSE}/progress-{folder}.json", params={"content": 1}).json()["content"])
        for folder in ("submitted", "autograded")}

    carol = students["carol"].start_server()
    carol.assignment_action("fetch_feedback", COURSE, ASSIGNMENTS[1])
    feedback_listing = carol.request("GET", f"/api/contents/{ASSIGNMENTS[1]}/feedback").json()["content"]
    (stamp,) = [item["name"] for item in feedback_listing]
    feedback = carol.request("GET", f"/api/contents/{ASSIGNMENTS[1]}/feedback/{stamp}/{ASSIGNMENTS[1]}.html",
                             params={"content": 1, "format": "text", "type": "file"}).json()["content"]
    timings["term (after the hub started)"] = time.perf_counter() - began
    return {"signed_in_before_approval": signed_in_before_approval, "wrong_password": wrong_password,
            "formgrader": formgrader, "formgrader_assignments": formgrader_assignments, "released": released,
            "fetched": fetched, "runs": runs, "grades_csv": grades_csv["content"], "progress": summaries,
            "carol_feedback": feedback}


def _grades(term):
    import csv
    import io

    rows = csv.DictReader(io.StringIO(term["grades_csv"]))
    return {(r["student_id"], r["assignment"]): (float(r["score"]), float(r["max_score"])) for r in rows}


def test_students_sign_in_only_once_the_instructor_approves_them(term):
    assert term["signed_in_before_approval"] == {name: False for name in STUDENTS}
    assert term["wrong_password"] is False


def test_the_instructor_has_formgrader_with_the_released_assignments(term):
    assert term["formgrader"] == 200
    listing = term["formgrader_assignments"]
    names = {item["name"] for item in (listing["value"] if isinstance(listing, dict) else listing)}
    assert set(ASSIGNMENTS) <= names


def test_each_student_fetches_both_assignments_and_their_notebooks_run(term):
    assert term["released"] == {name: ASSIGNMENTS for name in STUDENTS}
    assert all(term["fetched"].values())
    for (name, assignment), errors in term["runs"].items():
        unexpected = [e for e in errors if e["ename"] != "AnswerNotAccepted"]  # test cells fail on wrong answers
        assert not unexpected, (name, assignment, unexpected)
        assert (not errors) == (name == "alice"), (name, assignment)


def test_the_exported_grades_are_exactly_right(term):
    grades = _grades(term)
    for student, expected in EXPECTED.items():
        for assignment, score in expected.items():
            assert grades[(student, assignment)] == score, (student, assignment)
    term["record"]["grades"] = {f"{s} / {a}": f"{g[0]:g}/{g[1]:g}" for (s, a), g in sorted(grades.items())}
    (FOLDER / "term.json").write_text(json.dumps(term["record"], indent=1, default=str))


def test_carols_feedback_names_her_mistake(term):
    import html

    mistake = _carols_mistake()
    assert "forgot the + 1" in mistake
    assert html.escape(mistake, quote=False) in term["carol_feedback"] or mistake in term["carol_feedback"]


@pytest.mark.parametrize("folder", ["submitted", "autograded"])
def test_course_progress_shows_each_student_under_their_own_name(term, folder):
    summary = term["progress"][folder]
    students = {s["student"]: s for s in summary["students"]}
    assert sorted(students) == STUDENTS
    passed = {name: students[name]["exercises_passed"] for name in STUDENTS}
    assert passed == {"alice": 7, "bob": 0, "carol": 3}
    for name in STUDENTS:
        assert all(f"/{folder}/{name}/" in path for path in students[name]["files"]), students[name]["files"]
        for path in students[name]["files"]:  # their own records: written in their server, then by autograde
            records = progress.load(path)["records"]
            assert records and {r["student"] for r in records} == {name}, path


def test_every_process_the_hub_started_is_gone(term):
    assert term["leftovers"] == []


def test_readme_walks_the_instructor_through_the_term():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("course hub", "/hub/authorize", "nbgrader generate_assignment", "nbgrader release_assignment",
                    "nbgrader collect", "nbgrader autograde", "nbgrader generate_feedback",
                    "nbgrader release_feedback", "nbgrader export", "course progress submitted/",
                    "course progress autograded/"):
        assert command in text, command


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-s"]))
