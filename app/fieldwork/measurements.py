"""Things measured on site for a checklist item (rooms and their areas for G3, class sizes
counted for G5): parsing the rows a phone sends and judging them against the standard's limits.
No Flask here; the limits come from the standard file."""
import math
import re

MAX_ROWS = 30
JUNIOR = re.compile(r"[七八九]年级|初[一二三]|初中")


class MeasureError(ValueError):
    pass


def parse_rows(form, max_rows=MAX_ROWS):
    """Rows from form fields measure_label_<i> / measure_value_<i> (blank rows skipped)."""
    rows = []
    for i in range(max_rows):
        label = (form.get(f"measure_label_{i}") or "").strip()
        raw = (form.get(f"measure_value_{i}") or "").strip()
        if not label and not raw:
            continue
        try:
            value = float(raw)
        except ValueError:
            raise MeasureError(f"第 {i + 1} 行实测值「{raw or '（空）'}」不是数字。") from None
        if not math.isfinite(value):
            raise MeasureError(f"第 {i + 1} 行实测值「{raw}」不是有限的数，请填写实际测得的数字。")
        if value < 0 or value > 100000:
            raise MeasureError(f"第 {i + 1} 行实测值 {raw} 超出合理范围。")
        rows.append({"label": label[:40] or f"第{i + 1}项", "value": value})
    return rows


def row_limit(measure, standard, sections, label):
    """The limit one row is judged against. For class sizes the limit depends on the 学段: a
    school with both takes 初中 for rows named 七/八/九年级 or 初一…初三, else 小学."""
    limits = standard.indicators[measure["indicator"]].get("limits", {})
    if measure["limit"] != "section":
        return limits.get(measure["limit"])
    if len(sections) == 1:
        return limits.get(sections[0])
    return limits.get("初中" if JUNIOR.search(label) else "小学")


def judge(measure, standard, sections, rows):
    """(summary text, observed value text, rows with `ok`) for the measured rows."""
    if not rows:
        return "", "", []
    judged = []
    for r in rows:
        limit = row_limit(measure, standard, sections, r["label"])
        ok = None if limit is None else (r["value"] >= limit if measure["compare"] == "min" else r["value"] <= limit)
        judged.append(dict(r, limit=limit, ok=ok))
    unit = measure.get("unit", "")
    bad = [r for r in judged if r["ok"] is False]
    values = [r["value"] for r in judged]
    if measure["compare"] == "max":
        worst = max(values)
        summary = f"清点 {len(judged)} 个{measure['row_label']}，最大 {_n(worst)}{unit}"
        if bad:
            summary += "；超过上限的：" + "、".join(f"{r['label']} {_n(r['value'])}{unit}（上限 {_n(r['limit'])}）" for r in bad)
    else:
        worst = min(values)
        summary = f"实测 {len(judged)} 间，最小 {_n(worst)}{unit}"
        if bad:
            summary += "；不足标准的：" + "、".join(f"{r['label']} {_n(r['value'])}{unit}（应≥{_n(r['limit'])}）" for r in bad)
    return summary, f"{_n(worst)}{unit}", judged


def _n(v):
    return str(int(v)) if float(v).is_integer() else f"{v:g}"
