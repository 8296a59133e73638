"""The 15 政府保障程度 and 9 教育质量 indicators of a county, computed from its reports
(indicators.md §1.2, §1.3, §6). No Flask, no database.

    compute(standard, school_form, schools, county_values) -> [Outcome]   (G and Q, in file order)

`schools` are school_criteria.SchoolFacts; `county_values` the county form's values. Every limit
comes from the standard's "limits"; a missing figure gives verdict None (数据不全), never a pass.
An indicator without a numeric criterion (or without limits in the standard) is returned with
computed=False: it is judged on site.
"""
from .school_criteria import (
    COMPUTED, INCOMPLETE, PER_SCHOOL, Outcome, SchoolFacts, SchoolResult, _combine, _ge, _num, _q1_schools,
    _ratio, _school_summary, _verdict_text, pct,
)

__all__ = ["compute", "Outcome", "SchoolFacts", "SchoolResult", "COMPUTED", "verdict_label"]

PARTS = ("G", "Q")


def verdict_label(v):
    return _verdict_text(v)


def _missing(*values):
    return any(not _num(v) for v in values)


def _g6_county(ind, county, results):
    small, funded = county.get("small_schools"), county.get("small_schools_funded_100")
    verdict = _combine(results) if results else None
    parts = []
    if not _missing(small, funded):
        ok = funded >= small
        parts.append(f"县报不足{ind['limits']['min_funded_students']}人的村小和教学点 {small} 所，按100人核定 {funded} 所")
        verdict = False if not ok or verdict is False else (True if verdict is not None or not results else None)
    else:
        parts.append("县级核定数据不全")
        verdict = False if verdict is False else None
    if results:
        parts.append(_school_summary(results))
    return verdict, "；".join(parts)


def _g7(ind, county):
    limit = ind["limits"]["min_yuan_per_student"]
    funds, pupils = county.get("special_ed_funds"), county.get("special_ed_pupils")
    r = _ratio(None if not _num(funds) else funds * 10000, pupils)
    if r is None:
        return None, f"特殊教育学校公用经费或在校生数{INCOMPLETE}"
    return _ge(r, limit), f"特殊教育学校生均公用经费 {r:,.0f} 元（{funds:g} 万元 ÷ {pupils} 人）"


def _g8(ind, county):
    ratio = ind["limits"].get("min_ratio", 1.0)
    pay, civil, full = county.get("teacher_pay"), county.get("civil_servant_pay"), county.get("performance_pay_full")
    if _missing(pay, civil) or civil <= 0:
        return None, f"教师或公务员平均工资{INCOMPLETE}"
    ok_pay = _ge(pay, civil * ratio)
    text = f"教师年平均工资 {pay:,.0f} 元，公务员 {civil:,.0f} 元（{pct(pay / civil)}）"
    if full is None:
        return (False if not ok_pay else None), text + "；绩效工资是否足额核定未填"
    text += "；绩效工资" + ("已足额核定" if full else "未足额核定")
    return ok_pay and full is True, text


def _g11(ind, county):
    lim = ind["limits"]
    eligible, rotated, key = county.get("rotation_eligible"), county.get("rotated"), county.get("rotated_key")
    if _missing(eligible, rotated, key) or eligible <= 0:
        return None, f"交流轮岗{INCOMPLETE}"
    r1 = rotated / eligible
    r2 = _ratio(key, rotated)
    ok = _ge(r1, lim["rotation"]) and r2 is not None and _ge(r2, lim["key_teachers"])
    return ok, (f"交流轮岗 {rotated} 人 ÷ 符合条件 {eligible} 人 = {pct(r1)}（标准 ≥{pct(lim['rotation'], 0)}）；"
                f"骨干教师 {key} 人，占 {pct(r2)}（标准 ≥{pct(lim['key_teachers'], 0)}）")


def _g14(ind, county, schools):
    lim = ind["limits"]
    places, allocated, rural = county.get("hs_places"), county.get("hs_allocated"), county.get("hs_allocated_rural")
    if _missing(places, allocated) or places <= 0:
        return None, f"优质高中招生名额{INCOMPLETE}"
    share = allocated / places
    ok = _ge(share, lim["allocated"])
    text = f"分配到初中 {allocated} 个 ÷ 招生计划 {places} 个 = {pct(share)}（标准 ≥{pct(lim['allocated'], 0)}）"
    if lim.get("rural_tilt"):
        juniors = [(s.urban_rural, s.get("students", "初中")) for s in schools if "初中" in s.sections]
        known = [(u, n) for u, n in juniors if _num(n)]
        if not _num(rural):
            return (False if not ok else None), text + f"；分配到农村初中的名额{INCOMPLETE}"
        rural_share = _ratio(rural, allocated) or 0.0
        text += f"；农村初中 {rural} 个，占分配名额 {pct(rural_share)}"
        if known and len(known) == len(juniors) and sum(n for _, n in known) > 0:
            pupils_share = sum(n for u, n in known if u == "乡村") / sum(n for _, n in known)
            tilted = rural_share >= pupils_share - 1e-9
            text += f"，农村初中在校生占 {pct(pupils_share)}（{'向农村倾斜' if tilted else '未向农村倾斜'}）"
            ok = ok and tilted
        else:
            text += "（初中在校生数据不全，未核对倾斜）"
    return ok, text


def _g15(ind, county):
    limit = ind["limits"]["migrant_public"]
    eligible, public, bought = county.get("migrant_eligible"), county.get("migrant_public"), county.get("migrant_bought")
    care = county.get("left_behind_care")
    if _missing(eligible, public) or eligible <= 0:
        return None, f"随迁子女{INCOMPLETE}"
    share = (public + (bought if _num(bought) else 0)) / eligible
    ok = _ge(share, limit)
    text = f"随迁子女在公办学校和政府购买学位就读 {pct(share)}（标准 ≥{pct(limit, 0)}）"
    if care is None:
        return (False if not ok else None), text + "；留守儿童关爱体系未填"
    text += "；" + ("已建立留守儿童关爱体系" if care else "未建立留守儿童关爱体系")
    return ok and care is True, text


def _q1(ind, schools):
    results = _q1_schools(ind, schools)
    limit = ind["limits"]["min"]
    if not results or any(r.ok is None for r in results):
        return results, None, f"初中三年巩固率{INCOMPLETE}" + (f"（{sum(r.ok is None for r in results)} 所学校缺数据）" if results else "")
    num = den = 0
    for s in schools:
        if "初中" in s.sections:
            g, i, o, n, d = (s.get(k, "初中") for k in ("cohort_graduates", "cohort_in", "cohort_out", "cohort_intake", "cohort_deaths"))
            num += g - i + o
            den += n - d
    r = _ratio(num, den)
    if r is None:
        return results, None, f"初中三年巩固率{INCOMPLETE}"
    return results, _ge(r, limit), f"全县初中三年巩固率 {pct(r)}（{num} ÷ {den}）"


def _q2(ind, county):
    limit = ind["limits"]["min"]
    r = _ratio(county.get("disabled_enrolled"), county.get("disabled_children"))
    if r is None:
        return None, f"残疾儿童少年入学{INCOMPLETE}"
    return _ge(r, limit), f"残疾儿童少年入学率 {pct(r)}（{county['disabled_enrolled']} ÷ {county['disabled_children']}）"


def _q9(ind, county):
    lim = ind["limits"]
    level, gap = county.get("quality_level"), county.get("quality_gap")
    if _missing(level, gap):
        return None, f"质量监测结果{INCOMPLETE}"
    roman = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}
    ok = level >= lim["level"] and gap < lim["max_gap"]
    return ok, f"学业水平最低 {roman.get(level, level)} 级，校际差异率 {gap:g}"


COUNTY_ONLY = {"G7": _g7, "G8": _g8, "G11": _g11, "G15": _g15, "Q2": _q2, "Q9": _q9}


def _limit_text(ind):
    return ind.get("criterion", "")


def compute(standard, school_form, schools, county_values):
    """Every G and Q indicator of `standard`: [Outcome] in the file's order."""
    county = county_values or {}
    out = []
    for code, ind in standard.indicators.items():
        if ind["part"] not in PARTS:
            continue
        o = Outcome(code, ind["name"], ind["part"], computed=code in COMPUTED and "limits" in ind,
                    limit=_limit_text(ind))
        out.append(o)
        if not o.computed:
            continue
        if code in PER_SCHOOL:
            o.schools, what = PER_SCHOOL[code](ind, school_form, schools, county)
            if code == "G6":
                o.verdict, o.figures = _g6_county(ind, county, o.schools)
                continue
            o.verdict = _combine(o.schools) if o.schools else True
            noun = "个学段" if code in ("G3", "G5", "G13") else "所学校"
            o.figures = f"{what}：" + (_school_summary(o.schools, noun) if o.schools else "无适用学校")
            if not schools:
                o.verdict, o.figures = None, f"{what}：没有学校数据"
        elif code == "G14":
            o.verdict, o.figures = _g14(ind, county, schools)
        elif code == "Q1":
            o.schools, o.verdict, o.figures = _q1(ind, schools)
        else:
            o.verdict, o.figures = COUNTY_ONLY[code](ind, county)
    return out


def summary(outcomes):
    """Counts for a heading: computed/judged, passed/failed/incomplete."""
    computed = [o for o in outcomes if o.computed]
    return {"computed": len(computed), "judged": len(outcomes) - len(computed),
            "passed": sum(o.verdict is True for o in computed), "failed": sum(o.verdict is False for o in computed),
            "incomplete": sum(o.verdict is None for o in computed)}


def facts_from(school, values, sections=None, ownership=None):
    """A SchoolFacts from any school-like object (School model or namespace) and its values."""
    return SchoolFacts(code=school.code, name=school.name, school_type=school.school_type,
                       urban_rural=school.urban_rural, sections=list(sections if sections is not None else school.sections),
                       values=dict(values or {}), ownership=ownership or getattr(school, "ownership", None) or "公办")


