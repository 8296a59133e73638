"""The indicator engine: county values, enrolment-weighted difference coefficients and school
verdicts (../shared/domain/indicators.md §1–§4). No Flask here; every threshold, cap and rule
comes from the standard file.

Input: a template-shaped DataFrame (school_data.read_table().frame or frame_from_rows()).
Output: an Evaluation; `to_json()` gives the contract of school-data-template.md.
"""
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .school_data import exclusion_reasons

# Comparisons "value ≥ threshold" and "ratio ≥ 85 %" forgive float noise of this relative size,
# so that a value exactly at its threshold counts as met however it was computed.
EPS = 1e-9


@dataclass
class IndicatorResult:
    code: str
    value: float | None  # county aggregate: Σ numerator × scale ÷ Σ 在校生数
    cv: float | None  # None when undefined (county mean 0)
    cap: float | None
    ok: bool | None


@dataclass
class SectionResult:
    section: str
    schools: int
    students: int
    indicators: dict = field(default_factory=dict)  # code -> IndicatorResult
    composite_cv: float | None = None
    cap: float | None = None
    ok: bool | None = None


@dataclass
class Evaluation:
    standard: object
    sections: dict  # 学段 -> SectionResult
    schools: pd.DataFrame  # one row per school section in scope: code, name, section, values…, met, short, ok
    excluded: list  # [{"code", "name", "section", "reason", "row"}]
    cv_codes: list
    rule_codes: list

    def school_records(self):
        return self.schools.to_dict("records")


def indicator_values(frame, standard, codes):
    """DataFrame of the school values of `codes` (numerator × scale ÷ 在校生数; NaN where 0 pupils)."""
    students = frame["在校生数"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {}
        for code in codes:
            f = standard.indicators[code]["formula"]
            num = frame[f["numerator"]].to_numpy(dtype=float)
            out[code] = np.where(students > 0, num * f["scale"] / np.where(students > 0, students, 1), np.nan)
    return pd.DataFrame(out, index=frame.index)


def weighted_cv(values, weights):
    """Enrolment-weighted difference coefficient (indicators.md §3). Returns (mean, cv); cv is
    None when the weighted mean is 0 (undefined), and both None with no weight at all."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    total = weights.sum()
    if total <= 0:
        return None, None
    mean = float((weights * values).sum() / total)
    if mean == 0:
        return mean, None
    s = float(np.sqrt((weights / total * (values - mean) ** 2).sum()))
    return mean, s / mean


def _grouped_cv(values, weights, groups):
    """Vectorised weighted_cv per group for many indicators at once: returns (means, cvs) frames
    indexed by group, columns = indicators; cv NaN where undefined."""
    w = pd.Series(weights, index=values.index)
    total = w.groupby(groups).transform("sum")
    share = w / total
    mean = values.mul(share, axis=0).groupby(groups).sum()
    dev = values - mean.reindex(groups.to_numpy()).set_axis(values.index)
    var = dev.pow(2).mul(share, axis=0).groupby(groups).sum()
    cv = np.sqrt(var) / mean.where(mean != 0)
    return mean, cv


def evaluate(frame, standard):
    """Compute every section and school result of `standard` over a checked template frame."""
    reasons = exclusion_reasons(frame, standard)
    excluded = [
        {"code": frame.at[i, "学校标识码"], "name": frame.at[i, "学校名称"], "section": frame.at[i, "学段"],
         "reason": reasons[i], "row": _int_or_none(frame.at[i, "row"]) if "row" in frame else None}
        for i in frame.index[reasons.notna()]
    ]
    scope = frame[reasons.isna()]
    cv_codes = list(standard.cv["indicators"])
    rule = standard.school_rule or {}
    rule_codes = list(rule.get("indicators", []))
    codes = list(dict.fromkeys(cv_codes + rule_codes))
    values = indicator_values(scope, standard, codes)
    students = scope["在校生数"].to_numpy(dtype=float)
    sections_col = scope["学段"]

    # County aggregate = Σ numerator × scale ÷ Σ 在校生数 = the weighted mean of school values.
    means, cvs = _grouped_cv(values, students, sections_col) if len(scope) else (None, None)
    caps = standard.cv["caps"]
    sections = {}
    for sec in standard.sections:
        part = scope[sections_col == sec]
        res = SectionResult(sec, schools=len(part), students=int(part["在校生数"].sum()))
        if len(part) == 0:
            sections[sec] = res
            continue
        composite = standard.cv.get("composite")
        for code in cv_codes:
            mean = float(means.at[sec, code])
            cv = cvs.at[sec, code]
            cv = None if pd.isna(cv) else float(cv)
            if composite:
                res.indicators[code] = IndicatorResult(code, mean, cv, None, None)
            else:
                ok = None if cv is None else cv <= caps[sec] + EPS
                res.indicators[code] = IndicatorResult(code, mean, cv, caps[sec], ok)
        if composite:
            singles = [r.cv for r in res.indicators.values()]
            res.cap = caps[sec]
            if all(c is not None for c in singles):
                res.composite_cv = float(np.mean(singles))
                res.ok = res.composite_cv <= caps[sec] + EPS
        else:
            oks = [r.ok for r in res.indicators.values()]
            res.ok = all(o is True for o in oks)
        sections[sec] = res

    schools = pd.DataFrame({
        "row": scope["row"].to_numpy() if "row" in scope else np.arange(len(scope)) + 2,
        "code": scope["学校标识码"].to_numpy(),
        "name": scope["学校名称"].to_numpy(),
        "section": sections_col.to_numpy(),
        "school_type": scope["办学类型"].to_numpy(),
        "urban_rural": scope["城乡类型"].to_numpy(),
        "students": scope["在校生数"].to_numpy(dtype=float).astype(int),
    })
    for code in codes:
        schools[code] = values[code].to_numpy()
    if rule_codes:
        _apply_school_rule(schools, standard, rule, rule_codes)
    else:
        schools["met"] = [[] for _ in range(len(schools))]
        schools["short"] = [[] for _ in range(len(schools))]
        schools["ok"] = None
    return Evaluation(standard, sections, schools, excluded, cv_codes, rule_codes)


def _apply_school_rule(schools, standard, rule, codes):
    """校校达标: met when value ≥ threshold; a section passes with ≥ min_met met and every
    shortfall ≥ min_ratio of its threshold (rule and numbers from the standard file)."""
    thresholds = pd.DataFrame(
        {code: schools["section"].map(standard.indicators[code]["thresholds"]).astype(float) for code in codes},
        index=schools.index,
    )
    vals = schools[codes].astype(float)
    met = vals >= thresholds * (1 - EPS)
    ratio = vals / thresholds
    near = ratio >= rule["min_ratio"] * (1 - EPS)
    n_met = met.sum(axis=1)
    all_near = (met | near).all(axis=1)
    schools["ok"] = ((n_met >= rule["min_met"]) & all_near).to_numpy()
    met_arr = met.to_numpy()
    names = np.array(codes)
    schools["met"] = [list(names[m]) for m in met_arr]
    schools["short"] = [list(names[~m]) for m in met_arr]
    for code in codes:
        schools[f"{code}_ratio"] = ratio[code].to_numpy()


def _int_or_none(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _r(v, places=4):
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return round(float(v), places)


def to_json(ev, year=None, warnings=()):
    """The JSON of the contract (school-data-template.md, "Result of a computation")."""
    std = ev.standard
    sections = {}
    for sec, res in ev.sections.items():
        out = {
            "schools": res.schools,
            "students": res.students,
            "indicators": {
                code: {"value": _r(r.value), "cv": _r(r.cv), "cap": r.cap, "ok": r.ok}
                for code, r in res.indicators.items()
            },
            "ok": res.ok,
        }
        if std.cv.get("composite"):
            out["composite_cv"] = _r(res.composite_cv)
            out["cap"] = res.cap
        sections[sec] = out
    codes = ev.rule_codes or ev.cv_codes
    schools = []
    for rec in ev.schools[["code", "name", "section", "met", "short", "ok"] + codes].to_dict("records"):
        schools.append({
            "code": rec["code"], "name": rec["name"], "section": rec["section"],
            "values": {c: _r(rec[c]) for c in codes},
            "met": list(rec["met"]), "short": list(rec["short"]),
            "ok": None if rec["ok"] is None else bool(rec["ok"]),
        })
    return {
        "standard": std.id,
        "year": year,
        "sections": sections,
        "schools": schools,
        "excluded": [{"code": e["code"], "section": e["section"], "reason": e["reason"]} for e in ev.excluded],
        "warnings": [w.as_dict() if hasattr(w, "as_dict") else dict(w) for w in warnings],
    }


def plain_python_cv(rows, standard, section, code):
    """The same coefficient computed with a plain loop over dict rows — the benchmark's baseline
    and an independent check of the vectorised engine in the tests."""
    f = standard.indicators[code]["formula"]
    total = 0.0
    num_total = 0.0
    items = []
    for r in rows:
        if r["学段"] != section:
            continue
        p = float(r["在校生数"])
        x = float(r[f["numerator"]]) * f["scale"] / p
        items.append((p, x))
        total += p
        num_total += float(r[f["numerator"]]) * f["scale"]
    if total == 0:
        return None
    mean = num_total / total
    if mean == 0:
        return None
    var = 0.0
    for p, x in items:
        var += p / total * (x - mean) ** 2
    return var ** 0.5 / mean
