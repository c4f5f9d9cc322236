"""``course hub [DIR]``: a JupyterHub for a small class on this machine, with nbgrader and the course.

One command writes the hub's folder (once; later starts keep the instructor's work) and starts JupyterHub::

    DIR/hub.json                    the settings below (ip, port, instructor, course id, proxy, Python)
    DIR/jupyterhub_config.py        reads hub.json through ``configure(c, DIR)``
    DIR/state/                      the hub's database, cookie secret, proxy pid
    DIR/exchange/                   nbgrader's exchange: released assignments (outbound), submissions (inbound)
    DIR/etc/{instructor,student}/   each role's nbgrader_config.py (and the students' server settings)
    DIR/home/<user>/                each user's home folder (their Jupyter server starts there)
    DIR/home/<instructor>/<course id>/   the nbgrader course folder (``course release --nbgrader``)

- Sign-in: NativeAuthenticator. Users sign up at ``/hub/signup`` with their own password; the instructor
  (an admin, authorized on sign-up: sign up first) approves each student at ``/hub/authorize``.
- Servers: ``SimpleLocalProcessSpawner``: every user's Jupyter server is a local process of the OS user
  who started the hub, with its own home folder. Nothing isolates students from each other (a student's code
  can read other homes): fine for a test, a workshop or a small class who trust each other; for isolation use
  SystemdSpawner or DockerSpawner, or Zero to JupyterHub on Kubernetes (``deploy/z2jh/``).
- nbgrader: the students' servers fetch and submit through the exchange under their hub name (their
  ``CourseDirectory.student_id``); formgrader and the assignment creator are the instructor's only.
- Nothing is downloaded at run time: JupyterHub, NativeAuthenticator and nbgrader must be installed in the
  Python that runs ``course hub``, configurable-http-proxy with npm (``npm install --prefix build/proxy
  configurable-http-proxy@5``, found there or on PATH, or given with ``--proxy``).
"""

import json
import os
import shutil
import sys
from pathlib import Path

COURSE_ID = "cnn-course"
HUB_REQUIREMENTS = ("jupyterhub==6.1.1", "jupyterhub-nativeauthenticator==1.3.0", "nbgrader==0.9.6")
PROXY_INSTALL = "npm install --prefix build/proxy configurable-http-proxy@5"
PROXY_NAME = "configurable-http-proxy"
# Settings a user's server (and so its kernels) inherits from the hub's environment, besides JupyterHub's own.
ENV_KEEP = ("COURSE_DATA_DIR", "COURSE_FAST", "COURSE_HEADLESS", "COURSE_OFFLINE", "TF_CPP_MIN_LOG_LEVEL", "JUPYTER_PATH")
CELL_TIMEOUT = 600  # seconds a cell may run when validating and autograding


class HubError(Exception):
    """What stops ``course hub``, said with what to do."""


def find_proxy(explicit=None):
    """The configurable-http-proxy command: ``explicit``, ``COURSE_HUB_PROXY``, ``build/proxy`` or PATH."""
    candidates = [explicit, os.environ.get("COURSE_HUB_PROXY")]
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidates.append(base / "build" / "proxy" / "node_modules" / ".bin" / PROXY_NAME)
    candidates.append(shutil.which(PROXY_NAME))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(Path(candidate).resolve())
    if explicit:
        raise HubError(f"--proxy {explicit}: no such program.")
    raise HubError(f"configurable-http-proxy (JupyterHub's proxy, from npm) was not found. Install it once with "
                   f"`{PROXY_INSTALL}` (in this folder), or pass --proxy PATH.")


def check_hub_python():
    """Raise ``HubError`` unless this Python has JupyterHub, NativeAuthenticator and nbgrader."""
    import importlib.util

    missing = [name for name in ("jupyterhub", "nativeauthenticator", "nbgrader")
               if importlib.util.find_spec(name) is None]
    if missing:
        pins = " ".join(f'"{r}"' for r in HUB_REQUIREMENTS)
        raise HubError(f"this Python ({sys.executable}) lacks {', '.join(missing)}. Install the hub's packages in "
                       f"an environment of their own (python -m venv hub-env; hub-env/bin/pip install {pins} and "
                       f"the course), then run `hub-env/bin/python -m course_utils hub`.")


def _student_config(folder, settings):
    return (f"# nbgrader settings of the students' servers (written by `course hub`).\nimport os\n\n"
            f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(folder / 'exchange')!r}\n"
            f"c.CourseDirectory.course_id = {settings['course_id']!r}\n"
            f"# Every server runs as one OS user: submissions are named by the hub user instead.\n"
            f"c.CourseDirectory.student_id = os.environ.get('JUPYTERHUB_USER', '*')\n"
            f"c.Execute.timeout = {CELL_TIMEOUT}\n")


def _instructor_config(folder, settings):
    course = folder / "home" / settings["instructor"] / settings["course_id"]
    return (f"# nbgrader settings of the instructor's server (written by `course hub`).\n"
            f"c = get_config()  # noqa: F821\nc.Exchange.root = {str(folder / 'exchange')!r}\n"
            f"c.CourseDirectory.course_id = {settings['course_id']!r}\n"
            f"c.CourseDirectory.root = {str(course)!r}\nc.Execute.timeout = {CELL_TIMEOUT}\n")


STUDENT_SERVER = {"ServerApp": {"jpserver_extensions": {  # formgrader and the creator are the instructor's
    "nbgrader.server_extensions.formgrader": False, "nbgrader.server_extensions.create_assignment": False}}}

CONFIG_PY = '''\
# JupyterHub settings for the CNN course (written by `course hub`; edit hub.json, not this file).
from course_utils.instructor import hub

hub.configure(c, {folder!r})  # noqa: F821 - c is JupyterHub's config
'''


def prepare(folder, *, instructor="instructor", ip="127.0.0.1", port=8000, proxy=None, course_id=COURSE_ID,
            notebooks_dir=None):
    """Write the hub's folder (see the module doc); returns its settings. The course folder is made once."""
    from course_utils.instructor import nbgrader_course

    folder = Path(folder).resolve()
    settings = {"ip": ip, "port": int(port), "instructor": instructor, "course_id": course_id,
                "proxy": proxy or find_proxy(), "python": sys.executable}
    for sub in ("state", "exchange", "etc/instructor", "etc/student", f"home/{instructor}"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "exchange").chmod(0o777)
    (folder / "hub.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
    (folder / "jupyterhub_config.py").write_text(CONFIG_PY.format(folder=str(folder)), encoding="utf-8")
    (folder / "etc" / "student" / "nbgrader_config.py").write_text(_student_config(folder, settings))
    (folder / "etc" / "student" / "jupyter_server_config.json").write_text(json.dumps(STUDENT_SERVER, indent=1))
    (folder / "etc" / "instructor" / "nbgrader_config.py").write_text(_instructor_config(folder, settings))
    course = folder / "home" / instructor / course_id
    if not (course / "nbgrader_config.py").is_file():
        nbgrader_course.build(course, notebooks_dir)
    return settings


class _NoMetrics:
    """NativeAuthenticator 1.3.0 times each login with JupyterHub's statsd client, which JupyterHub 6 removed
    (jupyterhub/jupyterhub#5407): without this stand-in every sign-in fails with a server error."""

    def timer(self, name):
        return self

    def start(self):
        return self

    def stop(self, send=True):
        return None


def _native_authenticator_on_jupyterhub_6():
    from nativeauthenticator import handlers

    if not hasattr(handlers.LoginHandler, "statsd"):
        handlers.LoginHandler.statsd = _NoMetrics()


def configure(c, folder):
    """Fill JupyterHub's config ``c`` from ``folder/hub.json`` (called by the generated jupyterhub_config.py)."""
    import nativeauthenticator

    folder = Path(folder)
    settings = json.loads((folder / "hub.json").read_text(encoding="utf-8"))
    port, bin_dir = settings["port"], str(Path(settings["python"]).parent)
    c.JupyterHub.bind_url = f"http://{settings['ip']}:{port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{port + 1}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 2}"
    c.ConfigurableHTTPProxy.command = [settings["proxy"]]
    c.ConfigurableHTTPProxy.pid_file = str(folder / "state" / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{folder / 'state' / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(folder / "state" / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(folder / "state" / "jupyterhub.pid")

    _native_authenticator_on_jupyterhub_6()
    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.JupyterHub.template_paths = [str(Path(nativeauthenticator.__file__).parent / "templates")]
    c.Authenticator.admin_users = {settings["instructor"]}
    c.Authenticator.allow_all = True  # who may sign in is decided by the instructor's approval (/hub/authorize)
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.minimum_password_length = 8
    c.NativeAuthenticator.check_common_password = True

    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(folder / "home" / "{username}")
    c.Spawner.cmd = [settings["python"], "-m", "jupyterhub.singleuser"]
    c.Spawner.default_url = "/lab"
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a hub started by root (a container, CI): servers run as root
        c.Spawner.args = ["--ServerApp.allow_root=True"]
    c.Spawner.start_timeout = c.Spawner.http_timeout = 180
    c.Spawner.env_keep = ["PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", *ENV_KEEP]

    def role_config(spawner):
        role = "instructor" if spawner.user.name == settings["instructor"] else "student"
        return str(folder / "etc" / role)

    c.Spawner.environment = {
        "JUPYTER_CONFIG_PATH": role_config,
        "COURSE_STUDENT": lambda spawner: spawner.user.name,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # nbgrader, course, jupyter
    }


def main(args):
    """``course hub``: prepare the folder, then run JupyterHub in this process (Ctrl+C stops it and the servers)."""
    folder = Path(args.dir).resolve()
    try:
        check_hub_python()
        settings = prepare(folder, instructor=args.instructor, ip=args.ip, port=args.port,
                           proxy=find_proxy(args.proxy), notebooks_dir=args.notebooks)
    except HubError as err:
        print(f"course hub: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # noqa: BLE001 - ReleaseError, OSError: say what and stop
        print(f"course hub: could not prepare {folder} ({type(err).__name__}: {err}).", file=sys.stderr)
        return 2
    url = f"http://{settings['ip']}:{settings['port']}"
    print(f"Hub folder: {folder}\nCourse folder (nbgrader): {folder / 'home' / args.instructor / COURSE_ID}\n"
          f"Open {url}/hub/signup: sign up first as '{args.instructor}' (the instructor); students sign up "
          f"there too and you approve them at {url}/hub/authorize.", flush=True)
    if args.setup_only:
        return 0
    os.chdir(folder)
    command = [sys.executable, "-m", "jupyterhub", "-f", str(folder / "jupyterhub_config.py")]
    os.execv(sys.executable, command)  # noqa: S606 - JupyterHub takes over this process (signals included)


def register(subparsers):
    """Add ``course hub`` to the ``course`` command's sub-commands."""
    parser = subparsers.add_parser("hub", help="run a JupyterHub for a class on this machine (nbgrader included)")
    parser.add_argument("dir", nargs="?", default="course-hub", help="the hub's folder (default: ./course-hub)")
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (0.0.0.0: the whole network)")
    parser.add_argument("--port", type=int, default=8000, help="public port (the hub also uses the next two)")
    parser.add_argument("--instructor", default="instructor", help="the instructor's hub name (an admin)")
    parser.add_argument("--proxy", metavar="PATH", help="the configurable-http-proxy program")
    parser.add_argument("--notebooks", metavar="DIR", help="folder of notebooks to grade (default: the course's)")
    parser.add_argument("--setup-only", action="store_true", help="write the folder, do not start the hub")
    parser.set_defaults(func=main)
