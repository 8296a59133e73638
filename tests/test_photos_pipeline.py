"""The photo pipeline on its own (no Flask): what is refused, what comes out."""
import io
import struct
import zlib

import pytest
from PIL import Image

from app.media.photos import PhotoError, process_photo
from app.media.storage import LocalStorage, StorageMissing, content_key, make_storage

MB = 1024 * 1024


def jpeg(w=400, h=300, color=(30, 120, 200), **save):
    buf = io.BytesIO()
    Image.new("RGB", (w, h), color).save(buf, "JPEG", **save)
    return buf.getvalue()


def refused(raw, **kw):
    with pytest.raises(PhotoError) as e:
        process_photo(raw, max_bytes=kw.pop("max_bytes", 12 * MB), **kw)
    return str(e.value)


def huge_png(w, h):
    """A valid PNG header claiming w×h pixels, with a tiny compressed body."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
    row = b"\x00" + b"\x00" * ((w + 7) // 8)
    body = zlib.compress(row * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def test_refusals_have_chinese_messages():
    assert "不是可识别的图片" in refused(b"hello, this is text, not a photo")  # a text file named .jpg
    assert "不是可识别的图片" in refused(b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>')
    assert "不是可识别的图片" in refused(b"<!doctype html><html><body><script>alert(1)</script></body></html>")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    assert "不是可识别的图片" in refused(gif.getvalue())
    whole = jpeg(800, 600)
    assert "不完整或已损坏" in refused(whole[: len(whole) // 2])
    assert "像素过大" in refused(huge_png(20000, 20000))
    assert "像素过大" in refused(huge_png(8000, 6000), max_pixels=40_000_000)
    assert "超过 1 MB 上限" in refused(jpeg() + b"\0" * (2 * MB), max_bytes=1 * MB)
    assert "空的" in refused(b"")


def test_exif_rotated_photo_comes_out_upright_without_metadata():
    img = Image.new("RGB", (400, 200), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 200, 200))  # red left half
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    gps = {1: "N", 2: (30.0, 40.0, 1.0)}
    exif[0x8825] = gps
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:30:00"
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=95)
    out = process_photo(buf.getvalue(), max_bytes=12 * MB)
    result = Image.open(io.BytesIO(out.data))
    assert result.size == (200, 400) and (out.width, out.height) == (200, 400)
    r, g, b = result.getpixel((100, 20))  # top after rotation = the red half
    assert r > 200 and b < 60
    assert len(result.getexif()) == 0 and "exif" not in result.info and "icc_profile" not in result.info
    assert b"PhoneMaker" not in out.data and b"Exif" not in out.data
    assert out.taken_at.isoformat() == "2026-11-20T09:30:00"


def test_png_with_alpha_and_webp_accepted_and_thumbnail():
    rgba = Image.new("RGBA", (3000, 1000), (0, 0, 0, 0))
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    out = process_photo(buf.getvalue(), max_bytes=12 * MB, long_edge=2560, thumb_edge=360)
    im = Image.open(io.BytesIO(out.data))
    assert im.format == "JPEG" and max(im.size) == 2560 and im.getpixel((10, 10)) == (255, 255, 255)
    assert max(Image.open(io.BytesIO(out.thumb)).size) == 320  # 2560 / 8: the largest even reduction ≤ 360
    webp = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 200, 10)).save(webp, "WEBP")
    assert process_photo(webp.getvalue(), max_bytes=12 * MB).original_format == "WEBP"


def test_watermark_changes_only_the_bottom_band():
    raw = jpeg(1600, 1200, color=(90, 160, 220), quality=95)
    plain = Image.open(io.BytesIO(process_photo(raw, max_bytes=12 * MB).data)).convert("L")
    marked = Image.open(io.BytesIO(process_photo(raw, max_bytes=12 * MB, watermark=["城关小学", "2026-11-22 10:31", "督学 张三"]).data)).convert("L")
    top = [abs(a - b) for a, b in zip(plain.crop((0, 0, 1600, 900)).getdata(), marked.crop((0, 0, 1600, 900)).getdata())]
    bottom = [abs(a - b) for a, b in zip(plain.crop((0, 1100, 600, 1200)).getdata(), marked.crop((0, 1100, 600, 1200)).getdata())]
    assert max(top) <= 3  # JPEG noise only
    assert sum(bottom) / len(bottom) > 20


def test_same_bytes_same_hash_and_local_storage(tmp_path):
    raw = jpeg()
    a, b = process_photo(raw, max_bytes=MB), process_photo(raw, max_bytes=MB)
    assert a.sha256 == b.sha256
    store = LocalStorage(str(tmp_path))
    key = content_key(a.sha256)
    assert key.startswith(a.sha256[:2] + "/" + a.sha256[2:4] + "/")
    store.put(key, a.data, "image/jpeg")
    store.put(key, a.data, "image/jpeg")  # idempotent
    assert store.get(key) == a.data and store.exists(key)
    with pytest.raises(ValueError):
        store.put("../escape.jpg", b"x", "image/jpeg")
    with pytest.raises(ValueError):
        store.get("/etc/passwd")
    store.delete(key)
    with pytest.raises(StorageMissing):
        store.get(key)
    # boto3 is a requirement now; the S3 path itself runs against a real server in test_s3_storage.py
    assert make_storage({"PHOTO_STORAGE": "s3", "S3_BUCKET": "b", "UPLOAD_DIR": str(tmp_path)}).bucket == "b"
    with pytest.raises(RuntimeError, match="S3_BUCKET"):
        make_storage({"PHOTO_STORAGE": "s3", "UPLOAD_DIR": str(tmp_path)})


def test_heic_from_an_iphone_is_accepted():
    buf = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 60, 40)).save(buf, "HEIF", quality=80)
    assert buf.getvalue()[4:12] == b"ftypheic"
    out = process_photo(buf.getvalue(), max_bytes=12 * MB)
    assert out.original_format == "HEIF" and Image.open(io.BytesIO(out.data)).format == "JPEG"
    assert (out.width, out.height) == (1200, 900)


def test_jpeg_comment_and_icc_are_not_carried_over():
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (10, 20, 30)).save(buf, "JPEG", comment=b"SECRET-DEVICE-SN-123",
                                                    icc_profile=b"\0" * 128)
    out = process_photo(buf.getvalue(), max_bytes=MB)
    for data in (out.data, out.thumb):
        assert b"SECRET-DEVICE-SN-123" not in data
        assert "icc_profile" not in Image.open(io.BytesIO(data)).info
