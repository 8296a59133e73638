"""What the results page and the `flask indicators` command show of a county's indicators:
page rows for the G/Q section, the JSON list of every indicator (R from metrics.evaluate) and a
readable Chinese table. No Flask here."""
from ..indicators.metrics import evaluate
from .indicators import verdict_label

FAILING_SHOWN = 20  # failing schools listed per indicator on the page; the rest as a count


def _value_text(v):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.4g}" if v < 10 else f"{v:,.2f}"
    return str(v)


def page_rows(ci, cap=FAILING_SHOWN):
    """One dict per G/Q indicator for the results page (failing schools capped at `cap`)."""
    rows = []
    for o in ci.outcomes:
        site = ci.onsite.get(o.code)
        failing = o.failing
        rows.append({
            "code": o.code, "name": o.name, "computed": o.computed,
            "verdict": o.verdict if o.computed else None,
            "verdict_label": verdict_label(o.verdict) if o.computed else "现场判定",
            "figures": o.figures, "limit": o.limit,
            "failing_count": len(failing),
            "failing": [{"code": s.code, "name": s.name, "section": s.section or "",
                         "value": _value_text(s.value), "limit": _value_text(s.limit), "note": s.note}
                        for s in failing[:cap]],
            "failing_more": max(0, len(failing) - cap),
            "onsite": site.label if site else None,
            "disagree": ci.disagrees(o),
        })
    return rows


def _json_value(v):
    return round(v, 4) if isinstance(v, float) else v


def r_items(standard, frame):
    """R (or B) indicators from metrics.evaluate: county verdict = every 学段's coefficient within
    its cap; failing schools = school sections under that indicator's threshold."""
    if frame is None:
        return {code: {"verdict": None, "figures": "没有学校数据", "failing_schools": []}
                for code in standard.cv["indicators"]}
    ev = evaluate(frame, standard)
    composite = standard.cv.get("composite")
    out = {}
    records = ev.school_records()
    for code in ev.cv_codes:
        parts, oks = [], []
        for sec, res in ev.sections.items():
            if not res.schools:
                continue
            r = res.indicators.get(code)
            cv = "无法计算" if r is None or r.cv is None else f"{r.cv:.4f}"
            if composite:
                oks.append(res.ok)
                parts.append(f"{sec}差异系数 {cv}（综合差异系数上限 {res.cap:g}）")
            else:
                oks.append(r.ok)
                parts.append(f"{sec}差异系数 {cv}（上限 {r.cap:g}）")
        verdict = False if False in oks else (None if None in oks or not oks else True)
        failing = []
        if code in ev.rule_codes:
            for rec in records:
                if not rec[f"met_{code}"]:
                    failing.append({"code": rec["code"], "name": rec["name"], "section": rec["section"],
                                    "value": _json_value(rec[code]),
                                    "limit": standard.threshold(code, rec["section"])})
        out[code] = {"verdict": verdict, "figures": "；".join(parts), "failing_schools": failing}
    return out


def indicator_list(ci, frame):
    """The JSON list of `flask indicators … --json`: every indicator of the standard, in order."""
    standard = ci.standard
    computed_r = r_items(standard, frame)
    outcomes = {o.code: o for o in ci.outcomes}
    items = []
    for code, ind in standard.indicators.items():
        site = ci.onsite.get(code)
        onsite = None if site is None else site.label
        if code in computed_r:
            item = {"code": code, "name": ind["name"], "computed": True, **computed_r[code]}
        elif code in outcomes and outcomes[code].computed:
            o = outcomes[code]
            item = {"code": code, "name": o.name, "computed": True, "verdict": o.verdict, "figures": o.figures,
                    "failing_schools": [{"code": s.code, "name": s.name, "section": s.section,
                                         "value": _json_value(s.value), "limit": _json_value(s.limit)}
                                        for s in o.failing]}
            item["onsite"] = onsite
            item["disagrees"] = ci.disagrees(o)
        else:
            item = {"code": code, "name": ind["name"], "computed": False, "onsite": onsite}
        items.append(item)
    return items


def format_table(items, county_name, year, standard):
    """A readable Chinese table of indicator_list()."""
    lines = [f"{county_name} {year} 年 {standard.name}（{standard.document}）", ""]
    lines.append(f"{'指标':<6}{'方式':<6}{'结论':<8}说明")
    for it in items:
        if it["computed"]:
            verdict = verdict_label(it["verdict"])
            line = f"{it['code']:<6}{'计算':<6}{verdict:<8}{it['name']}：{it['figures']}"
            if it.get("onsite"):
                line += f"；现场判定 {it['onsite']}"
            if it.get("disagrees"):
                line += "  【计算与现场判定不一致】"
            lines.append(line)
            for s in it["failing_schools"][:FAILING_SHOWN]:
                sec = f"（{s['section']}）" if s.get("section") else ""
                lines.append(f"{'':<12}未达标 {s['code']} {s['name']}{sec}：{_value_text(s['value'])}，标准 {_value_text(s['limit'])}")
            more = len(it["failing_schools"]) - FAILING_SHOWN
            if more > 0:
                lines.append(f"{'':<12}另有 {more} 所学校未达标")
        else:
            lines.append(f"{it['code']:<6}{'现场':<6}{(it.get('onsite') or '未判定'):<8}{it['name']}")
    return "\n".join(lines)
