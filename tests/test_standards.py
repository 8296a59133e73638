import json

import pytest

from app.standards import StandardError, get_standard, load_standard_file

QUALITY_CODES = (
    [f"R{i}" for i in range(1, 8)] + [f"G{i}" for i in range(1, 16)] + [f"Q{i}" for i in range(1, 10)]
    + ["S1"] + [f"V{i}" for i in range(1, 8)]
)


def test_quality_standard_has_every_code_with_thresholds():
    std = get_standard("quality-2017")
    assert set(QUALITY_CODES) <= set(std.indicators)
    assert std.threshold("R1", "小学") == 4.2 and std.threshold("R1", "初中") == 5.3
    assert std.threshold("R6", "初中") == 2500
    assert std.cv["caps"] == {"小学": 0.5, "初中": 0.45}
    assert std.school_rule == {"indicators": [f"R{i}" for i in range(1, 8)], "min_met": 6, "min_ratio": 0.85}
    assert std.scope["teaching_point"]["min_students"] == 50
    visit_codes = {item["indicator"] for item in std.checklist}
    assert {"G3", "G4", "G5", "Q3", "Q8"} <= visit_codes


def test_basic_standard_has_b1_to_b8_and_composite_caps():
    std = get_standard("basic-2012")
    assert {f"B{i}" for i in range(1, 9)} <= set(std.indicators)
    assert std.cv["composite"] is True
    assert std.cv["caps"] == {"小学": 0.65, "初中": 0.55}


def test_unknown_standard_is_refused():
    with pytest.raises(StandardError, match="unknown standard"):
        get_standard("quality-1999")


def _write(tmp_path, data):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def quality_data():
    return json.loads(json.dumps(get_standard("quality-2017").data))


def test_malformed_json_names_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"id": "x",\n "name": }', encoding="utf-8")
    with pytest.raises(StandardError, match=r"bad.json: 不是有效的 JSON, line 2"):
        load_standard_file(str(path))


def test_threshold_as_text_names_the_field(tmp_path, quality_data):
    quality_data["indicators"][0]["thresholds"]["小学"] = "4.2"
    with pytest.raises(StandardError, match=r"indicators/0/thresholds/小学: '4.2' is not of type 'number'"):
        load_standard_file(_write(tmp_path, quality_data))


def test_missing_key_is_named(tmp_path, quality_data):
    del quality_data["school_rule"]
    with pytest.raises(StandardError, match="'school_rule' is a required property"):
        load_standard_file(_write(tmp_path, quality_data))


def test_missing_threshold_for_a_section_is_named(tmp_path, quality_data):
    del quality_data["indicators"][4]["thresholds"]["初中"]
    with pytest.raises(StandardError, match=r"indicators/R5/thresholds: no threshold for 学段 '初中'"):
        load_standard_file(_write(tmp_path, quality_data))


def test_checklist_pointing_nowhere_is_named(tmp_path, quality_data):
    quality_data["checklist"][0]["indicator"] = "Z9"
    with pytest.raises(StandardError, match=r"checklist/R1/indicator: unknown indicator 'Z9'"):
        load_standard_file(_write(tmp_path, quality_data))
