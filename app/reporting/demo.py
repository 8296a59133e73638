"""数据填报 in the demo county (flask demo): an expert and a school reporter, every school's form
and the county form filled for last year — most approved, one sent back with a reason, one
submitted and waiting, one still a draft. Deterministic: figures come from the imported data
and a seeded generator; every step goes through the real workflow."""
import random

from ..extensions import db
from ..fieldwork.operations import new_uuid
from ..models import SchoolSectionData, User
from . import workflow
from .forms import get_forms

DEMO_REPORTING_USERS = [("expert", "赵专家", "expert", None), ("reporter1", "周填报员", "reporter", 0)]
TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def reporting_users(result, password):
    """The demo's 评估专家 and 学校填报员 (bound to the county's first school)."""
    out = {}
    for username, name, role, school_index in DEMO_REPORTING_USERS:
        user = db.session.execute(db.select(User).filter_by(username=username)).scalar()
        if user is None:
            user = User(username=username, name=name, role=role,
                        school_id=result["schools"][school_index].id if school_index is not None else None)
            user.set_password(password)
            db.session.add(user)
        out[username] = user
    db.session.commit()
    return out


# Plausible figures (not thresholds): a school's counts derived from its own teachers and pupils,
# most schools meeting the standard and a few not; the county's figures as a county reports them.
DERIVED = {
    "certified_teachers": lambda get, rng: get("teachers") - (1 if rng.random() < 0.15 else 0),
    "trained_360": lambda get, rng: get("teachers") - (rng.randint(1, 3) if rng.random() < 0.2 else 0),
    "in_catchment": lambda get, rng: round(get("students") * rng.choice([1, 1, 1, 0.97])),
    "migrant_students": lambda get, rng: round(get("students") * rng.uniform(0.02, 0.2)),
    "cohort_intake": lambda get, rng: round(get("students") / 3),
    "cohort_in": lambda get, rng: rng.randint(0, 4),
    "cohort_out": lambda get, rng: rng.randint(0, 6),
    "cohort_deaths": lambda get, rng: 0,
    "cohort_graduates": lambda get, rng: round(get("students") / 3) - rng.randint(0, 3),
}
FUNDS_PER_PUPIL = 750  # 元 a pupil a year, for the demo schools' budgets
COUNTY_FIGURES = {
    "per_pupil_primary": 650, "per_pupil_junior": 850, "small_schools": 8, "small_schools_funded_100": 8,
    "special_ed_funds": 45, "special_ed_pupils": 49, "teacher_pay": 98600, "civil_servant_pay": 96200,
    "rotation_eligible": 420, "rotated": 47, "rotated_key": 11, "hs_places": 1200, "hs_allocated": 640,
    "hs_allocated_rural": 390, "migrant_eligible": 1830, "migrant_public": 1610, "migrant_bought": 120,
    "disabled_children": 212, "disabled_enrolled": 205, "quality_level": 3, "quality_gap": 0.11,
}


def demo_raw(report, rng):
    """Plausible submitted strings for every input of the report: the stored (prefilled) figures,
    a column fed by several fields put on the first of them, the rest drawn."""
    form = workflow.form_of(report)
    values = dict(report.values or {})
    imported = workflow.imported_figures(report.school, report.year) if report.school is not None else {}
    raw = {}
    entries = form.entries(report.school, workflow.sections_of(report), {k: v for k, v in values.items()})
    seen_columns = set()
    for key, f, sec in entries:
        pupils = sum(values.get(f"{s}.students") or 0 for s in workflow.sections_of(report))
        if key in values:
            v = values[key]
        elif report.school is None and f.key in COUNTY_FIGURES:
            v = COUNTY_FIGURES[f.key]
        elif report.school is None and f.type == "boolean":
            v = True
        elif f.key in ("public_fund_budget", "public_fund_spent"):
            v = round(max(pupils, 100) * FUNDS_PER_PUPIL / 10000, 2)
        elif f.key == "training_budget":
            v = round(max(pupils, 100) * FUNDS_PER_PUPIL / 10000 * rng.choice([0.06, 0.06, 0.08, 0.04]), 2)
        elif f.type == "boolean":
            v = False
        elif f.type == "year":
            v = 1990 + rng.randint(0, 30)
        elif f.column and sec is not None:
            first = (sec, f.column) not in seen_columns
            v = imported.get(sec, {}).get(f.column, 0) if first else 0
        elif f.key.startswith("classes_"):
            v = values.get(f"{sec}.classes", 10) if f.key == "classes_le45" else 0
        elif f.key in DERIVED:
            v = DERIVED[f.key](lambda k: values.get(f"{sec}.{k}" if sec else k) or 0, rng)
        else:
            hi = int(f.max) if f.max is not None else 500
            lo = int(f.min) if f.min is not None else 0
            v = rng.randint(lo, max(lo, min(hi, 60)))
        if f.column and sec is not None:
            seen_columns.add((sec, f.column))
        if isinstance(v, bool):
            raw[key] = "是" if v else "否"
        else:
            raw[key] = str(int(v) if f.type in ("integer", "year") else v)
    return raw


def fill(report, user, rng):
    raw = demo_raw(report, rng)
    workflow.save_values(report, user, new_uuid(), raw, report.version)
    return report


def add_demo_reports(result, password="demo1234", storage=None, seed=2025):
    """Fill the demo county's reports for the year of its imported data; returns the users."""
    rng = random.Random(seed)
    users = dict(result["users"], **reporting_users(result, password))
    admin, expert, reporter = users["admin"], users["expert"], users["reporter1"]
    county = result["county"]
    year = db.session.execute(db.select(SchoolSectionData.year).join(SchoolSectionData.school)
                              .filter_by(county_id=county.id).limit(1)).scalar()
    schools = [s for s in result["schools"] if s.sections]
    sid = workflow.DEFAULT_STANDARD
    get_forms(sid)
    for i, school in enumerate(schools):
        who = reporter if school.id == reporter.school_id else admin
        report, _ = workflow.start_report(who, "school", year, sid, school=school)
        fill(report, who, rng)
        if i == 1:
            continue  # 填报中
        if storage is not None and i in (0, 2):
            from .evidence import add_evidence

            add_evidence(report, who, new_uuid(), "teachers", "教师花名册.pdf", TINY_PDF, storage)
        workflow.submit(report, who)
        if i == 2:
            continue  # 待审核
        if i == 0:
            workflow.send_back(report, expert, "小学专任教师数与教师花名册不一致，请核对后重新填报，并上传盖章的花名册。")
            continue
        workflow.approve(report, expert if i % 2 else admin)
    county_report, _ = workflow.start_report(admin, "county", year, sid, county=county)
    fill(county_report, admin, rng)
    workflow.submit(county_report, admin)
    workflow.approve(county_report, expert)
    return users
