"""Database glue for the G/Q indicators: a county's reported figures and on-site verdicts.

No request context: usable from routes, the CLI and tests inside an app context.

    county_indicators(county, year, standard) -> CountyIndicators

School figures: the school's APPROVED report of that year and standard, else the values
prefilled from its imported SchoolSectionData (ReportForm.prefill), so G4/G5 compute from an
import alone. County figures: the county's approved report. On-site verdicts: check records,
and department checks of the county's latest inspection of that standard that
carry an indicator code.
"""
from dataclasses import dataclass, field

from ..extensions import db
from ..models import County, DataReport, Inspection, School, SchoolSectionData
from ..models.procedure import Department
from ..models.records import CheckRecord
from .forms import get_forms
from .indicators import compute, facts_from, summary
from .view import page_rows

# on-site verdicts → True (met) / False (not met) / None (存疑, documents incomplete); others ignored
ONSITE = {"达标": True, "齐全": True, "不达标": False, "缺失": False, "存疑": None, "不全": None}


@dataclass
class OnSite:
    verdict: bool | None
    label: str  # 达标 / 不达标 / 存疑
    count: int  # judged items behind it


@dataclass
class CountyIndicators:
    standard: object
    year: int
    outcomes: list  # indicators.Outcome (G and Q)
    onsite: dict  # code -> OnSite
    inspection: object = None
    sources: dict = field(default_factory=dict)  # {"approved": n, "imported": n, "none": n, "county": bool}

    def disagrees(self, outcome):
        """A computed county verdict that differs from the on-site verdict for the indicator."""
        site = self.onsite.get(outcome.code)
        return (outcome.computed and outcome.verdict is not None and site is not None
                and site.verdict is not None and site.verdict != outcome.verdict)

    @property
    def disagreements(self):
        return [o for o in self.outcomes if self.disagrees(o)]

    @property
    def summary(self):
        return summary(self.outcomes)


def _approved(county_id, year, standard_id, level):
    q = db.select(DataReport).filter_by(county_id=county_id, year=year, standard_id=standard_id,
                                        level=level, status="approved")
    return db.session.execute(q).scalars().all()


def _imported(county_id, year):
    """{school id: {学段: {column: value}}} and {school id: ownership} of a year's import."""
    out, ownership = {}, {}
    q = db.select(SchoolSectionData).join(School).where(School.county_id == county_id, SchoolSectionData.year == year)
    for d in db.session.execute(q).scalars():
        out.setdefault(d.school_id, {})[d.section] = {c.name: getattr(d, c.name) for c in SchoolSectionData.__table__.columns}
        ownership[d.school_id] = d.ownership
    return out, ownership


def school_facts(county, year, standard):
    """SchoolFacts of the county's schools in scope of the standard, and where the figures came from."""
    form = get_forms(standard.id).school
    approved = {r.school_id: r.values or {} for r in _approved(county.id, year, standard.id, "school")}
    imported, ownership = _imported(county.id, year)
    excluded = set(standard.scope.get("excluded_school_types", []))
    facts, sources = [], {"approved": 0, "imported": 0, "none": 0}
    schools = db.session.execute(db.select(School).filter_by(county_id=county.id).order_by(School.code)).scalars()
    for school in schools:
        if school.school_type in excluded:
            continue
        if not standard.scope.get("private_schools_count", True) and ownership.get(school.id) == "民办":
            continue
        sections = [s for s in school.sections if s in standard.sections]
        if school.id in imported:  # a school reports the 学段 it has data for
            sections = [s for s in sections if s in imported[school.id]] or sections
        if school.id in approved:
            values, src = approved[school.id], "approved"
        elif school.id in imported:
            values, src = form.prefill(imported[school.id]), "imported"
        else:
            sources["none"] += 1
            continue
        sources[src] += 1
        facts.append(facts_from(school, values, sections, ownership.get(school.id)))
    return facts, sources


def county_values(county, year, standard):
    reports = _approved(county.id, year, standard.id, "county")
    return (reports[0].values or {}) if reports else None


def latest_inspection(county, standard):
    q = (db.select(Inspection).filter_by(county_id=county.id, standard_id=standard.id)
         .order_by(Inspection.created_at.desc(), Inspection.id.desc()).limit(1))
    return db.session.execute(q).scalar()


def onsite_verdicts(inspection):
    """{indicator code: OnSite}: any not-met item → 不达标; else any doubtful → 存疑; else 达标."""
    if inspection is None:
        return {}
    found = {}
    q = db.select(CheckRecord.indicator_code, CheckRecord.verdict).filter_by(inspection_id=inspection.id)
    for code, verdict in db.session.execute(q):
        if verdict in ONSITE:
            found.setdefault(code, []).append(ONSITE[verdict])
    for dep in db.session.execute(db.select(Department).filter_by(inspection_id=inspection.id)).scalars():
        if dep.verdict in ONSITE:
            for code in dep.indicator_codes or []:
                found.setdefault(code, []).append(ONSITE[dep.verdict])
    out = {}
    for code, vs in found.items():
        if False in vs:
            out[code] = OnSite(False, "不达标", len(vs))
        elif None in vs:
            out[code] = OnSite(None, "存疑", len(vs))
        else:
            out[code] = OnSite(True, "达标", len(vs))
    return out


def county_indicators(county, year, standard):
    facts, sources = school_facts(county, year, standard)
    county_vals = county_values(county, year, standard)
    sources["county"] = county_vals is not None
    outcomes = compute(standard, get_forms(standard.id).school, facts, county_vals or {})
    inspection = latest_inspection(county, standard)
    return CountyIndicators(standard, year, outcomes, onsite_verdicts(inspection), inspection, sources)


def county_by_code(code):
    return db.session.execute(db.select(County).filter_by(code=code)).scalar()


def results_section(county, year, standard):
    """The G/Q section of the county results page, or None when the standard has no G/Q items."""
    ci = county_indicators(county, year, standard)
    if not ci.outcomes:
        return None
    parts = {p: sum(1 for o in ci.outcomes if o.part == p) for p in ("G", "Q")}
    return {"rows": page_rows(ci), "summary": ci.summary, "inspection": ci.inspection, "sources": ci.sources,
            "disagreements": len(ci.disagreements), "parts": parts}
