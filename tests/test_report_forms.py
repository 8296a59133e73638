"""Report forms as data (app/standards/forms): loading, validation messages, parsing and the
conditional fields."""
import json
import os
from types import SimpleNamespace

import pytest

from app.indicators.metrics import evaluate
from app.indicators.school_data import frame_from_rows
from app.reporting.forms import FORMS_DIR, FormError, get_forms, load_form_file
from app.standards import get_standard


def school(school_type="小学", urban_rural="城区", sections=("小学",), **kw):
    return SimpleNamespace(school_type=school_type, urban_rural=urban_rural, sections=list(sections), **kw)


def test_both_forms_load_with_labels_units_and_feeds():
    q = get_forms("quality-2017")
    assert q.standard == "quality-2017"
    assert q.school.level == "school" and q.county.level == "county"
    students = q.school.field("students")
    assert (students.label, students.unit, students.required, students.per_section, students.column) == (
        "在校生数", "人", True, True, "students")
    assert "G4" in students.feeds
    assert "不含室内体育用房" in q.school.field("teaching_area").help
    assert q.school.field("sports_indoor").column == "sports_area"
    assert [g.code for g in q.county.groups][0] == "funding"
    assert q.county.field("special_ed_funds").unit == "万元"
    b = get_forms("basic-2012")
    assert {f.column for f in b.school.fields if f.column} >= {"students", "teachers", "books", "computers", "senior_teachers"}
    assert len(b.school.fields) < len(q.school.fields) and len(b.county.fields) < len(q.county.fields)


def _broken(tmp_path, change):
    with open(os.path.join(FORMS_DIR, "quality-2017.json"), encoding="utf-8") as f:
        data = json.load(f)
    change(data)
    path = tmp_path / "broken-form.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _first_field(data, key):
    return next(f for g in data["school"]["groups"] for f in g["fields"] if f["key"] == key)


@pytest.mark.parametrize("change, expected", [
    (lambda d: _first_field(d, "students")["feeds"].append("G99"), "unknown indicator 'G99'"),
    (lambda d: _first_field(d, "books").update(column="library_books"), "unknown column 'library_books'"),
    (lambda d: d["school"]["groups"][1]["fields"].append(dict(_first_field(d, "students"))), "duplicate key(s) students"),
    (lambda d: _first_field(d, "students").update(type="text"), "'text' is not one of"),
    (lambda d: _first_field(d, "sports_leased")["applies"].update(flag="no_such_flag"), "unknown field 'no_such_flag'"),
    (lambda d: _first_field(d, "sports_leased")["applies"].update(flag="students"), "is not a boolean field"),
])
def test_a_malformed_form_file_fails_naming_the_problem(tmp_path, change, expected):
    with pytest.raises(FormError) as e:
        load_form_file(_broken(tmp_path, change))
    assert str(e.value).startswith("broken-form.json: ")
    assert expected in str(e.value)


def test_where_is_named_for_a_bad_type(tmp_path):
    with pytest.raises(FormError) as e:
        load_form_file(_broken(tmp_path, lambda d: _first_field(d, "students").update(type="text")))
    assert "school/groups/1/fields/0/type" in str(e.value)


def test_parse_reads_full_width_digits_refuses_decimal_commas_and_checks_limits():
    form = get_forms("quality-2017").school
    s = school()
    values, errors = form.parse({
        "小学.students": "８５６", "小学.teachers": "1,234", "小学.books": "215,6", "小学.classes": "-1",
        "小学.max_class": "45.5", "小学.teaching_area": "３２１０．５", "boarding": "否", "year_built": "",
        "小学.key_teachers": "abc", "小学.multimedia_rooms": "99999", "小学.sports_outdoor": "inf",
        "小学.sports_indoor": "nan", "小学.equipment_value": "-Infinity",
    }, s, ["小学"])
    assert values["小学.students"] == 856 and values["小学.teachers"] == 1234
    assert values["小学.teaching_area"] == 3210.5 and values["boarding"] is False
    assert "year_built" not in values
    assert "逗号只能是小数点" in errors["小学.books"]
    assert errors["小学.classes"] == "不能是负数"
    assert errors["小学.max_class"] == "请填写整数"
    assert "不是数字" in errors["小学.key_teachers"]
    assert "不能大于 1000间" in errors["小学.multimedia_rooms"]
    for key in ("小学.sports_outdoor", "小学.sports_indoor", "小学.equipment_value"):
        assert "不是有限的数" in errors[key] and key not in values
    missing = dict(form.missing(values, s, ["小学"]))
    assert missing["year_built"] == "建校年份" and missing["小学.classes"] == "小学·班级数"
    assert "小学.students" not in missing


def test_entries_apply_conditions():
    form = get_forms("quality-2017").school
    city = school(urban_rural="城区")
    keys = [k for k, _, _ in form.entries(city, ["小学"], {})]
    assert "over_dense_center" in keys and "小学.sports_leased" not in keys
    keys = [k for k, _, _ in form.entries(city, ["小学"], {"over_dense_center": True})]
    assert "小学.sports_leased" in keys
    town = school(urban_rural="镇区")
    keys = [k for k, _, _ in form.entries(town, ["小学"], {"over_dense_center": True})]
    assert "over_dense_center" not in keys and "小学.sports_leased" not in keys
    nine = school("九年一贯制学校", "乡村", ["小学", "初中"])
    keys = [k for k, _, _ in form.entries(nine, ["小学", "初中"], {})]
    assert "初中.cohort_intake" in keys and "小学.cohort_intake" not in keys
    assert "小学.music_rooms_54" in keys and "初中.music_rooms_54" not in keys
    assert "初中.high_students" not in keys
    full = school("完全中学", "城区", ["初中"])
    assert "初中.high_students" in [k for k, _, _ in form.entries(full, ["初中"], {})]
    county = [k for k, _, _ in get_forms("quality-2017").county.entries(None, [], {})]
    assert "special_ed_pupils" in county and all("." not in k for k in county)


def _r_values(students, pe_art, itinerant):
    return {"小学.students": students, "小学.pe_art_teachers": pe_art, "小学.itinerant_pe_art_teachers": itinerant,
            "小学.sports_outdoor": 500.0, "小学.sports_indoor": 100.0}


def test_itinerant_pe_art_teachers_count_toward_r3_only_in_small_rural_schools():
    form = get_forms("quality-2017").school
    rural = school("小学", "乡村")
    town = school("小学", "镇区")
    rows = form.section_rows(_r_values(60, 0, 1), rural, ["小学"])
    assert rows["小学"]["pe_art_teachers"] == 1
    assert rows["小学"]["sports_area"] == 600.0
    rows = form.section_rows(_r_values(300, 2, 1), town, ["小学"])
    assert rows["小学"]["pe_art_teachers"] == 2
    # parse drops the itinerant teachers of a school the allowance does not cover
    values, errors = form.parse({"小学.students": "300", "小学.pe_art_teachers": "2",
                                 "小学.itinerant_pe_art_teachers": "1"}, town, ["小学"])
    assert not errors and "小学.itinerant_pe_art_teachers" not in values
    values, _ = form.parse({"小学.students": "60", "小学.pe_art_teachers": "0",
                            "小学.itinerant_pe_art_teachers": "1"}, rural, ["小学"])
    assert values["小学.itinerant_pe_art_teachers"] == 1


def test_the_r3_verdict_of_a_60_pupil_rural_school_uses_its_itinerant_teacher():
    form = get_forms("quality-2017").school
    std = get_standard("quality-2017")

    def r3_met(kind, urban_rural, students, pe_art, itinerant):
        s = school(kind, urban_rural)
        cols = form.section_rows(_r_values(students, pe_art, itinerant), s, ["小学"])["小学"]
        row = {"code": "1", "name": "测试学校", "section": "小学", "school_type": kind, "urban_rural": urban_rural,
               "ownership": "公办", "classes": 6, "teachers": 10, "qualified_teachers": 10, "key_teachers": 5,
               "senior_teachers": 3, "teaching_area": 2000.0, "equipment_value": 100.0, "multimedia_rooms": 10,
               "computers": 20, "books": 3000, **cols}
        rec = evaluate(frame_from_rows([row]), std).school_records()[0]
        return "R3" in rec["met"]

    assert r3_met("小学", "乡村", 60, 0, 1) is True  # 1 ÷ 60 × 100 = 1.67 ≥ 0.9
    assert r3_met("小学", "镇区", 300, 2, 1) is False  # 2 ÷ 300 × 100 = 0.67: the itinerant teacher does not count


def test_prefill_takes_columns_fed_by_exactly_one_field():
    form = get_forms("quality-2017").school
    values = form.prefill({"小学": {"students": 856, "classes": 20, "max_class": 48, "music_rooms": 2,
                                   "sports_area": 5000.0, "teaching_area": 3000.0, "high_students": None},
                           "初中": {"students": 400, "high_students": 100}})
    assert values == {"小学.students": 856, "小学.classes": 20, "小学.max_class": 48,
                      "小学.teaching_area": 3000.0, "初中.students": 400, "初中.high_students": 100}
