"""Steps 1, 2, 4 and 5 of the on-site procedure (hearing, archives, departments, interviews) and
the visit's start/finish. Thin: validate, call app.fieldwork.operations / app.fieldwork.procedure, render."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import CheckRecord, Department, Hearing, HearingEntry, Inspection, Photo, School, Visit
from ..models.base import utcnow
from ..models.procedure import JUDGEMENTS
from ..models.records import ARCHIVE_VERDICTS, VERDICTS
from ..fieldwork.operations import (
    OperationError, audit, choice_field, new_uuid, save_check_record, save_versioned, text_field,
)
from ..permissions import ALL_ROLES, inspection_or_404, record_in, require_capture, roles
from ..fieldwork.progress import photo_only_items, unanswered_items
from .capture import overwritten_notices, refused, saved, wants_json
from .photos import photo_ids

bp = Blueprint("procedure", __name__)

CAPTURE = ("inspector", "lead")


_inspection = inspection_or_404


def _htmx():
    return bool(request.headers.get("HX-Request"))


# ---------------------------------------------------------------- 1 陈述答辩 hearing

@bp.get("/inspections/<int:iid>/hearing")
@roles(*ALL_ROLES)
def hearing(iid):
    inspection = _inspection(iid)
    hearing = db.session.execute(db.select(Hearing).filter_by(inspection_id=iid)).scalar()
    entries = db.session.execute(db.select(HearingEntry).filter_by(inspection_id=iid)
                                 .order_by(HearingEntry.id)).scalars().all()
    entry_photos = {}
    for pid, sid in db.session.execute(db.select(Photo.id, Photo.subject_id).filter(
            Photo.inspection_id == iid, Photo.subject_type == "hearing_entry", Photo.deleted_at.is_(None))):
        entry_photos.setdefault(sid, []).append(pid)
    return render_template("procedure/hearing.html", inspection=inspection, hearing=hearing, entries=entries,
                           judgements=JUDGEMENTS, new_uuid=new_uuid, indicator_codes=_codes(inspection),
                           entry_photos=entry_photos)


def _codes(inspection):
    return [c for c, i in inspection.standard.indicators.items() if i["part"] not in ("V",)]


@bp.post("/inspections/<int:iid>/hearing/reporter")
@roles(*CAPTURE)
def hearing_reporter(iid):
    inspection = _inspection(iid)
    require_capture(inspection)
    hearing = db.session.execute(db.select(Hearing).filter_by(inspection_id=iid)).scalar()
    try:
        reporter = text_field(request.form, "reporter", "陈述人（职务 姓名）", required=True, max_len=100)
        summary = text_field(request.form, "summary", "陈述要点", max_len=5000)
    except OperationError as e:
        flash(str(e), "error")
        return redirect(url_for("procedure.hearing", iid=iid))
    before = {"reporter": hearing.reporter, "summary": hearing.summary} if hearing else None
    if hearing is None:
        hearing = Hearing(inspection_id=iid, reporter=reporter, summary=summary, author_id=current_user.id,
                          held_at=utcnow())
        db.session.add(hearing)
        db.session.flush()
    hearing.reporter, hearing.summary = reporter, summary
    audit(current_user, "update" if before else "create", "hearing", hearing.id, f"陈述人 {reporter}", before,
          {"reporter": reporter, "summary": summary}, iid)
    db.session.commit()
    flash("已保存陈述人和陈述要点。", "success")
    return redirect(url_for("procedure.hearing", iid=iid))


def _hearing_values(form, inspection):
    return {
        "question": text_field(form, "question", "问题", required=True),
        "asked_by": text_field(form, "asked_by", "提问人", max_len=64),
        "answer": text_field(form, "answer", "回答要点"),
        "judgement": choice_field(form, "judgement", "评价", JUDGEMENTS),
        "indicator_code": choice_field(form, "indicator_code", "指标", _codes(inspection), required=False),
        "note": text_field(form, "note", "备注"),
    }


@bp.post("/inspections/<int:iid>/hearing/entries", defaults={"entry_id": None})
@bp.post("/inspections/<int:iid>/hearing/entries/<int:entry_id>")
@roles(*CAPTURE)
def hearing_entry(iid, entry_id):
    inspection = _inspection(iid)
    require_capture(inspection)
    entry = record_in(HearingEntry, entry_id, inspection, "问答记录不存在。") if entry_id is not None else None
    hearing = db.session.execute(db.select(Hearing).filter_by(inspection_id=iid)).scalar()
    try:
        values = _hearing_values(request.form, inspection)
        record, status = save_versioned(
            kind="hearing_entry", model=HearingEntry, inspection=inspection, user=current_user,
            client_uuid=request.form.get("client_uuid"), values=values, record=entry,
            base_version=request.form.get("base_version"), create={"hearing_id": hearing.id if hearing else None},
            label=f"问答：{values['question'][:40]}（{values['judgement']}）")
    except OperationError as e:
        if wants_json():
            return refused(str(e))
        return _capture_error(e, "procedure/_hearing_entry.html", url_for("procedure.hearing", iid=iid),
                              entry=entry, inspection=inspection, judgements=JUDGEMENTS,
                              indicator_codes=_codes(inspection), new_uuid=new_uuid, draft=request.form)
    if wants_json():
        return saved(record, status, edit_url=url_for("procedure.hearing_entry", iid=iid, entry_id=record.id),
                     problem=record.judgement in ("一般", "差"))
    if not _htmx():
        flash("问答已保存。", "success")
        return redirect(url_for("procedure.hearing", iid=iid) + f"#entry-{record.id}")
    html = render_template("procedure/_hearing_entry.html", entry=record, inspection=inspection, status=status,
                           judgements=JUDGEMENTS, indicator_codes=_codes(inspection), new_uuid=new_uuid)
    if entry is None:  # a new entry: append it and give back a fresh, empty form
        html += render_template("procedure/_hearing_entry.html", entry=None, inspection=inspection, oob=True,
                                judgements=JUDGEMENTS, indicator_codes=_codes(inspection), new_uuid=new_uuid)
    return html


def _capture_error(error, template, fallback_url, **ctx):
    """A refused capture: HTMX gets the form back with the message (422, swapped in place);
    a plain POST gets a flash and the page."""
    if not _htmx():
        flash(str(error), "error")
        return redirect(fallback_url)
    resp = make_response(render_template(template, error=str(error), **ctx), 422)
    if ctx.get("entry") is None:
        resp.headers["HX-Retarget"] = "#hearing-new" if "hearing" in template else "this"
        resp.headers["HX-Reswap"] = "outerHTML"
    return resp


# ---------------------------------------------------------------- 2 查阅档案资料 archives

@bp.get("/inspections/<int:iid>/archives")
@roles(*ALL_ROLES)
def archives(iid):
    inspection = _inspection(iid)
    records = _records(iid, "archive_county", inspection.county_id)
    schools = [v.school for v in sorted(inspection.visits, key=lambda v: v.school.code)]
    done = dict(db.session.execute(
        db.select(CheckRecord.subject_id, db.func.count(CheckRecord.id))
        .where(CheckRecord.inspection_id == iid, CheckRecord.subject_type == "archive_school")
        .group_by(CheckRecord.subject_id)).all())
    return render_template("procedure/archives.html", inspection=inspection, level="county",
                           parts=inspection.standard.archives["county"], records=records, schools=schools,
                           done=done, subject_id=inspection.county_id, new_uuid=new_uuid,
                           verdicts=ARCHIVE_VERDICTS, school=None,
                           photos=photo_ids(iid, "archive_county", inspection.county_id),
                           notices=overwritten_notices(iid, current_user, "archive_county", inspection.county_id))


@bp.get("/inspections/<int:iid>/archives/schools/<int:school_id>")
@roles(*ALL_ROLES)
def school_archives(iid, school_id):
    inspection = _inspection(iid)
    school = db.get_or_404(School, school_id, description="学校不存在。")
    if school.county_id != inspection.county_id:
        abort(404, description="该学校不在本次检查的县。")
    return render_template("procedure/archives.html", inspection=inspection, level="school",
                           parts=inspection.standard.archives["school"], school=school,
                           records=_records(iid, "archive_school", school.id), subject_id=school.id,
                           new_uuid=new_uuid, verdicts=ARCHIVE_VERDICTS, schools=[], done={},
                           photos=photo_ids(iid, "archive_school", school.id),
                           notices=overwritten_notices(iid, current_user, "archive_school", school.id))


def _records(iid, subject_type, subject_id):
    return {r.item_code: r for r in db.session.execute(
        db.select(CheckRecord).options(db.joinedload(CheckRecord.author))
        .filter_by(inspection_id=iid, subject_type=subject_type, subject_id=subject_id)).scalars()}


SUBJECTS = {
    # subject type -> (verdicts, where its items come from)
    "archive_county": ARCHIVE_VERDICTS,
    "archive_school": ARCHIVE_VERDICTS,
    "department": VERDICTS,
}


def record_url(inspection, subject_type, subject_id, item_code):
    return url_for("procedure.save_record", iid=inspection.id, subject_type=subject_type, subject_id=subject_id,
                   item_code=item_code)


@bp.post("/inspections/<int:iid>/records/<subject_type>/<int:subject_id>/items/<item_code>")
@roles(*CAPTURE)
def save_record(iid, subject_type, subject_id, item_code):
    """Archive items (county and school) and department items: one CheckRecord each."""
    inspection = _inspection(iid)
    require_capture(inspection)
    if subject_type not in SUBJECTS:
        abort(404)
    standard = inspection.standard
    school_id = None
    if subject_type == "department":
        dep = db.session.get(Department, subject_id)
        if dep is None or dep.inspection_id != iid:
            abort(404, description="部门不存在。")
        if item_code not in dep.indicator_codes or item_code not in standard.indicators:
            abort(404, description=f"{dep.name}没有检查项 {item_code}。")
        item = {"code": item_code, "indicator": item_code, "text": standard.indicators[item_code]["name"]}
        back = url_for("procedure.department", iid=iid, dep_id=dep.id)
    else:
        item = standard.archive_items.get(item_code)
        level = subject_type.split("_")[1]
        if item is None or item["level"] != level:
            abort(404, description=f"档案项 {item_code} 不在本次检查的标准中。")
        if level == "county":
            if subject_id != inspection.county_id:
                abort(404)
            back = url_for("procedure.archives", iid=iid)
        else:
            school = db.session.get(School, subject_id)
            if school is None or school.county_id != inspection.county_id:
                abort(404, description="学校不存在。")
            school_id = school.id
            back = url_for("procedure.school_archives", iid=iid, school_id=school.id)
    error, status = None, None
    try:
        record, status = save_check_record(
            inspection=inspection, user=current_user, client_uuid=request.form.get("client_uuid"),
            subject_type=subject_type, subject_id=subject_id, item_code=item_code, indicator_code=item["indicator"],
            verdict=request.form.get("verdict", ""), observed_value=request.form.get("observed_value", ""),
            note=request.form.get("note", ""), base_version=request.form.get("base_version") or None,
            school_id=school_id, verdicts=SUBJECTS[subject_type])
    except OperationError as e:
        error = str(e)
        record = _records(iid, subject_type, subject_id).get(item_code)
    if wants_json():
        return refused(error) if error else saved(record, status, problem=record.is_problem)
    if not _htmx():
        flash(error or f"{item_code} 已保存。", "error" if error else "success")
        return redirect(back + f"#item-{item_code}")
    html = render_template("procedure/_record_partial.html", item=item, record=record,
                           post_url=record_url(inspection, subject_type, subject_id, item_code),
                           locked=inspection.locked, error=error, status=status, new_uuid=new_uuid,
                           verdicts=SUBJECTS[subject_type], draft=request.form if error else None,
                           inspection=inspection, subject_type=subject_type, subject_id=subject_id,
                           photos=photo_ids(iid, subject_type, subject_id))
    return html, (422 if error else 200)


# ---------------------------------------------------------------- 4 检查相关部门 departments

@bp.get("/inspections/<int:iid>/departments")
@roles(*ALL_ROLES)
def departments(iid):
    inspection = _inspection(iid)
    deps = db.session.execute(db.select(Department).filter_by(inspection_id=iid).order_by(Department.id)).scalars().all()
    counts = dict(db.session.execute(
        db.select(CheckRecord.subject_id, db.func.count(CheckRecord.id))
        .where(CheckRecord.inspection_id == iid, CheckRecord.subject_type == "department")
        .group_by(CheckRecord.subject_id)).all())
    return render_template("procedure/departments.html", inspection=inspection, departments=deps, counts=counts,
                           codes=[c for c in inspection.standard.indicators if c[0] in "GQKJ"])


@bp.post("/inspections/<int:iid>/departments")
@roles(*CAPTURE)
def add_department(iid):
    inspection = _inspection(iid)
    require_capture(inspection)
    name = (request.form.get("name") or "").strip()
    codes = [c for c in request.form.getlist("indicators") if c in inspection.standard.indicators]
    if not name or len(name) > 64:
        flash("请填写部门名称（64 字以内）。", "error")
        return redirect(url_for("procedure.departments", iid=iid))
    if db.session.execute(db.select(Department).filter_by(inspection_id=iid, name=name)).scalar():
        flash(f"部门「{name}」已在清单中。", "error")
        return redirect(url_for("procedure.departments", iid=iid))
    dep = Department(inspection_id=iid, name=name, indicator_codes=codes)
    db.session.add(dep)
    db.session.flush()
    audit(current_user, "create", "department", dep.id, f"添加部门 {name}", None, {"name": name, "indicators": codes}, iid)
    db.session.commit()
    flash(f"已添加部门「{name}」。", "success")
    return redirect(url_for("procedure.department", iid=iid, dep_id=dep.id))


def _department(iid, dep_id):
    return record_in(Department, dep_id, db.session.get(Inspection, iid), "部门不存在。")


@bp.get("/inspections/<int:iid>/departments/<int:dep_id>")
@roles(*ALL_ROLES)
def department(iid, dep_id):
    inspection = _inspection(iid)
    dep = _department(iid, dep_id)
    standard = inspection.standard
    items = [{"code": c, "indicator": c, "text": standard.indicators[c]["name"],
              "value_label": standard.indicators[c].get("criterion", "")} for c in dep.indicator_codes
             if c in standard.indicators]
    return render_template("procedure/department.html", inspection=inspection, dep=dep, items=items,
                           records=_records(iid, "department", dep.id), new_uuid=new_uuid, verdicts=VERDICTS,
                           record_url=record_url, photos=photo_ids(iid, "department", dep.id),
                           notices=overwritten_notices(iid, current_user, "department", dep.id))


@bp.post("/inspections/<int:iid>/departments/<int:dep_id>/check")
@roles(*CAPTURE)
def department_check(iid, dep_id):
    inspection = _inspection(iid)
    require_capture(inspection)
    dep = _department(iid, dep_id)
    try:
        values = {
            "documents_seen": text_field(request.form, "documents_seen", "查阅的文件"),
            "verdict": choice_field(request.form, "verdict", "总体结论", VERDICTS[:3]),
            "note": text_field(request.form, "note", "说明"),
        }
        dep, status = save_versioned(kind="department", model=Department, inspection=inspection, user=current_user,
                                     client_uuid=request.form.get("client_uuid"), values=values, record=dep,
                                     base_version=request.form.get("base_version"),
                                     label=f"{dep.name}：{values['verdict']}")
        error = None
    except OperationError as e:
        error, status = str(e), None
    if wants_json():
        return refused(error) if error else saved(dep, status)
    if not _htmx():
        flash(error or f"{dep.name}检查结论已保存。", "error" if error else "success")
        return redirect(url_for("procedure.department", iid=iid, dep_id=dep_id))
    html = render_template("procedure/_department_check.html", inspection=inspection, dep=dep, error=error,
                           status=status, new_uuid=new_uuid, draft=request.form if error else None)
    return html, (422 if error else 200)


# ---------------------------------------------------------------- 3 visit start / finish

@bp.post("/inspections/<int:iid>/schools/<int:school_id>/visit/<action>")
@roles(*CAPTURE)
def visit_state(iid, school_id, action):
    inspection = _inspection(iid)
    require_capture(inspection)
    visit = db.session.execute(db.select(Visit).filter_by(inspection_id=iid, school_id=school_id)).scalar()
    if visit is None:
        abort(404, description="这所学校不在本次检查的检查学校名单中。")
    now = utcnow()
    before = {"started_at": visit.started_at and visit.started_at.isoformat(),
              "finished_at": visit.finished_at and visit.finished_at.isoformat()}
    if action == "finish" and request.form.get("confirm") != "1":
        left = unanswered_items(inspection, visit.school)
        shot = {code for st, sid, code, _s in photo_only_items(inspection) if st == "school" and sid == school_id}
        if left:
            school_url = url_for("checklist.school", iid=iid, school_id=school_id)
            return render_template(
                "confirm.html", title=f"完成{visit.school.name}的检查？",
                message=f"还有 {len(left)} 项没有作答。没有作答的项目不会进入小组汇总和反馈意见；确认本校已检查完毕再完成。",
                sections=[("拍了照片但未选结论", [(f"{c} {t}", f"{school_url}#item-{c}") for c, t in left if c in shot]),
                          ("未作答的检查项", [(f"{c} {t}", f"{school_url}#item-{c}") for c, t in left if c not in shot])],
                action=url_for("procedure.visit_state", iid=iid, school_id=school_id, action="finish"),
                confirm_label="仍然完成本校检查", back_url=school_url)
    if action == "start":
        visit.started_at = visit.started_at or now
        message = "已开始检查。"
    elif action == "finish":
        visit.started_at = visit.started_at or now
        visit.finished_at = now
        message = "已标记检查完成。"
    elif action == "reopen":
        visit.finished_at = None
        message = "已重新打开本校检查。"
    else:
        abort(404)
    audit(current_user, action, "visit", visit.id, f"{visit.school.name} {message}", before,
          {"started_at": visit.started_at and visit.started_at.isoformat(),
           "finished_at": visit.finished_at and visit.finished_at.isoformat()}, iid)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("checklist.school", iid=iid, school_id=school_id))
