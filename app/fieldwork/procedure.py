"""The procedure's queries and state changes that are more than one record: departments of an
inspection, the problems a group recorded, the feedback's automatic figures, sign-off and
reopening. No Flask here (the database session only); views call these."""
from sqlalchemy import func

from ..extensions import db
from ..models import (
    CheckRecord, Department, Draw, Feedback, FeedbackProblem, Group, GroupMember, GroupSummary, HearingEntry,
    Interview, School, SummaryProblem, Visit,
)
from ..models.base import utcnow
from ..models.records import PROBLEM_VERDICTS
from .operations import OperationError, audit, claim_version
from ..indicators.verified import verified_per_pupil
from ..reports import wording
from ..standards import interview_questions

POOR_JUDGEMENTS = ("一般", "差")  # hearing answers the summary collects as problems


def create_inspection_rows(inspection):
    """The rows every inspection's pages need, made with the inspection (in the caller's
    transaction; safe to repeat): its feedback and the standard's departments. Pages only read
    them (a GET never writes)."""
    db.session.flush()
    if db.session.execute(db.select(Feedback.id).filter_by(inspection_id=inspection.id)).first() is None:
        db.session.add(Feedback(inspection_id=inspection.id, vetoes={}))
    have = set(db.session.scalars(db.select(Department.name).filter_by(inspection_id=inspection.id)))
    for d in inspection.standard.departments:
        if d["name"] not in have:
            db.session.add(Department(inspection_id=inspection.id, name=d["name"], indicator_codes=list(d["indicators"])))
    db.session.flush()


def group_member_ids(group):
    return set(db.session.scalars(db.select(GroupMember.user_id).filter_by(group_id=group.id)))


def group_problems(group):
    """Every problem the group's members recorded in this inspection, as sources for the
    summary: [{"kind", "id", "text", "indicator", "school_id", "department_id", "author_id"}].
    不达标/存疑 answers (schools, departments), 不全/缺失 archive items, 不满意 interviews and
    hearing answers judged 一般/差."""
    members = group_member_ids(group)
    iid = group.inspection_id
    out = []
    if not members:
        return out
    standard = group.inspection.standard
    records = db.session.execute(
        db.select(CheckRecord).filter(CheckRecord.inspection_id == iid, CheckRecord.author_id.in_(members),
                                      CheckRecord.verdict.in_(PROBLEM_VERDICTS))
        .order_by(CheckRecord.subject_type, CheckRecord.school_id, CheckRecord.item_code)
    ).scalars().all()
    schools = {s.id: s for s in db.session.scalars(db.select(School).where(
        School.id.in_({r.school_id for r in records if r.school_id})))}
    departments = {d.id: d for d in db.session.scalars(db.select(Department).filter_by(inspection_id=iid))}
    for r in records:
        item = (standard.checklist_by_code.get(r.item_code) or standard.archive_items.get(r.item_code)
                or {"text": standard.indicators.get(r.indicator_code, {}).get("name", r.item_code)})
        where = ""
        dep_id = None
        if r.subject_type == "department":
            dep_id = r.subject_id
            where = departments[r.subject_id].name if r.subject_id in departments else ""
        elif r.school_id in schools:
            where = schools[r.school_id].name
        elif r.subject_type == "archive_county":
            where = "县级档案"
        text = wording.finding(standard.indicators.get(r.indicator_code), item, r.verdict, r.observed_value,
                               r.measurements, r.note,
                               per_pupil=verified_per_pupil(group.inspection, r.school_id, r.indicator_code,
                                                            r.observed_value) if r.subject_type == "school" else None)
        if r.subject_type == "department" and where:  # a department is named in its finding (it has no column)
            text = f"{where}：{text}"
        out.append({
            "kind": "check_record", "id": r.id, "indicator": r.indicator_code, "school_id": r.school_id,
            "department_id": dep_id, "author_id": r.author_id, "doubtful": r.verdict == "存疑", "text": text,
        })
    for i in db.session.execute(
        db.select(Interview).filter(Interview.inspection_id == iid, Interview.author_id.in_(members),
                                    Interview.satisfaction == "不满意").order_by(Interview.id)
    ).scalars():
        out.append({"kind": "interview", "id": i.id, "indicator": None, "school_id": i.school_id,
                    "department_id": None, "author_id": i.author_id,
                    "text": f"受访{i.interviewee_type}表示不满意" + (f"：{i.note}" if i.note else "")})
    for e in db.session.execute(
        db.select(HearingEntry).filter(HearingEntry.inspection_id == iid, HearingEntry.author_id.in_(members),
                                       HearingEntry.judgement.in_(POOR_JUDGEMENTS)).order_by(HearingEntry.id)
    ).scalars():
        out.append({"kind": "hearing_entry", "id": e.id, "indicator": e.indicator_code, "school_id": None,
                    "department_id": None, "author_id": e.author_id,
                    "text": f"陈述答辩中“{e.question}”的回答评价为{e.judgement}" + (f"：{e.note}" if e.note else "")})
    return out


def summary_for(group):
    summary = db.session.execute(db.select(GroupSummary).filter_by(group_id=group.id)).scalar()
    if summary is None:
        summary = GroupSummary(inspection_id=group.inspection_id, group_id=group.id)
        db.session.add(summary)
        db.session.flush()
    return summary


def sync_summary(group, user):
    """Add to the summary every problem the group recorded that it does not hold yet (wording
    the lead edited and merges are kept). Returns the number added."""
    summary = summary_for(group)
    if summary.status == "submitted":
        raise OperationError("小组汇总已提交，不能再修改。")
    have = {(p.source_kind, p.source_id) for p in summary.problems}
    added = 0
    position = max([p.position for p in summary.problems], default=0)
    for src in group_problems(group):
        if (src["kind"], src["id"]) in have:
            continue
        position += 1
        summary.problems.append(SummaryProblem(
            position=position, text=src["text"], indicator_code=src["indicator"], school_id=src["school_id"],
            department_id=src["department_id"], source_kind=src["kind"], source_id=src["id"],
            author_id=src["author_id"]))
        added += 1
    if added:
        audit(user, "sync", "group_summary", summary.id, f"{group.name}汇总新增问题 {added} 个", None,
              {"added": added}, group.inspection_id)
    db.session.commit()
    return added


def merge_problem(summary, problem, into, user):
    if problem.id == into.id or into.summary_id != summary.id or problem.summary_id != summary.id:
        raise OperationError("只能合并本小组汇总中的两个不同问题。")
    if into.merged_into_id:
        raise OperationError("目标问题已被合并到其他问题，请选择保留的问题。")
    before = {"merged_into_id": problem.merged_into_id}
    problem.merged_into_id = into.id
    for p in summary.problems:  # problems merged into this one follow it
        if p.merged_into_id == problem.id:
            p.merged_into_id = into.id
    into.is_key = into.is_key or problem.is_key
    audit(user, "merge", "summary_problem", problem.id, f"合并到问题 {into.position}", before,
          {"merged_into_id": into.id}, summary.inspection_id)


def submit_summary(summary, user):
    if summary.status == "submitted":
        raise OperationError("小组汇总已提交。")
    if not claim_version(GroupSummary, summary, summary.version):
        raise OperationError("小组汇总刚被他人修改，请刷新页面后再提交。")
    summary.status = "submitted"
    summary.submitted_at = utcnow()
    summary.submitted_by_id = user.id
    audit(user, "submit", "group_summary", summary.id, "提交小组汇总", {"status": "draft"}, {"status": "submitted"},
          summary.inspection_id)


def feedback_of(inspection):
    """The inspection's feedback for reading: the stored one, or an empty one not added to the
    session (an inspection made before create_inspection_rows)."""
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar()
    return fb if fb is not None else Feedback(inspection_id=inspection.id, vetoes={}, problems=[])


def feedback_for(inspection):
    """The inspection's feedback for a change (a POST): created if an older inspection lacks it."""
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar()
    if fb is None:
        fb = Feedback(inspection_id=inspection.id, vetoes={})
        db.session.add(fb)
        db.session.flush()
    return fb


def feedback_figures(inspection):
    """Process and sample figures, counted from the database (frozen into the feedback at
    sign-off)."""
    iid = inspection.id
    # the final draw counts: a redraw replaces the draw before it, it does not add to it
    last = db.session.execute(db.select(Draw.result).filter_by(inspection_id=iid, kind="schools")
                              .order_by(Draw.drawn_at.desc(), Draw.id.desc()).limit(1)).scalar()
    drawn = set((last or {}).get("selected", []))
    visited = visited_schools(inspection)
    planned = db.session.scalar(db.select(func.count(Visit.id)).where(Visit.inspection_id == iid))
    visited_by_type = {}
    for school in visited:
        visited_by_type[school.school_type] = visited_by_type.get(school.school_type, 0) + 1
    by_type = dict(db.session.execute(
        db.select(Interview.interviewee_type, func.count(Interview.id)).where(Interview.inspection_id == iid)
        .group_by(Interview.interviewee_type)).all())
    order = list(interview_questions()["types"])
    interviews = {t: by_type[t] for t in order if t in by_type}
    positive = interview_questions()["positive"]
    n_int = sum(by_type.values())
    n_pos = db.session.scalar(db.select(func.count(Interview.id)).filter(
        Interview.inspection_id == iid, Interview.satisfaction.in_(positive)))
    checked_departments = db.session.scalars(db.select(Department.name).filter(
        Department.inspection_id == iid, Department.verdict.is_not(None)).order_by(Department.id)).all()
    records = db.session.scalar(db.select(func.count(CheckRecord.id)).where(CheckRecord.inspection_id == iid))
    archives = db.session.scalar(db.select(func.count(CheckRecord.id)).where(
        CheckRecord.inspection_id == iid, CheckRecord.subject_type.in_(("archive_county", "archive_school"))))
    hearing = db.session.scalar(db.select(func.count(HearingEntry.id)).where(HearingEntry.inspection_id == iid))
    photos = photo_count(iid)
    figures = {
        "schools_drawn": len(drawn), "schools_planned": planned, "schools_visited": len(visited),
        "visited_by_type": visited_by_type, "groups": len(inspection.groups), "archives_checked": archives,
        "interviews": n_int, "interviews_by_type": interviews,
        "satisfaction_rate": round(n_pos / n_int, 4) if n_int else None,
        "departments": list(checked_departments), "records": records, "hearing_entries": hearing, "photos": photos,
    }
    fb = db.session.execute(db.select(Feedback.entered_figures).filter_by(inspection_id=iid)).scalar()
    figures.update(entered_totals(fb))
    return figures


def forum_types():
    """The participant types of 座谈会: the interviewees' types of the interview questions file."""
    return list(interview_questions()["types"])


def entered_totals(entered):
    """The lead's entries as figures: forums (meetings), forum_people, forums_by_type {type:
    [meetings, people or None]} and questionnaires — each only where it was entered."""
    entered = entered or {}
    out = {}
    by_type = {t: v for t, v in (entered.get("forums") or {}).items() if v and v[0]}
    if by_type:
        out["forums_by_type"] = by_type
        out["forums"] = sum(v[0] for v in by_type.values())
        if all(v[1] for v in by_type.values()):  # a total only when every type's count is known
            out["forum_people"] = sum(v[1] for v in by_type.values())
    if entered.get("questionnaires"):
        out["questionnaires"] = entered["questionnaires"]
    return out


def _count(form, name, label, limit=100000):
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > limit:
        raise OperationError(f"「{label}」请填写不超过 {limit} 的整数。")
    return int(raw)


def parse_entered_figures(form):
    """{"forums": {type: [meetings, people]}, "questionnaires": n} from the feedback page's fields
    forum_meetings_<i>, forum_people_<i> (i: the index in forum_types()) and questionnaires."""
    forums = {}
    for i, t in enumerate(forum_types()):
        meetings = _count(form, f"forum_meetings_{i}", f"{t}座谈会场次", 1000)
        people = _count(form, f"forum_people_{i}", f"{t}座谈会人数")
        if people and not meetings:
            raise OperationError(f"填写了{t}座谈会人数，请同时填写场次。")
        if meetings:
            forums[t] = [meetings, people]
    out = {"forums": forums}
    questionnaires = _count(form, "questionnaires", "回收调查问卷份数", 10000000)
    if questionnaires:
        out["questionnaires"] = questionnaires
    return out


def save_entered_figures(feedback, inspection, user, entered, base_version):
    """Store the figures the lead entered (座谈会, 问卷) on the version of the feedback read."""
    if inspection.locked:
        raise OperationError("反馈意见已签发。")
    try:
        read = int(base_version) if base_version not in (None, "") else feedback.version
    except ValueError:
        raise OperationError("页面版本无效，请刷新页面后再试。") from None
    before = feedback.entered_figures
    if not claim_version(Feedback, feedback, read):
        raise OperationError("反馈意见刚被他人修改，请刷新页面后再填写。")
    feedback.entered_figures = entered
    audit(user, "update", "feedback", feedback.id, "填写座谈会、调查问卷数字", {"entered_figures": before},
          {"entered_figures": entered}, inspection.id)


def visited_schools(inspection):
    """The schools the team checked on site: a visit started or finished, or any checklist answer
    recorded there (one figure for the whole document: never "1 school" beside 15 visited)."""
    iid = inspection.id
    answered = db.select(CheckRecord.school_id).where(CheckRecord.inspection_id == iid,
                                                      CheckRecord.subject_type == "school")
    ids = set(db.session.scalars(db.select(Visit.school_id).where(
        Visit.inspection_id == iid, (Visit.started_at.is_not(None)) | (Visit.finished_at.is_not(None)))))
    ids |= {i for i in db.session.scalars(answered) if i}
    if not ids:
        return []
    return db.session.execute(db.select(School).where(School.id.in_(ids)).order_by(School.code)).scalars().all()


def photo_count(inspection_id):
    try:
        from ..models import Photo
    except ImportError:
        return 0
    return db.session.scalar(db.select(func.count(Photo.id)).where(Photo.inspection_id == inspection_id))


def import_summaries(feedback, inspection, user):
    """Copy the problems of every submitted group summary (merged ones folded) into the
    feedback, once each; grouped by standard part through their indicator code."""
    standard = inspection.standard
    have = {p.summary_problem_id for p in feedback.problems if p.summary_problem_id}
    position = max([p.position for p in feedback.problems], default=0)
    added = 0
    summaries = db.session.execute(db.select(GroupSummary).filter_by(inspection_id=inspection.id, status="submitted")
                                   .order_by(GroupSummary.group_id)).scalars()
    for summary in summaries:
        for p in summary.problems:
            if p.merged_into_id or p.id in have:
                continue
            position += 1
            code = p.indicator_code
            part = standard.indicators[code]["part"] if code in standard.indicators else "其他"
            source = db.session.get(CheckRecord, p.source_id) if p.source_kind == "check_record" else None
            evidence = [{"kind": p.source_kind, "id": p.source_id}] + [
                {"kind": m.source_kind, "id": m.source_id} for m in summary.problems if m.merged_into_id == p.id]
            feedback.problems.append(FeedbackProblem(
                position=position, part=part, indicator_code=code, school_id=p.school_id,
                department_id=p.department_id, target="school" if p.school_id else "county", text=p.text,
                is_key=p.is_key, evidence=evidence, summary_problem_id=p.id,
                doubtful=bool(source and source.verdict == "存疑")))
            added += 1
    if added:
        audit(user, "import", "feedback", feedback.id, f"从小组汇总导入问题 {added} 个", None, {"added": added},
              inspection.id)
    return added


def sign_feedback(feedback, inspection, user):
    if inspection.locked:
        raise OperationError("反馈意见已签发。")
    if not feedback.conclusion:
        raise OperationError("请先选择结论（通过 / 整改后复核 / 不通过）再签发。")
    if not claim_version(Feedback, feedback, feedback.version):
        raise OperationError("反馈意见刚被他人修改，请刷新页面后再签发。")
    feedback.figures = feedback_figures(inspection)
    feedback.signed_at = utcnow()
    feedback.signed_by_id = user.id
    inspection.locked = True
    inspection.status = "signed"
    inspection.current_step = 7
    audit(user, "sign", "feedback", feedback.id, f"签发反馈意见（{feedback.conclusion}），检查记录锁定",
          {"locked": False}, {"locked": True, "conclusion": feedback.conclusion}, inspection.id)


def reopen(inspection, user, reason):
    if not inspection.locked:
        raise OperationError("本次检查没有锁定。")
    if not reason:
        raise OperationError("请填写重新打开的原因。")
    inspection.locked = False
    inspection.status = "running"
    audit(user, "reopen", "inspection", inspection.id, f"重新打开：{reason}"[:200], {"locked": True},
          {"locked": False, "reason": reason}, inspection.id)


def groups_led_by(user, inspection):
    return db.session.execute(db.select(Group).filter_by(inspection_id=inspection.id, lead_user_id=user.id)).scalars().all()
