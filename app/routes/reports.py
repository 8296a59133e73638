"""Downloads: the findings report (.docx, printable page), the rectification lists (.xlsx), every
record (.xlsx) and the photos (.zip); and the page where the team lead fills 整改提升措施 and
完成时限. Building is app.reports (no Flask); this module only collects and sends."""
import io
import tempfile
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from ..extensions import db
from ..models import (
    CheckRecord, Department, Feedback, HearingEntry, Interview, Photo, RectificationItem, School, User,
)
from ..fieldwork.operations import audit
from ..permissions import inspection_or_404, is_team_lead, roles
from ..reports.collect import collect_rectification, collect_report
from ..reports.docx_report import build_docx
from ..reports.html_report import render_html
from ..reports.xlsx_lists import build_export_xlsx, build_photos_zip, build_rectification_xlsx
from ..reports.wording import shorten
from ..timefmt import local_today, to_local
from .photos import storage

bp = Blueprint("reports", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def disposition(filename, fallback):
    """attachment; filename="<readable ASCII>"; filename*=UTF-8''<the Chinese name> (RFC 6266/5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def _ascii_name(inspection, what, ext):
    return f"{inspection.county.code}-{what}.{ext}"


def _download(data, mimetype, filename, fallback):
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = disposition(filename, fallback)
    resp.headers["Content-Length"] = str(len(data))
    return resp


def _tz():
    return current_app.config["TIMEZONE"]


@bp.get("/inspections/<int:iid>/reports")
@roles("admin", "lead")
def index(iid):
    inspection = inspection_or_404(iid)
    return render_template("reports/index.html", inspection=inspection,
                           is_team_lead=is_team_lead(current_user, inspection))


@bp.get("/inspections/<int:iid>/report.docx")
@roles("admin", "lead")
def report_docx(iid):
    inspection = inspection_or_404(iid)
    data = build_docx(collect_report(inspection, storage=storage(), tz=_tz()))
    return _download(data, DOCX, f"{inspection.county.name}反馈意见.docx", _ascii_name(inspection, "feedback", "docx"))


@bp.get("/inspections/<int:iid>/report")
@roles("admin", "lead")
def report_html(iid):
    inspection = inspection_or_404(iid)
    from ..security import csp_nonce

    return render_html(collect_report(inspection, storage=storage(), tz=_tz()), nonce=csp_nonce(),
                       script_src=url_for("static", filename="js/page.js"))


@bp.get("/inspections/<int:iid>/rectification.xlsx")
@roles("admin", "lead")
def rectification_xlsx(iid):
    inspection = inspection_or_404(iid)
    data = build_rectification_xlsx(collect_rectification(inspection, local_today(_tz())))
    return _download(data, XLSX, f"{inspection.county.name}整改清单.xlsx",
                     _ascii_name(inspection, "rectification", "xlsx"))


@bp.get("/inspections/<int:iid>/rectification")
@roles("admin", "lead")
def rectification(iid):
    inspection = inspection_or_404(iid)
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar()
    problems = sorted(fb.problems, key=lambda p: (p.school.code if p.school else "", p.position)) if fb else []
    items = {r.problem_id: r for r in db.session.scalars(db.select(RectificationItem).where(
        RectificationItem.problem_id.in_([p.id for p in problems])))}
    return render_template("reports/rectification.html", inspection=inspection, problems=problems, items=items,
                           can_edit=is_team_lead(current_user, inspection),
                           can_close=current_user.role == "admin" or is_team_lead(current_user, inspection))


@bp.post("/inspections/<int:iid>/rectification")
@roles("lead")
def save_rectification(iid):
    inspection = inspection_or_404(iid)
    if not is_team_lead(current_user, inspection):
        abort(403, description="只有检查组组长可以填写整改措施和完成时限。")
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar()
    if fb is None:
        abort(404, description="还没有反馈意见。")
    errors = []
    changes = []
    items = {r.problem_id: r for r in db.session.scalars(db.select(RectificationItem).where(
        RectificationItem.problem_id.in_([p.id for p in fb.problems])))}
    for n, p in enumerate(sorted(fb.problems, key=lambda p: p.position), start=1):
        measure = (request.form.get(f"measure_{p.id}") or "").strip()
        month = (request.form.get(f"deadline_{p.id}") or "").strip()
        deadline = None
        if month:
            try:
                y, m = month.split("-")[:2]
                deadline = date(int(y), int(m), 1)
            except ValueError:
                errors.append(f"第 {n} 个问题的完成时限「{month}」不是有效的年月。")
                continue
        if len(measure) > 2000:
            errors.append(f"第 {n} 个问题的整改措施过长（最多 2000 字）。")
            continue
        item = items.get(p.id)
        if item is None:
            if not measure and deadline is None:
                continue
            item = RectificationItem(problem_id=p.id)
            db.session.add(item)
        if item.measures != measure or item.deadline != deadline:
            changes.append({"problem": p.id, "before": [item.measures, str(item.deadline or "")],
                            "after": [measure, str(deadline or "")]})
            item.measures, item.deadline = measure, deadline
    if errors:
        db.session.rollback()
        for e in errors:
            flash(e, "error")
        return redirect(url_for("reports.rectification", iid=iid))
    if changes:
        audit(current_user, "update", "rectification", fb.id, f"整改措施和完成时限 {len(changes)} 项",
              {c["problem"]: c["before"] for c in changes}, {c["problem"]: c["after"] for c in changes}, iid)
    db.session.commit()
    flash(f"已保存 {len(changes)} 项整改措施和完成时限。", "success")
    return redirect(url_for("reports.rectification", iid=iid))


SUBJECT_LABELS = {"school": "学校检查", "archive_county": "县级档案", "archive_school": "学校档案",
                  "department": "部门检查", "hearing_entry": "陈述答辩", "interview": "实地访谈"}


def export_sheets(inspection, tz):
    """Every record of an inspection, one sheet per kind, Chinese headers."""
    iid = inspection.id
    std = inspection.standard
    users = {u.id: u.name for u in db.session.scalars(db.select(User))}
    schools = {s.id: s.name for s in db.session.scalars(db.select(School).filter_by(county_id=inspection.county_id))}
    deps = {d.id: d for d in db.session.scalars(db.select(Department).filter_by(inspection_id=iid))}

    def when(dt):
        """A real date-time cell in local time (naive: a spreadsheet has no time zones)."""
        local = to_local(dt, tz)
        return local.replace(tzinfo=None, microsecond=0) if local else None

    recs = db.session.execute(db.select(CheckRecord).filter_by(inspection_id=iid).order_by(CheckRecord.id)).scalars().all()
    subject = SUBJECT_LABELS

    def where(r):
        if r.subject_type == "department":
            return deps[r.subject_id].name if r.subject_id in deps else ""
        if r.subject_type == "archive_county":
            return inspection.county.name
        return schools.get(r.school_id or r.subject_id, "")

    def item_text(r):
        item = std.checklist_by_code.get(r.item_code) or std.archive_items.get(r.item_code)
        return item["text"] if item else std.indicators.get(r.indicator_code, {}).get("name", "")

    sheets = {
        "检查记录": (["编号", "类别", "学校/部门", "检查项", "内容", "指标", "结论", "实测值", "说明", "记录人", "版本", "时间"],
                 [[r.id, subject.get(r.subject_type, r.subject_type), where(r), r.item_code, item_text(r), r.indicator_code,
                   r.verdict, r.observed_value, r.note, users.get(r.author_id, ""), r.version, when(r.updated_at)] for r in recs]),
        "答辩问答": (["编号", "问题", "提问人", "回答要点", "评价", "指标", "备注", "记录人", "时间"],
                 [[e.id, e.question, e.asked_by, e.answer, e.judgement, e.indicator_code or "", e.note,
                   users.get(e.author_id, ""), when(e.updated_at)] for e in db.session.execute(
                     db.select(HearingEntry).filter_by(inspection_id=iid).order_by(HearingEntry.id)).scalars()]),
        "实地访谈": (["编号", "对象类型", "访谈对象", "学校", "回答", "满意度", "备注", "记录人", "时间"],
                 [[i.id, i.interviewee_type, i.interviewee, schools.get(i.school_id, ""),
                   "\n".join(f"{q}：{a}" for q, a in (i.answers or {}).items()), i.satisfaction, i.note,
                   users.get(i.author_id, ""), when(i.updated_at)] for i in db.session.execute(
                     db.select(Interview).filter_by(inspection_id=iid).order_by(Interview.id)).scalars()]),
        "相关部门": (["部门", "负责指标", "查阅文件", "结论", "说明"],
                 [[d.name, "、".join(d.indicator_codes or []), d.documents_seen, d.verdict or "", d.note] for d in deps.values()]),
        "照片": (["编号", "学校", "类别", "检查项", "说明", "拍摄时间", "纬度", "经度", "拍摄人", "证据"],
               [[p.id, schools.get(p.school_id, ""), subject.get(p.subject_type, p.subject_type), p.item_code or "", p.caption, when(p.taken_at or p.created_at),
                 p.latitude, p.longitude, users.get(p.author_id, ""), "是" if p.is_evidence else ""]
                for p in db.session.execute(db.select(Photo).filter_by(inspection_id=iid).filter(Photo.deleted_at.is_(None))
                                            .order_by(Photo.id)).scalars()]),
    }
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar()
    sheets["反馈问题"] = (["序号", "部分", "指标", "学校/部门", "问题", "重点"],
                      [[p.position, std.parts.get(p.part, p.part), p.indicator_code or "",
                        p.school.name if p.school else (deps[p.department_id].name if p.department_id in deps else ""),
                        p.text, "是" if p.is_key else ""] for p in (fb.problems if fb else [])])
    return sheets


@bp.get("/inspections/<int:iid>/export.xlsx")
@roles("admin", "lead")
def export_xlsx(iid):
    inspection = inspection_or_404(iid)
    return _download(build_export_xlsx(export_sheets(inspection, _tz())), XLSX, f"{inspection.county.name}检查记录.xlsx",
                     _ascii_name(inspection, "records", "xlsx"))


@bp.get("/inspections/<int:iid>/photos.zip")
@roles("admin", "lead")
def photos_zip(iid):
    inspection = inspection_or_404(iid)
    std = inspection.standard
    store = storage()
    tz = _tz()
    schools = {s.id: s.name for s in db.session.scalars(db.select(School).filter_by(county_id=inspection.county_id))}
    rows = db.session.execute(db.select(Photo).filter_by(inspection_id=iid).filter(Photo.deleted_at.is_(None))
                              .order_by(Photo.school_id, Photo.item_code, Photo.id)).scalars().all()

    def items():

        for p in rows:
            item = std.checklist_by_code.get(p.item_code or "") or std.archive_items.get(p.item_code or "")
            label = f"{p.item_code} {shorten(item['text'], 20)}" if item else (p.item_code or "现场照片")
            taken = to_local(p.taken_at or p.created_at, tz)
            yield (schools.get(p.school_id, inspection.county.name), label, taken.replace(tzinfo=None), store.get(p.data_key))

    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # large archives go to disk, not memory
    build_photos_zip(items(), spool)
    spool.seek(0)
    resp = send_file(spool, mimetype="application/zip", as_attachment=True,
                     download_name=_ascii_name(inspection, "photos", "zip"))
    resp.headers["Content-Disposition"] = disposition(f"{inspection.county.name}照片.zip",
                                                      _ascii_name(inspection, "photos", "zip"))
    return resp


@bp.post("/inspections/<int:iid>/rectification/<int:problem_id>/<action>")
@roles("admin", "lead")
def close_item(iid, problem_id, action):
    """销号: an item is closed with the evidence of its rectification (or opened again)."""
    from ..models import FeedbackProblem
    from ..models.base import utcnow

    inspection = inspection_or_404(iid)
    if not (current_user.role == "admin" or is_team_lead(current_user, inspection)):
        abort(403, description="只有督导办或检查组组长可以销号。")
    problem = db.session.get(FeedbackProblem, problem_id)
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar()
    if problem is None or fb is None or problem.feedback_id != fb.id:
        abort(404, description="问题不存在。")
    item = problem.rectification or RectificationItem(problem_id=problem.id)
    db.session.add(item)
    if action == "close":
        evidence = (request.form.get("evidence") or "").strip()
        if not evidence:
            flash("销号需要填写整改完成的佐证（文件、照片或现场核查情况）。", "error")
            return redirect(url_for("reports.rectification", iid=iid) + f"#rp-{problem.id}")
        item.status, item.closed_at, item.closed_by_id, item.closing_evidence = "closed", utcnow(), current_user.id, evidence[:2000]
        audit(current_user, "close", "rectification", problem.id, f"销号：{problem.text[:60]}", {"status": "open"},
              {"status": "closed", "evidence": item.closing_evidence}, iid)
        flash("已销号。", "success")
    elif action == "reopen":
        audit(current_user, "reopen", "rectification", problem.id, f"撤销销号：{problem.text[:60]}",
              {"status": item.status, "evidence": item.closing_evidence}, {"status": "open"}, iid)
        item.status, item.closed_at, item.closed_by_id = "open", None, None
        flash("已撤销销号。", "success")
    else:
        abort(404)
    db.session.commit()
    return redirect(url_for("reports.rectification", iid=iid) + f"#rp-{problem.id}")
