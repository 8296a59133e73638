"""Browser tests: Playwright for Python driving Debian's chromium at a phone viewport,
against the app served by a real WSGI server in a thread (SQLite file database)."""
import os

import pytest

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


def wait_until_js(page, expression, timeout=20000):
    """Wait until an expression that may return a promise is truthy. page.wait_for_function does
    not await a promise (a pending promise counts as truthy), so poll with page.evaluate."""
    waited = 0
    while not page.evaluate(expression):
        if waited >= timeout:
            raise AssertionError(f"not true after {timeout} ms: {expression}")
        page.wait_for_timeout(100)
        waited += 100


def wait_stored(page, check, timeout=20000):
    """Wait until check() (a look at the database) is true, letting the page run meanwhile: what
    must be stored is waited for where it is stored, not guessed from the page's state."""
    waited = 0
    while not check():
        if waited >= timeout:
            raise AssertionError(f"not stored after {timeout} ms")
        page.wait_for_timeout(100)
        waited += 100


def wait_queue_empty(page, timeout=20000):
    """The outbox in IndexedDB is empty: read from the queue itself, not the badge (the badge is
    hidden on a freshly loaded page before the queue has been read)."""
    wait_until_js(page, "() => window.DDT && DDT.outboxItems ? DDT.outboxItems().then(items => items.length === 0) : false",
                  timeout)


def wait_saved(page, selector=None, version=None):
    """Every edit on the page has reached the server: nothing typing, saving or queued, and
    (when given) the item shows that stored version."""
    page.wait_for_function("""() => window.DDT && DDT.pending === 0 && !document.querySelector(
        "[data-save-state][data-kind=saving], [data-save-state][data-kind=typing], [data-save-state][data-kind=queued]")""")
    if selector:
        page.wait_for_selector(f"{selector} [data-save-state]:has-text('{'第 %d 版' % version if version else '已保存'}')")


def main_pages(app, demo):
    """The demo with its fieldwork added, and the pages an inspector and a lead open most, by user
    (the CSP walk and the narrow-phone walk go through the same pages)."""
    from app.demo import add_demo_activity
    from app.extensions import db

    with app.app_context():
        add_demo_activity({"inspection": db.session.merge(demo["inspection"]),
                           "users": {k: db.session.merge(v) for k, v in demo["users"].items()}})
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    g1 = demo["inspection"].groups[0].id
    return {
        "inspector1": ["/", f"/inspections/{iid}", f"/inspections/{iid}/schools/{school.id}", f"/inspections/{iid}/hearing",
                       f"/inspections/{iid}/archives", f"/inspections/{iid}/departments", f"/inspections/{iid}/interviews",
                       f"/inspections/{iid}/interviews/new?type=家长", f"/inspections/{iid}/groups/{g1}/summary",
                       f"/inspections/{iid}/draws", f"/inspections/{iid}/schools/{school.id}/photos"],
        "lead": [f"/inspections/{iid}/feedback", f"/inspections/{iid}/setup", f"/inspections/{iid}/audit",
                 f"/inspections/{iid}/reports", "/counties/510999/data", "/counties/510999/results",
                 f"/inspections/{iid}/conflicts"],
    }
