"""修改冲突: the list of conflicts (two edits from one version) and their resolution by the team
lead or a group lead. Routes on the summaries blueprint (endpoint names unchanged), moved out of
summaries.py."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..fieldwork import conflicts as conflict_ops
from ..fieldwork.operations import OperationError
from ..models import CheckRecord, Department, Feedback, GroupSummary, HearingEntry, Interview
from ..permissions import ALL_ROLES, is_team_lead, leads_work_of, roles
from ..permissions import inspection_or_404 as _inspection
from .capture import conflict_notice
from .summaries import bp

# the notice on an interview, hearing entry, department check, group summary or feedback whose
# save was overwritten (check items get theirs from overwritten_notices)
bp.add_app_template_global(conflict_notice)


# ---------------------------------------------------------------- conflicts (two edits from one version)

# every kind a save stores a RecordConflict for: save_versioned_row / save_versioned and
# save_text_edit (group summary and feedback texts)
def field_labels():
    """The Chinese name of each field a conflict keeps, as the capture forms label it."""
    from .summaries import FEEDBACK_TEXTS

    return {
        "verdict": "结论", "observed_value": "观测值", "note": "备注", "measurements": "实测记录",
        "question": "问题", "asked_by": "提问人", "answer": "回答要点", "judgement": "评价", "indicator_code": "指标",
        "documents_seen": "查阅的文件", "interviewee_type": "访谈对象类别", "interviewee": "访谈对象",
        "school_id": "学校", "answers": "回答", "satisfaction": "满意度",
        "covered": "检查范围", "strengths": "主要成绩和亮点", "narrative": "综合情况",
        **{field: label for field, (label, _rows, _limit) in FEEDBACK_TEXTS.items()},
    }


CONFLICT_MODELS = {"check_record": CheckRecord, "hearing_entry": HearingEntry, "interview": Interview,
                   "department": Department, "group_summary": GroupSummary, "feedback": Feedback}


def _may_resolve(inspection, conflict=None):
    """The team lead resolves every conflict; a group lead their own group's (the records of
    their members or of the schools their group visits)."""
    if conflict is None:
        return is_team_lead(current_user, inspection) or any(g.lead_user_id == current_user.id for g in inspection.groups)
    model = CONFLICT_MODELS.get(conflict.kind)
    record = db.session.get(model, conflict.record_id) if model else None
    authors = (conflict.author_id, (conflict.overwritten or {}).get("author_id"), (conflict.incoming or {}).get("author_id"))
    return leads_work_of(current_user, inspection, authors, getattr(record, "school_id", None))


@bp.get("/inspections/<int:iid>/conflicts")
@roles(*ALL_ROLES)
def conflicts(iid):
    from ..models import RecordConflict, User

    inspection = _inspection(iid)
    rows = db.session.execute(db.select(RecordConflict).filter_by(inspection_id=iid)
                              .order_by(RecordConflict.resolved_at.is_not(None), RecordConflict.id.desc())).scalars().all()
    users = {u.id: u.name for u in db.session.scalars(db.select(User))}
    items = []
    lead = _may_resolve(inspection) and not inspection.locked
    for c in rows:
        model = CONFLICT_MODELS.get(c.kind)
        record = db.session.get(model, c.record_id) if model else None
        items.append({"c": c, "record": record, "author": users.get(c.author_id, ""),
                      "overwritten_author": users.get((c.overwritten or {}).get("author_id"), ""),
                      "resolver": users.get(c.resolved_by_id, ""),
                      "may_resolve": lead and c.resolved_at is None and _may_resolve(inspection, c)})
    return render_template("summaries/conflicts.html", inspection=inspection, items=items, labels=field_labels())


@bp.post("/inspections/<int:iid>/conflicts/<int:cid>")
@roles(*ALL_ROLES)
def resolve_conflict(iid, cid):
    from ..models import RecordConflict

    inspection = _inspection(iid)
    if not _may_resolve(inspection) or inspection.locked:
        abort(403, description="只有组长可以处理修改冲突。")
    c = db.session.get(RecordConflict, cid)
    if c is None or c.inspection_id != iid:
        abort(404, description="冲突记录不存在。")
    if not _may_resolve(inspection, c):
        abort(403, description="组长只能处理本组的修改冲突，其他组的由该组组长或检查组组长处理。")
    try:
        conflict_ops.resolve_conflict(c, CONFLICT_MODELS[c.kind], current_user, request.form.get("resolution"))
    except OperationError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("summaries.conflicts", iid=iid))
    db.session.commit()
    flash("已处理。", "success")
    return redirect(url_for("summaries.conflicts", iid=iid))
