"""The server's photo pipeline (Pillow). No Flask here.

Judged by content, never by file name: only JPEG, PNG, WebP and HEIC/HEIF (iPhones; through
pillow-heif) are accepted. The size in bytes
and in pixels is capped before any pixel is decoded (decompression bombs); a truncated file is
refused. The image is turned upright (EXIF orientation), every piece of metadata is dropped
(EXIF, GPS, ICC, XMP, comments) by re-encoding only the pixels, an optional watermark (school,
time, inspector) is drawn, and a thumbnail is made. The caller stores the results by hash.
"""
import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFile, ImageFont, ImageOps

try:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF = ["HEIF"]
except ImportError:  # without pillow-heif, HEIC photos are refused like any other unknown format
    HEIF = []

ImageFile.LOAD_TRUNCATED_IMAGES = False
ACCEPTED = ["JPEG", "PNG", "WEBP"] + HEIF
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


class PhotoError(ValueError):
    """A refused upload; the message is Chinese and meant for the user."""

    @property
    def message(self):
        return str(self)


@dataclass
class ProcessedPhoto:
    data: bytes  # the cleaned JPEG
    thumb: bytes  # its small rendition (480 px), JPEG: galleries, and the report's photo appendix
    width: int
    height: int
    sha256: str
    thumb_sha256: str
    taken_at: datetime | None  # EXIF DateTimeOriginal when the file had one (naive, camera time)
    original_format: str


def _mb(n):
    return f"{n / 1024 / 1024:.0f} MB"


def _open_checked(raw, max_bytes, max_pixels):
    if not raw:
        raise PhotoError("照片文件是空的。")
    if len(raw) > max_bytes:
        raise PhotoError(f"照片超过 {_mb(max_bytes)} 上限，请压缩后再上传。")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(raw), formats=ACCEPTED)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoError("图片像素过大（可能是恶意文件），已拒绝。") from None
        except Exception:
            raise PhotoError("不是可识别的图片（仅支持 JPEG、PNG、WebP、HEIC）。") from None
    w, h = img.size
    if w * h > max_pixels:
        raise PhotoError(f"图片像素过大（{w}×{h}），上限 {max_pixels // 1_000_000} 百万像素。")
    if w < 1 or h < 1:
        raise PhotoError("图片尺寸无效。")
    return img


def _taken_at(img):
    try:
        value = img.getexif().get_ifd(0x8769).get(0x9003)  # Exif IFD → DateTimeOriginal
        return datetime.strptime(value, "%Y:%m:%d %H:%M:%S") if value else None
    except Exception:
        return None


@lru_cache(maxsize=8)
def _font(size):
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)


def _watermark(img, lines):
    """White text on a dark translucent band, bottom left; only that band's pixels change."""
    size = max(14, img.width // 45)
    font = _font(size)
    pad = size // 2
    line_h = int(size * 1.3)
    band_h = pad * 2 + line_h * len(lines)
    draw = ImageDraw.Draw(img, "RGBA")
    widths = [draw.textlength(t, font=font) for t in lines]
    band_w = min(img.width, int(max(widths)) + pad * 2)
    top = img.height - band_h
    draw.rectangle([0, top, band_w, img.height], fill=(0, 0, 0, 110))
    for i, text in enumerate(lines):
        draw.text((pad, top + pad + i * line_h), text, font=font, fill=(255, 255, 255, 235))


def process_photo(raw, *, max_bytes, max_pixels=40_000_000, long_edge=2560, thumb_edge=480, quality=82,
                  watermark=None):
    """Verify and clean one photo; returns a ProcessedPhoto or raises PhotoError (Chinese)."""
    img = _open_checked(raw, max_bytes, max_pixels)
    fmt = img.format
    taken = _taken_at(img) if fmt in ("JPEG", "WEBP", "HEIF") else None
    try:
        if fmt == "JPEG" and max(img.size) > long_edge * 2:
            img.draft("RGB", (img.width // 2, img.height // 2))  # decode at reduced size: faster, less memory
        img.load()
    except Image.DecompressionBombError:
        raise PhotoError("图片像素过大（可能是恶意文件），已拒绝。") from None
    except Exception:
        raise PhotoError("图片文件不完整或已损坏，请重新拍摄或选择。") from None
    try:
        if img.getexif().get(0x0112, 1) != 1:  # only a rotated photo needs the (copying) transpose
            img = ImageOps.exif_transpose(img)
    except Exception:
        pass  # a broken orientation tag: keep the pixels as they are
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if max(img.size) > long_edge:
        img.thumbnail((long_edge, long_edge), Image.Resampling.BILINEAR, reducing_gap=2.0)
    if watermark:
        _watermark(img, [str(t) for t in watermark if t])
    img.info = {}  # Pillow would carry a JPEG comment (and more) from info into the new file
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)  # pixels only: no exif, no icc, no comments
    data = out.getvalue()
    # the small rendition by an integer box reduction only (fast, and a box filter looks good):
    # its long edge is the largest size ≤ thumb_edge that divides evenly, e.g. 1600 px → 400 px
    factor = max(1, -(-max(img.size) // thumb_edge))
    thumb_img = img.reduce(factor) if factor > 1 else img
    thumb_img.info = {}
    t = io.BytesIO()
    thumb_img.save(t, "JPEG", quality=75)
    thumb = t.getvalue()
    return ProcessedPhoto(data=data, thumb=thumb, width=img.width, height=img.height,
                          sha256=hashlib.sha256(data).hexdigest(), thumb_sha256=hashlib.sha256(thumb).hexdigest(),
                          taken_at=taken, original_format=fmt)
