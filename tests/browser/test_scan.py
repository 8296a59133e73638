"""扫码 inside the app, with Chromium's fake camera showing a printed school code: the decoder
reads it and the school's checklist opens in this browser."""
import io

import qrcode
from PIL import Image

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, PHONE, login_page, screenshot


def write_y4m(path, image, frames=15):
    """A short YUV4MPEG2 (4:2:0) clip of one still picture, as Chromium's fake camera plays it."""
    img = image.convert("RGB").resize((640, 480))
    y, cb, cr = img.convert("YCbCr").split()
    cb, cr = cb.resize((320, 240)), cr.resize((320, 240))
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            f.write(b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes())


def test_scanning_a_printed_code_opens_the_school(app, demo, live_server, browser, tmp_path):
    school = demo["inspection"].visits[0].school
    # the code as printed for the LAN address: the app takes its /s/<token> path, whatever the host
    qr = qrcode.make(f"http://192.168.1.20:5000/s/{school.qr_token}").get_image().convert("RGB")
    frame = Image.new("RGB", (640, 480), "white")
    qr = qr.resize((420, 420), Image.NEAREST)
    frame.paste(qr, ((640 - 420) // 2, (480 - 420) // 2))
    clip = tmp_path / "code.y4m"
    write_y4m(clip, frame)
    camera = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={clip}"])
    try:
        context = camera.new_context(**PHONE, permissions=["camera"])
        context.set_default_timeout(20000)
        page = context.new_page()
        login_page(page, live_server.url, "inspector1")
        page.click("a:has-text('扫码进入学校')")
        page.wait_for_url(f"**/inspections/{demo['inspection'].id}/schools/{school.id}", timeout=30000)
        page.wait_for_selector(f"h1:has-text('{school.name}')")
        screenshot(page, "scan-opened-school", full_page=False)
    finally:
        camera.close()
