"""A tap is a save, at the phone viewport: a verdict tapped and a note typed reach the server
without 保存, online and offline (also when the page is left offline mid-typing, onto the worker's
fallback page); a new hearing entry is stored by its tap alone; an edit that cannot be kept yet warns
on leaving; and on plain HTTP (no service worker) the app says so and captures still queue and arrive."""
from app.extensions import db
from app.models import CheckRecord, ClientOp, HearingEntry, Interview
from tests.browser.conftest import (
    CHROMIUM, CHROMIUM_FLAGS, PHONE, login_page, screenshot, wait_queue_empty, wait_saved, wait_stored, wait_until_js,
)


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
    wait_stored(page, lambda: getattr(_record(app, school, "G12"), "note", None) == "3名教师无教师资格证")
    rec = _record(app, school, "G12")
    assert rec.verdict == "不达标"
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    # a send that reached the server just as the page was left is still queued here: it is sent
    # again (a replay of its UUID, nothing doubled) and the item then shows the stored version
    wait_queue_empty(page)
    page.wait_for_selector("#item-G12 [data-save-state]:has-text('已保存 · 第')")
    assert _record(app, school, "G12").note == "3名教师无教师资格证"
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


def _entries(app, question):
    with app.app_context():
        db.session.remove()
        return db.session.execute(db.select(HearingEntry).filter_by(question=question)).scalars().all()


def test_a_new_hearing_entry_is_stored_by_the_tap_alone(app, demo, live_server, page):
    base, iid = live_server.url, demo["inspection"].id
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/hearing")
    new = page.locator("#hearing-new")
    new.locator("textarea[name=question]").fill("全县教师编制缺口何时补齐？")
    new.locator("label.verdict:has(span:text-is('差'))").click()
    page.click("nav.crumbs a")  # straight away: no 添加, no pause
    page.wait_for_load_state()
    wait_queue_empty(page)
    wait_until_js(page, "() => !Object.keys(localStorage).some(k => k.startsWith('ddt-draft:'))")
    stored = _entries(app, "全县教师编制缺口何时补齐？")
    assert len(stored) == 1 and stored[0].judgement == "差" and stored[0].version == 1
    # back on the page it is in the list, and the form for a new entry is blank
    page.goto(f"{base}/inspections/{iid}/hearing")
    assert page.locator(f"#entry-{stored[0].id} [data-save-state]").inner_text().find("第 1 版") != -1
    assert page.locator("#hearing-new textarea[name=question]").input_value() == ""


def test_a_new_hearing_entry_typed_after_the_tap_edits_it_and_add_gives_a_blank_form(app, demo, live_server, page):
    base, iid = live_server.url, demo["inspection"].id
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/hearing")
    new = page.locator("#hearing-new")
    new.locator("textarea[name=question]").fill("大班额何时消除？")
    new.locator("label.verdict:has(span:text-is('一般'))").click()
    new.locator("textarea[name=answer]").fill("2026年秋季")
    new.locator("button[type=submit]").click()
    page.wait_for_selector("#entries form.entry textarea[name=answer]:text-is('2026年秋季')", state="attached")
    assert page.locator("#hearing-new textarea[name=question]").input_value() == ""
    wait_queue_empty(page)
    # the next entry is a row of its own: it never edits the one just added
    new = page.locator("#hearing-new")
    new.locator("textarea[name=question]").fill("经费何时到位？")
    new.locator("label.verdict:has(span:text-is('好'))").click()
    wait_saved(page, "#hearing-new", 1)
    first, second = _entries(app, "大班额何时消除？"), _entries(app, "经费何时到位？")
    assert len(first) == 1 and first[0].answer == "2026年秋季" and first[0].judgement == "一般"
    assert len(second) == 1 and second[0].id != first[0].id and second[0].version == 1


def test_typing_left_offline_before_the_pause_is_counted_and_arrives_once(app, demo, live_server, phone, page):
    base, iid, school = live_server.url, demo["inspection"].id, _school(demo)
    login_page(page, base, "inspector1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    phone.set_offline(True)
    item = page.locator("#item-G12")
    item.locator("label.verdict:has(span:text-is('不达标'))").click()
    page.wait_for_selector("#item-G12 [data-save-state]:has-text('待同步')")
    item.locator("textarea[name=note]").fill("3名教师无教师资格证")
    page.goto(f"{base}/inspections/{iid}/conflicts")  # mid-typing, offline, to a page the phone has no copy of
    page.wait_for_selector("h1:has-text('当前没有网络')")  # the worker's fallback page
    page.wait_for_function("() => ((document.getElementById('sync-badge') || {}).textContent || '') === '待同步 1'")
    assert _record(app, school, "G12") is None
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_queue_empty(page)
    rec = _record(app, school, "G12")
    assert rec.version == 1 and rec.verdict == "不达标" and rec.note == "3名教师无教师资格证"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(ClientOp.id)).filter_by(kind="check_record", record_id=rec.id)) == 1


def test_two_new_interviews_waiting_in_the_queue_stay_two(app, demo, live_server, page):
    base, iid = live_server.url, demo["inspection"].id
    login_page(page, base, "inspector1")
    # no signal for saves: every interview waits in the queue (pages still open)
    page.route("**/inspections/*/interviews",
               lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    for who in ("家长 李某", "家长 王某"):
        page.goto(f"{base}/inspections/{iid}/interviews/new?type=家长")
        form = page.locator("#interview-form")
        form.locator("input[name=interviewee]").fill(who)
        form.locator("label.verdict:has(span:text-is('满意'))").click()
        page.wait_for_selector("#interview-form [data-save-state]:has-text('待同步')")
    # the second new interview is a row of its own, not an edit of the first one still waiting
    wait_until_js(page, "() => DDT.outboxItems().then(items => items.length === 2)")
    page.unroute("**/inspections/*/interviews")
    page.evaluate("DDT.drain()")
    wait_queue_empty(page)
    with app.app_context():
        db.session.remove()
        names = sorted(db.session.scalars(db.select(Interview.interviewee).where(
            Interview.inspection_id == iid, Interview.interviewee.in_(["家长 李某", "家长 王某"]))))
    assert names == ["家长 李某", "家长 王某"]
