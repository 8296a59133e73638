"""数据填报审核: schools (学校填报员) and the office fill their forms online, reviewers (督导办,
评估专家) approve or send back. Thin: check who may, call app.reporting.workflow / .evidence, render."""
import hashlib
import json
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..fieldwork.operations import OperationError, new_uuid
from ..models import AuditEntry, County, School
from ..models.reporting import DataReport, ReportEvidence
from ..permissions import roles
from ..models.records import RecordConflict
from ..reporting import conflicts as conflict_ops, evidence as ev_ops, workflow
from ..timefmt import local_today
from .capture import refused, saved, wants_json
from .photos import storage

bp = Blueprint("reporting", __name__)

VIEW = ("admin", "expert", "reporter")
FILL = ("admin", "reporter")
REVIEW = ("admin", "expert")
RESOLVE = ("admin", "expert", "reporter")  # 修改冲突: the reviewers and the school's own reporter (see _report)


def default_year():
    """The school year's figures are reported the year after: last calendar year by default."""
    return local_today(current_app.config["TIMEZONE"]).year - 1


def _year_arg():
    year = request.args.get("year", type=int) or default_year()
    return year if 2000 <= year <= 2100 else default_year()


def _standard_arg(value=None):
    sid = value or request.args.get("standard") or workflow.DEFAULT_STANDARD
    return sid if sid in workflow.STANDARDS else workflow.DEFAULT_STANDARD


def _report(rid):
    """The report, if the current user may see it: a reporter only its own school's."""
    report = db.get_or_404(DataReport, rid, description="填报不存在。")
    if current_user.role == "reporter" and (report.level != "school" or report.school_id != current_user.school_id):
        abort(403, description="只能查看和填写本校的数据填报。")
    return report


def _may_edit(report):
    return current_user.role in FILL and report.status in workflow.EDITABLE


def _require_edit(report):
    if current_user.role not in FILL:
        abort(403, description="您的账号角色不能填写数据填报。")


def _require_review():
    if current_user.role not in REVIEW:
        abort(403, description="只有督导办工作人员和评估专家可以审核数据填报。")


def _entries_sig(report):
    keys = ",".join(k for k, _f, _s in workflow.entries_of(report))
    return hashlib.sha256(keys.encode()).hexdigest()[:12]


@bp.get("/reporting")
@roles(*VIEW)
def index():
    year, sid = _year_arg(), _standard_arg()
    if current_user.role == "reporter":
        school = current_user.school
        reports = db.session.execute(db.select(DataReport).filter_by(subject=f"school:{school.id}")
                                     .order_by(DataReport.year.desc(), DataReport.id)).scalars().all() if school else []
        return render_template("reporting/mine.html", school=school, reports=reports, year=year, years=_years(),
                               standards=workflow.STANDARDS, standard=sid)
    return render_template("reporting/index.html", counties=workflow.counties(), year=year, years=_years(),
                           standards=workflow.STANDARDS, standard=sid)


def _years():
    y = default_year()
    return list(range(y + 1, y - 4, -1))


@bp.get("/reporting/counties/<code>")
@roles(*REVIEW)
def county(code):
    county = db.session.execute(db.select(County).filter_by(code=code)).scalar()
    if county is None:
        abort(404, description=f"没有代码为 {code} 的县（市、区）。")
    year, sid = _year_arg(), _standard_arg()
    rows, county_report, counts = workflow.reports_for(county, year, sid)
    status = request.args.get("status") or ""
    shown = [(s, r) for s, r in rows if not status or (r.status_label if r else "未开始") == status]
    return render_template("reporting/county.html", county=county, year=year, years=_years(), standard=sid,
                           standards=workflow.STANDARDS, rows=shown, county_report=county_report, counts=counts,
                           status=status, total=len(rows) + 1)


@bp.post("/reporting/start")
@roles(*FILL)
def start():
    f = request.form
    sid = _standard_arg(f.get("standard"))
    year = f.get("year", type=int) or default_year()
    try:
        if f.get("level") == "county":
            if current_user.role != "admin":
                abort(403, description="县级填报由督导办填写。")
            county = db.session.execute(db.select(County).filter_by(code=f.get("county") or "")).scalar()
            if county is None:
                abort(404, description="县（市、区）不存在。")
            report, created = workflow.start_report(current_user, "county", year, sid, county=county)
        else:
            school = db.session.get(School, f.get("school_id", type=int) or 0)
            if school is None:
                abort(404, description="学校不存在。")
            if current_user.role == "reporter" and school.id != current_user.school_id:
                abort(403, description="只能填写本校的数据。")
            report, created = workflow.start_report(current_user, "school", year, sid, school=school)
    except OperationError as e:
        flash(str(e), "error")
        return redirect(url_for("reporting.index"))
    if created:
        flash("已开始填报，填写的内容自动保存。", "success")
    return redirect(url_for("reporting.show", rid=report.id))


def _page(report, error=None, status=200):
    form = workflow.form_of(report)
    entries = workflow.entries_of(report)
    editable = _may_edit(report)
    missing = workflow.missing_of(report) if report.status in workflow.EDITABLE else []
    files = ev_ops.live_evidence(report)
    groups = []
    for g in form.groups:
        rows = [(k, f, s) for k, f, s in entries if f.group == g.code]
        targets = list(dict.fromkeys([g.code] + [f.key for f in g.fields]))  # a field may share its group's code
        groups.append({"group": g, "entries": rows, "files": [e for t in targets for e in files.get(t, [])]})
    ev_ids = [e.id for e in report.evidence]
    history = db.session.execute(
        db.select(AuditEntry).where(((AuditEntry.entity == "data_report") & (AuditEntry.entity_id == report.id))
                                    | ((AuditEntry.entity == "report_evidence") & AuditEntry.entity_id.in_(ev_ids or [0])))
        .order_by(AuditEntry.id.desc()).limit(15)).scalars().all()
    # the values the page is rendered with: each save sends them back, so the server merges field by field
    base_values = {k: report.values[k] for k, _f, _s in entries if k in (report.values or {})}
    back = url_for("reporting.index") if current_user.role == "reporter" else url_for(
        "reporting.county", code=report.county.code, year=report.year, standard=report.standard_id)
    return render_template(
        "reporting/report.html", report=report, form=form, groups=groups, editable=editable,
        can_review=current_user.role in REVIEW, missing=missing, missing_keys={k for k, _l in missing},
        prefilled=workflow.prefilled_keys(report) if editable else set(), name=workflow.subject_name(report),
        standard_label=workflow.STANDARDS.get(report.standard_id, report.standard_id), error=error, uuid=new_uuid(),
        targets=ev_ops.targets_of(report), accept=ev_ops.ACCEPT, allowed_text=ev_ops.ALLOWED_TEXT,
        max_mb=ev_ops.MAX_BYTES // (1024 * 1024), entries_sig=_entries_sig(report), history=history, back=back,
        base_values=json.dumps(base_values, ensure_ascii=False), conflicts=conflict_ops.conflict_rows(report),
        notices=conflict_ops.notices_for(report, current_user), can_resolve=current_user.role in RESOLVE,
    ), status


@bp.get("/reports/<int:rid>")
@roles(*VIEW)
def show(rid):
    return _page(_report(rid))


@bp.post("/reports/<int:rid>/save")
@roles(*FILL)
def save(rid):
    report = _report(rid)
    _require_edit(report)
    raw = {k: v for k, v in request.form.items() if k not in ("csrf_token", "client_uuid", "base_version", "base_values")}
    try:
        report, status = workflow.save_values(report, current_user, request.form.get("client_uuid"), raw,
                                              request.form.get("base_version"), request.form.get("base_values"))
    except OperationError as e:
        db.session.rollback()
        if wants_json():
            return refused(str(e))
        return _page(db.session.get(DataReport, rid), error=str(e), status=422)
    if wants_json():
        answer, code = saved(report, status, entries=_entries_sig(report), missing=len(workflow.missing_of(report)),
                             base_values=workflow.page_values(report, raw))
        if status == "conflict":
            body = answer.get_json()
            body["label"] = f"已保存（与他人同时修改了同一项，被覆盖的值已留存） · 第 {report.version} 版"
            return body, code
        return answer, code
    flash(f"已保存（第 {report.version} 版）" + ("，与他人同时修改的项目已列入「修改冲突」" if status == "conflict" else "") + "。",
          "success")
    return redirect(url_for("reporting.show", rid=rid))


def _act(rid, fn, done, *args, review=False):
    report = _report(rid)
    if review:
        _require_review()
    else:
        _require_edit(report)
    try:
        fn(report, current_user, *args)
    except OperationError as e:
        db.session.rollback()
        return _page(db.session.get(DataReport, rid), error=str(e), status=422)
    flash(done, "success")
    if review:
        return redirect(url_for("reporting.county", code=report.county.code, year=report.year, standard=report.standard_id))
    return redirect(url_for("reporting.show", rid=rid))


@bp.post("/reports/<int:rid>/submit")
@roles(*FILL)
def submit(rid):
    return _act(rid, workflow.submit, "已提交审核，审核结果会显示在本页。")


@bp.post("/reports/<int:rid>/return")
@roles(*REVIEW)
def send_back(rid):
    return _act(rid, workflow.send_back, "已退回，填报单位修改后可重新提交。", request.form.get("reason"), review=True)


@bp.post("/reports/<int:rid>/approve")
@roles(*REVIEW)
def approve(rid):
    return _act(rid, workflow.approve, "已审核通过。", review=True)


@bp.post("/reports/<int:rid>/conflicts/<int:cid>")
@roles(*RESOLVE)
def resolve_conflict(rid, cid):
    report = _report(rid)
    try:
        done = conflict_ops.resolve(report, db.session.get(RecordConflict, cid), current_user,
                                    request.form.get("resolution"))
    except OperationError as e:
        db.session.rollback()
        return _page(db.session.get(DataReport, rid), error=str(e), status=422)
    flash(("已恢复被覆盖的值。" if request.form.get("resolution") == "restored" else "已保留当前的值。")
          if done else "这条修改冲突已由他人处理。", "success")
    return redirect(url_for("reporting.show", rid=rid))


@bp.post("/reports/<int:rid>/evidence")
@roles(*FILL)
def evidence_add(rid):
    report = _report(rid)
    _require_edit(report)
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise OperationError("请选择要上传的文件。")
        data = ev_ops.read_capped(upload.stream)
        ev, status = ev_ops.add_evidence(report, current_user, request.form.get("client_uuid"),
                                         request.form.get("target") or "", upload.filename, data, storage())
    except OperationError as e:
        db.session.rollback()
        if wants_json():
            return refused(str(e))
        return _page(report, error=str(e), status=422)
    if wants_json():
        return {"ok": True, "status": status, "id": ev.id, "filename": ev.filename}, 200
    flash(f"已上传佐证材料「{ev.filename}」。", "success")
    return redirect(url_for("reporting.show", rid=rid))


def _evidence(report, eid):
    ev = db.session.get(ReportEvidence, eid)
    if ev is None or ev.report_id != report.id:
        abort(404, description="佐证材料不存在。")
    return ev


@bp.get("/reports/<int:rid>/evidence/<int:eid>")
@roles(*VIEW)
def evidence_file(rid, eid):
    report = _report(rid)
    ev = _evidence(report, eid)
    if ev.deleted_at is not None:
        abort(404, description="佐证材料已删除。")
    data = storage().get(ev.storage_key)
    inline = ev.content_type in ("application/pdf", "image/jpeg", "image/png")
    resp = Response(data, mimetype=ev.content_type)
    resp.headers["Content-Disposition"] = (f"{'inline' if inline else 'attachment'}; filename=\"evidence\"; "
                                           f"filename*=UTF-8''{quote(ev.filename)}")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/reports/<int:rid>/evidence/<int:eid>/delete")
@roles(*FILL)
def evidence_delete(rid, eid):
    report = _report(rid)
    _require_edit(report)
    ev = _evidence(report, eid)
    try:
        ev_ops.delete_evidence(report, ev, current_user)
    except OperationError as e:
        db.session.rollback()
        return _page(report, error=str(e), status=422)
    flash(f"已删除佐证材料「{ev.filename}」。", "success")
    return redirect(url_for("reporting.show", rid=rid))
