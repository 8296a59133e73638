"""Splitting a combined school's shared assets between its 学段 (indicators.md §4): enrolment
weighted by the standard's weights (九年一贯制 小学 : 初中 = 1 : 1.1; 完全中学 初中 : 高中 = 1 : 1.2;
十二年一贯制 1 : 1.1 : 1.32). Every section but the last gets its share rounded down (to the unit,
or to 0.01 for areas and money), the last gets the rest, so the parts add up to the total: the
published example splits 23,226 books of a school with 166 primary and 210 junior pupils into
9,711 and 13,515. No Flask."""
import math


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
