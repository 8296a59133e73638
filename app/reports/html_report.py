"""The findings report as a printable HTML page (A4, print CSS, page breaks before sections):
the same content as the .docx, rendered with a standalone Jinja environment (no Flask)."""
import base64
import os

from jinja2 import Environment, FileSystemLoader, select_autoescape

from .docx_report import SECTION_HEADINGS, STEP_HEADINGS, date_range, fmt_cv, fmt_value, report_title, verdict

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates")
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def render_html(data, *, embed_images=True):
    photos = []
    for ph in data.photos:
        src = "data:image/jpeg;base64," + base64.b64encode(ph.image).decode() if embed_images else ""
        photos.append((ph, src))
    parts = []
    for p in data.problems:
        if not parts or parts[-1][0] != p.part:
            parts.append((p.part, []))
        parts[-1][1].append(p)
    return _env.get_template("reports/report.html").render(
        d=data, title=report_title(data), dates=date_range(data), headings=SECTION_HEADINGS, steps=STEP_HEADINGS,
        photos=photos, parts=parts,
        failing_by={sec.section: [s for s in sec.short_schools if s[2] is False] for sec in data.indicators}, fmt_value=fmt_value, fmt_cv=fmt_cv, verdict=verdict, cn="一二三四五六七八九十")
