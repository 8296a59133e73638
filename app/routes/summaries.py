"""Steps 6 and 7: group summaries (the group lead) and the feedback opinion (the team lead),
sign-off and reopening. Thin: permissions and forms here, the work in app.fieldwork.procedure."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..extensions import db
from ..models import CheckRecord, Department, Feedback, FeedbackProblem, Group, GroupSummary, HearingEntry, Interview, SummaryProblem
from ..models.procedure import CONCLUSIONS
from ..fieldwork.operations import OperationError, audit, claim_version, save_text_edit
from ..permissions import ALL_ROLES, is_team_lead, record_in, roles
from ..fieldwork.procedure import (
    feedback_figures, feedback_for, feedback_of, forum_types, import_summaries, merge_problem, parse_entered_figures,
    reopen, save_entered_figures, sign_feedback, submit_summary, summary_for, sync_summary,
)
from ..permissions import inspection_or_404 as _inspection
from ..fieldwork.progress import photo_only_items, unfinished

bp = Blueprint("summaries", __name__)


def _group(inspection, group_id):
    return record_in(Group, group_id, inspection, "小组不存在。")


def _require_group_lead(inspection, group):
    if group.lead_user_id != current_user.id:
        abort(403, description=f"只有{group.name}组长可以编辑和提交小组汇总。")
    if inspection.locked:
        abort(403, description="本次检查已签发锁定，记录不能再修改。")


def _require_team_lead(inspection, *, allow_locked=False):
    if not is_team_lead(current_user, inspection):
        abort(403, description="只有检查组组长可以编辑和签发反馈意见。")
    if inspection.locked and not allow_locked:
        abort(403, description="本次检查已签发锁定，请先重新打开。")


@bp.get("/inspections/<int:iid>/summaries")
@roles(*ALL_ROLES)
def index(iid):
    inspection = _inspection(iid)
    summaries = {s.group_id: s for s in db.session.scalars(db.select(GroupSummary).filter_by(inspection_id=iid))}
    return render_template("summaries/index.html", inspection=inspection, groups=inspection.groups, summaries=summaries)


def _record_link(inspection, record):
    if record is None:
        return None
    if record.subject_type == "school":
        return url_for("checklist.school", iid=inspection.id, school_id=record.subject_id) + f"#item-{record.item_code}"
    if record.subject_type == "archive_county":
        return url_for("procedure.archives", iid=inspection.id) + f"#item-{record.item_code}"
    if record.subject_type == "archive_school":
        return url_for("procedure.school_archives", iid=inspection.id, school_id=record.subject_id) + f"#item-{record.item_code}"
    if record.subject_type == "department":
        return url_for("procedure.department", iid=inspection.id, dep_id=record.subject_id) + f"#item-{record.item_code}"
    return None


def source_link(inspection, kind, source_id):
    """Where a problem came from: (url, author name) of its record."""
    if kind == "check_record":
        rec = db.session.get(CheckRecord, source_id)
        return _record_link(inspection, rec), rec.author.name if rec else ""
    if kind == "interview":
        rec = db.session.get(Interview, source_id)
        return url_for("procedure.interview", iid=inspection.id, interview_id=source_id), rec.author.name if rec else ""
    if kind == "hearing_entry":
        rec = db.session.get(HearingEntry, source_id)
        return url_for("procedure.hearing", iid=inspection.id) + f"#entry-{source_id}", rec.author.name if rec else ""
    return None, ""


@bp.get("/inspections/<int:iid>/groups/<int:group_id>/summary")
@roles(*ALL_ROLES)
def summary(iid, group_id):
    inspection = _inspection(iid)
    group = _group(inspection, group_id)
    s = db.session.execute(db.select(GroupSummary).filter_by(group_id=group.id)).scalar()
    can_edit = group.lead_user_id == current_user.id and not inspection.locked and (s is None or s.status != "submitted")
    links = {p.id: source_link(inspection, p.source_kind, p.source_id) for p in (s.problems if s else [])}
    return render_template("summaries/summary.html", inspection=inspection, group=group, summary=s,
                           can_edit=can_edit, links=links,
                           is_team_lead=is_team_lead(current_user, inspection))


@bp.post("/inspections/<int:iid>/groups/<int:group_id>/summary/<action>")
@roles(*ALL_ROLES)
def summary_action(iid, group_id, action):
    inspection = _inspection(iid)
    group = _group(inspection, group_id)
    back = redirect(url_for("summaries.summary", iid=iid, group_id=group_id))
    if action == "return":  # the team lead sends a submitted summary back for rework
        _require_team_lead(inspection)
        s = summary_for(group)
        if s.status == "submitted":
            s.status = "draft"
            audit(current_user, "return", "group_summary", s.id, f"退回{group.name}汇总", {"status": "submitted"},
                  {"status": "draft"}, iid)
            db.session.commit()
            flash(f"已退回{group.name}的汇总。", "success")
        return back
    _require_group_lead(inspection, group)
    try:
        if action == "sync":
            added = sync_summary(group, current_user)
            flash(f"已收集本组记录的问题：新增 {added} 个。", "success")
            return back
        s = summary_for(group)
        if s.status == "submitted":
            raise OperationError("小组汇总已提交，不能再修改。")
        if action == "save":
            values = {}
            for field in ("covered", "strengths", "narrative"):
                value = (request.form.get(field) or "").strip()
                if len(value) > 10000:
                    raise OperationError("内容过长（最多 10000 字）。")
                values[field] = value
            status = save_text_edit(kind="group_summary", record=s, inspection=inspection, user=current_user,
                                    values=values, base_version=request.form.get("base_version"),
                                    label=f"{group.name}汇总文字")
            if status == "conflict":
                flash("已保存；保存前汇总已被他人修改，被覆盖的内容已留存在「修改冲突」。", "info")
            flash("已保存。", "success")
        elif action == "submit":
            live = [p for p in s.problems if not p.merged_into_id]
            if not live and not s.narrative:
                raise OperationError("汇总还没有问题或综述，请先收集问题或填写综述。")
            if request.form.get("confirm") != "1":
                page = _submit_check(inspection, group)
                if page is not None:
                    return page
            submit_summary(s, current_user)
            flash(f"{group.name}汇总已提交检查组组长。", "success")
        else:
            abort(404)
        db.session.commit()
    except OperationError as e:
        db.session.rollback()
        flash(str(e), "error")
    return back


def _submit_check(inspection, group):
    """Submitting with schools of the group not started or not finished asks first."""
    visits = sorted((v for v in inspection.visits if v.group_id == group.id), key=lambda v: v.school.code)
    not_started = [v for v in visits if not v.started_at]
    open_ = [v for v in visits if v.started_at and not v.finished_at]
    shot = photo_only_items(inspection, group.id)
    if not (not_started or open_ or shot):
        return None

    def link(school_id):
        return url_for("checklist.school", iid=inspection.id, school_id=school_id)

    return render_template(
        "confirm.html", title=f"提交{group.name}汇总？",
        message="本组还有学校没有开始或没有完成检查。提交后汇总交检查组组长，不能再修改（组长可以退回）。",
        sections=[("没有开始检查的学校", [(v.school.name, link(v.school_id)) for v in not_started]),
                  ("检查中、没有完成的学校", [(v.school.name, link(v.school_id)) for v in open_]),
                  ("拍了照片但未选结论", [(f"{sch.name if sch else ''} {code}", link(sid) + f"#item-{code}")
                                    for _st, sid, code, sch in shot])],
        action=url_for("summaries.summary_action", iid=inspection.id, group_id=group.id, action="submit"),
        confirm_label="仍然提交", back_url=url_for("summaries.summary", iid=inspection.id, group_id=group.id))


@bp.get("/inspections/<int:iid>/feedback/sign")
@roles(*ALL_ROLES)
def sign_check(iid):
    """Before 签发: what is unfinished, and an explicit confirmation."""
    inspection = _inspection(iid)
    _require_team_lead(inspection)
    left = unfinished(inspection)

    def link(school_id):
        return url_for("checklist.school", iid=iid, school_id=school_id)

    where = {"archive_county": "县级档案", "archive_school": "学校档案", "department": "部门"}
    return render_template(
        "confirm.html", title="签发反馈意见？",
        message="签发后本次检查的全部记录锁定，不能再修改（重新打开会记入修改日志）。请先看清以下未完成的事项。",
        sections=[("没有完成检查的学校", [(f"{s.name}（{state}）", link(s.id)) for s, state in left["schools"]]),
                  ("没有提交的小组汇总", [(name, url_for("summaries.index", iid=iid)) for name in left["summaries"]]),
                  ("没有处理的修改冲突", [(f"{left['conflicts']} 条", url_for("summaries.conflicts", iid=iid))]
                   if left["conflicts"] else []),
                  ("拍了照片但未选结论", [(f"{sch.name if sch else where.get(st, '')} {code}",
                                     link(sid) + f"#item-{code}" if st == "school" else None)
                                    for st, sid, code, sch in left["photo_only"]])],
        action=url_for("summaries.feedback_action", iid=iid, action="sign"),
        confirm_label="确认签发并锁定", back_url=url_for("summaries.feedback", iid=iid))


@bp.post("/inspections/<int:iid>/groups/<int:group_id>/summary/problems/<int:pid>")
@roles(*ALL_ROLES)
def summary_problem(iid, group_id, pid):
    inspection = _inspection(iid)
    group = _group(inspection, group_id)
    _require_group_lead(inspection, group)
    s = summary_for(group)
    p = db.session.get(SummaryProblem, pid)
    if p is None or p.summary_id != s.id:
        abort(404, description="问题不存在。")
    try:
        if s.status == "submitted":
            raise OperationError("小组汇总已提交，不能再修改。")
        if request.form.get("merge_into"):
            into = db.session.get(SummaryProblem, request.form.get("merge_into", type=int) or 0)
            if into is None:
                raise OperationError("请选择要合并到的问题。")
            merge_problem(s, p, into, current_user)
        elif request.form.get("unmerge"):
            audit(current_user, "unmerge", "summary_problem", p.id, "取消合并", {"merged_into_id": p.merged_into_id},
                  {"merged_into_id": None}, iid)
            p.merged_into_id = None
        else:
            text = (request.form.get("text") or "").strip()
            if not text:
                raise OperationError("问题表述不能为空。")
            before = {"text": p.text, "is_key": p.is_key}
            p.text = text[:2000]
            p.is_key = request.form.get("is_key") == "1"
            audit(current_user, "update", "summary_problem", p.id, "修改问题表述", before,
                  {"text": p.text, "is_key": p.is_key}, iid)
        db.session.commit()
        flash("已保存。", "success")
    except OperationError as e:
        db.session.rollback()
        flash(str(e), "error")
    return redirect(url_for("summaries.summary", iid=iid, group_id=group_id) + f"#p-{pid}")


# ---------------------------------------------------------------- 7 反馈评估意见

FEEDBACK_TEXTS = {  # field: (label, rows, max length)
    "addressee": ("主送机关", 1, 200), "issuer": ("落款（发文机关署名）", 1, 200),
    "process": ("开头段（检查过程与数字）", 6, 20000), "overall": ("总体结论", 3, 20000),
    "achievements": ("一、主要成效", 8, 20000), "problems_text": ("二、存在的主要问题", 10, 20000),
    "requirements": ("三、督导意见", 8, 20000), "closing": ("结尾（整改要求与报送）", 3, 20000),
}


@bp.get("/inspections/<int:iid>/feedback")
@roles(*ALL_ROLES)
def feedback(iid):
    from ..reports.collect import evidence_photos, feedback_drafts, feedback_texts, photo_label

    inspection = _inspection(iid)
    fb = feedback_of(inspection)
    standard = inspection.standard
    figures = fb.figures if inspection.locked and fb.figures else feedback_figures(inspection)
    parts = {}
    for p in fb.problems:
        if not p.doubtful:
            parts.setdefault(p.part, []).append(p)
    order = list(standard.parts) + ["其他"]
    grouped = [(code, standard.parts.get(code, "其他"), parts[code]) for code in order if code in parts]
    vetoes = [(c, i["name"]) for c, i in standard.indicators.items() if i["part"] == "V"]
    submitted = db.session.scalar(db.select(db.func.count(GroupSummary.id)).where(
        GroupSummary.inspection_id == iid, GroupSummary.status == "submitted"))
    texts = feedback_texts(inspection, fb, feedback_drafts(inspection, fb, figures))
    photos, default_photos, chosen = evidence_photos(inspection, fb)
    return render_template("summaries/feedback.html", inspection=inspection, fb=fb, figures=figures, grouped=grouped,
                           vetoes=vetoes, conclusions=CONCLUSIONS, submitted=submitted, groups=len(inspection.groups),
                           is_team_lead=is_team_lead(current_user, inspection), parts=standard.parts,
                           doubtful=[p for p in fb.problems if p.doubtful], texts=texts, text_fields=FEEDBACK_TEXTS,
                           photos=[(ph, photo_label(standard, ph)) for ph in photos], default_photos=default_photos,
                           chosen_photos=chosen, forum_types=forum_types(),
                           entered=(fb.entered_figures or {}),
                           departments={d.id: d.name for d in db.session.scalars(db.select(Department).filter_by(inspection_id=iid))})


@bp.post("/inspections/<int:iid>/feedback/<action>")
@roles(*ALL_ROLES)
def feedback_action(iid, action):
    inspection = _inspection(iid)
    back = redirect(url_for("summaries.feedback", iid=iid))
    if action == "reopen":
        _require_team_lead(inspection, allow_locked=True)
        try:
            reopen(inspection, current_user, (request.form.get("reason") or "").strip()[:500])
            db.session.commit()
            flash("已重新打开本次检查，记录可以修改；已记入修改日志。", "success")
        except OperationError as e:
            flash(str(e), "error")
        return back
    _require_team_lead(inspection)
    fb = feedback_for(inspection)
    try:
        if action == "save":
            values = {}
            for field in FEEDBACK_TEXTS:
                label, _rows, limit = FEEDBACK_TEXTS[field]
                value = (request.form.get(field) or "").replace("\r\n", "\n").strip()
                if len(value) > limit:
                    raise OperationError(f"「{label}」过长（最多 {limit} 字）。")
                if FEEDBACK_TEXTS[field][1] == 1 and "\n" in value:
                    raise OperationError(f"「{label}」只能写一行。")
                values[field] = value
            codes = [c for c, i in inspection.standard.indicators.items() if i["part"] == "V"]
            values["vetoes"] = {c: request.form.get(f"veto_{c}") == "1" for c in codes}
            conclusion = request.form.get("conclusion") or None
            if conclusion and conclusion not in CONCLUSIONS:
                raise OperationError(f"结论只能是：{'、'.join(CONCLUSIONS)}。")
            if conclusion == "通过" and any(values["vetoes"].values()):
                raise OperationError("存在一票否决情形，结论不能为「通过」。")
            values["conclusion"] = conclusion
            status = save_text_edit(kind="feedback", record=fb, inspection=inspection, user=current_user,
                                    values=values, base_version=request.form.get("base_version"), label="编辑反馈意见")
            flash("反馈意见已保存。" if status == "updated" else
                  "反馈意见已保存；保存前已被他人修改，被覆盖的内容已留存在「修改冲突」。", "success")
        elif action == "redraft":  # drop the lead's text of one part: the document prints the fresh draft
            field = request.form.get("field")
            if field not in FEEDBACK_TEXTS:
                raise OperationError("没有这一部分。")
            audit(current_user, "update", "feedback", fb.id, f"恢复草稿：{FEEDBACK_TEXTS[field][0]}",
                  {field: getattr(fb, field)}, {field: ""}, iid)
            if not claim_version(Feedback, fb, fb.version):
                raise OperationError("反馈意见刚被他人修改，请刷新页面后再试。")
            setattr(fb, field, "")
            flash(f"「{FEEDBACK_TEXTS[field][0]}」已恢复为系统草稿。", "success")
        elif action == "photos":
            from ..reports.collect import evidence_photos

            photos, default, before = evidence_photos(inspection, fb)
            ids = {ph.id for ph in photos}
            try:
                wanted = {int(x) for x in request.form.getlist("photo")}
            except ValueError:
                raise OperationError("照片选择无效。") from None
            if not wanted <= ids:
                raise OperationError("所选照片不属于本次检查。")
            if not claim_version(Feedback, fb, fb.version):
                raise OperationError("反馈意见刚被他人修改，请刷新页面后再试。")
            fb.photo_choice = {"in": sorted(wanted - default), "out": sorted(default - wanted)}
            audit(current_user, "update", "feedback", fb.id, f"证据照片 {len(wanted)} 张",
                  {"photos": sorted(before)}, {"photos": sorted(wanted)}, iid)
            flash(f"证据照片已保存：{len(wanted)} 张。", "success")
        elif action == "figures":
            save_entered_figures(fb, inspection, current_user, parse_entered_figures(request.form),
                                 request.form.get("base_version"))
            flash("座谈会、调查问卷数字已保存。", "success")
        elif action == "import":
            added = import_summaries(fb, inspection, current_user)
            flash(f"已从已提交的小组汇总导入问题 {added} 个。", "success")
        elif action == "sign":
            if request.form.get("confirm") != "1":
                return redirect(url_for("summaries.sign_check", iid=iid))
            sign_feedback(fb, inspection, current_user)
            flash("反馈意见已签发，本次检查的记录已锁定。", "success")
        else:
            abort(404)
        db.session.commit()
    except OperationError as e:
        db.session.rollback()
        flash(str(e), "error")
    return back


@bp.post("/inspections/<int:iid>/feedback/problems/<int:pid>")
@roles(*ALL_ROLES)
def feedback_problem(iid, pid):
    inspection = _inspection(iid)
    _require_team_lead(inspection)
    fb = feedback_for(inspection)
    p = db.session.get(FeedbackProblem, pid)
    if p is None or p.feedback_id != fb.id:
        abort(404, description="问题不存在。")
    before = {"text": p.text, "part": p.part, "is_key": p.is_key, "doubtful": p.doubtful}
    if request.form.get("delete") == "1":
        audit(current_user, "delete", "feedback_problem", p.id, "删除反馈问题", before, None, iid)
        db.session.delete(p)
    elif request.form.get("confirm") == "1":  # a 存疑 item becomes a problem only when a lead says so
        p.doubtful = False
        audit(current_user, "confirm", "feedback_problem", p.id, "存疑问题确认为问题", before, {"doubtful": False}, iid)
    else:
        text = (request.form.get("text") or "").strip()
        if not text:
            flash("问题表述不能为空。", "error")
            return redirect(url_for("summaries.feedback", iid=iid))
        p.text = text[:2000]
        part = request.form.get("part")
        if part in inspection.standard.parts:
            p.part = part
        p.is_key = request.form.get("is_key") == "1"
        audit(current_user, "update", "feedback_problem", p.id, "修改反馈问题", before,
              {"text": p.text, "part": p.part, "is_key": p.is_key}, iid)
    db.session.commit()
    flash("已保存。", "success")
    return redirect(url_for("summaries.feedback", iid=iid) + f"#fp-{pid}")
