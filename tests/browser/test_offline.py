"""No signal in the school: the checklist opens from the phone's copy, answers and photos wait
in the outbox (待同步 N), nothing is lost, nothing is saved twice; photos are compressed on the
phone first."""
import base64
import io
import os

from PIL import Image

from app.extensions import db
from app.models import CheckRecord, ClientOp, Photo
from tests.browser.conftest import login_page, screenshot, wait_queue_empty, wait_until_js

PHOTO_JS = os.path.join(os.path.dirname(__file__), "..", "..", "app", "static", "js", "photo.js")


def noisy_jpeg(w, h, quality=92):
    noise = Image.effect_noise((w // 4, h // 4), 60).resize((w, h)).convert("RGB")
    grad = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    img = Image.blend(noise, grad, 0.5)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def test_photo_is_compressed_on_the_phone(page):
    raw = noisy_jpeg(4032, 3024)
    page.set_content("<html><body></body></html>")
    page.add_script_tag(path=PHOTO_JS)
    out = page.evaluate("""async (b64) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const file = new File([bytes], "IMG_0001.jpg", {type: "image/jpeg"});
        const blob = await DDT.compressImage(file, {longEdge: 1600, quality: 0.8});
        const bmp = await createImageBitmap(blob);
        return {type: blob.type, size: blob.size, w: bmp.width, h: bmp.height};
    }""", base64.b64encode(raw).decode())
    assert out["type"] == "image/jpeg"
    assert (out["w"], out["h"]) == (1600, 1200)
    assert out["size"] * 4 < len(raw)


def wait_badge(page, text):
    page.wait_for_function("t => (document.getElementById('sync-badge').textContent || '') === t", arg=text)


def test_offline_answers_and_photos_wait_and_sync_once(app, demo, live_server, phone, page, tmp_path):
    base = live_server.url
    iid = demo["inspection"].id
    visit = next(v for v in demo["inspection"].visits if v.inspector and v.inspector.username == "inspector1")
    school = visit.school
    login_page(page, base, "inspector1")
    # the home page asks the service worker to keep the assigned checklists for offline use
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    url = f"{base}/inspections/{iid}/schools/{school.id}"
    page.goto(url)  # loaded once online: the worker keeps a copy
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)

    phone.set_offline(True)
    page.reload()  # no signal: the page comes from the phone's copy
    page.wait_for_selector(f"h1:has-text('{school.name}')")
    assert page.is_visible("#offline-banner")

    item = page.locator("#item-G5")
    item.locator("label.verdict:has-text('不达标')").click()  # a tap is a save: queued at once
    wait_badge(page, "待同步 1")
    assert "待同步" in item.locator("[data-save-state]").inner_text()
    item.locator("textarea[name=note]").fill("六年级一班实有52人")
    item.locator("textarea[name=note]").blur()
    # a later edit of the same item, not yet sent, is merged into the queued save
    item.locator("textarea[name=note]").fill("六年级一班实有52人，二班50人")
    item.locator("textarea[name=note]").blur()
    page.wait_for_timeout(300)
    wait_badge(page, "待同步 1")
    # a photo taken offline waits too
    photo = tmp_path / "ground.jpg"
    photo.write_bytes(noisy_jpeg(2000, 1500))
    page.locator("#item-R5 input[type=file]").set_input_files(str(photo))
    wait_badge(page, "待同步 2")
    assert "已保存在本机" in page.locator("#item-G5").inner_text()
    screenshot(page, "offline-queued", full_page=False)

    # a link tapped offline while items wait asks nothing: they are safe on the phone
    messages = []
    page.on("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    page.click("nav.crumbs a")
    page.wait_for_load_state()
    assert messages == []
    page.goto(url)
    wait_badge(page, "待同步 2")

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 0

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.getElementById('sync-badge').hidden === true", timeout=20000)
    with app.app_context():
        rec = db.session.execute(db.select(CheckRecord).filter_by(item_code="G5")).scalar_one()
        assert rec.version == 1 and rec.verdict == "不达标" and rec.note == "六年级一班实有52人，二班50人"
        assert db.session.scalar(db.select(db.func.count(ClientOp.id)).where(ClientOp.kind == "check_record")) == 1
        photo_row = db.session.execute(db.select(Photo)).scalar_one()
        assert photo_row.item_code == "R5" and max(photo_row.width, photo_row.height) == 1600
    # the item shows what the server stored
    page.wait_for_selector("#item-G5 [data-save-state]:has-text('第 1 版')")
    # draining again sends nothing twice
    page.evaluate("DDT.drain()")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 1
        assert db.session.scalar(db.select(db.func.count(Photo.id))) == 1
    screenshot(page, "offline-synced", full_page=False)


def test_queue_survives_reload_and_server_outage(app, demo, live_server, phone, page):
    base = live_server.url
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    login_page(page, base, "inspector1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    wait_until_js(page, "() => caches.match(location.href).then(r => !!r)")  # this page was kept for offline use
    phone.set_offline(True)
    item = page.locator("#item-Q7")
    item.locator("label.verdict:has-text('存疑')").click()
    wait_badge(page, "待同步 1")
    page.reload()  # still offline; a new page, the queue is in IndexedDB
    wait_badge(page, "待同步 1")
    # a new service worker version must not discard queued items: unregister and register again
    page.evaluate("""async () => {
        const regs = await navigator.serviceWorker.getRegistrations();
        for (const r of regs) await r.unregister();
        for (const k of await caches.keys()) if (k.startsWith('ddt-static-')) await caches.delete(k);
    }""")
    phone.set_offline(False)  # the old page starts sending; the reload may cut that request off
    page.reload()
    wait_queue_empty(page)  # the queue itself, not the badge: a fresh page shows no badge before reading it
    with app.app_context():
        assert db.session.execute(db.select(CheckRecord).filter_by(item_code="Q7")).scalar_one().verdict == "存疑"


def _answer(page, code, verdict, note):
    item = page.locator(f"#item-{code}")
    item.locator(f"label.verdict:has(span:text-is('{verdict}'))").click()
    if note:
        item.locator("textarea[name=note]").fill(note)
        item.locator("textarea[name=note]").blur()


def _open_checklist_for_offline(page, base, iid, school):
    login_page(page, base, "inspector1")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    wait_until_js(page, "() => caches.match(location.href).then(r => !!r)")


def test_three_answers_and_two_photos_offline_then_five_arrive(app, demo, live_server, phone, page, tmp_path):
    """The issue's scenario: offline, three answers and two photos → 待同步 5; reload offline →
    still 5; online → 0, and exactly three answers and two photos stored."""
    base = live_server.url
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    _open_checklist_for_offline(page, base, iid, school)
    phone.set_offline(True)
    _answer(page, "G5", "不达标", "五年级二班58人")
    wait_badge(page, "待同步 1")
    _answer(page, "Q7", "存疑", "音乐课被占用")
    wait_badge(page, "待同步 2")
    _answer(page, "Q8", "达标", "")
    wait_badge(page, "待同步 3")
    shots = []
    for n in range(2):
        path = tmp_path / f"p{n}.jpg"
        path.write_bytes(noisy_jpeg(1800 + n * 100, 1200))
        shots.append(str(path))
    page.locator("#item-R5 input[type=file]").set_input_files(shots)  # two at once
    wait_badge(page, "待同步 5")
    page.reload()  # still offline: the checklist opens and the queue is still there
    page.wait_for_selector(f"h1:has-text('{school.name}')")
    wait_badge(page, "待同步 5")
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.getElementById('sync-badge').hidden === true", timeout=30000)
    with app.app_context():
        answers = db.session.execute(db.select(CheckRecord.item_code, CheckRecord.verdict)).all()
        assert sorted(answers) == [("G5", "不达标"), ("Q7", "存疑"), ("Q8", "达标")]
        assert db.session.scalar(db.select(db.func.count(Photo.id))) == 2


def test_double_tap_saves_once(app, demo, live_server, page):
    base = live_server.url
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    item = page.locator("#item-G12")
    item.locator("label.verdict:has(span:text-is('达标'))").click()
    item.locator("button[type=submit]").dblclick()
    page.wait_for_selector("#item-G12 [data-save-state]:has-text('第 1 版')")
    item.locator("label.verdict:has(span:text-is('达标'))").dblclick()
    page.wait_for_timeout(800)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 1
        assert db.session.scalar(db.select(db.func.count(ClientOp.id))) == 1


def test_server_stops_while_draining_everything_arrives_once(app, demo, live_server, browser):
    """The server goes away during the drain, and a response is lost after the server stored
    the record: the outbox retries, the UUIDs make the retries harmless, all arrive once."""
    from tests.browser.conftest import PHONE

    context = browser.new_context(**PHONE, service_workers="block")  # let page.route see every request
    page = context.new_page()
    base = live_server.url
    iid = demo["inspection"].id
    school = demo["inspection"].visits[0].school
    login_page(page, base, "inspector1")
    page.goto(f"{base}/inspections/{iid}/schools/{school.id}")
    context.set_offline(True)
    for code in ("G4", "G5", "G12", "Q3"):
        _answer(page, code, "存疑", f"{code} 待核实")
    wait_badge(page, "待同步 4")

    lost = []

    def lose_first_response(route):
        if route.request.method == "POST" and "/items/G5" in route.request.url and not lost:
            route.fetch()  # the server stores it …
            lost.append(route.request.url)
            route.abort()  # … but the phone never hears back
        else:
            route.continue_()

    page.route("**/items/*", lose_first_response)
    live_server.stop()  # the server is gone when the signal comes back
    context.set_offline(False)
    page.evaluate("DDT.drain()")
    page.wait_for_timeout(800)
    assert page.evaluate("DDT.pending") == 4
    live_server.restart()
    page.evaluate("DDT.drain()")  # G4 arrives, G5's response is lost → retry later
    page.wait_for_function("() => DDT.pending < 4", timeout=15000)
    page.evaluate("DDT.drain()")
    page.wait_for_function("() => document.getElementById('sync-badge').hidden === true", timeout=30000)
    assert lost
    with app.app_context():
        rows = db.session.execute(db.select(CheckRecord.item_code, CheckRecord.version)).all()
        assert sorted(rows) == [("G12", 1), ("G4", 1), ("G5", 1), ("Q3", 1)]
        assert db.session.scalar(db.select(db.func.count(ClientOp.id))) == 4
    context.close()
