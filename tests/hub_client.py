"""A small client for a running JupyterHub, as a browser and JupyterLab use it (tests/test_hub.py).

``Account``: sign up, sign in, approve (NativeAuthenticator's pages, with the hub's XSRF cookie), an API token,
start and stop the user's server (Hub REST API). ``Server``: the user's Jupyter server: files (contents API),
nbgrader's assignment list (fetch, submit), and notebooks run cell by cell in a kernel over its websocket, the
outputs saved in the notebook as JupyterLab's "Run All" then "Save" would.
"""

import json
import time
import uuid

import requests
import websocket


class HubError(AssertionError):
    pass


class Account:
    def __init__(self, url, name, password):
        self.url, self.name, self.password = url.rstrip("/"), name, password
        self.web = requests.Session()
        self.token = None

    def _xsrf(self, page):
        self.web.get(f"{self.url}/hub/{page}", timeout=60).raise_for_status()
        return self.web.cookies.get("_xsrf", path="/hub/") or self.web.cookies.get("_xsrf")

    def sign_up(self):
        data = {"username": self.name, "signup_password": self.password,
                "signup_password_confirmation": self.password, "_xsrf": self._xsrf("signup")}
        reply = self.web.post(f"{self.url}/hub/signup", data=data, timeout=60)
        reply.raise_for_status()
        return reply.text

    def sign_in(self, password=None):
        """True when the hub lets this user in (a redirect away from the login page)."""
        data = {"username": self.name, "password": password or self.password, "_xsrf": self._xsrf("login")}
        reply = self.web.post(f"{self.url}/hub/login", data=data, timeout=60, allow_redirects=False)
        return reply.status_code == 302 and "/hub/login" not in reply.headers.get("location", "")

    def approve(self, student):
        """The instructor's click on 'Authorize' at /hub/authorize."""
        self.web.get(f"{self.url}/hub/authorize/{student}", timeout=60).raise_for_status()

    def get_token(self):
        """An API token of this user, asked for with the signed-in browser session."""
        reply = self.web.post(f"{self.url}/hub/api/users/{self.name}/tokens", json={"note": "course test", "scopes": ["inherit"]},
                              headers={"X-XSRFToken": self._xsrf("home")}, timeout=60)
        reply.raise_for_status()
        self.token = reply.json()["token"]
        return self.token

    def api(self, method, path, **kwargs):
        reply = requests.request(method, f"{self.url}/hub/api{path}", timeout=120,
                                 headers={"Authorization": f"token {self.token}"}, **kwargs)
        if reply.status_code >= 400:
            raise HubError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json() if reply.content else None

    def start_server(self, timeout=300):
        """Start this user's server; returns a ``Server`` once it answers (seconds taken in ``.start_s``)."""
        began = time.perf_counter()
        self.api("POST", f"/users/{self.name}/server")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{self.name}")
            server = model.get("servers", {}).get("", {})
            if server.get("ready"):
                result = Server(self.url, server["url"], self.token)
                result.start_s = time.perf_counter() - began
                return result
            time.sleep(0.5)
        raise HubError(f"{self.name}'s server did not start in {timeout} s")

    def stop_server(self):
        self.api("DELETE", f"/users/{self.name}/server")


class Server:
    def __init__(self, hub_url, path, token):
        self.base = hub_url + path.rstrip("/")
        self.token = token
        self.headers = {"Authorization": f"token {token}"}

    def request(self, method, path, **kwargs):
        reply = requests.request(method, f"{self.base}{path}", headers=self.headers, timeout=600, **kwargs)
        if reply.status_code >= 400:
            raise HubError(f"{method} {path}: {reply.status_code} {reply.text[:1000]}")
        return reply

    # --- files -------------------------------------------------------------------------------------------------
    def read_notebook(self, path):
        return self.request("GET", f"/api/contents/{path}", params={"content": 1}).json()["content"]

    def write_notebook(self, path, nb):
        self.request("PUT", f"/api/contents/{path}", json={"type": "notebook", "format": "json", "content": nb})

    def exists(self, path):
        return requests.get(f"{self.base}/api/contents/{path}", headers=self.headers, params={"content": 0},
                            timeout=60).status_code == 200

    # --- nbgrader's assignment list (the Assignments tab) --------------------------------------------------------
    def assignments(self, course):
        return self.request("GET", "/assignments", params={"course_id": course}).json()

    def assignment_action(self, action, course, assignment):
        reply = self.request("POST", f"/assignments/{action}", data={"course_id": course, "assignment_id": assignment})
        data = reply.json()
        if isinstance(data, dict) and data.get("success") is False:
            raise HubError(f"{action} {assignment}: {data.get('value') or data}")
        return data

    # --- kernels ---------------------------------------------------------------------------------------------
    def open_kernel(self, notebook_path):
        """A kernel session for ``notebook_path`` (its working folder is the notebook's, as in JupyterLab)."""
        session = self.request("POST", "/api/sessions", json={
            "path": notebook_path, "type": "notebook", "name": notebook_path.rsplit("/", 1)[-1],
            "kernel": {"name": "python3"}}).json()
        return Kernel(self, session)

    def run_notebook(self, path, timeout=600, on_done=None):
        """Run every code cell of ``path`` in a fresh kernel, save the outputs; returns (notebook, errors).

        ``on_done()`` is called after the last cell, while the kernel still runs (to measure it)."""
        nb = self.read_notebook(path)
        kernel = self.open_kernel(path)
        errors = []
        try:
            for cell in nb["cells"]:
                if cell["cell_type"] != "code":
                    continue
                source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                outputs, count = kernel.execute(source, timeout=timeout)
                cell["outputs"], cell["execution_count"] = outputs, count
                errors += [o for o in outputs if o["output_type"] == "error"]
            if on_done:
                on_done()
        finally:
            kernel.close()
        self.write_notebook(path, nb)
        return nb, errors


class Kernel:
    def __init__(self, server, session):
        self.server, self.session = server, session
        kernel_id = session["kernel"]["id"]
        ws_url = server.base.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels"
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {server.token}"],
                                              timeout=600)
        self.client_session = uuid.uuid4().hex

    def execute(self, code, timeout=600):
        """``(outputs, execution_count)``: what the cell shows, in nbformat's output shape."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                       "session": self.client_session, "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "channel": "shell",
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        outputs, count, idle, replied = [], None, False, False
        deadline = time.monotonic() + timeout
        while not (idle and replied):
            if time.monotonic() > deadline:
                raise HubError(f"a cell ran over {timeout} s:\n{code[:300]}")
            frame = self.ws.recv()
            if not frame:
                raise HubError("the kernel's websocket was closed (an idle connection is closed after the server's "
                               "ping timeout: open a kernel per step)")
            message = json.loads(frame)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "execute_reply" and message["channel"] == "shell":
                replied, count = True, content.get("execution_count")
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "stream":
                if outputs and outputs[-1]["output_type"] == "stream" and outputs[-1]["name"] == content["name"]:
                    outputs[-1]["text"] += content["text"]
                else:
                    outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
            elif kind in ("execute_result", "display_data"):
                output = {"output_type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
                if kind == "execute_result":
                    output["execution_count"] = content.get("execution_count")
                outputs.append(output)
            elif kind == "error":
                outputs.append({"output_type": "error", "ename": content["ename"], "evalue": content["evalue"],
                                "traceback": content["traceback"]})
        return outputs, count

    def run(self, code, timeout=600):
        """Execute ``code``; returns its printed text, raises ``HubError`` on an error."""
        outputs, _ = self.execute(code, timeout)
        errors = [o for o in outputs if o["output_type"] == "error"]
        text = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
        if errors:
            raise HubError(f"{errors[0]['ename']}: {errors[0]['evalue']}\n{text[-3000:]}")
        return text

    def close(self):
        try:
            self.ws.close()
        finally:
            self.server.request("DELETE", f"/api/sessions/{self.session['id']}")
