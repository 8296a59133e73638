"""The feedback opinion as a printable HTML page: the same words, 主送, 附件说明 and 落款 as the
.docx, A4 with the type area of GB/T 9704 and page numbers in the @page margin boxes (odd pages
right, even pages left), rendered with a standalone Jinja environment (no Flask)."""
import base64
import os

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .docx_report import HEADINGS, HEADLINE, PROBLEM_COLUMNS, SUBHEAD, photo_caption, signature_indents
from .wording import cn_date

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def split_para(text):
    """(kind, head, rest): kind 'h1' for 一、…, 'h2' for a （一） paragraph (head in 楷体), else 'p'."""
    if HEADLINE.match(text):
        return "h1", text, ""
    if SUBHEAD.match(text):
        end = text.find("。")
        return ("h2", text, "") if end < 0 else ("h2", text[:end + 1], text[end + 1:])
    return "p", "", text


def render_html(data, *, embed_images=True, nonce=None, script_src=None):
    """The page; `nonce` for its <style> block under the app's Content-Security-Policy and
    `script_src` (the print button) when the app serves it, neither in a saved file."""
    photos = []
    for ph in data.photos:
        src = "data:image/jpeg;base64," + base64.b64encode(ph.image).decode() if embed_images else ""
        photos.append((ph, src, photo_caption(ph)))
    when = cn_date(data.sign_date)
    name_right, date_right = signature_indents(data.issuer, when)
    return _env.get_template("reports/report.html").render(
        d=data, title="".join(data.title_lines), headings=HEADINGS, split=split_para, photos=photos,
        when=when, name_right=name_right, date_right=date_right, columns=[h for h, _w in PROBLEM_COLUMNS],
        widths=[w for _h, w in PROBLEM_COLUMNS], nonce=nonce, script_src=script_src)
