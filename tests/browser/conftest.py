"""Browser tests: Playwright for Python driving Debian's chromium at a phone viewport,
against the app served by a real WSGI server in a thread (SQLite file database)."""
import os
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import OUTPUT_DIR

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--disable-quic", "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "device_scale_factor": 2}


def pytest_collection_modifyitems(items):
    # Browser tests share one chromium per worker: keep them together under xdist.
    for item in items:
        if "/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.xdist_group("browser"))


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


@pytest.fixture
def live_server(app):
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A fresh phone-sized browser context (its own cookies and storage)."""
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def page(phone):
    return phone.new_page()


def login_page(page, base_url, username, password="demo1234"):
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page, name, full_page=True):
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    path = os.path.join(OUTPUT_DIR, f"{name}.png")
    page.screenshot(path=path, full_page=full_page)
    return path
