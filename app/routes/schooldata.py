"""Office pages for school data: template download, upload → errors or preview → confirm, and
the county results per year and standard. Thin: school_data checks, metrics computes,
school_import stores."""
from datetime import date

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ..indicators.charts import cv_bars
from ..extensions import db
from ..indicators.metrics import evaluate
from ..models import DataImport
from ..fieldwork.operations import audit
from ..permissions import roles
from ..indicators.province import foreign_county_errors
from ..reporting.facts import results_section
from ..indicators.school_data import frame_from_rows, read_table, rows_from_frame
from ..indicators.template_file import template_workbook
from ..indicators.school_import import (
    ImportRefused, conflicts_with_other_counties, data_years, replacement_summary, store_rows, stored_frame,
)
from ..standards import STANDARD_IDS, get_standard
from .counties import _county_or_404

bp = Blueprint("schooldata", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/school-data/template.xlsx")
@roles("admin", "lead")
def template_download():
    resp = Response(template_workbook(), mimetype=XLSX)
    resp.headers["Content-Disposition"] = "attachment; filename*=UTF-8''%E5%AD%A6%E6%A0%A1%E5%8A%9E%E5%AD%A6%E6%9D%A1%E4%BB%B6%E6%95%B0%E6%8D%AE%E8%A1%A8.xlsx"
    return resp


@bp.get("/counties/<code>/data")
@roles("admin", "lead")
def index(code):
    county = _county_or_404(code)
    imports = db.session.execute(
        db.select(DataImport).filter_by(county_id=county.id).order_by(DataImport.id.desc()).limit(20)).scalars().all()
    return render_template("schooldata/index.html", county=county, years=data_years(county.id), imports=imports,
                           default_year=date.today().year - 1, errors=None)


def _parse_year(value):
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year <= 2100 else None


def read_upload():
    """The upload form (数据年度 and a file, for a county or the whole province): (year, file,
    parsed table, rows, errors in Chinese). The file is read only when the form is complete."""
    year = _parse_year(request.form.get("year"))
    f = request.files.get("file")
    errors = []
    if year is None:
        errors.append("请填写正确的数据年度（如 2025）。")
    if f is None or not f.filename:
        errors.append("请选择要上传的学校数据文件（.xlsx、.xls、.ods 或 .csv）。")
    table = rows = None
    if not errors:
        table = read_table(f.read(), filename=f.filename)
        errors = [e.text() for e in table.errors]
    if not errors:
        rows = rows_from_frame(table.frame)
    return year, f, table, rows, errors


@bp.post("/counties/<code>/data/upload")
@roles("admin", "lead")
def upload(code):
    county = _county_or_404(code)
    year, f, table, rows, errors = read_upload()
    if not errors:
        errors = [e.text() for e in foreign_county_errors(county, rows) or conflicts_with_other_counties(county, rows)]
    if errors:
        return _upload_errors(county, errors)
    data_import = DataImport(county=county, year=year, filename=f.filename[:200], rows=rows,
                             warnings=[w.as_dict() for w in table.warnings], row_count=len(rows), uploaded_by=current_user)
    db.session.add(data_import)
    db.session.commit()
    target = url_for("schooldata.preview", code=county.code, import_id=data_import.id)
    if request.headers.get("HX-Request"):
        resp = make_response("", 204)
        resp.headers["HX-Redirect"] = target
        return resp
    return redirect(target)


def _upload_errors(county, errors):
    if request.headers.get("HX-Request"):
        return render_template("schooldata/_errors.html", errors=errors), 422
    imports = db.session.execute(
        db.select(DataImport).filter_by(county_id=county.id).order_by(DataImport.id.desc()).limit(20)).scalars().all()
    return render_template("schooldata/index.html", county=county, years=data_years(county.id), imports=imports,
                           default_year=request.form.get("year") or date.today().year - 1, errors=errors), 422


def _import_or_404(county, import_id):
    data_import = db.session.get(DataImport, import_id)
    if data_import is None or data_import.county_id != county.id:
        abort(404, description="没有这次导入。")
    return data_import


def _standard_arg():
    sid = request.args.get("standard", "quality-2017")
    if sid not in STANDARD_IDS:
        abort(404, description="未知的评估标准。")
    return get_standard(sid)


PAGE_SIZE = 100  # schools per page of a results or preview table


def results_context(frame, rows, standard):
    """Everything the results tables need: the evaluation, charts, school rows with their
    warnings, sorted and filtered by the query string (sort=<code|name>, dir, failing=1)."""
    ev = evaluate(frame, standard)
    warnings_by_row = {}
    for r in rows:
        for w in r.get("warnings", []):
            warnings_by_row.setdefault(w["row"], []).append(w)
    # filter and sort the evaluation's frame; only the page shown becomes dicts (20,000 rows of a
    # province would otherwise be turned into dicts on every view)
    df = ev.schools
    failing_only = request.args.get("failing") == "1"
    if failing_only:
        df = df[df["ok"].eq(False)]
    sort = request.args.get("sort", "")
    desc = request.args.get("dir") == "desc"
    codes = ev.rule_codes or ev.cv_codes
    if sort in codes or sort == "name":
        df = df.sort_values(["section", sort], ascending=not desc, kind="stable")
    else:
        df = df.assign(_later=df["section"] != "小学").sort_values(["_later", "code"], kind="stable")
    if request.args.get("warned") == "1":
        df = df[df["row"].isin(list(warnings_by_row))]
    # one page of schools at a time: a province's 20,000 rows must not become one huge page
    per_page = PAGE_SIZE
    total = len(df)
    pages = max(1, -(-total // per_page))
    page = min(max(1, request.args.get("page", type=int) or 1), pages)
    schools = ev.school_records(df.iloc[(page - 1) * per_page: page * per_page])
    for s in schools:
        s["warnings"] = warnings_by_row.get(s["row"], [])
    charts = {}
    for sec, res in ev.sections.items():
        if res.schools:
            cap = res.cap if standard.cv.get("composite") else standard.cv["caps"][sec]
            charts[sec] = cv_bars([(code, r.cv) for code, r in res.indicators.items()], cap)
    excluded = [dict(e, warnings=warnings_by_row.get(e["row"], [])) for e in ev.excluded]
    other_warnings = [w for r in rows for w in r.get("warnings", [])]
    return {"ev": ev, "schools": schools, "codes": codes, "charts": charts, "excluded": excluded[:per_page],
            "excluded_total": len(excluded), "page": page, "pages": pages, "total": total,
            "warned_only": request.args.get("warned") == "1",
            "sort": sort, "desc": desc, "failing_only": failing_only, "warning_count": len(other_warnings),
            "standard": standard, "standards": [get_standard(s) for s in STANDARD_IDS]}


def _pending_rows(data_import):
    rows = [dict(r) for r in data_import.rows or []]
    by_row = {}
    for w in data_import.warnings or []:
        by_row.setdefault(w["row"], []).append(w)
    for r in rows:
        r["warnings"] = by_row.get(r["row"], [])
    return rows


@bp.get("/counties/<code>/data/imports/<int:import_id>")
@roles("admin", "lead")
def preview(code, import_id):
    county = _county_or_404(code)
    data_import = _import_or_404(county, import_id)
    if data_import.status != "pending":
        return redirect(url_for("schooldata.results", code=county.code, year=data_import.year))
    rows = _pending_rows(data_import)
    ctx = results_context(frame_from_rows(rows), rows, _standard_arg())
    change = replacement_summary(county, data_import.year, data_import.rows)
    return render_template("schooldata/preview.html", county=county, data_import=data_import, self_ctx=ctx,
                           change=change, **ctx)


@bp.post("/counties/<code>/data/imports/<int:import_id>/confirm")
@roles("admin", "lead")
def confirm(code, import_id):
    county = _county_or_404(code)
    data_import = _import_or_404(county, import_id)
    if data_import.status != "pending":
        flash("这次导入已处理过。", "error")
        return redirect(url_for("schooldata.index", code=county.code))
    rows = [dict(r) for r in data_import.rows]
    removed = replacement_summary(county, data_import.year, rows)["removed"]
    if removed and request.form.get("replace") != "1":
        flash(f"本次导入会删除 {data_import.year} 年已有、文件中没有的 {len(removed)} 行数据：请勾选「确认删除」后再保存。", "error")
        return redirect(url_for("schooldata.preview", code=county.code, import_id=data_import.id))
    try:
        audit(current_user, "import", "school_data", data_import.id,
              f"导入{county.name}{data_import.year}年学校数据 {len(rows)} 行",
              after={"year": data_import.year, "rows": len(rows), "file": data_import.filename})
        store_rows(county, data_import.year, rows, data_import.warnings, user=current_user, data_import=data_import)
    except ImportRefused as e:
        flash("未导入：" + e.args[0], "error")
        return redirect(url_for("schooldata.index", code=county.code))
    flash(f"已保存 {county.name} {data_import.year} 年 {len(rows)} 行学校数据。", "success")
    return redirect(url_for("schooldata.results", code=county.code, year=data_import.year))


@bp.post("/counties/<code>/data/imports/<int:import_id>/discard")
@roles("admin", "lead")
def discard(code, import_id):
    county = _county_or_404(code)
    data_import = _import_or_404(county, import_id)
    if data_import.status == "pending":
        data_import.status = "discarded"
        data_import.rows = None
        db.session.commit()
        flash("已放弃这次上传，未保存任何数据。", "success")
    return redirect(url_for("schooldata.index", code=county.code))


@bp.get("/counties/<code>/results")
@roles("admin", "lead")
def results(code):
    county = _county_or_404(code)
    years = data_years(county.id)
    year = _parse_year(request.args.get("year")) or (years[0] if years else None)
    frame, rows = stored_frame(county.id, year) if year else (None, [])
    if frame is None:
        return render_template("schooldata/results.html", county=county, years=years, year=year, empty=True,
                               standard=_standard_arg(), standards=[get_standard(s) for s in STANDARD_IDS])
    ctx = results_context(frame, rows, _standard_arg())
    return render_template("schooldata/results.html", county=county, years=years, year=year, empty=False,
                           self_ctx=ctx, gq=results_section(county, year, ctx["standard"]), **ctx)
