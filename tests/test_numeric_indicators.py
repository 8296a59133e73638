"""政府保障程度 and 教育质量 indicators computed from form values (app/reporting/indicators.py):
a passing and a failing case for each numeric indicator, missing data, allowances, thresholds
read from the standard file, and the computed/on-site disagreement."""
import copy
import json
import os

import pytest

from app.reporting.facts import CountyIndicators, OnSite
from app.reporting.forms import get_forms
from app.reporting.indicators import COMPUTED, SchoolFacts, compute
from app.standards import HERE, get_standard, load_standard_file

STD = get_standard("quality-2017")
FORM = get_forms("quality-2017").school


def section_values(sec, students=900, classes=20):
    v = {"students": students, "classes": classes, "classes_le45": classes, "classes_46_50": 0, "classes_51_55": 0,
         "classes_56_65": 0, "classes_ge66": 0, "max_class": 44, "migrant_students": 10, "in_catchment": students,
         "teachers": 50, "certified_teachers": 50, "trained_360": 50,
         "music_rooms_96": 2, "music_rooms_73": 0, "music_rooms_61": 0,
         "art_rooms_90": 2, "art_rooms_67": 0, "art_rooms_61": 0}
    if sec == "初中":
        v.update(cohort_intake=300, cohort_in=5, cohort_out=10, cohort_deaths=0, cohort_graduates=290)
    return {f"{sec}.{k}": x for k, x in v.items()}


def good_school(code="S1", kind="九年一贯制学校", urban_rural="城区", sections=("小学", "初中"), **extra):
    values = {"year_built": 2018, "boarding": False, "public_fund_budget": 100.0, "training_budget": 6.0}
    for sec in sections:
        values.update(section_values(sec))
    values.update(extra)
    return SchoolFacts(code, f"学校{code}", kind, urban_rural, list(sections), values)


def good_county(**extra):
    v = {"per_pupil_primary": 650, "per_pupil_junior": 850, "small_schools": 2, "small_schools_funded_100": 2,
         "special_ed_funds": 60.0, "special_ed_pupils": 90, "teacher_pay": 98000, "civil_servant_pay": 96000,
         "performance_pay_full": True, "rotation_eligible": 400, "rotated": 45, "rotated_key": 10,
         "hs_places": 1000, "hs_allocated": 600, "hs_allocated_rural": 300, "left_behind_care": True,
         "migrant_eligible": 1000, "migrant_public": 800, "migrant_bought": 60,
         "disabled_children": 100, "disabled_enrolled": 96, "quality_level": 3, "quality_gap": 0.12}
    v.update(extra)
    return v


def small_rural(**extra):
    """A 乡村 小学 of 80 pupils funded as 100 (100 × 650 元 = 6.5 万元)."""
    s = good_school("S2", "小学", "乡村", ("小学",), public_fund_budget=6.5, training_budget=0.5)
    s.values.update(section_values("小学", students=80, classes=6))
    s.values.update({"小学.max_class": 20, "小学.in_catchment": 80})
    s.values.update(extra)
    return s


def verdicts(schools=None, county=None, standard=STD):
    schools = [good_school(), small_rural()] if schools is None else schools
    return {o.code: o for o in compute(standard, FORM, schools, good_county() if county is None else county)}


def test_every_numeric_indicator_passes_on_good_figures_and_the_others_are_judged():
    out = verdicts()
    for code in COMPUTED:
        assert out[code].computed and out[code].verdict is True, (code, out[code].figures)
    for code in ("G1", "G2", "G10", "Q3", "Q5", "Q6", "Q7", "Q8"):
        assert out[code].computed is False and out[code].verdict is None
    assert len([c for c in out if c.startswith("G")]) == 15 and len([c for c in out if c.startswith("Q")]) == 9


FAILING = {
    "G3": dict(school={"初中.music_rooms_96": 0, "初中.music_rooms_73": 2}),  # built 2018: 73–96 ㎡ rooms do not count
    "G4": dict(school={"小学.students": 1500, "初中.students": 1100, "小学.in_catchment": 1500, "初中.in_catchment": 1100}),  # 2,600 > 2,500 for a 九年一贯制学校
    "G5": dict(school={"初中.max_class": 52, "初中.classes_le45": 18, "初中.classes_51_55": 2}),
    "G6": dict(small={"public_fund_budget": 5.2}),  # 80 pupils' worth, not 100
    "G7": dict(county={"special_ed_funds": 45.0}),  # 5,000 元 per pupil
    "G8": dict(county={"teacher_pay": 90000}),
    "G9": dict(school={"小学.trained_360": 49}),
    "G11": dict(county={"rotated_key": 8}),  # 8 of 45 = 17.8 % key teachers
    "G12": dict(school={"初中.certified_teachers": 48}),
    "G13": dict(school={"初中.in_catchment": 850}),  # 94.4 % < 95 %
    "G14": dict(county={"hs_allocated": 450}),
    "G15": dict(county={"migrant_public": 700, "migrant_bought": 100}),  # 80 %
    "Q1": dict(school={"初中.cohort_graduates": 270}),  # (270 − 5 + 10) ÷ 300 = 91.7 %
    "Q2": dict(county={"disabled_enrolled": 90}),
    "Q4": dict(school={"training_budget": 4.0}),  # 4 % of 100 万元
    "Q9": dict(county={"quality_gap": 0.15}),  # the gap must be below 0.15
}


@pytest.mark.parametrize("code", sorted(FAILING))
def test_each_numeric_indicator_fails_on_failing_figures(code):
    case = FAILING[code]
    school, small = good_school(), small_rural()
    school.values.update(case.get("school", {}))
    small.values.update(case.get("small", {}))
    out = verdicts([school, small], good_county(**case.get("county", {})))
    assert out[code].verdict is False, out[code].figures
    others = [c for c in COMPUTED if c != code and out[c].verdict is not True]
    assert others == [], others  # the change touches only the indicator under test
    if code in ("G3", "G4", "G5", "G6", "G9", "G12", "G13", "Q1", "Q4"):
        failing = out[code].failing
        assert failing and failing[0].code in ("S1", "S2")


def test_failing_schools_carry_value_and_limit():
    school = good_school()
    school.values["初中.max_class"] = 52
    out = verdicts([school, small_rural()])
    [row] = out["G5"].failing
    assert (row.code, row.section, row.value, row.limit) == ("S1", "初中", 52, 50)
    assert "1 个学段未达标" in out["G5"].figures


def test_missing_data_is_incomplete_not_a_pass():
    school = good_school()
    del school.values["小学.trained_360"]
    out = verdicts([school, small_rural()], good_county(teacher_pay=None, quality_level=None))
    assert out["G9"].verdict is None and "数据不全" in out["G9"].figures
    assert out["G8"].verdict is None and out["Q9"].verdict is None
    out = verdicts([], {})
    assert all(out[c].verdict is None for c in COMPUTED), [c for c in COMPUTED if out[c].verdict is not None]


def test_g3_allows_smaller_rooms_for_older_schools_and_small_rural_schools():
    older = good_school(year_built=2015)
    older.values.update({"初中.music_rooms_96": 0, "初中.music_rooms_73": 2})
    assert verdicts([older, small_rural()])["G3"].verdict is True  # built ≤ 2016: ≥ 73 ㎡ is enough
    tiny = small_rural(**{"小学.music_rooms_96": 0, "小学.music_rooms_54": 1, "小学.art_rooms_90": 0, "小学.art_rooms_54": 1})
    assert verdicts([good_school(), tiny])["G3"].verdict is True  # largest class 20 < 30: ≥ 54 ㎡
    tiny.values["小学.max_class"] = 32
    out = verdicts([good_school(), tiny])
    assert out["G3"].verdict is False and out["G3"].failing[0].code == "S2"


def test_g4_allows_3000_for_an_old_nine_year_school_and_2400_for_a_migrant_school():
    big = good_school(year_built=2008, **{"小学.students": 1600, "初中.students": 1300})
    assert verdicts([big, small_rural()])["G4"].verdict is True  # 2,900 ≤ 3,000
    big.values["year_built"] = 2012
    assert verdicts([big, small_rural()])["G4"].verdict is False
    primary = good_school("S3", "小学", "城区", ("小学",), **{"小学.students": 2300, "小学.migrant_students": 1200})
    assert verdicts([primary])["G4"].verdict is True  # > 50 % migrant children: up to 2,400
    primary.values["小学.migrant_students"] = 1000
    assert verdicts([primary])["G4"].verdict is False
    del primary.values["小学.migrant_students"]
    del primary.values["year_built"]
    assert verdicts([primary])["G4"].verdict is None  # the allowance cannot be checked


def test_g13_leaves_out_boarding_and_rural_schools():
    boarding = good_school(boarding=True, **{"初中.in_catchment": 0})
    out = verdicts([boarding, small_rural(**{"小学.in_catchment": 0})])
    assert out["G13"].verdict is True and out["G13"].schools == []


def _copied_standard(tmp_path, change):
    with open(os.path.join(HERE, "quality-2017.json"), encoding="utf-8") as f:
        data = json.load(f)
    change({i["code"]: i for i in data["indicators"]})
    path = tmp_path / "quality-2017.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return load_standard_file(str(path))


def test_a_changed_threshold_in_the_standard_file_changes_the_verdict(tmp_path):
    assert verdicts()["G5"].verdict is True and verdicts()["Q1"].verdict is True
    stricter = _copied_standard(tmp_path, lambda ind: ind["G5"]["limits"].update({"小学": 40}))
    out = verdicts(standard=stricter)
    assert out["G5"].verdict is False  # largest 小学 class 44 > 40
    assert {(r.code, r.section, r.limit) for r in out["G5"].failing} == {("S1", "小学", 40)}
    stricter = _copied_standard(tmp_path, lambda ind: ind["Q1"]["limits"].update({"min": 0.99}))
    assert verdicts(standard=stricter)["Q1"].verdict is False  # (290 − 5 + 10) ÷ 300 = 98.3 %
    looser = _copied_standard(tmp_path, lambda ind: ind["G7"]["limits"].update({"min_yuan_per_student": 4000}))
    assert verdicts(county=good_county(special_ed_funds=45.0), standard=looser)["G7"].verdict is True


def test_an_indicator_without_limits_in_the_standard_is_judged(tmp_path):
    std = _copied_standard(tmp_path, lambda ind: ind["G7"].pop("limits"))
    assert verdicts(standard=std)["G7"].computed is False


def test_disagreement_between_computed_and_onsite_verdicts():
    out = compute(STD, FORM, [good_school(), small_rural()], good_county(special_ed_funds=45.0))
    onsite = {"G7": OnSite(True, "达标", 1), "G4": OnSite(True, "达标", 2), "G8": OnSite(None, "存疑", 1),
              "G1": OnSite(False, "不达标", 1)}
    ci = CountyIndicators(STD, 2025, out, onsite)
    flagged = [o.code for o in ci.disagreements]
    assert flagged == ["G7"]  # computed 未达标, on site 达标; 存疑 and judged-only items are not flagged
    ci = CountyIndicators(STD, 2025, out, {"G4": OnSite(False, "不达标", 1)})
    assert [o.code for o in ci.disagreements] == ["G4"]


def test_outcomes_do_not_change_the_inputs():
    schools = [good_school(), small_rural()]
    before = copy.deepcopy([s.values for s in schools])
    compute(STD, FORM, schools, good_county())
    assert [s.values for s in schools] == before
