"""Fill the report data from the database (the one place that knows both)."""
from collections import Counter
from datetime import datetime

from ..extensions import db
from ..indicators.metrics import evaluate
from ..models import (
    CheckRecord, Department, Feedback, GroupSummary, Hearing, HearingEntry, Interview, Photo, RectificationItem,
    School, SchoolSectionData, User,
)
from ..models.inspection import MEMBER_ROLES
from ..fieldwork.procedure import feedback_figures
from ..indicators.school_import import stored_frame
from ..standards import interview_questions
from ..timefmt import local_time
from .data import (
    EvidencePhoto, IndicatorRow, IndicatorSection, Problem, RectificationData, RectRow, ReportData,
)

KIND_LABELS = {"check_record": "检查记录", "interview": "访谈记录", "hearing_entry": "答辩问答"}


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def indicator_sections(inspection):
    """The county's indicator tables from the latest school data not after the inspection's year."""
    q = (db.select(db.func.max(SchoolSectionData.year)).join(School)
         .where(School.county_id == inspection.county_id))
    if inspection.year:
        q = q.where(SchoolSectionData.year <= inspection.year)
    year = db.session.scalar(q)
    if year is None:
        return None, []
    frame, _rows = stored_frame(inspection.county_id, year)
    standard = inspection.standard
    ev = evaluate(frame, standard)
    out = []
    records = ev.school_records()
    for sec, res in ev.sections.items():
        if not res.schools:
            continue
        rows = [IndicatorRow(code, standard.indicators[code]["name"], standard.indicators[code].get("unit", ""),
                             r.value, r.cv, r.cap, r.ok) for code, r in res.indicators.items()]
        short = [(s["name"], s["short"], s["ok"]) for s in records if s["section"] == sec and s["short"]]
        out.append(IndicatorSection(sec, res.schools, res.students, rows, res.composite_cv, res.cap, res.ok, short))
    return year, out


def _step_lines(inspection, tz):
    iid = inspection.id
    std = inspection.standard
    steps = {}
    hearing = db.session.execute(db.select(Hearing).filter_by(inspection_id=iid)).scalar()
    entries = db.session.execute(db.select(HearingEntry).filter_by(inspection_id=iid).order_by(HearingEntry.id)).scalars().all()
    judged = Counter(e.judgement for e in entries)
    lines = []
    if hearing:
        lines.append(f"听取了{hearing.reporter}的陈述。" + (hearing.summary if hearing.summary else ""))
    lines.append(f"检查组提问 {len(entries)} 个，回答评价：" + "、".join(f"{j} {judged[j]} 个" for j in ("好", "较好", "一般", "差") if judged[j]) + "。" if entries else "未记录答辩问答。")
    for e in entries:
        if e.judgement in ("一般", "差"):
            lines.append(f"“{e.question}”回答{e.judgement}" + (f"：{e.note}" if e.note else "") + "。")
    steps["hearing"] = lines

    arch = db.session.execute(db.select(CheckRecord).filter(
        CheckRecord.inspection_id == iid, CheckRecord.subject_type.in_(("archive_county", "archive_school")))).scalars().all()
    counts = Counter(r.verdict for r in arch)
    lines = [f"查阅档案资料 {len(arch)} 项：齐全 {counts['齐全']} 项，不全 {counts['不全']} 项，缺失 {counts['缺失']} 项。"]
    for r in arch:
        if r.verdict in ("不全", "缺失"):
            item = std.archive_items.get(r.item_code, {"text": r.item_code})
            where = "县级" if r.subject_type == "archive_county" else (r.school.name if r.school else "学校")
            lines.append(f"{where}「{item['text']}」{r.verdict}" + (f"：{r.note}" if r.note else "") + "。")
    steps["archives"] = lines

    school_recs = db.session.execute(db.select(CheckRecord).filter_by(inspection_id=iid, subject_type="school")).scalars().all()
    visited = sum(1 for v in inspection.visits if v.finished_at)
    problems = Counter(r.item_code for r in school_recs if r.is_problem)
    lines = [f"实地检查学校 {visited} 所（计划 {len(inspection.visits)} 所），作答检查项 {len(school_recs)} 条，"
             f"发现问题 {sum(problems.values())} 个。"]
    for code, n in problems.most_common(5):
        item = std.checklist_by_code.get(code, {"text": code})
        lines.append(f"{code}「{item['text']}」：{n} 所学校存在问题。")
    steps["schools"] = lines

    deps = db.session.execute(db.select(Department).filter_by(inspection_id=iid).order_by(Department.id)).scalars().all()
    checked = [d for d in deps if d.verdict]
    lines = [f"检查相关部门 {len(checked)} 个：" + "、".join(d.name for d in checked) + "。" if checked else "未记录部门检查。"]
    for d in checked:
        if d.verdict != "达标" or d.note:
            lines.append(f"{d.name}：{d.verdict}" + (f"，{d.note}" if d.note else "") + "。")
    steps["departments"] = lines

    qs = interview_questions()
    interviews = db.session.execute(db.select(Interview).filter_by(inspection_id=iid)).scalars().all()
    lines = [f"实地随机访谈 {len(interviews)} 人。"] if interviews else ["未记录访谈。"]
    for t in qs["types"]:
        of = [i for i in interviews if i.interviewee_type == t]
        if of:
            pos = sum(1 for i in of if i.satisfaction in qs["positive"])
            lines.append(f"{t} {len(of)} 人，满意和基本满意 {pos} 人（{pos / len(of):.0%}）。")
    steps["interviews"] = lines
    return steps


def _evidence(kind_ids, tz):
    """'检查记录#12（张督学，11-22 10:31）' for each record behind a problem."""
    refs = []
    users = {}
    for e in kind_ids:
        model = {"check_record": CheckRecord, "interview": Interview, "hearing_entry": HearingEntry}.get(e.get("kind"))
        rec = db.session.get(model, e.get("id")) if model else None
        if rec is None:
            continue
        if rec.author_id not in users:
            users[rec.author_id] = db.session.get(User, rec.author_id).name
        when = local_time(getattr(rec, "updated_at", None) or getattr(rec, "created_at", None), "%m-%d %H:%M", tz)
        refs.append(f"{KIND_LABELS[e['kind']]}#{rec.id}（{users[rec.author_id]}，{when}）")
    return "；".join(refs)


def collect_report(inspection, *, storage=None, tz="Asia/Shanghai", with_photos=True):
    std = inspection.standard
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar()
    figures = fb.figures if fb and fb.figures else feedback_figures(inspection)
    year, sections = indicator_sections(inspection)
    team = [(m.user.name, MEMBER_ROLES.get(m.role, m.role))
            for m in sorted(inspection.members, key=lambda m: (list(MEMBER_ROLES).index(m.role), m.user.username))]
    groups = []
    for g in inspection.groups:
        groups.append((g.name, g.lead.name if g.lead else "", [m.user.name for m in g.members],
                       [v.school.name for v in inspection.visits if v.group_id == g.id]))
    problems = []
    if fb:
        order = list(std.parts)
        ordered = sorted(fb.problems, key=lambda p: (order.index(p.part) if p.part in order else 99, p.position))
        deps = {d.id: d.name for d in db.session.scalars(db.select(Department).filter_by(inspection_id=inspection.id))}
        for n, p in enumerate(ordered, start=1):
            where = p.school.name if p.school else deps.get(p.department_id, "")
            problems.append(Problem(n, std.parts.get(p.part, "其他"), p.text, where, p.indicator_code,
                                    _evidence(p.evidence or [], tz), p.is_key))
    achievements = _lines(fb.achievements) if fb else []
    for s in db.session.execute(db.select(GroupSummary).filter_by(inspection_id=inspection.id, status="submitted")).scalars():
        achievements += [line for line in _lines(s.strengths) if line not in achievements]
    vetoes = [(c, i["name"], bool((fb.vetoes or {}).get(c)) if fb else False)
              for c, i in std.indicators.items() if i["part"] == "V"]
    photos = []
    if with_photos and storage is not None:
        rows = db.session.execute(db.select(Photo).filter_by(inspection_id=inspection.id, is_evidence=True)
                                  .filter(Photo.deleted_at.is_(None)).order_by(Photo.school_id, Photo.item_code, Photo.id)).scalars()
        for ph in rows:
            try:
                image = storage.get(ph.thumb_key)
            except KeyError:  # StorageMissing: a lost file must not stop the report
                continue
            item = std.checklist_by_code.get(ph.item_code or "") or std.archive_items.get(ph.item_code or "")
            photos.append(EvidencePhoto(ph.school.name if ph.school else inspection.county.name,
                                        f"{ph.item_code} {item['text']}" if item else (ph.item_code or "现场照片"),
                                        ph.taken_at or ph.created_at, ph.caption,
                                        # the 480 px rendition: ≈ 160 dpi at the 7.5 cm the appendix prints,
                                        # and a report of 300 photos stays small and fast; originals go in the .zip
                                        image))
    return ReportData(
        county=inspection.county.name, title=inspection.title, standard=std.name, document=std.document,
        level=inspection.level, start_date=inspection.start_date, end_date=inspection.end_date, team=team,
        groups=groups, figures=figures, data_year=year, indicators=sections, steps=_step_lines(inspection, tz),
        achievements=achievements, problems=problems, requirements=_lines(fb.requirements) if fb else [],
        vetoes=vetoes, conclusion=(fb.conclusion or "") if fb else "", photos=photos, generated_at=datetime.now(),
    )


def collect_rectification(inspection, filled):
    """The two lists of 002's attachments from the feedback's problems and the team lead's
    measures and deadlines: schools (one block per campus) and the county government."""
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar()
    schools, county = {}, []
    if fb:
        items = {r.problem_id: r for r in db.session.scalars(db.select(RectificationItem).where(
            RectificationItem.problem_id.in_([p.id for p in fb.problems])))}
        for p in sorted(fb.problems, key=lambda p: p.position):
            r = items.get(p.id)
            row = RectRow(p.text, r.measures if r else "", r.deadline if r else None)
            if p.school_id and p.target == "school":
                schools.setdefault((p.school.code, p.school.name), []).append(row)
            else:
                county.append(row)
    return RectificationData(inspection.county.name, filled, [(name, rows) for (_c, name), rows in sorted(schools.items())],
                             county)
