"""全省导入: one file with the county column holds the rows of several counties (admins only:
the admin role has rights over every county). Upload → preview (per-county changes, rows
filtered by county and warnings, one page at a time) → confirm (every county in one
transaction) → per-county results. Thin: school_data checks, province splits and stores."""
from datetime import date

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..fieldwork.operations import audit
from ..indicators import province
from ..indicators.school_import import ImportRefused
from ..models import DataImport
from ..permissions import roles
from ..standards import STANDARD_IDS, get_standard
from .schooldata import PAGE_SIZE, _standard_arg, read_upload

bp = Blueprint("province", __name__)

def _recent():
    return db.session.execute(db.select(DataImport).where(DataImport.county_id.is_(None))
                              .order_by(DataImport.id.desc()).limit(20)).scalars().all()

@bp.get("/school-data/province")
@roles("admin")
def index():
    return _index_page()

def _index_page(errors=None, status=200):
    year = request.form.get("year") or date.today().year - 1
    return render_template("schooldata/province_index.html", imports=_recent(), default_year=year,
                           errors=errors), status

@bp.post("/school-data/province/upload")
@roles("admin")
def upload():
    year, f, table, rows, errors = read_upload()
    if not errors:
        if not province.file_county_codes(rows):
            errors = [f"文件没有填写「{province.COLUMN}」列：全省导入须在每一行填写学校所在县（市、区）的 6 位代码"
                      "（只有一个县的数据请到该县的学校数据页面上传）。"]
        else:
            errors = [e.text() for e in province.check_rows(rows)]
    if errors:
        if request.headers.get("HX-Request"):
            return render_template("schooldata/_errors.html", errors=errors), 422
        return _index_page(errors, 422)
    data_import = DataImport(county_id=None, year=year, filename=f.filename[:200], rows=rows,
                             warnings=[w.as_dict() for w in table.warnings], row_count=len(rows),
                             uploaded_by=current_user)
    db.session.add(data_import)
    db.session.commit()
    target = url_for("province.preview", import_id=data_import.id)
    if request.headers.get("HX-Request"):
        resp = make_response("", 204)
        resp.headers["HX-Redirect"] = target
        return resp
    return redirect(target)

def _import_or_404(import_id):
    data_import = province.pending_province_import(import_id)
    if data_import is None:
        abort(404, description="没有这次全省导入。")
    return data_import

def _page_of_rows(rows, warnings):
    """The rows the preview shows: filtered by ?county= and ?warned=1, one page of PAGE_SIZE."""
    by_row = {}
    for w in warnings:
        by_row.setdefault(w["row"], []).append(w)
    county = request.args.get("county") or ""
    warned = request.args.get("warned") == "1"
    chosen = [r for r in rows if (not county or r["county_code"] == county) and (not warned or r["row"] in by_row)]
    total = len(chosen)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, request.args.get("page", type=int) or 1), pages)
    shown = [dict(r, warnings=by_row.get(r["row"], [])) for r in chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
    return {"rows": shown, "total": total, "page": page, "pages": pages, "county": county, "warned": warned}

@bp.get("/school-data/province/imports/<int:import_id>")
@roles("admin")
def preview(import_id):
    data_import = _import_or_404(import_id)
    if data_import.status == "stored":
        return render_template("schooldata/province_done.html", data_import=data_import,
                               results=data_import.summary or [])
    if data_import.status != "pending":
        return redirect(url_for("province.index"))
    rows, warnings = data_import.rows, data_import.warnings or []
    counties = province.summary(data_import.year, rows, warnings)
    removed = sum(len(c["change"]["removed"]) for c in counties)
    standard = _standard_arg()
    return render_template("schooldata/province_preview.html", data_import=data_import, counties=counties,
                           removed=removed, warning_count=len(warnings), table=_page_of_rows(rows, warnings),
                           standard=standard, standards=[get_standard(s) for s in STANDARD_IDS],
                           evaluations=province.evaluations(rows, standard))

@bp.post("/school-data/province/imports/<int:import_id>/confirm")
@roles("admin")
def confirm(import_id):
    data_import = _import_or_404(import_id)
    if data_import.status != "pending":
        flash("这次导入已处理过。", "error")
        return redirect(url_for("province.index"))
    rows = data_import.rows
    counties = province.summary(data_import.year, rows, [])
    removed = sum(len(c["change"]["removed"]) for c in counties)
    if removed and request.form.get("replace") != "1":
        flash(f"本次导入会删除 {data_import.year} 年已有、文件中没有的 {removed} 行数据（各县明细见下表）：请勾选「确认删除」后再保存。",
              "error")
        return redirect(url_for("province.preview", import_id=data_import.id))
    try:
        audit(current_user, "import", "school_data", data_import.id,
              f"全省导入{data_import.year}年学校数据 {len(rows)} 行（{len(counties)} 个县）",
              after={"year": data_import.year, "rows": len(rows), "file": data_import.filename,
                     "counties": {c["code"]: c["rows"] for c in counties}})
        results = province.store(data_import, rows, user=current_user)
    except ImportRefused as e:
        flash("未导入任何数据：" + e.args[0], "error")
        return redirect(url_for("province.preview", import_id=import_id))
    flash(f"已保存 {len(results)} 个县 {data_import.year} 年共 {len(rows)} 行学校数据。", "success")
    return redirect(url_for("province.preview", import_id=data_import.id))

@bp.post("/school-data/province/imports/<int:import_id>/discard")
@roles("admin")
def discard(import_id):
    data_import = _import_or_404(import_id)
    if data_import.status == "pending":
        data_import.status = "discarded"
        data_import.rows = None
        db.session.commit()
        flash("已放弃这次上传，未保存任何数据。", "success")
    return redirect(url_for("province.index"))
