"""Step progress and findings of an inspection, read from the database (no Flask)."""
from sqlalchemy import func

from ..extensions import db
from ..models import CheckRecord, Visit
from ..models.inspection import STEPS
from ..models.records import PROBLEM_VERDICTS


def school_visit_counts(inspection):
    visits = db.session.execute(
        db.select(func.count(Visit.id), func.count(Visit.started_at), func.count(Visit.finished_at)).filter(
            Visit.inspection_id == inspection.id
        )
    ).one()
    answered, problems, schools_answered = db.session.execute(
        db.select(
            func.count(CheckRecord.id),
            func.count(CheckRecord.id).filter(CheckRecord.verdict.in_(PROBLEM_VERDICTS)),
            func.count(func.distinct(CheckRecord.school_id)),
        ).filter(CheckRecord.inspection_id == inspection.id, CheckRecord.subject_type == "school")
    ).one()
    return {
        "visits_planned": visits[0],
        "visits_started": visits[1],
        "visits_finished": visits[2],
        "schools_answered": schools_answered,
        "answered": answered,
        "problems": problems,
    }


def _count(model, **filters):
    return db.session.scalar(db.select(func.count(model.id)).where(
        *[getattr(model, k) == v for k, v in filters.items()]))


def _hearing(inspection):
    from ..models import Hearing, HearingEntry

    n = _count(HearingEntry, inspection_id=inspection.id)
    poor = db.session.scalar(db.select(func.count(HearingEntry.id)).filter(
        HearingEntry.inspection_id == inspection.id, HearingEntry.judgement.in_(("一般", "差"))))
    has_reporter = _count(Hearing, inspection_id=inspection.id)
    return ("进行中" if n or has_reporter else None), [f"问答 {n} 条，评价一般或差 {poor} 条"]


def _archives(inspection):
    std = inspection.standard
    county_items = sum(len(p["items"]) for p in std.archives["county"])
    done = db.session.execute(
        db.select(CheckRecord.subject_type, func.count(CheckRecord.id), func.count(CheckRecord.id).filter(
            CheckRecord.verdict.in_(PROBLEM_VERDICTS)))
        .filter(CheckRecord.inspection_id == inspection.id, CheckRecord.subject_type.in_(("archive_county", "archive_school")))
        .group_by(CheckRecord.subject_type)).all()
    by = {t: (n, bad) for t, n, bad in done}
    c_n, c_bad = by.get("archive_county", (0, 0))
    s_n, s_bad = by.get("archive_school", (0, 0))
    state = "已完成" if county_items and c_n >= county_items else ("进行中" if c_n or s_n else None)
    return state, [f"县级档案 {c_n}/{county_items} 项，学校档案 {s_n} 项；不全或缺失 {c_bad + s_bad} 项"]


def _departments(inspection):
    from ..models import Department

    total = _count(Department, inspection_id=inspection.id)
    checked = db.session.scalar(db.select(func.count(Department.id)).filter(
        Department.inspection_id == inspection.id, Department.verdict.is_not(None)))
    state = "已完成" if total and checked == total else ("进行中" if checked else None)
    return state, [f"已检查部门 {checked}/{total} 个"]


def _interviews(inspection):
    from ..models import Interview

    rows = db.session.execute(db.select(Interview.satisfaction, func.count(Interview.id))
                              .where(Interview.inspection_id == inspection.id).group_by(Interview.satisfaction)).all()
    n = sum(c for _, c in rows)
    unhappy = sum(c for s, c in rows if s == "不满意")
    return ("进行中" if n else None), [f"访谈 {n} 人，不满意 {unhappy} 人"]


def _summaries(inspection):
    from ..models import GroupSummary

    submitted = _count(GroupSummary, inspection_id=inspection.id, status="submitted")
    groups = len(inspection.groups)
    state = "已完成" if groups and submitted == groups else ("进行中" if submitted else None)
    return state, [f"已提交小组汇总 {submitted}/{groups} 个"]


def _feedback(inspection):
    from ..models import Feedback, FeedbackProblem

    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar()
    if fb is None:
        return None, []
    n = _count(FeedbackProblem, feedback_id=fb.id)
    state = "已完成" if fb.signed_at and inspection.locked else ("进行中" if n or fb.achievements else None)
    return state, [f"反馈问题 {n} 个" + (f"，结论：{fb.conclusion}" if fb.conclusion else "")]


# Counters of the other steps: {step key: callable(inspection) -> (state or None, [text])}.
STEP_COUNTERS = {"hearing": _hearing, "archives": _archives, "departments": _departments,
                 "interviews": _interviews, "summaries": _summaries, "feedback": _feedback}


def steps(inspection):
    """The seven steps with state ('未开始' / '进行中' / '已完成') and counts to show."""
    out = []
    counts = school_visit_counts(inspection)
    for number, key, title in STEPS:
        lines, state = [], None
        if key == "schools":
            lines = [
                f"计划检查学校 {counts['visits_planned']} 所，已开始 {counts['visits_started']} 所，已完成 {counts['visits_finished']} 所",
                f"已作答检查项 {counts['answered']} 条，发现问题 {counts['problems']} 个",
            ]
            if counts["visits_planned"] and counts["visits_finished"] == counts["visits_planned"]:
                state = "已完成"
            elif counts["answered"]:
                state = "进行中"
        elif key in STEP_COUNTERS:
            state, lines = STEP_COUNTERS[key](inspection)
        if state is None:
            state = "进行中" if number == inspection.current_step else ("已完成" if number < inspection.current_step else "未开始")
        out.append({"number": number, "key": key, "title": title, "state": state, "lines": lines,
                    "current": number == inspection.current_step})
    return out


def school_findings(inspection):
    """Every 不达标/存疑 answer at schools, grouped by school: [(school, [records])]."""
    from ..models import School

    rows = db.session.execute(
        db.select(CheckRecord)
        .options(db.joinedload(CheckRecord.author), db.joinedload(CheckRecord.school))
        .filter(
            CheckRecord.inspection_id == inspection.id,
            CheckRecord.subject_type == "school",
            CheckRecord.verdict.in_(PROBLEM_VERDICTS),
        )
        .join(School, School.id == CheckRecord.school_id)
        .order_by(School.code, CheckRecord.item_code)
    ).scalars().all()
    grouped = {}
    for r in rows:
        grouped.setdefault(r.school, []).append(r)
    return list(grouped.items())


def unanswered_items(inspection, school):
    """The checklist items of a school with no answer yet: [(code, text)]."""
    answered = set(db.session.scalars(db.select(CheckRecord.item_code).filter_by(
        inspection_id=inspection.id, subject_type="school", subject_id=school.id)))
    return [(i["code"], i["text"]) for i in inspection.standard.checklist if i["code"] not in answered]


def photo_only_items(inspection, group_id=None):
    """Items with photos but no verdict: a finding that would reach neither the summary nor
    the report. [(subject_type, subject_id, item_code, school or None)], school items first."""
    from ..models import Photo, School

    shot = set(db.session.execute(db.select(Photo.subject_type, Photo.subject_id, Photo.item_code).where(
        Photo.inspection_id == inspection.id, Photo.deleted_at.is_(None), Photo.item_code.is_not(None),
        Photo.subject_type.in_(("school", "archive_county", "archive_school", "department")))).all())
    if not shot:
        return []
    answered = set(db.session.execute(db.select(CheckRecord.subject_type, CheckRecord.subject_id, CheckRecord.item_code)
                                      .where(CheckRecord.inspection_id == inspection.id)).all())
    left = sorted(shot - answered, key=lambda k: (k[0] != "school", k[1], k[2]))
    if group_id is not None:
        schools = {v.school_id for v in inspection.visits if v.group_id == group_id}
        left = [k for k in left if k[0] == "school" and k[1] in schools]
    names = {s.id: s for s in db.session.scalars(db.select(School).where(
        School.id.in_({k[1] for k in left if k[0] in ("school", "archive_school")})))} if left else {}
    return [(st, sid, code, names.get(sid) if st in ("school", "archive_school") else None) for st, sid, code in left]


def unfinished(inspection):
    """What is not done before 签发: schools not finished, summaries not submitted, conflicts
    not handled, items with photos but no verdict."""
    from ..models import GroupSummary, RecordConflict

    submitted = set(db.session.scalars(db.select(GroupSummary.group_id).filter_by(
        inspection_id=inspection.id, status="submitted")))
    return {
        "schools": [(v.school, v.state_label) for v in sorted(inspection.visits, key=lambda v: v.school.code)
                    if not v.finished_at],
        "summaries": [g.name for g in inspection.groups if g.id not in submitted],
        "conflicts": db.session.scalar(db.select(db.func.count(RecordConflict.id)).filter_by(
            inspection_id=inspection.id, resolved_at=None)),
        "photo_only": photo_only_items(inspection),
    }
