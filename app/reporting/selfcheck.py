"""The county's self-check before any visit (002: "围绕7项资源配置、15项政府保障、9项教育质量的指标要求，
逐项逐校"): every indicator × school that falls short, and every county-level shortfall, from the
year's school data (imported or approved reports), the county's approved report and the on-site
verdicts where there are any. Rows are written in the words of a rectification list, so that
002's 附件1/附件2 can be started from them.

No request context: usable from routes, the CLI and tests inside an app context."""
from dataclasses import dataclass, field

from ..indicators.metrics import evaluate, shown
from ..indicators.school_import import stored_frame
from ..reports.data import RectificationData, RectRow
from .facts import county_indicators


@dataclass
class Shortfall:
    code: str  # indicator code
    name: str  # indicator name
    school: str | None  # school name (None: the county)
    school_code: str | None
    section: str | None  # 学段
    value: str  # the figure, as shown
    limit: str  # the standard, as shown
    problem: str  # one sentence for the rectification list
    source: str = "计算"  # 计算 / 现场判定


@dataclass
class SelfCheck:
    county: object
    year: int
    standard: object
    schools: list = field(default_factory=list)  # [(school name, school code, [Shortfall])], by school code
    county_rows: list = field(default_factory=list)  # [Shortfall]
    incomplete: list = field(default_factory=list)  # [(code, name, figures)]: computed indicators lacking data
    has_data: bool = False

    @property
    def rows(self):
        """Every shortfall, schools first (by code), then the county's."""
        return [s for _n, _c, items in self.schools for s in items] + self.county_rows

    def rectification(self, filled):
        """002's 附件1 and 附件2, problems filled in, measures and deadlines left to the county."""
        return RectificationData(
            county=self.county.name, filled=filled,
            schools=[(name, [RectRow(s.problem, "", None) for s in items]) for name, _c, items in self.schools],
            county_rows=[RectRow(s.problem, "", None) for s in self.county_rows])


def _resource_shortfalls(county, year, standard, by_school):
    """R1–R7 (or the basic standard's B codes) per school section below its threshold, and each
    学段's difference coefficients over the cap."""
    frame, _rows = stored_frame(county.id, year)
    if frame is None:
        return [], False
    ev = evaluate(frame, standard)
    for rec in ev.school_records():
        for code in rec["short"]:
            ind = standard.indicators[code]
            limit = standard.threshold(code, rec["section"])
            value = shown(rec[code], limit)
            unit = ind.get("unit", "")
            by_school.setdefault((rec["code"], rec["name"]), []).append(Shortfall(
                code, ind["name"], rec["name"], rec["code"], rec["section"], f"{value} {unit}".strip(),
                f"≥ {limit:g} {unit}".strip(),
                f"{rec['section']}{ind['name']}为{value}{unit}，低于{limit:g}{unit}的标准（{code}）。"))
    county_rows = []
    for sec, res in ev.sections.items():
        if not res.schools:
            continue
        if standard.cv.get("composite"):
            if res.ok is False:
                county_rows.append(Shortfall(
                    "CV", "综合差异系数", None, None, sec, f"{res.composite_cv:.4f}", f"≤ {res.cap:g}",
                    f"{sec}综合差异系数为{res.composite_cv:.4f}，高于{res.cap:g}。"))
            continue
        for code, r in res.indicators.items():
            if r.ok is False:
                ind = standard.indicators[code]
                county_rows.append(Shortfall(
                    code, ind["name"], None, None, sec, f"{r.cv:.4f}", f"≤ {r.cap:g}",
                    f"{sec}{ind['name']}校际差异系数为{r.cv:.4f}，高于{r.cap:g}（{code}）。"))
    return county_rows, True


def _value_text(v):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1 else f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


def self_check(county, year, standard):
    by_school = {}
    county_rows, has_data = _resource_shortfalls(county, year, standard, by_school)
    ci = county_indicators(county, year, standard)
    for o in ci.outcomes:
        ind = standard.indicators[o.code]
        what = ind.get("shortfall") or o.name
        if o.computed:
            for s in o.failing:
                section = s.section or ""
                note = f"，{s.note}" if s.note else ""
                by_school.setdefault((s.code, s.name), []).append(Shortfall(
                    o.code, o.name, s.name, s.code, s.section, _value_text(s.value), _value_text(s.limit),
                    f"{section}{what}：{_value_text(s.value)}，标准为{_value_text(s.limit)}{note}（{o.code}）。"))
            if o.verdict is False and not o.failing:
                county_rows.append(Shortfall(o.code, o.name, None, None, None, o.figures, o.limit,
                                             f"{what}：{o.figures}（{o.code}）。"))
        else:
            site = ci.onsite.get(o.code)
            if site is not None and site.verdict is False:
                county_rows.append(Shortfall(o.code, o.name, None, None, None, "现场判定不达标", o.limit,
                                             f"{what}（{o.code}，现场核查）。", source="现场判定"))
    incomplete = [(o.code, o.name, o.figures or "数据不全") for o in ci.outcomes if o.computed and o.verdict is None]
    schools = [(name, code, items) for (code, name), items in sorted(by_school.items())]
    return SelfCheck(county, year, standard, schools, county_rows, incomplete,
                     has_data or any(ci.sources.get(k) for k in ("approved", "imported")))
