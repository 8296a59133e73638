"""The app served by a real multi-threaded WSGI server in a thread, and a small HTTP client with
its own cookies: for tests of what happens when requests really run at the same time."""
import http.cookiejar
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)

    def restart(self):
        """Stop and start again on the same port (for 'the server went away' tests)."""
        port = self.server.server_port
        self.stop()
        self.server.server_close()
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.start()


class Phone:
    """One logged-in browser as the server sees it: a cookie jar and the session's CSRF token."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = None

    def request(self, path, data=None, files=None, headers=None):
        """(status, body text). data: dict of form fields; files: {name: (filename, bytes, type)}."""
        headers = dict(headers or {})
        body = None
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for k, v in (data or {}).items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
            for k, (fname, content, ctype) in files.items():
                parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{fname}"\r\n'
                             f'Content-Type: {ctype}\r\n\r\n'.encode() + content + b"\r\n")
            parts.append(f"--{boundary}--\r\n".encode())
            body = b"".join(parts)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        if self.token:
            headers.setdefault("X-CSRFToken", self.token)
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def login(self, username, password="demo1234"):
        self.token = json.loads(self.request("/csrf-token")[1])["token"]
        status, _ = self.request("/login", {"username": username, "password": password, "csrf_token": self.token})
        assert status == 200, status  # followed the redirect home
        self.token = json.loads(self.request("/csrf-token")[1])["token"]
        return self

    def post(self, path, data, files=None, json_answer=True):
        headers = {"Accept": "application/json"} if json_answer else {}
        return self.request(path, dict(data, csrf_token=self.token), files=files, headers=headers)


def together(calls):
    """Run the callables at the same moment (a barrier), each in its own thread; their results."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as e:  # noqa: BLE001 - reported to the test
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results
