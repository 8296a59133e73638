"""The indicator engine: county values, enrolment-weighted difference coefficients and school
verdicts (../shared/domain/indicators.md §1–§4). No Flask here; every threshold, cap and rule
comes from the standard file.

Input: a template-shaped DataFrame (school_data.read_table().frame or frame_from_rows()).
Output: an Evaluation; `to_json()` gives the contract of school-data-template.md.
"""
from dataclasses import dataclass, field

import math

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

    def school_records(self, schools=None):
        """One dict per school section in scope (or of `schools`, some rows of self.schools), with
        `met` and `short` as lists of codes."""
        records = (self.schools if schools is None else schools).to_dict("records")
        for rec in records:
            rec["met"] = [c for c in self.rule_codes if rec[f"met_{c}"]]
            rec["short"] = [c for c in self.rule_codes if not rec[f"met_{c}"]]
            rec["ok"] = None if rec["ok"] is None else bool(rec["ok"])
        return records


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


def evaluate(frame, standard):
    """Compute every section and school result of `standard` over a checked template frame."""
    reasons = exclusion_reasons(frame, standard)
    out_mask = reasons.notna().to_numpy()
    excluded = []
    if out_mask.any():
        cols = ["学校标识码", "学校名称", "学段"] + (["row"] if "row" in frame else [])
        for rec, reason in zip(frame.loc[out_mask, cols].to_dict("records"), reasons[out_mask]):
            excluded.append({"code": rec["学校标识码"], "name": rec["学校名称"], "section": rec["学段"],
                             "reason": reason, "row": _int_or_none(rec.get("row"))})
    scope = frame[~out_mask]
    cv_codes = list(standard.cv["indicators"])
    rule = standard.school_rule or {}
    rule_codes = list(rule.get("indicators", []))
    codes = list(dict.fromkeys(cv_codes + rule_codes))
    values = indicator_values(scope, standard, codes)
    students = scope["在校生数"].to_numpy(dtype=float)
    section_arr = scope["学段"].to_numpy()
    vals = values.to_numpy()

    caps = standard.cv["caps"]
    composite = standard.cv.get("composite")
    masks = {sec: section_arr == sec for sec in standard.sections}
    sections = {}
    for sec in standard.sections:
        sel = masks[sec]
        res = SectionResult(sec, schools=int(sel.sum()), students=int(students[sel].sum()))
        sections[sec] = res
        if not sel.any():
            continue
        w = students[sel]
        share = w / w.sum()
        x = vals[sel]
        # County aggregate = Σ numerator × scale ÷ Σ 在校生数 = the enrolment-weighted mean.
        means = share @ x
        var = share @ (x - means) ** 2
        for j, code in enumerate(cv_codes):
            mean = float(means[codes.index(code)])
            cv = None if mean == 0 else float(np.sqrt(var[codes.index(code)]) / mean)
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
            res.ok = all(r.ok is True for r in res.indicators.values())

    schools = pd.DataFrame({
        "row": scope["row"].to_numpy() if "row" in scope else np.arange(len(scope)) + 2,
        "code": scope["学校标识码"].to_numpy(),
        "name": scope["学校名称"].to_numpy(),
        "section": section_arr,
        "school_type": scope["办学类型"].to_numpy(),
        "urban_rural": scope["城乡类型"].to_numpy(),
        "students": students.astype(int),
    })
    for j, code in enumerate(codes):
        schools[code] = vals[:, j]
    if rule_codes:
        _apply_school_rule(schools, masks, vals[:, [codes.index(c) for c in rule_codes]], standard, rule, rule_codes)
    else:
        schools["ok"] = None
    return Evaluation(standard, sections, schools, excluded, cv_codes, rule_codes)


def _apply_school_rule(schools, masks, vals, standard, rule, codes):
    """校校达标: met when value ≥ threshold; a section passes with ≥ min_met met and every
    shortfall ≥ min_ratio of its threshold (rule and numbers from the standard file).
    Adds met_<code> booleans, <code>_ratio and ok; Evaluation.met/short give the code lists."""
    thresholds = np.full_like(vals, np.nan)
    for sec, sel in masks.items():
        thresholds[sel] = [standard.indicators[code]["thresholds"][sec] for code in codes]
    met = vals >= thresholds * (1 - EPS)
    ratio = vals / thresholds
    near = ratio >= rule["min_ratio"] * (1 - EPS)
    schools["ok"] = (met.sum(axis=1) >= rule["min_met"]) & (met | near).all(axis=1)
    for j, code in enumerate(codes):
        schools[f"met_{code}"] = met[:, j]
        schools[f"{code}_ratio"] = ratio[:, j]


def _int_or_none(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def shown(value, threshold=None, places=2):
    """A value printed with enough decimals that it never reads as the other side of its
    threshold ("4.20 … 未达标" for 4.197 is shown as 4.197)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    value = float(value)
    if threshold is not None:
        met = value >= threshold - 1e-9
        while places < 6 and (round(value, places) >= threshold) != met:
            places += 1
    return f"{value:.{places}f}"


def share_of(value, threshold):
    """The value as a share of its threshold, never rounded up to 100 % when it falls short."""
    share = float(value) / threshold * 100
    if share < 100:
        return f"{math.floor(share * 10) / 10:g}%"
    return f"{share:.0f}%"


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
    for rec in ev.school_records():
        schools.append({
            "code": rec["code"], "name": rec["name"], "section": rec["section"],
            "values": {c: _r(rec[c]) for c in codes},
            "met": rec["met"], "short": rec["short"], "ok": rec["ok"],
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
    """One coefficient computed with a plain loop over dict rows — an independent check of the
    vectorised engine in the tests."""
    f = standard.indicators[code]["formula"]
    items = [(float(r["在校生数"]), float(r[f["numerator"]]) * f["scale"] / float(r["在校生数"]))
             for r in rows if r["学段"] == section]
    total = sum(p for p, _ in items)
    if total == 0:
        return None
    mean = sum(p * x for p, x in items) / total
    if mean == 0:
        return None
    return sum(p / total * (x - mean) ** 2 for p, x in items) ** 0.5 / mean


def plain_python_evaluate(rows, standard):
    """The whole computation as a plain-Python loop over dict rows (scope, school values, school
    rule, county values and coefficients): the benchmark's baseline for the same work."""
    tp = standard.scope["teaching_point"]
    rule = standard.school_rule or {}
    rule_codes = rule.get("indicators", [])
    codes = list(dict.fromkeys(list(standard.cv["indicators"]) + list(rule_codes)))
    formulas = [(c, standard.indicators[c]["formula"]["numerator"], standard.indicators[c]["formula"]["scale"]) for c in codes]
    schools, excluded = [], []
    sums = {}
    for r in rows:
        kind, p, sec = r["办学类型"], float(r["在校生数"]), r["学段"]
        if kind in standard.scope["excluded_school_types"] or (kind == tp["school_type"] and p < tp["min_students"]):
            excluded.append(r["学校标识码"])
            continue
        values = {c: float(r[num]) * scale / p for c, num, scale in formulas}
        met, ok = [], None
        if rule_codes:
            near = True
            for c in rule_codes:
                t = standard.indicators[c]["thresholds"][sec]
                if values[c] >= t * (1 - EPS):
                    met.append(c)
                elif values[c] / t < rule["min_ratio"] * (1 - EPS):
                    near = False
            ok = len(met) >= rule["min_met"] and near
        schools.append((sec, p, values, met, ok))
        acc = sums.setdefault(sec, [0.0, {c: 0.0 for c in codes}])
        acc[0] += p
        for c in codes:
            acc[1][c] += values[c] * p
    result = {}
    for sec, (total, weighted) in sums.items():
        means = {c: weighted[c] / total for c in codes}
        var = {c: 0.0 for c in codes}
        for s_sec, p, values, _, _ in schools:
            if s_sec == sec:
                for c in codes:
                    var[c] += p / total * (values[c] - means[c]) ** 2
        result[sec] = {c: (means[c], None if means[c] == 0 else var[c] ** 0.5 / means[c]) for c in standard.cv["indicators"]}
    return result, schools, excluded


def reported_figures(frame, standard):
    """What one school reported, set against the standard, for the on-site checklist:
    {indicator code: [lines]} — one line per 学段 the school has. `frame` holds that school's
    rows only (template-shaped). Inspectors compare these with what they see."""
    lines = {}
    if frame is None or frame.empty:
        return lines
    ev = evaluate(frame, standard)
    by_section = {rec["section"]: rec for rec in ev.school_records()}
    excluded = {e["section"]: e["reason"] for e in ev.excluded}
    order = {sec: i for i, sec in enumerate(standard.sections)}
    for rec in sorted(frame.to_dict("records"), key=lambda r: order.get(r["学段"], 9)):
        sec = rec["学段"]
        prefix = f"{sec}：" if len(frame) > 1 else ""
        school = by_section.get(sec)
        for code in list(dict.fromkeys(ev.rule_codes + ev.cv_codes)):
            ind = standard.indicators[code]
            num = ind["formula"]["numerator"]
            unit_of = {"教学仪器设备值": "万元", "教学及辅助用房面积": "㎡", "体育运动场馆面积": "㎡"}.get(num, "")
            text = f"{prefix}填报{num} {_num(rec[num])}{unit_of}，在校生 {_num(rec['在校生数'])} 人"
            if school is None:
                text += f"（{excluded.get(sec, '未纳入测算')}）"
            else:
                value = school[code]
                t = standard.threshold(code, sec)
                text += f" → {shown(value, t)} {ind.get('unit', '')}"
                if t is not None:
                    verdict = "达标" if code in school["met"] else f"未达标，为标准的 {share_of(value, t)}"
                    text += f"（标准 ≥ {t:g}，{verdict}）"
            lines.setdefault(code, []).append(text)
        limits = {c: standard.indicators[c].get("limits", {}) for c in ("G3", "G4", "G5") if c in standard.indicators}
        if "G4" in limits:
            lines.setdefault("G4", []).append(f"{prefix}填报在校生 {_num(rec['在校生数'])} 人")
        if "G5" in limits:
            classes = rec["班级数"] or 0
            avg = f"，平均班额 {rec['在校生数'] / classes:.1f} 人" if classes else ""
            biggest = "" if _missing(rec["最大班额"]) else f"，最大班额 {_num(rec['最大班额'])} 人"
            lines.setdefault("G5", []).append(
                f"{prefix}填报 {_num(classes)} 个班{avg}{biggest}（上限 {limits['G5'].get(sec, '—')} 人）")
        if "G3" in limits:
            per = limits["G3"].get("classes_per_room")
            need = -(-int(rec["班级数"] or 0) // per) if per else None
            rooms = "、".join(f"{label} {'未填' if _missing(rec[col]) else _num(rec[col])} 间"
                             for label, col in (("音乐教室", "音乐专用教室数"), ("美术教室", "美术专用教室数")))
            lines.setdefault("G3", []).append(
                f"{prefix}填报{rooms}；{_num(rec['班级数'])} 个班" + (f"，按每{per}班1间应各不少于 {need} 间" if need else ""))
    return lines


def _missing(v):
    return v is None or (isinstance(v, float) and np.isnan(v))


def _num(v):
    if _missing(v):
        return "—"
    v = float(v)
    return f"{int(v)}" if v.is_integer() else f"{v:g}"
