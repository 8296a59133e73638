"""No signal in the school: the checklist opens from the phone's copy, answers and photos wait
in the outbox (待同步 N), nothing is lost, nothing is saved twice; photos are compressed on the
phone first."""
import base64
import io
import os

from PIL import Image

from app.extensions import db
from app.models import CheckRecord, ClientOp, Photo
from tests.browser.conftest import login_page, screenshot

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
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30000)

    phone.set_offline(True)
    page.reload()  # no signal: the page comes from the phone's copy
    page.wait_for_selector(f"h1:has-text('{school.name}')")
    assert page.is_visible("#offline-banner")

    item = page.locator("#item-G5")
    item.locator("label.verdict:has-text('不达标')").click()
    item.locator("textarea[name=note]").fill("六年级一班实有52人")
    item.locator("button[type=submit]").click()
    wait_badge(page, "待同步 1")
    # a second edit of the same item offline is a separate submission (fresh UUID), not a replay
    item.locator("textarea[name=note]").fill("六年级一班实有52人，二班50人")
    item.locator("button[type=submit]").click()
    wait_badge(page, "待同步 2")
    # a photo taken offline waits too
    photo = tmp_path / "ground.jpg"
    photo.write_bytes(noisy_jpeg(2000, 1500))
    page.locator("#item-R5 input[type=file]").set_input_files(str(photo))
    wait_badge(page, "待同步 3")
    assert "已保存在本机" in page.locator("#item-G5").inner_text()
    screenshot(page, "offline-queued", full_page=False)

    # leaving the page warns
    messages = []
    page.once("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    page.click("nav.crumbs a")
    assert messages and "未同步" in messages[0]

    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CheckRecord.id))) == 0

    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("document.getElementById('sync-badge').hidden === true", timeout=20000)
    with app.app_context():
        rec = db.session.execute(db.select(CheckRecord).filter_by(item_code="G5")).scalar_one()
        assert rec.version == 2 and rec.note == "六年级一班实有52人，二班50人"
        assert db.session.scalar(db.select(db.func.count(ClientOp.id)).where(ClientOp.kind == "check_record")) == 2
        photo_row = db.session.execute(db.select(Photo)).scalar_one()
        assert photo_row.item_code == "R5" and max(photo_row.width, photo_row.height) == 1600
    # the synced answer replaced the form in place
    assert "第 2 版" in page.locator("#item-G5").inner_text()
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
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=30000)
    page.wait_for_function("caches.match(location.href).then(r => !!r)")  # this page was kept for offline use
    phone.set_offline(True)
    item = page.locator("#item-Q7")
    item.locator("label.verdict:has-text('存疑')").click()
    item.locator("button[type=submit]").click()
    wait_badge(page, "待同步 1")
    page.reload()  # still offline; a new page, the queue is in IndexedDB
    wait_badge(page, "待同步 1")
    # a new service worker version must not discard queued items: unregister and register again
    page.evaluate("""async () => {
        const regs = await navigator.serviceWorker.getRegistrations();
        for (const r of regs) await r.unregister();
        for (const k of await caches.keys()) if (k.startsWith('ddt-static-')) await caches.delete(k);
    }""")
    phone.set_offline(False)
    page.reload()
    page.wait_for_function("document.getElementById('sync-badge').hidden === true", timeout=20000)
    with app.app_context():
        assert db.session.execute(db.select(CheckRecord).filter_by(item_code="Q7")).scalar_one().verdict == "存疑"
