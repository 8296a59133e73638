"""Splitting a combined school's shared assets between its 学段 (indicators.md §4): enrolment
weighted by the standard's weights (九年一贯制 小学 : 初中 = 1 : 1.1; 完全中学 初中 : 高中 = 1 : 1.2;
十二年一贯制 1 : 1.1 : 1.32). Every section but the last gets its share rounded down (to the unit,
or to 0.01 for areas and money), the last gets the rest, so the parts add up to the total: the
published example splits 23,226 books of a school with 166 primary and 210 junior pupils into
9,711 and 13,515. Also the checks on combined schools' rows (one row only; assets that look
unsplit) and the template's words on the split. No Flask."""
import math

from .school_data import Issue, _fmt


def weights_for(standard, school_type):
    """{学段: weight} for a combined school type, from the standard file; None for other types."""
    return (standard.data.get("asset_split") or {}).get(school_type) if standard is not None else None


def split_shared(total, enrolments, weights, integer=True):
    """{学段: share} of `total` for the sections in `weights` that have pupils in `enrolments`."""
    sections = [s for s in weights if (enrolments.get(s) or 0) > 0]
    if not sections:
        return {}
    weighted = {s: enrolments[s] * weights[s] for s in sections}
    whole = sum(weighted.values())
    out = {}
    for s in sections[:-1]:
        share = total * weighted[s] / whole
        out[s] = math.floor(share) if integer else math.floor(share * 100) / 100
    rest = total - sum(out.values())
    out[sections[-1]] = rest if integer else round(rest, 2)
    return out


def ratio_text(weights):
    """'1 : 1.1' for the split note."""
    return " : ".join(f"{w:g}" for w in weights.values())


def combined_school_warnings(frame, standard, checks):
    """A 一贯制 school with one row only; shared assets that look unsplit between its rows, with
    the split the standard's weights give (app.indicators.split)."""
    if standard is None:
        from ..standards import get_standard

        standard = get_standard("quality-2017")
    out = []
    both = set(checks.get("both_sections_types", []))
    factor = checks.get("unsplit_factor", 3)
    combined = both | set((standard.data.get("asset_split") or {}))
    cols = ["row", "学校标识码", "学段", "办学类型", "在校生数"] + [c for c in ["高中在校生数"] if c in frame]
    assets = [h for h in checks.get("shared_asset_columns", []) if h in frame]
    schools = {}
    for rec in frame.loc[frame["办学类型"].isin(list(combined)), cols + assets].to_dict("records"):
        schools.setdefault(rec["学校标识码"], []).append(rec)
    for code, rows in schools.items():
        kind = rows[0]["办学类型"]
        if kind in both and len({r["学段"] for r in rows}) == 1:
            have = rows[0]["学段"]
            missing = "初中" if have == "小学" else "小学"
            out.append(Issue(int(rows[0]["row"]), "学段", f"{kind}只填了{have}一行：一贯制学校按学段分行填报，"
                             f"{missing}学段是否漏填？", code=code, section=have))
        weights = weights_for(standard, kind)
        if not weights or len(rows) < 2:
            continue
        pupils = {r["学段"]: r["在校生数"] for r in rows}
        high = [r.get("高中在校生数") for r in rows if r.get("高中在校生数") == r.get("高中在校生数")
                and r.get("高中在校生数") is not None]
        if high and "高中" in weights:
            pupils["高中"] = float(high[0])
        for h in assets:
            vals = {r["学段"]: r[h] for r in rows}
            per = {sec: vals[sec] / pupils[sec] for sec in vals if pupils.get(sec)}
            if len(per) < 2:
                continue
            lo, hi = min(per.values()), max(per.values())
            if hi > 0 and (lo == 0 or hi / lo > factor):
                total = sum(v for v in vals.values() if v == v)
                integer = all(float(v).is_integer() for v in vals.values() if v == v)
                parts = split_shared(total, pupils, weights, integer=integer)
                shown = "、".join(f"{sec} {_fmt(v)}" for sec, v in parts.items())
                now = "、".join(f"{sec} {_fmt(v)}" for sec, v in vals.items())
                worst = max(vals, key=lambda sec: per.get(sec, 0))
                row = next(r["row"] for r in rows if r["学段"] == worst)
                out.append(Issue(int(row), h, f"{kind}各学段{h}为 {now}，生均相差悬殊，疑似没有按学段分摊共用资产；"
                                 f"按在校生数 {ratio_text(weights)} 加权分摊应为 {shown}", code=code, section=worst))
    return out


def split_instructions(standard=None):
    """How a combined school splits its shared assets, from the standard file's weights, with
    the published worked example (for the template's 填表说明)."""
    from ..standards import get_standard
    standard = standard or get_standard("quality-2017")
    lines = []
    for kind, weights in (standard.data.get("asset_split") or {}).items():
        lines.append(f"{kind}的共用资产（校舍面积、仪器设备、图书、计算机等）按在校生数加权分摊到各学段："
                     f"{'：'.join(weights)} = {ratio_text(weights)}"
                     + ("（需填写「高中在校生数」）" if "高中" in weights else "") + "。")
    w = (standard.data.get("asset_split") or {}).get("九年一贯制学校")
    if w:
        parts = split_shared(23226, {"小学": 166, "初中": 210}, w)
        lines.append(f"例：九年一贯制学校共有图书 23226 册，小学 166 人、初中 210 人，分摊为小学 {parts['小学']} 册、"
                     f"初中 {parts['初中']} 册。")
    return lines
