"""5 实地随机访谈: the interviews list with its satisfaction summary, the interview form and its
save. Routes on the procedure blueprint (endpoint names unchanged), moved out of procedure.py."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..fieldwork.operations import OperationError, choice_field, new_uuid, save_versioned, text_field
from ..models import Interview
from ..permissions import ALL_ROLES, record_in, require_capture, roles
from ..standards import interview_questions
from .capture import refused, saved, wants_json
from .photos import photo_ids
from .procedure import CAPTURE, _inspection, bp


# ---------------------------------------------------------------- 5 实地随机访谈 interviews

@bp.get("/inspections/<int:iid>/interviews")
@roles(*ALL_ROLES)
def interviews(iid):
    inspection = _inspection(iid)
    rows = db.session.execute(db.select(Interview).options(db.joinedload(Interview.author), db.joinedload(Interview.school))
                              .filter_by(inspection_id=iid).order_by(Interview.id.desc())).scalars().all()
    qs = interview_questions()
    summary = []
    for t in qs["types"]:
        of_type = [i for i in rows if i.interviewee_type == t]
        counts = {s: sum(1 for i in of_type if i.satisfaction == s) for s in qs["satisfaction"]}
        positive = sum(counts[s] for s in qs["positive"])
        summary.append({"type": t, "n": len(of_type), "counts": counts,
                        "rate": positive / len(of_type) if of_type else None})
    total = len(rows)
    positive = sum(1 for i in rows if i.satisfaction in qs["positive"])
    return render_template("procedure/interviews.html", inspection=inspection, interviews=rows, summary=summary,
                           total=total, rate=positive / total if total else None, scale=qs["satisfaction"],
                           totals={s: sum(1 for i in rows if i.satisfaction == s) for s in qs["satisfaction"]},
                           types=list(qs["types"]))


def _interview_schools(inspection):
    return [v.school for v in sorted(inspection.visits, key=lambda v: v.school.code)]


@bp.get("/inspections/<int:iid>/interviews/new")
@roles(*CAPTURE)
def new_interview(iid):
    inspection = _inspection(iid)
    require_capture(inspection)
    qs = interview_questions()
    kind = request.args.get("type") if request.args.get("type") in qs["types"] else None
    school_id = request.args.get("school_id", type=int)
    return render_template("procedure/interview_form.html", inspection=inspection, interview=None, kind=kind,
                           questions=qs["types"].get(kind, []), types=list(qs["types"]), scale=qs["satisfaction"],
                           schools=_interview_schools(inspection), school_id=school_id, uuid=new_uuid(),
                           draft=None, error=None, back_to_school=request.args.get("back") == "school")


@bp.get("/inspections/<int:iid>/interviews/<int:interview_id>")
@roles(*ALL_ROLES)
def interview(iid, interview_id):
    inspection = _inspection(iid)
    row = record_in(Interview, interview_id, inspection, "访谈记录不存在。")
    qs = interview_questions()
    return render_template("procedure/interview_form.html", inspection=inspection, interview=row,
                           kind=row.interviewee_type, questions=qs["types"].get(row.interviewee_type, []),
                           types=list(qs["types"]), scale=qs["satisfaction"], schools=_interview_schools(inspection),
                           school_id=row.school_id, uuid=new_uuid(), draft=None, error=None,
                           photos=photo_ids(iid, "interview", row.id))


@bp.post("/inspections/<int:iid>/interviews", defaults={"interview_id": None})
@bp.post("/inspections/<int:iid>/interviews/<int:interview_id>")
@roles(*CAPTURE)
def save_interview(iid, interview_id):
    inspection = _inspection(iid)
    require_capture(inspection)
    row = record_in(Interview, interview_id, inspection, "访谈记录不存在。") if interview_id is not None else None
    qs = interview_questions()
    form = request.form
    try:
        kind = choice_field(form, "interviewee_type", "访谈对象类型", list(qs["types"]))
        answers = {}
        for i, q in enumerate(qs["types"][kind]):
            a = text_field(form, f"answer_{i}", f"第 {i + 1} 题的回答", max_len=1000)
            if a:
                answers[q] = a
        school_id = form.get("school_id", type=int)
        if school_id and school_id not in {s.id for s in _interview_schools(inspection)}:
            raise OperationError("请选择本次检查的学校。")
        values = {
            "interviewee_type": kind,
            "interviewee": text_field(form, "interviewee", "访谈对象", max_len=100),
            "school_id": school_id or None,
            "answers": answers,
            "satisfaction": choice_field(form, "satisfaction", "满意度", qs["satisfaction"]),
            "note": text_field(form, "note", "备注"),
        }
        groups = [g.id for g in inspection.groups if any(m.user_id == current_user.id for m in g.members)]
        row, status = save_versioned(
            kind="interview", model=Interview, inspection=inspection, user=current_user,
            client_uuid=form.get("client_uuid"), values=values, record=row, base_version=form.get("base_version"),
            create={"group_id": groups[0] if groups else None},
            label=f"访谈{kind}：{values['satisfaction']}")
    except OperationError as e:
        if wants_json():
            return refused(str(e))
        k = form.get("interviewee_type") if form.get("interviewee_type") in qs["types"] else None
        return render_template("procedure/interview_form.html", inspection=inspection, interview=row, kind=k,
                               questions=qs["types"].get(k, []), types=list(qs["types"]), scale=qs["satisfaction"],
                               schools=_interview_schools(inspection), school_id=form.get("school_id", type=int),
                               uuid=new_uuid(), draft=form, error=str(e), back_to_school=bool(form.get("back_to_school"))), 422
    if wants_json():
        return saved(row, status, edit_url=url_for("procedure.save_interview", iid=iid, interview_id=row.id))
    flash(f"访谈记录已保存（第 {row.version} 版）。", "success")
    if form.get("back_to_school") and row.school_id:
        return redirect(url_for("checklist.school", iid=iid, school_id=row.school_id))
    return redirect(url_for("procedure.interviews", iid=iid))
