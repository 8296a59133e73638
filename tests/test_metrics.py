"""The indicator engine on its own (no Flask app): formula, scope, school rule, JSON contract."""
import math
import random

import numpy as np
import pytest

from app.demo import synthetic_rows
from app.indicators.metrics import evaluate, plain_python_cv, to_json, weighted_cv
from app.indicators.school_data import frame_from_rows
from app.standards import get_standard

Q = get_standard("quality-2017")
B = get_standard("basic-2012")


def row(code, section="小学", kind=None, students=500, parent="", **over):
    """A template row (English keys) that meets every quality-2017 threshold comfortably."""
    kind = kind or section
    r = {
        "code": code, "name": f"学校{code}", "section": section, "school_type": kind, "urban_rural": "城区",
        "parent_code": parent, "students": students, "classes": max(1, students // 40), "max_class": 40,
        "teachers": students // 10, "qualified_teachers": round(students * 0.06), "key_teachers": round(students * 0.02),
        "pe_art_teachers": round(students * 0.015), "senior_teachers": round(students * 0.03),
        "teaching_area": students * 7.0, "sports_area": students * 12.0, "equipment_value": students * 3000 / 10000,
        "multimedia_rooms": round(students * 0.03), "computers": students // 5, "books": students * 30,
        "music_rooms": 1, "art_rooms": 1,
    }
    r.update(over)
    return r


def frame(rows):
    return frame_from_rows(rows)


def test_check_value_of_the_formula():
    # indicators.md §3: five primary schools, books → CV 0.515 (the unweighted CV would be 0.489)
    students = [45, 37, 89, 76, 55]
    books = [279, 137, 935, 160, 402]
    rows = [row(f"S{i}", students=p, books=b, max_class=30, classes=2) for i, (p, b) in enumerate(zip(students, books))]
    ev = evaluate(frame(rows), B)
    cv = ev.sections["小学"].indicators["B5"].cv
    assert round(cv, 3) == 0.515
    values = np.array(books) / np.array(students)
    assert round(values.std() / values.mean(), 3) == 0.489  # the wrong, unweighted figure
    # the county value is Σ books ÷ Σ pupils, and the JSON rounds to 4 places
    assert ev.sections["小学"].indicators["B5"].value == pytest.approx(sum(books) / sum(students))
    assert to_json(ev)["sections"]["小学"]["indicators"]["B5"]["cv"] == 0.5153


def test_scale_does_not_change_cv_and_zero_mean_is_undefined():
    v = [1.0, 2.0, 4.0]
    w = [10, 20, 30]
    assert weighted_cv(np.array(v) * 100, w)[1] == pytest.approx(weighted_cv(v, w)[1])
    assert weighted_cv([0, 0, 0], w) == (0.0, None)
    rows = [row(f"S{i}", key_teachers=0) for i in range(3)]
    ev = evaluate(frame(rows), Q)
    r2 = ev.sections["小学"].indicators["R2"]
    assert r2.cv is None and r2.ok is None
    assert ev.sections["小学"].ok is False
    assert to_json(ev)["sections"]["小学"]["indicators"]["R2"]["cv"] is None


def test_scope_sections_and_exclusions():
    rows = [
        row("P1", "小学"), row("J1", "初中"),
        row("Y1", "小学", kind="九年一贯制学校", students=600), row("Y1", "初中", kind="九年一贯制学校", students=300),
        row("T40", "小学", kind="教学点", students=40, parent="P1"),
        row("T60", "小学", kind="教学点", students=60, parent="P1"),
        row("SP", "小学", kind="特殊教育学校", students=80),
    ]
    ev = evaluate(frame(rows), Q)
    primary = set(ev.schools[ev.schools.section == "小学"].code)
    junior = set(ev.schools[ev.schools.section == "初中"].code)
    assert primary == {"P1", "Y1", "T60"}
    assert junior == {"J1", "Y1"}
    assert ev.sections["小学"].schools == 3 and ev.sections["小学"].students == 500 + 600 + 60
    reasons = {e["code"]: e["reason"] for e in ev.excluded}
    assert reasons == {"T40": "教学点不足50人", "SP": "特殊教育学校不纳入校际均衡测算"}


def test_teaching_point_limit_comes_from_the_standard():
    import copy

    from app.standards import Standard

    data = copy.deepcopy(Q.data)
    data["scope"]["teaching_point"]["min_students"] = 30
    std = Standard(data)
    rows = [row("P1"), row("T40", kind="教学点", students=40, parent="P1")]
    assert {e["code"] for e in evaluate(frame(rows), std).excluded} == set()
    assert {e["code"] for e in evaluate(frame(rows), Q).excluded} == {"T40"}


def _school_with(ratios):
    """A primary school whose R1…R7 values are `ratio` × the threshold."""
    students = 1000
    t = {c: Q.threshold(c, "小学") for c in Q.school_rule["indicators"]}
    r = row("X", students=students, teachers=500)
    r["qualified_teachers"] = round(t["R1"] * ratios.get("R1", 1) * students / 100)
    r["key_teachers"] = round(t["R2"] * ratios.get("R2", 1) * students / 100)
    r["pe_art_teachers"] = round(t["R3"] * ratios.get("R3", 1) * students / 100)
    r["teaching_area"] = t["R4"] * ratios.get("R4", 1) * students
    r["sports_area"] = t["R5"] * ratios.get("R5", 1) * students
    r["equipment_value"] = t["R6"] * ratios.get("R6", 1) * students / 10000
    r["multimedia_rooms"] = round(t["R7"] * ratios.get("R7", 1) * students / 100)
    return r


@pytest.mark.parametrize("ratios, ok, short", [
    ({}, True, []),                                   # every value exactly at its threshold: all met
    ({"R5": 0.9}, True, ["R5"]),                      # one shortfall at 90 %: passes
    ({"R5": 0.85}, True, ["R5"]),                     # exactly 85 % still passes
    ({"R5": 0.8}, False, ["R5"]),                     # one shortfall at 80 %: fails
    ({"R4": 0.95, "R5": 0.95}, False, ["R4", "R5"]),  # two shortfalls: fails
])
def test_school_rule_at_its_edges(ratios, ok, short):
    ev = evaluate(frame([_school_with(ratios)]), Q)
    rec = ev.school_records()[0]
    assert rec["short"] == short
    assert bool(rec["ok"]) is ok
    assert len(rec["met"]) == 7 - len(short)


def test_county_rule_per_indicator_against_its_cap():
    # two primary schools, very unequal sports grounds: R5's CV is far above 0.50
    rows = [row("A", students=500, sports_area=500 * 30.0), row("B", students=500, sports_area=500 * 2.0)]
    ev = evaluate(frame(rows), Q)
    sec = ev.sections["小学"]
    assert sec.indicators["R5"].cv == pytest.approx(14 / 16)
    assert sec.indicators["R5"].ok is False and sec.indicators["R5"].cap == 0.50
    assert sec.indicators["R1"].ok is True
    assert sec.ok is False


def test_basic_standard_composite():
    rng = random.Random(7)
    schools = [(f"51{i:04d}", f"学校{i}", "小学" if i % 3 else "初中", "乡村", None) for i in range(40)]
    rows = synthetic_rows(schools, rng)
    ev = evaluate(frame(rows), B)
    for sec in ("小学", "初中"):
        res = ev.sections[sec]
        singles = [r.cv for r in res.indicators.values()]
        assert set(res.indicators) == {f"B{i}" for i in range(1, 9)}
        assert res.composite_cv == pytest.approx(sum(singles) / 8)
        assert res.cap == B.cv["caps"][sec]
        assert res.ok is (res.composite_cv <= res.cap)


def test_engine_agrees_with_the_plain_loop():
    rng = random.Random(3)
    schools = [(f"52{i:04d}", f"学校{i}", rng.choice(["小学", "初中", "九年一贯制学校"]), "镇区", None) for i in range(200)]
    rows = synthetic_rows(schools, rng)
    f = frame(rows)
    ev = evaluate(f, Q)
    records = f.to_dict("records")
    for sec in ("小学", "初中"):
        for code in Q.cv["indicators"]:
            assert ev.sections[sec].indicators[code].cv == pytest.approx(plain_python_cv(records, Q, sec, code), rel=1e-9)


def test_json_has_exactly_the_contract_keys():
    rows = [row("P1"), row("P2", students=300), row("J1", "初中"), row("T1", kind="教学点", students=10, parent="P1")]
    out = to_json(evaluate(frame(rows), Q), 2025, [])
    assert set(out) == {"standard", "year", "sections", "schools", "excluded", "warnings"}
    assert out["standard"] == "quality-2017" and out["year"] == 2025
    assert set(out["sections"]) == {"小学", "初中"}
    assert set(out["sections"]["小学"]) == {"schools", "students", "indicators", "ok"}
    assert set(out["sections"]["小学"]["indicators"]) == {f"R{i}" for i in range(1, 8)}
    assert set(out["sections"]["小学"]["indicators"]["R1"]) == {"value", "cv", "cap", "ok"}
    assert set(out["schools"][0]) == {"code", "name", "section", "values", "met", "short", "ok"}
    assert set(out["excluded"][0]) == {"code", "section", "reason"}
    basic = to_json(evaluate(frame(rows), B), 2025, [])
    assert set(basic["sections"]["初中"]) == {"schools", "students", "indicators", "ok", "composite_cv", "cap"}
    assert math.isclose(out["sections"]["小学"]["students"], 800)


def test_a_shown_value_never_contradicts_its_verdict():
    from app.indicators.metrics import share_of, shown

    assert shown(4.197, 4.2) == "4.197"          # not "4.20 … 未达标"
    assert shown(4.2, 4.2) == "4.20" and shown(5.5, 4.2) == "5.50"
    assert shown(4.19999, 4.2) == "4.19999"
    assert share_of(4.197, 4.2) == "99.9%" and share_of(2.1, 4.2) == "50%"


def test_reported_figures_show_enough_decimals():
    from app.indicators.metrics import reported_figures
    from app.standards import get_standard

    std = get_standard("quality-2017")
    assert std.threshold("R1", "小学") == 4.2
    r = row("5100000001", "小学", students=2383)
    r["qualified_teachers"] = 100  # 4.1964 per hundred pupils: just under 4.2
    line = reported_figures(frame_from_rows([r]), std)["R1"][0]
    assert "4.196" in line and "未达标" in line and "99.9%" in line
    assert "4.20 " not in line and "100%" not in line
