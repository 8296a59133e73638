"""Photo sizes and server time. Prints figures; no pass/fail here.

A generated 4032×3024 JPEG (phone-like: noise, gradients, edges; ≈ quality 92) goes through the
phone-side compression (app/static/js/photo.js in headless Chromium) and then the server
pipeline (app.media.photos.process_photo, with watermark), beside a bare Pillow open+load+save of the
same compressed bytes. Targets (issue 5): ≥ 8× fewer bytes sent; server ≤ 1.5× bare Pillow.
    .venv/bin/python bench/photos.py
"""
import base64
import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from app.media.photos import process_photo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync"]


def phone_photo(w=4032, h=3024):
    """Detail like a real photo: a sky-to-ground gradient, fine sensor noise, hard edges."""
    base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    noise = Image.effect_noise((w, h), 28).convert("RGB")
    img = Image.blend(base, noise, 0.35)
    draw = ImageDraw.Draw(img)
    for i in range(0, w, 180):  # a fence / window grid: edges the encoder must keep
        draw.rectangle([i, h // 2, i + 40, h - 200], fill=(150 + i % 90, 90, 60))
    for j in range(h // 2, h, 120):
        draw.line([(0, j), (w, j)], fill=(240, 240, 240), width=6)
    img = img.filter(ImageFilter.UnsharpMask(radius=2, percent=60))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def browser_compress(raw):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        page = browser.new_page()
        page.set_content("<html><body></body></html>")
        page.add_script_tag(path=os.path.join(ROOT, "app", "static", "js", "photo.js"))
        t = time.perf_counter()
        b64 = page.evaluate("""async (b64) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const blob = await DDT.compressImage(new File([bytes], "IMG.jpg", {type: "image/jpeg"}), {longEdge: 1600, quality: 0.8});
            const buf = new Uint8Array(await blob.arrayBuffer());
            let s = ""; for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
            return btoa(s);
        }""", base64.b64encode(raw).decode())
        ms = (time.perf_counter() - t) * 1000
        browser.close()
    return base64.b64decode(b64), ms


def timed(fn, runs=15):
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    raw = phone_photo()
    small, ms_browser = browser_compress(raw)
    w, h = Image.open(io.BytesIO(small)).size
    print(f"phone photo 4032×3024: {len(raw):,} bytes")
    print(f"after phone-side compression ({w}×{h}, JPEG 0.8, {ms_browser:.0f} ms in headless Chromium): {len(small):,} bytes")
    print(f"bytes sent: {len(raw) / len(small):.1f}× fewer   (target ≥ 8×)")

    def bare():
        im = Image.open(io.BytesIO(small))
        im.load()
        im.save(io.BytesIO(), "JPEG", quality=82)

    def pipeline():
        process_photo(small, max_bytes=12 * 1024 * 1024, watermark=["城关小学", "2026-11-22 10:31", "督学 张督学"])

    t_bare = timed(bare)
    t_pipe = timed(pipeline)
    print(f"server pipeline (verify, upright, strip, watermark, re-encode, thumbnail): {t_pipe:.1f} ms per photo")
    print(f"bare Pillow open + load + save JPEG of the same bytes:                  {t_bare:.1f} ms per photo")
    print(f"ratio: {t_pipe / t_bare:.2f}×   (target ≤ 1.5×)")


if __name__ == "__main__":
    main()
