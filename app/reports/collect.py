"""Fill the report data from the database (the one place that knows both)."""
from datetime import datetime

from ..extensions import db
from ..indicators.metrics import evaluate
from ..models import (
    CheckRecord, Department, Feedback, GroupSummary, Interview, Photo, RectificationItem, School, SchoolSectionData,
)
from ..standards import interview_questions
from ..models.inspection import MEMBER_ROLES
from ..fieldwork.procedure import feedback_figures
from ..indicators.school_import import stored_frame
from ..timefmt import local_today, to_local
from . import wording
from .data import EvidencePhoto, IndicatorRow, IndicatorSection, ProblemLine, RectificationData, RectRow, ReportData


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


def desk_review(sections):
    """The desk review of the school data for the opening paragraph, one dict a 学段."""
    return [{"section": sec.section,
             "composite": (sec.composite_cv, sec.composite_cap) if sec.composite_cap is not None else None,
             "indicators": [(r.name, r.cv, r.cap) for r in sec.rows if r.cv is not None and r.cap is not None],
             "short": sum(1 for s in sec.short_schools if s[2] is False)} for sec in sections]


def confirmed(fb):
    """The feedback's problems that are problems: 存疑 ones wait for the lead's confirmation."""
    return [p for p in (fb.problems if fb else []) if not p.doubtful]


def _part_order(std, p):
    parts = list(std.parts)
    codes = list(std.indicators)
    code = p.indicator_code
    return (parts.index(p.part) if p.part in parts else 99, codes.index(code) if code in codes else 999)


HEARING_PREFIX = "陈述答辩中"  # how app/fieldwork/procedure.py words a hearing answer judged 差


def problem_facts(inspection, problems):
    """Each confirmed problem as wording.problem_themes reads it."""
    std = inspection.standard
    deps = {d.id: d.name for d in db.session.scalars(db.select(Department).filter_by(inspection_id=inspection.id))}
    facts = []
    interviewed = _interviewee_types(inspection, problems)
    for p in problems:
        kinds = {e.get("kind") for e in (p.evidence or [])}
        indicator = std.indicators.get(p.indicator_code or "")
        if indicator:
            theme, statement, criterion = p.indicator_code, wording.shortfall(indicator), indicator.get("criterion", "")
        elif "interview" in kinds:
            theme, criterion = "~interview", ""
            statement = f"部分受访{'、'.join(interviewed) or '群众'}对学校办学和义务教育工作还不够满意"
        elif "hearing_entry" in kinds:
            theme, statement, criterion = "~hearing", HEARING_PREFIX + "部分问题回答不够充分", ""
        else:
            theme, statement, criterion = "~other", "其他问题", ""
        if p.school or indicator:
            detail = wording.detail_of(p.text, statement)
        elif p.department_id:
            detail = deps.get(p.department_id, "") + p.text
        elif theme == "~hearing" and p.text.startswith(HEARING_PREFIX):  # the statement says where already
            detail = "对" + p.text[len(HEARING_PREFIX):]
        else:
            detail = p.text
        facts.append({"theme": theme, "statement": statement, "order": _part_order(std, p),
                      "school": p.school.name if p.school else "", "detail": detail,
                      "criterion": criterion, "below": bool(indicator and indicator.get("thresholds"))})
    return facts


def _interviewee_types(inspection, problems):
    """The kinds of people (教师、家长…) whose 不满意 interviews became confirmed problems, in the
    order of the interview questions file."""
    ids = [e.get("id") for p in problems for e in (p.evidence or []) if e.get("kind") == "interview"]
    if not ids:
        return []
    found = set(db.session.scalars(db.select(Interview.interviewee_type).where(
        Interview.inspection_id == inspection.id, Interview.id.in_(ids))))
    order = list(interview_questions()["types"])
    return [t for t in order if t in found] + sorted(found - set(order))




def default_addressee(inspection):
    return f"{inspection.county.name}人民政府"


def default_issuer(inspection):
    c = inspection.county
    return wording.default_issuer(inspection.level, c.name, c.province, c.city)


TEXT_FIELDS = ("addressee", "issuer", "process", "overall", "achievements", "problems_text", "requirements", "closing")


def feedback_drafts(inspection, fb, figures=None, sections=None):
    """What the app drafts for each text of the feedback (the lead edits it on the feedback page)."""
    std = inspection.standard
    figures = figures or (fb.figures if fb and fb.figures and inspection.locked else feedback_figures(inspection))
    if sections is None:
        _year, sections = indicator_sections(inspection)
    problems = confirmed(fb)
    facts = problem_facts(inspection, problems)
    issuer = (fb.issuer if fb and fb.issuer else "") or default_issuer(inspection)
    addressee = (fb.addressee if fb and fb.addressee else "") or default_addressee(inspection)
    strengths = []
    for s in db.session.execute(db.select(GroupSummary).filter_by(inspection_id=inspection.id, status="submitted")
                                .order_by(GroupSummary.group_id)).scalars():
        strengths += [line for line in _lines(s.strengths) if line not in strengths]
    vetoes = [(c, i["name"], bool((fb.vetoes or {}).get(c)) if fb else False)
              for c, i in std.indicators.items() if i["part"] == "V"]
    return {
        "addressee": default_addressee(inspection),
        "issuer": default_issuer(inspection),
        "process": wording.opening(inspection.county.name, std, inspection.level, inspection.start_date,
                                   inspection.end_date, figures, desk_review(sections)),
        "overall": wording.overall(inspection.county.name, std, fb.conclusion if fb else None, vetoes),
        "achievements": "\n".join(wording.achievements(strengths)),
        "problems_text": "\n".join(wording.problem_themes(facts,
                                                          figures.get("schools_visited") or 0)),
        "requirements": "\n".join(wording.directions([f["theme"] for f in sorted(facts, key=lambda f: (f["order"], f["theme"]))], [])),
        "closing": wording.closing(addressee, issuer),
    }


def feedback_texts(inspection, fb, drafts):
    """{field: (text, edited)}: the lead's text where saved, else the draft."""
    out = {}
    for f in TEXT_FIELDS:
        stored = (getattr(fb, f) or "").strip() if fb else ""
        out[f] = (stored, True) if stored else (drafts[f], False)
    return out


def _photo_candidates(inspection):
    return db.session.execute(db.select(Photo).filter_by(inspection_id=inspection.id).filter(Photo.deleted_at.is_(None))
                              .order_by(Photo.school_id, Photo.item_code, Photo.id)).scalars().all()


def evidence_photos(inspection, fb):
    """(every photo of the inspection, ids attached to confirmed problems' records, ids chosen).
    The default is the photos of the records behind confirmed problems (and any a lead marked
    设为证据); the team lead takes photos out or adds others on the feedback page."""
    photos = _photo_candidates(inspection)
    keys = set()
    for p in confirmed(fb):
        for e in p.evidence or []:
            if e.get("kind") == "check_record":
                rec = db.session.get(CheckRecord, e.get("id"))
                if rec is not None:
                    keys.add((rec.subject_type, rec.subject_id, rec.item_code))
            elif e.get("kind") in ("interview", "hearing_entry"):
                keys.add((e["kind"], e.get("id"), None))
    default = {ph.id for ph in photos if (ph.subject_type, ph.subject_id, ph.item_code) in keys
               or (ph.subject_type in ("interview", "hearing_entry") and (ph.subject_type, ph.subject_id, None) in keys)
               or ph.is_evidence}
    choice = (fb.photo_choice if fb else None) or {}
    chosen = (default | set(choice.get("in") or [])) - set(choice.get("out") or [])
    return photos, default, {ph.id for ph in photos if ph.id in chosen}


def photo_label(std, photo):
    """What a photo shows, for captions and folder names: the indicator's name for a checklist
    item ('班额'), else the archive item shortened at a word boundary."""
    item = std.checklist_by_code.get(photo.item_code or "")
    if item and item.get("indicator") in std.indicators:
        return std.indicators[item["indicator"]]["name"].split("，")[0]
    item = item or std.archive_items.get(photo.item_code or "")
    if item:
        return wording.shorten(item["text"], 16)
    return {"interview": "访谈", "hearing_entry": "陈述答辩", "department": "部门检查"}.get(photo.subject_type, "现场照片")


def collect_report(inspection, *, storage=None, tz="Asia/Shanghai", with_photos=True):
    std = inspection.standard
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar()
    figures = fb.figures if fb and fb.figures and inspection.locked else feedback_figures(inspection)
    year, sections = indicator_sections(inspection)
    texts = feedback_texts(inspection, fb, feedback_drafts(inspection, fb, figures, sections))
    team = [(m.user.name, MEMBER_ROLES.get(m.role, m.role))
            for m in sorted(inspection.members, key=lambda m: (list(MEMBER_ROLES).index(m.role), m.user.username))]
    problems = sorted(confirmed(fb), key=lambda p: (_part_order(std, p), p.school.code if p.school else "", p.position))
    deps = {d.id: d.name for d in db.session.scalars(db.select(Department).filter_by(inspection_id=inspection.id))}
    lines = []
    for n, p in enumerate(problems, start=1):
        where = p.school.name if p.school else deps.get(p.department_id) or f"{inspection.county.name}人民政府"
        indicator = std.indicators.get(p.indicator_code or "")
        lines.append(ProblemLine(n, where, indicator["name"] if indicator else "访谈、答辩", p.text))
    photos = []
    if with_photos and storage is not None:
        _all, _default, chosen = evidence_photos(inspection, fb)
        for ph in _all:
            if ph.id not in chosen:
                continue
            try:
                image = storage.get(ph.thumb_key)
            except KeyError:  # StorageMissing: a lost file must not stop the report
                continue
            taken = to_local(ph.taken_at or ph.created_at, tz)
            photos.append(EvidencePhoto(ph.school.name if ph.school else inspection.county.name, photo_label(std, ph),
                                        taken.replace(tzinfo=None) if taken else None, ph.caption,
                                        # the 480 px rendition: ≈ 160 dpi at the 7.5 cm the appendix prints,
                                        # and a report of 300 photos stays small and fast; originals go in the .zip
                                        image))
    signed = bool(fb and fb.signed_at and inspection.locked)
    sign_date = to_local(fb.signed_at, tz).date() if signed else local_today(tz)
    title = wording.title_of(inspection.county.name, std, inspection.level)
    return ReportData(
        county=inspection.county.name, title=title, title_lines=wording.break_title(title, inspection.county.name),
        addressee=texts["addressee"][0], issuer=texts["issuer"][0], sign_date=sign_date, team=team,
        opening=_lines(texts["process"][0]), overall=_lines(texts["overall"][0]),
        achievements=_lines(texts["achievements"][0]), problems=_lines(texts["problems_text"][0]),
        requirements=_lines(texts["requirements"][0]), closing=_lines(texts["closing"][0]),
        problem_list=lines, photos=photos, generated_at=datetime.now(), signed=signed, figures=figures,
        indicators=sections, data_year=year,
    )


def _without_name(text, name):
    """'城关小学：班额超标' → '班额超标' (the school has its own column)."""
    text = (text or "").strip()
    for prefix in (f"【{name}】", name):
        if name and text.startswith(prefix):
            text = text[len(prefix):].lstrip("：:，, ")
    return text


def collect_rectification(inspection, filled):
    """The two lists of 002's attachments from the feedback's confirmed problems and the team
    lead's measures and deadlines. As the notes under the lists say, both hold indicator items
    only: schools (one block per campus) the items a school must meet, the county government
    the rest; interview complaints and answers at the hearing stay in the feedback itself."""
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar()
    std = inspection.standard
    schools, county = {}, []
    problems = [p for p in confirmed(fb) if p.indicator_code in std.indicators]
    if problems:
        items = {r.problem_id: r for r in db.session.scalars(db.select(RectificationItem).where(
            RectificationItem.problem_id.in_([p.id for p in problems])))}
        for p in sorted(problems, key=lambda p: (_part_order(std, p), p.position)):
            r = items.get(p.id)
            if p.school_id and p.target == "school":
                row = RectRow(_without_name(p.text, p.school.name), r.measures if r else "", r.deadline if r else None)
                schools.setdefault((p.school.code, p.school.name), []).append(row)
            else:
                county.append(RectRow(p.text, r.measures if r else "", r.deadline if r else None))
    return RectificationData(inspection.county.name, filled, [(name, rows) for (_c, name), rows in sorted(schools.items())],
                             county)
