"""A queued item older than the CSRF time limit still goes through: the outbox fetches a fresh
token before it drains. (The app itself ties tokens to the session; this test gives them a
one-second limit to prove the queue does not depend on that.)"""
import pytest

from app.extensions import db
from app.models import CheckRecord
from tests.browser.conftest import login_page
from tests.live import LiveServer
from tests.browser.test_offline import wait_badge


@pytest.fixture
def app(app):
    app.config["WTF_CSRF_TIME_LIMIT"] = 1
    return app


def test_queued_item_older_than_the_csrf_limit_goes_through(app, demo, phone, page):
    server = LiveServer(app)
    server.start()
    try:
        iid = demo["inspection"].id
        school = demo["inspection"].visits[0].school
        login_page(page, server.url, "inspector1")
        page.goto(f"{server.url}/inspections/{iid}/schools/{school.id}")
        phone.set_offline(True)
        item = page.locator("#item-Q5")
        item.locator("label.verdict:has-text('不达标')").click()
        item.locator("button[type=submit]").click()
        wait_badge(page, "待同步 1")
        page.wait_for_timeout(2500)  # the page's token is now expired
        phone.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_function("() => document.getElementById('sync-badge').hidden === true", timeout=20000)
        with app.app_context():
            assert db.session.execute(db.select(CheckRecord)).scalar_one().verdict == "不达标"
    finally:
        server.stop()
