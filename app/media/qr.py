"""QR codes for schools (qrcode + Pillow), cached on disk by content. No Flask here."""
import hashlib
import io
import os

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def school_url(base_url, token):
    return f"{base_url.rstrip('/')}/s/{token}"


def make_qr_png(data, box_size=8, border=2):
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=border)
    qr.add_data(data)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def cached_qr_png(cache_dir, data):
    """The PNG for `data`, made once and kept in cache_dir under the hash of its content."""
    name = hashlib.sha256(data.encode("utf-8")).hexdigest()[:32] + ".png"
    path = os.path.join(cache_dir, name)
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        pass
    png = make_qr_png(data)
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)
    return png
