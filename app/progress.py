"""Step progress and findings of an inspection, read from the database (no Flask)."""
from sqlalchemy import func

from .extensions import db
from .models import CheckRecord, Visit
from .models.inspection import STEPS
from .models.records import PROBLEM_VERDICTS


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


# Counters of the other steps register here: {step key: callable(inspection) -> (state, [text])}.
STEP_COUNTERS = {}


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
    from .models import School

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
