from flask import Blueprint, Response, abort, current_app, render_template, request

from ..extensions import db
from ..models import County, School
from ..permissions import roles
from ..media.qr import cached_qr_png, school_url

bp = Blueprint("counties", __name__)


def _county_or_404(code):
    county = db.session.execute(db.select(County).filter_by(code=code)).scalar()
    if county is None:
        abort(404, description=f"没有代码为 {code} 的县（市、区）。")
    return county


def public_base_url():
    return current_app.config.get("PUBLIC_BASE_URL") or request.host_url.rstrip("/")


@bp.get("/counties")
@roles("admin", "lead")
def index():
    counties = db.session.execute(db.select(County).order_by(County.code)).scalars().all()
    return render_template("counties/index.html", counties=counties)


@bp.get("/counties/<code>")
@roles("admin", "lead")
def show(code):
    county = _county_or_404(code)
    return render_template("counties/show.html", county=county, schools=county.schools)


@bp.get("/counties/<code>/qr")
@roles("admin", "lead")
def qr_sheet(code):
    county = _county_or_404(code)
    schools = county.schools
    pages = [schools[i : i + 8] for i in range(0, len(schools), 8)]
    return render_template("counties/qr_sheet.html", county=county, pages=pages, base_url=public_base_url(),
                           loopback=loopback_base())


def loopback_base():
    """True when the codes would point to this machine only: no PUBLIC_BASE_URL and the sheet
    was opened on localhost / 127.x / ::1 (a phone that scans such a code reaches nothing)."""
    if current_app.config.get("PUBLIC_BASE_URL"):
        return False
    host = (request.host or "").rsplit(":", 1)[0].strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.")


@bp.get("/qr/<token>.png")
@roles("admin", "lead")
def qr_png(token):
    school = db.session.execute(db.select(School).filter_by(qr_token=token)).scalar()
    if school is None:
        abort(404, description="二维码不存在。")
    png = cached_qr_png(current_app.config["QR_CACHE_DIR"], school_url(public_base_url(), token))
    resp = Response(png, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp
