"""A tap is a save, at the phone viewport: a verdict tapped and a note typed reach the server
without 保存, online and offline; an edit that cannot be kept yet warns on leaving; and on plain
HTTP (no service worker) the app says so and captures still queue and arrive."""
from app.extensions import db
from app.models import CheckRecord
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, login_page, screenshot, wait_saved


def _record(app, school, code):
    with app.app_context():
        db.session.remove()
        return db.session.execute(db.select(CheckRecord).filter_by(subject_id=school.id, item_code=code)).scalar()


def _school(demo):
    return demo["inspection"].visits[0].school


def test_tap_and_type_then_leave_without_saving(app, demo, live_server, page):
    base, iid, school = live_server.url, demo["inspection"].id, _school(demo)
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    item = page.locator("#item-G12")
    item.locator("label.verdict:has(span:text-is('不达标'))").click()
    item.locator("textarea[name=note]").fill("3名教师无教师资格证")
    page.click("nav.crumbs a")  # straight away: no 保存, no pause
    page.wait_for_load_state()
    page.wait_for_function("() => window.DDT && DDT.pending === 0 && !Object.keys(localStorage).some(k => k.startsWith('ddt-draft:'))")
    page.wait_for_timeout(300)
    rec = _record(app, school, "G12")
    assert rec is not None and rec.verdict == "不达标" and rec.note == "3名教师无教师资格证"
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    assert "第" in page.locator("#item-G12 [data-save-state]").inner_text()
    screenshot(page, "tap-is-a-save", full_page=False)


def test_tap_and_type_offline_waits_then_arrives_once(app, demo, live_server, phone, page):
    base, iid, school = live_server.url, demo["inspection"].id, _school(demo)
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    phone.set_offline(True)
    item = page.locator("#item-G12")
    item.locator("label.verdict:has(span:text-is('不达标'))").click()
    item.locator("textarea[name=note]").fill("3名教师无教师资格证")
    page.wait_for_function("() => (document.getElementById('sync-badge').textContent || '') === '待同步 1'")
    page.wait_for_selector("#item-G12 [data-save-state]:has-text('待同步')")
    page.wait_for_timeout(1200)  # the typed note joins the queued save (still one)
    assert page.locator("#sync-badge").inner_text() == "待同步 1"
    screenshot(page, "tap-is-a-save-offline", full_page=False)
    assert _record(app, school, "G12") is None
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_saved(page, "#item-G12", 1)
    rec = _record(app, school, "G12")
    assert rec.version == 1 and rec.verdict == "不达标" and rec.note == "3名教师无教师资格证"


def test_an_edit_that_cannot_be_kept_warns_on_leaving(app, demo, live_server, page):
    base, iid, school = live_server.url, demo["inspection"].id, _school(demo)
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    item = page.locator("#item-G12")
    item.locator("textarea[name=note]").fill("还没选结论")  # no verdict: it cannot be stored yet
    page.wait_for_selector("#item-G12 [data-save-state]:has-text('未保存：请先选择结论')")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.type), d.dismiss()))
    page.click("nav.crumbs a")
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(f"/schools/{school.id}")  # stayed: the note is still there
    assert item.locator("textarea[name=note]").input_value() == "还没选结论"
    item.locator("label.verdict:has(span:text-is('存疑'))").click()
    wait_saved(page, "#item-G12", 1)
    assert _record(app, school, "G12").note == "还没选结论"


def test_plain_http_host_shows_the_banner_and_still_queues(app, demo, live_server, browser):
    port = live_server.server.server_port
    base = f"http://dudao.test:{port}"
    iid, school = demo["inspection"].id, _school(demo)
    # a second chromium from the same Playwright, resolving a LAN-style host name to this machine
    other = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                        args=CHROMIUM_FLAGS + ["--host-resolver-rules=MAP dudao.test 127.0.0.1"])
    try:
        context = other.new_context(**PHONE)
        context.set_default_timeout(15000)
        page = context.new_page()
        login_page(page, base, "inspector1")
        page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
        assert page.evaluate("window.isSecureContext") is False
        banner = page.locator("#insecure-banner")
        assert banner.is_visible() and "不是 HTTPS" in banner.inner_text()
        screenshot(page, "insecure-banner", full_page=False)
        context.set_offline(True)
        page.locator("#item-Q7 label.verdict:has(span:text-is('存疑'))").click()
        page.wait_for_function("() => (document.getElementById('sync-badge').textContent || '') === '待同步 1'")
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        wait_saved(page, "#item-Q7", 1)
    finally:
        other.close()
    assert _record(app, school, "Q7").verdict == "存疑"


def test_assigned_schools_archive_and_interview_pages_open_offline(app, demo, live_server, phone, page):
    base, iid = live_server.url, demo["inspection"].id
    visit = next(v for v in demo["inspection"].visits if v.inspector and v.inspector.username == "inspector1")
    school = visit.school
    login_page(page, base, "inspector1")  # the home page hands the assigned schools' pages to the worker
    archives = f"{base}/inspections/{iid}/archives/schools/{school.id}"
    interview = f"{base}/inspections/{iid}/interviews/new?school_id={school.id}&back=school"
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(f"{base}/")  # now controlled by the worker; the page asks it to keep the schools' pages
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    cached = """async urls => { const c = await caches.open('ddt-pages');
                                for (const u of urls) if (!(await c.match(u))) return false; return true; }"""
    for _ in range(60):
        if page.evaluate(cached, [archives, interview]):
            break
        page.wait_for_timeout(500)
    assert page.evaluate(cached, [archives, interview])
    phone.set_offline(True)
    page.goto(archives)
    page.wait_for_selector(f"h1:has-text('{school.name}')")
    page.goto(interview)
    page.wait_for_selector("h1:has-text('新访谈')")
    page.click("a.button:has-text('家长')")  # the chosen type's form, for this school, from the phone's copy
    page.wait_for_selector(f"select[name=school_id] option[value='{school.id}'][selected]", state="attached")
