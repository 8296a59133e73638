"""Evaluation standards as data files (quality-2017, basic-2012, provincial variants).

Every number that decides pass or fail lives in the JSON files beside this module; this
loader only validates them and gives convenient access. No Flask here.
"""
import json
import os
from functools import lru_cache

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
STANDARD_IDS = ("quality-2017", "basic-2012")


class StandardError(ValueError):
    """A standard file that cannot be used; the message names the file and the problem."""


class Standard:
    def __init__(self, data):
        self.data = data
        self.id = data["id"]
        self.name = data["name"]
        self.short_name = data.get("short_name", data["name"])
        self.document = data["document"]
        self.sections = list(data["sections"])
        self.parts = {p["code"]: p["name"] for p in data["parts"]}
        self.indicators = {i["code"]: i for i in data["indicators"]}
        self.cv = data["cv"]
        self.school_rule = data["school_rule"]
        self.scope = data["scope"]
        self.checklist = list(data["checklist"])
        self.checklist_by_code = {c["code"]: c for c in self.checklist}
        self.archives = data.get("archives", {"county": [], "school": []})
        self.archive_items = {item["code"]: dict(item, part=part["part"], level=level)
                              for level, parts in self.archives.items() for part in parts for item in part["items"]}
        self.departments = list(data.get("departments", []))

    def indicator(self, code):
        return self.indicators[code]

    def checklist_groups(self):
        """The school-visit items grouped by their part, in file order: [(group, [items])]."""
        groups = {}
        for item in self.checklist:
            groups.setdefault(item["group"], []).append(item)
        return list(groups.items())

    def threshold(self, code, section):
        return self.indicators[code].get("thresholds", {}).get(section)

    def __repr__(self):
        return f"<Standard {self.id}>"


@lru_cache(maxsize=1)
def _schema():
    with open(os.path.join(HERE, "schema.json"), encoding="utf-8") as f:
        return json.load(f)


def _check_references(data, where):
    codes = [i["code"] for i in data["indicators"]]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise StandardError(f"{where}: 指标代码重复 duplicate indicator code(s) {', '.join(dupes)}")
    known = set(codes)
    parts = {p["code"] for p in data["parts"]}
    for ind in data["indicators"]:
        if ind["part"] not in parts:
            raise StandardError(f"{where}: indicators/{ind['code']}/part: unknown part {ind['part']!r}")
    for code in data["cv"]["indicators"]:
        if code not in known:
            raise StandardError(f"{where}: cv/indicators: unknown indicator {code!r}")
        if "formula" not in data["indicators"][codes.index(code)]:
            raise StandardError(f"{where}: cv/indicators: {code} has no formula")
    for section in data["sections"]:
        if section not in data["cv"]["caps"]:
            raise StandardError(f"{where}: cv/caps: no cap for 学段 {section!r}")
    rule = data["school_rule"]
    if rule:
        for code in rule["indicators"]:
            ind = data["indicators"][codes.index(code)] if code in known else None
            if ind is None:
                raise StandardError(f"{where}: school_rule/indicators: unknown indicator {code!r}")
            for section in data["sections"]:
                if section not in ind.get("thresholds", {}):
                    raise StandardError(f"{where}: indicators/{code}/thresholds: no threshold for 学段 {section!r}")
        if rule["min_met"] > len(rule["indicators"]):
            raise StandardError(f"{where}: school_rule/min_met larger than the number of indicators")
    items = [c["code"] for c in data["checklist"]]
    dupes = sorted({c for c in items if items.count(c) > 1})
    if dupes:
        raise StandardError(f"{where}: checklist: 检查项代码重复 duplicate item code(s) {', '.join(dupes)}")
    for item in data["checklist"]:
        if item["indicator"] not in known:
            raise StandardError(f"{where}: checklist/{item['code']}/indicator: unknown indicator {item['indicator']!r}")
    archive_codes = []
    for level, parts in data.get("archives", {}).items():
        for part in parts:
            for item in part["items"]:
                archive_codes.append(item["code"])
                if item["indicator"] not in known:
                    raise StandardError(f"{where}: archives/{level}/{item['code']}/indicator: unknown indicator {item['indicator']!r}")
    dupes = sorted({c for c in archive_codes if archive_codes.count(c) > 1})
    if dupes:
        raise StandardError(f"{where}: archives: 档案项代码重复 duplicate item code(s) {', '.join(dupes)}")
    for dep in data.get("departments", []):
        for code in dep["indicators"]:
            if code not in known:
                raise StandardError(f"{where}: departments/{dep['name']}: unknown indicator {code!r}")


def read_checked_json(path, schema, error, missing="文件不存在"):
    """Read a JSON data file and validate it against `schema`; raise `error` (a ValueError class)
    with "<file>: <where>: <problem>". One reader for standard files and report-form files."""
    where = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise error(f"{where}: {missing} file not found") from None
    except json.JSONDecodeError as e:
        raise error(f"{where}: 不是有效的 JSON, line {e.lineno} column {e.colno}: {e.msg}") from None
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        loc = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise error(f"{where}: {loc}: {e.message}")
    return data, where


def load_standard_file(path):
    """Read and validate one standard file; raise StandardError naming the problem."""
    data, where = read_checked_json(path, _schema(), StandardError, "标准文件不存在")
    _check_references(data, where)
    return Standard(data)


@lru_cache(maxsize=None)
def get_standard(standard_id):
    if standard_id not in STANDARD_IDS:
        raise StandardError(f"未知的评估标准 unknown standard {standard_id!r}; one of {', '.join(STANDARD_IDS)}")
    return load_standard_file(os.path.join(HERE, f"{standard_id}.json"))


@lru_cache(maxsize=1)
def interview_questions():
    """Question sets per interviewee type, the satisfaction scale and which answers count as
    positive (S1), from interview-questions.json."""
    with open(os.path.join(HERE, "interview-questions.json"), encoding="utf-8") as f:
        return json.load(f)


def all_standards():
    return [get_standard(s) for s in STANDARD_IDS]
