"""政府保障程度 (G) and 教育质量 (Q) criteria judged school by school, from reported figures
(/work/shared/domain/indicators.md §1.2, §1.3, §6). No Flask, no database: the input is the
standard, the school form, one SchoolFacts per school and the county form's values;
indicators.compute() assembles the county verdicts.

Every limit and allowance comes from the indicator's "limits" in the standard file. A figure
that is missing gives "数据不全" (verdict None), never a pass. Indicators with no numeric
criterion are returned as judged on site (computed False).
"""
import math
from dataclasses import dataclass, field

EPS = 1e-9
SECTION_FUND_KEYS = {"小学": "per_pupil_primary", "初中": "per_pupil_junior"}  # county form keys
INCOMPLETE = "数据不全"


@dataclass
class SchoolFacts:
    code: str
    name: str
    school_type: str
    urban_rural: str
    sections: list
    values: dict = field(default_factory=dict)
    ownership: str = "公办"

    @property
    def students(self):
        found = [self.values[f"{s}.students"] for s in self.sections if _num(self.values.get(f"{s}.students"))]
        return sum(found) if found else None

    def get(self, key, section=None):
        v = self.values.get(f"{section}.{key}" if section else key)
        return v

    def total(self, key):
        """Σ over the school's sections of a per-section figure; None if any section lacks it."""
        parts = [self.get(key, s) for s in self.sections]
        if not parts or any(not _num(p) for p in parts):
            return None
        return sum(parts)


@dataclass
class SchoolResult:
    code: str
    name: str
    section: str | None
    value: object  # a number, or a short text where the figure is not one number
    limit: object
    ok: bool | None
    note: str = ""

    def as_dict(self):
        return {"code": self.code, "name": self.name, "section": self.section,
                "value": _round(self.value), "limit": _round(self.limit), "ok": self.ok, "note": self.note}


@dataclass
class Outcome:
    code: str
    name: str
    part: str
    computed: bool
    verdict: bool | None = None
    figures: str = ""
    limit: str = ""
    schools: list = field(default_factory=list)  # SchoolResult of every school (section) the criterion applies to

    @property
    def failing(self):
        return [s for s in self.schools if s.ok is False]

    @property
    def incomplete(self):
        return [s for s in self.schools if s.ok is None]


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _round(v):
    return round(v, 4) if isinstance(v, float) else v


def pct(x, places=1):
    """A share as a percentage that never reads as the other side of 100 %."""
    if x is None:
        return "—"
    p = x * 100
    if p < 100 and round(p, places) >= 100:
        return f"{math.floor(p * 10 ** places) / 10 ** places:.{places}f}%"
    return f"{p:.{places}f}%"


def _ge(value, limit):
    return value >= limit * (1 - EPS) if limit > 0 else value >= limit


def _ratio(num, den):
    if not _num(num) or not _num(den) or den <= 0:
        return None
    return num / den


def _combine(results):
    """County verdict from per-school results: any fail → False; any unknown → None; else True."""
    oks = [r.ok for r in results]
    if any(o is False for o in oks):
        return False
    if any(o is None for o in oks):
        return None
    return True


def _verdict_text(v):
    return {True: "达标", False: "未达标", None: INCOMPLETE}[v]


def _school_summary(results, noun="所学校"):
    failing = sum(1 for r in results if r.ok is False)
    unknown = sum(1 for r in results if r.ok is None)
    text = f"{len(results)} {noun}参与计算，{failing} {noun}未达标"
    if unknown:
        text += f"，{unknown} {noun}数据不全"
    return text


# ---------------------------------------------------------------- per-school criteria

def _g3(ind, form, schools, county):
    lim = ind["limits"]
    per = lim["classes_per_room"]
    older = lim.get("older_schools", {})
    small = lim.get("rural_small_schools", {})
    band_fields = [f for f in form.fields if "G3" in f.feeds and f.band and f.column in ("music_rooms", "art_rooms")]
    out = []
    for s in schools:
        for sec in s.sections:
            classes = s.get("classes", sec)
            if not _num(classes):
                out.append(SchoolResult(s.code, s.name, sec, None, None, None, "缺班级数"))
                continue
            need = math.ceil(classes / per) if classes > 0 else 0
            built = s.get("year_built")
            biggest = s.get("max_class", sec)
            strict, lenient = _g3_areas(lim, older, small, s, sec, built, biggest)
            oks, texts = [], []
            for column, kind in (("music_rooms", "音乐"), ("art_rooms", "美术")):
                fields = [f for f in band_fields if f.column == column and f.applies_to(s, s.values, sec)]
                ok_strict, n_strict = _g3_rooms(fields, s, sec, strict[kind], need)
                ok_len, _ = _g3_rooms(fields, s, sec, lenient[kind], need)
                oks.append(ok_strict if ok_strict == ok_len else None)
                texts.append(f"{kind}教室达标 {n_strict} 间")
            ok = False if False in oks else (None if None in oks else True)
            area = f"音乐≥{strict['音乐']:g}㎡、美术≥{strict['美术']:g}㎡"
            out.append(SchoolResult(s.code, s.name, sec, "，".join(texts), f"各≥{need}间（{area}）", ok))
    return out, f"每{per}个班各需音乐、美术专用教室1间"


def _g3_areas(lim, older, small, s, sec, built, biggest):
    """(strict, lenient) minimum room areas {音乐, 美术}: equal when every fact is known."""
    base = {"音乐": lim["music_room_area"], "美术": lim["art_room_area"]}
    options = []  # (applies: True/False/None, areas)
    if older:
        applies = None if not _num(built) else built <= older["built_up_to"]
        options.append((applies, {"音乐": older["music_room_area"], "美术": older["art_room_area"]}))
    if small and sec in small.get("room_area", {}):
        if s.urban_rural not in small.get("urban_rural", [s.urban_rural]):
            applies = False
        else:
            applies = None if not _num(biggest) else biggest < small["max_class_below"]
        a = small["room_area"][sec]
        options.append((applies, {"音乐": a, "美术": a}))
    strict, lenient = dict(base), dict(base)
    for applies, areas in options:
        for k in base:
            if applies is True:
                strict[k] = min(strict[k], areas[k])
            if applies is not False:
                lenient[k] = min(lenient[k], areas[k])
    return strict, lenient


def _g3_rooms(fields, s, sec, area, need):
    """(ok or None, rooms counted) for rooms at least `area` ㎡ against `need` rooms."""
    counted, unsure, missing = 0, 0, False
    for f in fields:
        n = s.get(f.key, sec)
        if not _num(n):
            missing = True
            continue
        lo, hi = f.band.get("min", 0), f.band.get("max")
        if lo >= area:
            counted += n
        elif hi is None or hi > area:
            unsure += n  # the band straddles the required area: these rooms may or may not count
    if counted >= need:
        return True, counted
    if missing or unsure:
        return None, counted
    return False, counted


def _g4(ind, form, schools, county):
    lim = ind["limits"]
    allow = lim.get("allowance", {})
    out = []
    for s in schools:
        key = s.school_type if s.school_type in lim else (s.sections[0] if len(s.sections) == 1 else None)
        n = s.total("students")
        if key not in lim or n is None:
            out.append(SchoolResult(s.code, s.name, None, n, lim.get(key), None, "缺在校生数" if n is None else "无规模上限"))
            continue
        base, more = lim[key], allow.get(key, lim[key])
        built, migrants = s.get("year_built"), s.total("migrant_students")
        facts = []
        if "built_up_to" in allow:
            facts.append(None if not _num(built) else built <= allow["built_up_to"])
        if "migrant_share_above" in allow:
            share = _ratio(migrants, n)
            facts.append(None if share is None else share > allow["migrant_share_above"])
        allowed = True if True in facts else (None if None in facts else False)
        if n <= base:
            ok, limit = True, base
        elif n > more:
            ok, limit = False, more if allowed else base
        else:
            ok, limit = allowed, more if allowed else base
        out.append(SchoolResult(s.code, s.name, None, n, limit, ok, "按2019年规程放宽" if allowed and n > base else ""))
    return out, "学校规模（义务教育阶段在校生数）"


def _g5(ind, form, schools, county):
    lim = ind["limits"]
    bands = [f for f in form.fields if "G5" in f.feeds and f.band]
    out = []
    for s in schools:
        for sec in s.sections:
            limit = lim.get(sec)
            if limit is None:
                continue
            biggest = s.get("max_class", sec)
            over, unsure, missing = 0, 0, False
            for f in bands:
                n = s.get(f.key, sec)
                if not _num(n):
                    missing = True
                    continue
                lo, hi = f.band.get("min", 0), f.band.get("max")
                if lo > limit:
                    over += n
                elif hi is None or hi > limit:
                    unsure += n
            if _num(biggest):
                ok = biggest <= limit
            elif over:
                ok = False
            else:
                ok = None if (missing or unsure or not bands) else True
            value = biggest if _num(biggest) else None
            note = f"超过{limit}人的班 {over} 个" if over else ""
            out.append(SchoolResult(s.code, s.name, sec, value, limit, ok, note))
    return out, "最大班额"


def _g6(ind, form, schools, county):
    lim = ind["limits"]
    minimum = lim["min_funded_students"]
    out = []
    for s in schools:
        n = s.students
        if s.school_type not in lim.get("school_types", [s.school_type]) or \
                s.urban_rural not in lim.get("urban_rural", [s.urban_rural]):
            continue
        if n is None:
            out.append(SchoolResult(s.code, s.name, None, None, None, None, "缺在校生数"))
            continue
        if n >= minimum:
            continue
        rates = [county.get(SECTION_FUND_KEYS.get(sec, "")) for sec in s.sections]
        budget = s.get("public_fund_budget")
        if not all(_num(r) for r in rates) or not _num(budget):
            out.append(SchoolResult(s.code, s.name, None, budget, None, None, "缺公用经费或基准定额"))
            continue
        need = minimum * max(rates) / 10000
        out.append(SchoolResult(s.code, s.name, None, budget, round(need, 4), _ge(budget, need),
                                f"在校生 {n} 人，按{minimum}人核定应不少于 {need:g} 万元"))
    return out, f"不足{minimum}人的村小和教学点公用经费（万元）"


def _per_school_ratio(key_num, key_den, limit, schools, label):
    out = []
    for s in schools:
        num, den = s.total(key_num), s.total(key_den)
        r = _ratio(num, den)
        if den == 0 and num is not None:
            continue  # no teachers reported in any section: nothing to rate
        out.append(SchoolResult(s.code, s.name, None, r, limit, None if r is None else _ge(r, limit),
                                "" if r is not None else f"缺{label}"))
    return out


def _g9(ind, form, schools, county):
    limit = ind["limits"]["completion"]
    return _per_school_ratio("trained_360", "teachers", limit, schools, "培训或教师人数"), "360学时培训完成率"


def _g12(ind, form, schools, county):
    limit = ind["limits"]["certified"]
    return _per_school_ratio("certified_teachers", "teachers", limit, schools, "持证或教师人数"), "持证上岗率"


def _g13(ind, form, schools, county):
    lim = ind["limits"]
    out = []
    for s in schools:
        if s.urban_rural not in lim.get("urban_rural", [s.urban_rural]) or \
                (s.ownership or "公办") not in lim.get("ownership", [s.ownership or "公办"]):
            continue
        boarding = s.get("boarding")
        if boarding is True:
            continue
        for sec in s.sections:
            if sec not in lim:
                continue
            r = _ratio(s.get("in_catchment", sec), s.get("students", sec))
            ok = None if r is None or boarding is None else _ge(r, lim[sec])
            out.append(SchoolResult(s.code, s.name, sec, r, lim[sec], ok, "缺是否寄宿制" if boarding is None else ""))
    return out, "就近划片入学比例"


def _q4(ind, form, schools, county):
    limit = ind["limits"]["min_share"]
    out = []
    for s in schools:
        r = _ratio(s.get("training_budget"), s.get("public_fund_budget"))
        out.append(SchoolResult(s.code, s.name, None, r, limit, None if r is None else _ge(r, limit)))
    return out, "教师培训经费占公用经费预算比例"


def _q1_schools(ind, schools):
    limit = ind["limits"]["min"]
    out = []
    for s in schools:
        if "初中" not in s.sections:
            continue
        g, i, o, n, d = (s.get(k, "初中") for k in ("cohort_graduates", "cohort_in", "cohort_out", "cohort_intake", "cohort_deaths"))
        if not all(_num(x) for x in (g, i, o, n, d)):
            out.append(SchoolResult(s.code, s.name, "初中", None, limit, None, "缺巩固率数据"))
            continue
        r = _ratio(g - i + o, n - d)
        out.append(SchoolResult(s.code, s.name, "初中", r, limit, None if r is None else _ge(r, limit),
                                f"毕业 {g}，转入 {i}，转出 {o}，入学 {n}，死亡 {d}"))
    return out


PER_SCHOOL = {"G3": _g3, "G4": _g4, "G5": _g5, "G6": _g6, "G9": _g9, "G12": _g12, "G13": _g13, "Q4": _q4}
COMPUTED = ("G3", "G4", "G5", "G6", "G7", "G8", "G9", "G11", "G12", "G13", "G14", "G15", "Q1", "Q2", "Q4", "Q9")
