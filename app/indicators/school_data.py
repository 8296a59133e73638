"""Reading and checking the school data template (学校办学条件数据表). No Flask here.

The contract is ../shared/domain/school-data-template.md; the columns, their types and the limits
behind the warnings live in app/standards/school-data.json. `read_table()` collects every error
in one pass (row as Excel shows it, column header, problem in Chinese); a table with any error
is refused whole. Warnings (possible but implausible values) are kept with the rows.
"""
import re
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ..spreadsheets import Limits, SpreadsheetError, normalise_text, read_first_sheet

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # app/
TEMPLATE_FILE = os.path.join(HERE, "standards", "school-data.json")
HEADER_ROW = 1  # the header is Excel row 1, data start at row 2


@lru_cache(maxsize=1)
def template():
    with open(TEMPLATE_FILE, encoding="utf-8") as f:
        return json.load(f)


def columns():
    return template()["columns"]


def headers():
    return [c["header"] for c in columns()]


def header_to_key():
    return {c["header"]: c["key"] for c in columns()}


NUMERIC_TYPES = ("int", "number")


@dataclass
class Issue:
    """One error or warning: Excel row (None for the whole file), column header, message."""

    row: int | None
    column: str | None
    message: str
    code: str | None = None  # 学校标识码 of the row, when known
    section: str | None = None

    def text(self):
        where = []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"「{self.column}」")
        return ("".join(where) + ": " if where else "") + self.message

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class SchoolTable:
    """A checked table: one row per school section, columns = the template headers, plus `row`
    (the Excel row number). `errors` empty means it may be computed and stored."""

    frame: pd.DataFrame | None
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


class TemplateError(ValueError):
    """The file cannot be read at all (not a workbook, not UTF-8, no rows)."""


def _load_frame(source, filename):
    """Read the first sheet / the CSV into a DataFrame of raw objects (no type guessing); the
    file is checked against the template's caps before it is parsed (app.spreadsheets)."""
    name = filename or (source if isinstance(source, str) else "")
    data = source
    if isinstance(source, str):
        with open(source, "rb") as f:
            data = f.read()
    try:
        rows = read_first_sheet(data, name, Limits.from_mapping(template().get("file_limits")))
    except SpreadsheetError as e:
        raise TemplateError(str(e)) from None
    if not rows:
        raise TemplateError("文件中没有表头和数据。")
    header = [str(c).strip() for c in rows[0]]
    width = len(header)
    # Drop rows that are entirely empty (trailing blank lines in Excel), keeping Excel numbering.
    numbers, body = [], []
    for n, r in enumerate(rows[1:], start=HEADER_ROW + 1):
        if any(not _is_blank(v) for v in r[:width]):
            numbers.append(n)
            body.append(list(r[:width]) + [""] * (width - len(r)))
    frame = pd.DataFrame(body, columns=header, dtype=object, index=np.array(numbers, dtype=np.int64))
    return frame.loc[:, [bool(h) for h in header]] if header else frame


def _blank_mask(col):
    """_is_blank for a whole column at once (a 20,000-row province file has 480,000 cells)."""
    na = col.isna()
    return na | (col.where(~na, "").astype(str).str.strip() == "")


def _is_blank(v):
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _show(v):
    s = str(v).strip()
    return s if len(s) <= 20 else s[:20] + "…"


THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _number_text(v):
    """A cell as number text: full-width digits and punctuation normalised, thousands
    separators dropped. A comma that can only be a decimal point ("215,6") is kept, so the
    cell is refused rather than read as 2156."""
    if not isinstance(v, str):
        return v
    t = normalise_text(v).replace(" ", "")
    if "," in t and THOUSANDS.match(t):
        t = t.replace(",", "")
    return t


def _parse_numbers(raw, integer, limit=None):
    """Parse one column: (values as float with NaN for blanks and bad cells, mask of bad cells,
    mask of blanks, {row: message} for cells refused for a reason of their own)."""
    as_text = raw.map(_number_text)
    values = pd.to_numeric(as_text, errors="coerce").astype(float)
    blank = _blank_mask(raw)
    bad = values.isna() & ~blank
    reasons = {}
    for r in bad[bad].index:
        t = as_text[r]
        if isinstance(t, str) and re.match(r"^[+-]?\d+,\d+$", t):
            reasons[r] = f"\"{_show(raw[r])}\" 中的逗号只能是小数点：请写成 {t.replace(',', '.')}（数字中不用逗号作小数点）"
    infinite = values.notna() & ~np.isfinite(values.fillna(0))
    for r in infinite[infinite].index:
        reasons[r] = f"\"{_show(raw[r])}\" 不是有限的数"
    if limit is not None:
        over = values.notna() & np.isfinite(values.fillna(0)) & (values.abs() > limit)
        for r in over[over].index:
            reasons[r] = f"\"{_show(raw[r])}\" 超出合理范围（不大于 {limit:g}），请检查单位和位数"
    bad = bad | infinite | (values.abs() > limit if limit is not None else False)
    if integer:
        frac = values.notna() & ~bad & (values != np.floor(values.fillna(0)))
        bad = bad | frac
    return values.where(~bad), bad, blank, reasons


def read_table(source, filename=None, standard=None):
    """Read and check a template file (path, or bytes with `filename`). Never raises for bad
    content: every problem is an Issue in `errors`; TemplateError only if nothing is readable."""
    tpl = template()
    try:
        raw = _load_frame(source, filename)
    except TemplateError as e:
        return SchoolTable(None, [Issue(None, None, str(e))])
    return check_frame(raw, standard=standard, tpl=tpl)


def check_frame(raw, standard=None, tpl=None):
    tpl = tpl or template()
    errors = []
    cols = tpl["columns"]
    present = set(raw.columns)
    for c in cols:
        if c["required"] is not False and c["header"] not in present:
            errors.append(Issue(None, c["header"], "缺少必填列（表头须与模板一致）"))
    if errors:
        return SchoolTable(None, errors)
    if raw.empty:
        return SchoolTable(None, [Issue(None, None, "文件中没有数据行。")])

    out = pd.DataFrame(index=raw.index)
    per_cell = []  # (row, column, message) collected column by column, sorted at the end
    for c in cols:
        h = c["header"]
        if h not in present:
            out[h] = np.nan if c["type"] in NUMERIC_TYPES else ""
            continue
        col = raw[h]
        blank = None if c["type"] in NUMERIC_TYPES else _blank_mask(col)  # _parse_numbers finds its own
        if c["type"] in NUMERIC_TYPES:
            values, bad, blank, reasons = _parse_numbers(col, c["type"] == "int", c.get("max"))
            what = "不是整数" if c["type"] == "int" else "不是数字"
            for r in bad[bad].index:
                per_cell.append((r, h, reasons.get(r) or f"\"{_show(col[r])}\" {what}"))
            neg = values < 0
            for r in neg[neg].index:
                per_cell.append((r, h, f"{_fmt(values[r])} 是负数，不能小于 0"))
            out[h] = values
        else:
            text = col.where(~blank, "").map(_text)
            if c.get("normalise", c["type"] == "enum" or h.endswith("标识码")):
                text = text.map(normalise_text)
            if c["type"] == "enum":
                badv = ~blank & ~text.isin(c["values"])
                for r in badv[badv].index:
                    per_cell.append((r, h, f"\"{_show(text[r])}\" 不是可选值（{'、'.join(c['values'])}）"))
            out[h] = text
        if c["required"] is True:
            for r in blank[blank].index:
                per_cell.append((r, h, "必填，不能为空"))

    fits = tpl["checks"].get("section_types", {})
    pairs = out["学段"] + "|" + out["办学类型"]
    allowed = {f"{sec}|{kind}" for sec, kinds in fits.items() for kind in kinds}
    misfit = out["学段"].isin(list(fits)) & (out["办学类型"] != "") & ~pairs.isin(allowed)
    for r in out.index[misfit]:
        sec, kind = out.at[r, "学段"], out.at[r, "办学类型"]
        has = "、".join(x for x in fits if kind in fits[x]) or "—"
        per_cell.append((r, "学段", f"{kind}没有{sec}学段（{kind}只填 {has} 的行）"))

    tp_type = _teaching_point_type(standard)
    # 教学点 needs its parent, and the parent must be in the file.
    is_tp = out["办学类型"] == tp_type
    codes = set(out["学校标识码"])
    for r in out.index[is_tp]:
        parent = out.at[r, "所属学校标识码"]
        if not parent:
            per_cell.append((r, "所属学校标识码", "教学点必须填写所属学校标识码"))
        elif parent not in codes:
            per_cell.append((r, "所属学校标识码", f"所属学校 {parent} 不在本文件中"))

    for c in cols:
        if c.get("subtotal_of"):
            total = out[c["subtotal_of"]]
            over = out[c["header"]] > total
            for r in over[over].index:
                per_cell.append((r, c["header"], f"{_fmt(out.at[r, c['header']])} 大于{c['subtotal_of']} {_fmt(total[r])}"))

    key = out["学校标识码"] + "\x00" + out["学段"]
    dup = key.duplicated(keep="first") & (out["学校标识码"] != "") & (out["学段"] != "")
    first_row = {k: r for r, k in zip(out.index[::-1], key[::-1])}
    for r in out.index[dup]:
        per_cell.append((r, "学校标识码", f"学校标识码 {out.at[r, '学校标识码']}（{out.at[r, '学段']}）与第 {first_row[key[r]]} 行重复"))

    in_scope = scope_mask(out, standard)
    zero = in_scope & (out["在校生数"] == 0)
    for r in out.index[zero]:
        per_cell.append((r, "在校生数", "在校生数为 0，但该行纳入测算（不纳入的请删除或标明办学类型）"))

    per_cell.sort(key=lambda t: (t[0], headers().index(t[1]) if t[1] in headers() else 99))
    errors = [Issue(int(r), h, m, code=_code_at(out, r)) for r, h, m in per_cell]
    if errors:
        return SchoolTable(None, errors)
    out.insert(0, "row", out.index.astype(int))
    out = out.reset_index(drop=True)
    return SchoolTable(out, [], find_warnings(out, standard, tpl))


def _text(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a code typed as a number in Excel
    return str(v).strip()


def _fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _code_at(frame, r):
    try:
        return frame.at[r, "学校标识码"] or None
    except KeyError:
        return None


def _teaching_point_type(standard):
    if standard is not None:
        return standard.scope["teaching_point"]["school_type"]
    return "教学点"


def scope_mask(frame, standard):
    """Boolean Series: rows that take part in the computation under `standard` (all rows in
    scope when no standard is given, except those the default scope leaves out)."""
    return exclusion_reasons(frame, standard).isna()


def exclusion_reasons(frame, standard):
    """Series of the reason a row is left out of the computation (NaN when it counts)."""
    if standard is None:
        from ..standards import get_standard

        standard = get_standard("quality-2017")
    scope = standard.scope
    reasons = pd.Series(np.nan, index=frame.index, dtype=object)
    for kind in scope["excluded_school_types"]:
        reasons[frame["办学类型"] == kind] = f"{kind}不纳入校际均衡测算"
    tp = scope["teaching_point"]
    small = (frame["办学类型"] == tp["school_type"]) & (frame["在校生数"] < tp["min_students"])
    reasons[small & reasons.isna()] = tp["reason"].format(min=tp["min_students"])
    if not scope.get("private_schools_count", True) and "办学性质" in frame:
        reasons[(frame["办学性质"] == "民办") & reasons.isna()] = "民办学校不纳入本标准的校际均衡测算"
    outside = ~frame["学段"].isin(standard.sections)
    reasons[outside & reasons.isna()] = "学段不在本标准测算范围内"
    return reasons


def find_warnings(frame, standard=None, tpl=None):
    """Possible but implausible values, each tied to its row (the kind of entry mistakes that
    made counties fail). The limits come from app/standards/school-data.json and the standard."""
    tpl = tpl or template()
    checks = tpl["checks"]
    warnings = []
    students = frame["在校生数"].where(frame["在校生数"] > 0)
    by_col = {c["header"]: c for c in tpl["columns"]}

    rows, codes, secs = frame["row"].tolist(), frame["学校标识码"].tolist(), frame["学段"].tolist()

    def add(mask, column, make):  # positions, not labels: frame has a RangeIndex here
        for i in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool)):
            warnings.append(Issue(int(rows[i]), column, make(frame.index[i]), code=codes[i], section=secs[i]))

    for h, c in by_col.items():
        if c.get("money_wan"):
            per = frame[h] * 10000 / students
            limit = checks["max_equipment_yuan_per_student"]
            add(per > limit, h, lambda i, per=per, limit=limit:
                f"生均 {per[i]:,.0f} 元，超过 {limit:,} 元，疑似按「元」而非「万元」填报")
        if c.get("per_student_area"):
            per = frame[h] / students
            limit = checks["max_area_per_student"]
            add(per > limit, h, lambda i, per=per, limit=limit:
                f"生均 {per[i]:.1f} ㎡，超过 {limit} ㎡，请核实面积")

    factor = checks["median_factor"]
    for h in checks["median_columns"]:
        per = frame[h] / students
        median = per.groupby([frame.get("县级行政区划代码", frame["学段"]), frame["学段"]]).transform("median")
        valid = median > 0
        high = valid & (per > median * factor)
        low = valid & (per < median / factor)
        add(high, h, lambda i, per=per, median=median:
            f"生均值是全县同学段中位数的 {per[i] / median[i]:.1f} 倍（超过 {factor} 倍），请核实")
        add(low, h, lambda i, per=per, median=median:
            f"生均值只有全县同学段中位数的 {_pct(per[i] / median[i])}（不到 1/{factor}），请核实")

    limits = _class_limits(standard, checks)
    if limits:
        limit = frame["学段"].map(limits)
        classes = frame["班级数"].where(frame["班级数"] > 0)
        avg = frame["在校生数"] / classes
        add(avg > limit, "班级数", lambda i, avg=avg, limit=limit:
            f"平均班额 {avg[i]:.1f} 人，超过班额上限 {limit[i]:g} 人，请核实班级数")
        add(frame["最大班额"] > limit, "最大班额", lambda i, limit=limit:
            f"最大班额 {_fmt(frame.at[i, '最大班额'])} 人，超过班额上限 {limit[i]:g} 人")
    from .split import combined_school_warnings

    warnings.extend(combined_school_warnings(frame, standard, checks))
    warnings.sort(key=lambda w: (w.row, headers().index(w.column)))
    return warnings


def _pct(x):
    return f"{x:.0%}" if x >= 0.01 else "不到 1%"


def _class_limits(standard, checks):
    code = checks.get("class_size_indicator")
    if standard is None or code not in standard.indicators:
        from ..standards import get_standard

        standard = get_standard("quality-2017")
    limits = standard.indicators.get(code, {}).get("limits", {}) if code in standard.indicators else {}
    return {k: v for k, v in limits.items() if k in ("小学", "初中")}


def rows_from_frame(frame):
    """The checked rows as dicts keyed by the model's English keys (for storing); column by column."""
    mapping = header_to_key()
    cols = [[int(v) for v in frame["row"].tolist()]] + [
        [None if isinstance(v, float) and v != v else v for v in frame[h].tolist()] if h in frame else [None] * len(frame)
        for h in mapping]
    keys = ["row"] + list(mapping.values())
    return [dict(zip(keys, values)) for values in zip(*cols)]


def frame_from_rows(rows):
    """The inverse of rows_from_frame: stored rows back into a template-shaped DataFrame."""
    mapping = header_to_key()
    data = {h: [r.get(k) for r in rows] for h, k in mapping.items()}
    frame = pd.DataFrame(data)
    for c in columns():
        if c["type"] in NUMERIC_TYPES:
            frame[c["header"]] = pd.to_numeric(frame[c["header"]], errors="coerce").astype(float)
        else:
            frame[c["header"]] = frame[c["header"]].fillna("").astype(str)
    frame.insert(0, "row", [r.get("row") or i + 2 for i, r in enumerate(rows)])
    return frame
