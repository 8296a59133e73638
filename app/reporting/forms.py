"""Report forms (填报表) as data: app/standards/forms/<standard id>.json, validated by
app/standards/forms/schema.json plus reference checks (docs: /work/briefs/forms-contract.md).

A form is groups of fields; a field is filled once per school (or county) or once per 学段
(`per_section`), may apply only to some schools (`applies`), may feed a SchoolSectionData column
(`column`; several applicable fields naming one column are summed) and names the indicators it
feeds. Values are a flat dict: "<学段>.<key>" for per-section fields, "<key>" otherwise.
No Flask here.
"""
import json
import math
import os
import re
import unicodedata
from dataclasses import dataclass, field as dc_field
from functools import lru_cache


from ..standards import HERE as STANDARDS_DIR, StandardError, get_standard, read_checked_json

FORMS_DIR = os.path.join(STANDARDS_DIR, "forms")
NUMERIC_TYPES = ("integer", "number", "year")
YEAR_RANGE = (1900, 2100)


class FormError(ValueError):
    """A form file that cannot be used; the message is "<file>: <where>: <problem>"."""


@lru_cache(maxsize=1)
def section_columns():
    """The numeric SchoolSectionData columns a field may feed (the template's data keys)."""
    with open(os.path.join(STANDARDS_DIR, "school-data.json"), encoding="utf-8") as f:
        tpl = json.load(f)
    return frozenset(c["key"] for c in tpl["columns"] if c["type"] in ("int", "number"))


@dataclass
class Field:
    key: str
    label: str
    type: str
    unit: str = ""
    required: bool = False
    per_section: bool = False
    min: float | None = None
    max: float | None = None
    column: str | None = None
    feeds: list = dc_field(default_factory=list)
    applies: dict = dc_field(default_factory=dict)
    allowance: str = ""
    help: str = ""
    band: dict | None = None  # optional {"min", "max"}: a count of things within a size band (班额, 教室面积)
    group: str = ""

    def applies_to(self, school, values=None, section=None):
        """Whether this field is asked of `school` (None for the county form: always). `school`
        has school_type, urban_rural and optionally ownership and students (total pupils);
        `values` (the report being filled) can supply the pupils and the `flag` field."""
        a = self.applies
        if not a:
            return True
        if school is None:
            return True
        if "school_types" in a and getattr(school, "school_type", None) not in a["school_types"]:
            return False
        if "urban_rural" in a and getattr(school, "urban_rural", None) not in a["urban_rural"]:
            return False
        if "ownership" in a and (getattr(school, "ownership", None) or "公办") not in a["ownership"]:
            return False
        if "sections" in a:
            secs = [section] if section else list(getattr(school, "sections", None) or [])
            if secs and not any(s in a["sections"] for s in secs):
                return False
        if "students" in a:
            n = total_students(values or {}, getattr(school, "sections", None) or [])
            if n is None:
                n = getattr(school, "students", None)
            if n is not None:  # unknown pupils: the field is shown, the bounds decide once known
                lo, hi = a["students"].get("min"), a["students"].get("max")
                if (lo is not None and n < lo) or (hi is not None and n > hi):
                    return False
        if "flag" in a:
            v = values or {}
            if v.get(a["flag"]) is not True and (section is None or v.get(f"{section}.{a['flag']}") is not True):
                return False
        return True


def total_students(values, sections):
    """The school's pupils from the values being filled (Σ "<学段>.students"), or None."""
    found = [values[f"{s}.students"] for s in sections if isinstance(values.get(f"{s}.students"), (int, float))]
    return sum(found) if found else None


@dataclass
class Group:
    code: str
    name: str
    evidence: str = ""
    fields: list = dc_field(default_factory=list)


class ReportForm:
    def __init__(self, level, title, groups):
        self.level = level
        self.title = title
        self.groups = groups
        self.fields = [f for g in groups for f in g.fields]
        self._by_key = {f.key: f for f in self.fields}

    def field(self, key):
        return self._by_key[key]

    def __repr__(self):
        return f"<ReportForm {self.level} {len(self.fields)} fields>"

    def _sections(self, sections):
        return list(sections or []) if self.level == "school" else []

    def entries(self, school, sections, values=None):
        """[(value key, Field, 学段 or None)]: the inputs to show, conditions applied."""
        values = dict(values or {})
        for f in self.fields:  # a flag the school is not asked (e.g. 城区-only) holds no condition
            if f.type == "boolean" and not f.per_section and not f.applies_to(school, values):
                values.pop(f.key, None)
        out = []
        for f in self.fields:
            if f.per_section and self.level == "school":
                for sec in self._sections(sections):
                    if f.applies_to(school, values, sec):
                        out.append((f"{sec}.{f.key}", f, sec))
            elif f.applies_to(school, values):
                out.append((f.key, f, None))
        return out

    def parse(self, raw, school, sections):
        """Submitted strings → (values, {value key: 中文 message}). Empty means absent; only the
        entries that apply are read (with the values being parsed deciding flag conditions)."""
        values, errors = {}, {}
        # flags first, so that fields conditional on them are read with the submitted flag
        for key, f, _ in self.entries(school, sections, {}):
            if f.type == "boolean":
                self._parse_one(raw, key, f, values, errors)
        for key, f, _ in self.entries(school, sections, values):
            if f.type != "boolean" and key not in values and key not in errors:
                self._parse_one(raw, key, f, values, errors)
        # a value whose condition no longer holds with the parsed figures (e.g. pupils above 99) is dropped
        keep = {key for key, _, _ in self.entries(school, sections, values)}
        return {k: v for k, v in values.items() if k in keep}, errors

    @staticmethod
    def _parse_one(raw, key, f, values, errors):
        text = raw.get(key)
        if text is None:
            return
        if not isinstance(text, str):
            text = str(text)
        try:
            v = parse_value(text, f)
        except ValueError as e:
            errors[key] = str(e)
            return
        if v is not None:
            values[key] = v

    def missing(self, values, school, sections):
        """[(value key, label)] required, applicable and absent."""
        return [(key, f"{sec}·{f.label}" if sec else f.label)
                for key, f, sec in self.entries(school, sections, values) if f.required and key not in values]

    def section_rows(self, values, school, sections):
        """{学段: {column: value}}: what an approved school report stores as SchoolSectionData.
        Applicable fields naming one column are summed; a column with no value is left out."""
        rows = {sec: {} for sec in self._sections(sections)}
        for key, f, sec in self.entries(school, sections, values):
            if not f.column or sec is None or key not in values:
                continue
            v = values[key]
            row = rows[sec]
            row[f.column] = row[f.column] + v if f.column in row else v
        return rows

    def prefill(self, section_data_by_section):
        """Imported figures ({学段: {column: value}}) → values, for columns fed by exactly one field."""
        feeders = {}
        for f in self.fields:
            if f.column:
                feeders.setdefault(f.column, []).append(f)
        values = {}
        for sec, data in (section_data_by_section or {}).items():
            for column, v in (data or {}).items():
                fs = feeders.get(column, [])
                if len(fs) != 1 or v is None or (isinstance(v, float) and math.isnan(v)):
                    continue
                f = fs[0]
                applies_sec = f.applies.get("sections")
                if applies_sec and sec not in applies_sec:
                    continue
                values[f"{sec}.{f.key}"] = int(v) if f.type in ("integer", "year") else float(v)
        return values


@dataclass
class FormSet:
    standard: str
    school: ReportForm
    county: ReportForm

    def form(self, level):
        return self.school if level == "school" else self.county


THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
TRUE_WORDS = {"true", "1", "是", "有", "yes", "on", "y"}
FALSE_WORDS = {"false", "0", "否", "无", "no", "off", "n"}


def _fmt(x):
    return f"{x:g}" if isinstance(x, float) else str(x)


def parse_value(text, f):
    """One submitted string as the field's value (None when empty); ValueError(中文) when bad.
    Full-width digits are read; a thousands separator is dropped and a decimal comma refused,
    as in the school-data import."""
    t = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if t == "":
        return None
    if f.type == "boolean":
        low = t.lower()
        if low in TRUE_WORDS:
            return True
        if low in FALSE_WORDS:
            return False
        raise ValueError(f"「{text.strip()[:20]}」不是“是/否”")
    if "," in t:
        if THOUSANDS.match(t):
            t = t.replace(",", "")
        elif re.match(r"^[+-]?\d+,\d+$", t):
            raise ValueError(f"「{text.strip()[:20]}」中的逗号只能是小数点：请写成 {t.replace(',', '.')}（数字中不用逗号作小数点）")
        else:
            raise ValueError(f"「{text.strip()[:20]}」不是数字")
    try:
        number = float(t)
    except ValueError:
        raise ValueError(f"「{text.strip()[:20]}」不是数字") from None
    if not math.isfinite(number):
        raise ValueError(f"「{text.strip()[:20]}」不是有限的数")
    if f.type in ("integer", "year"):
        if number != int(number):
            raise ValueError("请填写整数" if f.type == "integer" else "请填写四位年份")
        number = int(number)
        if f.type == "year" and not YEAR_RANGE[0] <= number <= YEAR_RANGE[1]:
            raise ValueError("请填写四位年份（如 2012）")
    lo = 0 if f.min is None else f.min
    if number < lo:
        raise ValueError("不能是负数" if lo == 0 else f"不能小于 {_fmt(lo)}")
    if f.max is not None and number > f.max:
        raise ValueError(f"不能大于 {_fmt(f.max)}{f.unit}，请检查单位和位数")
    return number


@lru_cache(maxsize=1)
def _schema():
    with open(os.path.join(FORMS_DIR, "schema.json"), encoding="utf-8") as f:
        return json.load(f)


def _check_references(data, where, standard):
    codes = set(standard.indicators)
    columns = section_columns()
    for level in ("school", "county"):
        form = data[level]
        keys, groups = [], []
        for g in form["groups"]:
            groups.append(g["code"])
            keys.extend(f["key"] for f in g["fields"])
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise FormError(f"{where}: {level}: 字段 key 重复 duplicate key(s) {', '.join(dupes)}")
        dupes = sorted({k for k in groups if groups.count(k) > 1})
        if dupes:
            raise FormError(f"{where}: {level}: 分组代码重复 duplicate group code(s) {', '.join(dupes)}")
        types = {f["key"]: f for g in form["groups"] for f in g["fields"]}
        for g in form["groups"]:
            for f in g["fields"]:
                at = f"{where}: {level}/{g['code']}/{f['key']}"
                for code in f.get("feeds", []):
                    if code not in codes:
                        raise FormError(f"{at}/feeds: unknown indicator {code!r} (not in {standard.id})")
                if "column" in f:
                    if level != "school":
                        raise FormError(f"{at}/column: only school form fields feed SchoolSectionData")
                    if f["column"] not in columns:
                        raise FormError(f"{at}/column: unknown column {f['column']!r} (not a SchoolSectionData column)")
                    if f["type"] == "boolean" or not f.get("per_section"):
                        raise FormError(f"{at}/column: a field feeding a column must be a per_section number")
                if f.get("per_section") and level != "school":
                    raise FormError(f"{at}/per_section: the county form has no 学段")
                flag = f.get("applies", {}).get("flag")
                if flag is not None:
                    target = types.get(flag)
                    if target is None:
                        raise FormError(f"{at}/applies/flag: unknown field {flag!r}")
                    if target["type"] != "boolean":
                        raise FormError(f"{at}/applies/flag: {flag!r} is not a boolean field")
                    if target.get("per_section") and not f.get("per_section"):
                        raise FormError(f"{at}/applies/flag: {flag!r} is per 学段 but this field is not")
                for sec in f.get("applies", {}).get("sections", []):
                    if sec not in standard.sections:
                        raise FormError(f"{at}/applies/sections: unknown 学段 {sec!r}")
                if "min" in f and "max" in f and f["min"] > f["max"]:
                    raise FormError(f"{at}: min larger than max")


def _field(f, group):
    return Field(key=f["key"], label=f["label"], type=f["type"], unit=f.get("unit", ""),
                 required=bool(f.get("required", False)), per_section=bool(f.get("per_section", False)),
                 min=f.get("min"), max=f.get("max"), column=f.get("column"), feeds=list(f.get("feeds", [])),
                 applies=dict(f.get("applies", {})), allowance=f.get("allowance", ""), help=f.get("help", ""),
                 band=f.get("band"), group=group)


def load_form_file(path, standard=None):
    """Read and validate one form file; raise FormError("<file>: <where>: <problem>")."""
    data, where = read_checked_json(path, _schema(), FormError, "填报表文件不存在")
    if standard is None:
        try:
            standard = get_standard(data["standard"])
        except StandardError as e:
            raise FormError(f"{where}: standard: {e}") from None
    elif standard.id != data["standard"]:
        raise FormError(f"{where}: standard: form is for {data['standard']!r}, not {standard.id!r}")
    _check_references(data, where, standard)
    forms = {}
    for level in ("school", "county"):
        groups = [Group(g["code"], g["name"], g.get("evidence", ""), [_field(f, g["code"]) for f in g["fields"]])
                  for g in data[level]["groups"]]
        forms[level] = ReportForm(level, data[level]["title"], groups)
    return FormSet(data["standard"], forms["school"], forms["county"])


@lru_cache(maxsize=None)
def get_forms(standard_id):
    get_standard(standard_id)  # unknown ids raise StandardError
    return load_form_file(os.path.join(FORMS_DIR, f"{standard_id}.json"))
