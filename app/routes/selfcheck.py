"""县域自查 (002): for a county and year, every indicator × school that falls short, as a page and
as an .xlsx whose 附件1/附件2 start the rectification lists before any visit. Thin: the work is in
app.reporting.selfcheck and app.reports.selfcheck_xlsx."""
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, render_template, request

from ..indicators.school_import import data_years
from ..permissions import roles
from ..reporting.selfcheck import self_check
from ..reports.selfcheck_xlsx import build_selfcheck_xlsx
from ..standards import STANDARD_IDS, get_standard
from .counties import _county_or_404

bp = Blueprint("selfcheck", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _args(county):
    years = data_years(county.id)
    year = request.args.get("year", type=int) or (years[0] if years else date.today().year - 1)
    if not 2000 <= year <= 2100:
        abort(404, description="年度不正确。")
    sid = request.args.get("standard", "quality-2017")
    if sid not in STANDARD_IDS:
        abort(404, description="未知的评估标准。")
    return years, year, get_standard(sid)


@bp.get("/counties/<code>/self-check")
@roles("admin", "lead", "expert")
def page(code):
    county = _county_or_404(code)
    years, year, standard = _args(county)
    check = self_check(county, year, standard)
    return render_template("schooldata/selfcheck.html", county=county, years=years, year=year, standard=standard,
                           standards=[get_standard(s) for s in STANDARD_IDS], check=check)


@bp.get("/counties/<code>/self-check.xlsx")
@roles("admin", "lead", "expert")
def workbook(code):
    county = _county_or_404(code)
    _years, year, standard = _args(county)
    check = self_check(county, year, standard)
    resp = Response(build_selfcheck_xlsx(check, date.today()), mimetype=XLSX)
    name = f"{county.name}{year}年逐项逐校自查表.xlsx"
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return resp
