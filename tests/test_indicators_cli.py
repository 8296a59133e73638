"""`flask indicators COUNTY --year YEAR --json` and the G/Q section of the county results page,
on the demo county: figures from the import and approved reports, on-site verdicts from the
latest inspection, disagreements flagged."""
import json
import uuid

from app.extensions import db
from app.indicators.school_import import data_years
from app.models import CheckRecord, DataReport, Department
from app.reporting.facts import county_indicators
from app.standards import get_standard
from tests.conftest import text_of
from tests.test_numeric_indicators import good_county


def _approve_county_report(demo, year, **values):
    county = demo["county"]
    db.session.add(DataReport(subject=f"county:{county.id}", level="county", county_id=county.id, year=year,
                              standard_id="quality-2017", status="approved", values=good_county(**values)))
    db.session.commit()


def _onsite(demo, indicator, verdict):
    db.session.add(CheckRecord(client_uuid=str(uuid.uuid4()), inspection_id=demo["inspection"].id,
                               subject_type="archive", subject_id=demo["county"].id, item_code=f"CA-{indicator}",
                               indicator_code=indicator, verdict=verdict, author_id=demo["users"]["lead"].id))
    db.session.commit()


def _run(app, demo, year, *extra):
    result = app.test_cli_runner().invoke(args=["indicators", demo["county"].code, "--year", str(year), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_json_lists_every_indicator_with_verdicts_figures_and_failing_schools(app, demo):
    year = data_years(demo["county"].id)[0]
    _approve_county_report(demo, year, special_ed_funds=45.0)  # G7: 5,000 元 per pupil, 未达标
    _onsite(demo, "G7", "达标")
    _onsite(demo, "G1", "齐全")
    items = json.loads(_run(app, demo, year, "--json"))
    by_code = {i["code"]: i for i in items}
    assert list(by_code) == list(get_standard("quality-2017").indicators)
    r1 = by_code["R1"]
    assert r1["computed"] is True and r1["verdict"] in (True, False) and "差异系数" in r1["figures"]
    assert r1["failing_schools"] and set(r1["failing_schools"][0]) >= {"code", "name", "value", "limit"}
    assert all(s["value"] < s["limit"] for s in r1["failing_schools"])
    g4 = by_code["G4"]  # from the import alone (prefilled values)
    assert g4["computed"] is True and g4["verdict"] is True and "在校生" in g4["figures"]
    g5 = by_code["G5"]
    assert g5["verdict"] is False and all(s["value"] > s["limit"] for s in g5["failing_schools"])
    g7 = by_code["G7"]
    assert g7["verdict"] is False and "5,000 元" in g7["figures"] and g7["onsite"] == "达标" and g7["disagrees"] is True
    assert by_code["G8"]["verdict"] is True and by_code["Q9"]["verdict"] is True
    assert by_code["Q1"]["verdict"] is None  # no school has reported its cohort yet
    assert by_code["G1"] == {"code": "G1", "name": by_code["G1"]["name"], "computed": False, "onsite": "达标"}
    assert by_code["Q3"]["computed"] is False and by_code["Q3"]["onsite"] is None
    text = _run(app, demo, year)
    assert "G7" in text and "计算与现场判定不一致" in text and "未达标" in text


def test_an_approved_school_report_is_used_instead_of_the_import(app, demo):
    year = data_years(demo["county"].id)[0]
    school = next(s for s in demo["schools"] if s.school_type == "小学")
    before = county_indicators(demo["county"], year, get_standard("quality-2017"))
    assert before.sources["imported"] >= 1 and before.sources["approved"] == 0
    db.session.add(DataReport(subject=f"school:{school.id}", level="school", county_id=school.county_id,
                              school_id=school.id, year=year, standard_id="quality-2017", status="approved",
                              values={"小学.students": 2600, "year_built": 2015}))
    db.session.commit()
    after = county_indicators(demo["county"], year, get_standard("quality-2017"))
    assert after.sources["approved"] == 1
    g4 = next(o for o in after.outcomes if o.code == "G4")
    assert g4.verdict is False and [s.code for s in g4.failing] == [school.code]


def test_a_department_check_gives_the_onsite_verdict(app, demo):
    year = data_years(demo["county"].id)[0]
    _approve_county_report(demo, year)
    dep = db.session.execute(db.select(Department).filter_by(inspection_id=demo["inspection"].id, name="人社")).scalar_one()
    assert "G8" in dep.indicator_codes
    dep.verdict = "不达标"
    db.session.commit()
    ci = county_indicators(demo["county"], year, get_standard("quality-2017"))
    assert ci.onsite["G8"].label == "不达标"
    assert [o.code for o in ci.disagreements] == ["G8"]


def test_results_page_shows_the_government_and_quality_section(app, client, demo, login_as):
    year = data_years(demo["county"].id)[0]
    _approve_county_report(demo, year, special_ed_funds=45.0)
    _onsite(demo, "G7", "达标")
    login_as("admin")
    resp = client.get(f"/counties/{demo['county'].code}/results?year={year}")
    assert resp.status_code == 200
    page = text_of(resp)
    assert "政府保障程度与教育质量（15 + 9 项）" in page
    assert "G7 特殊教育学校生均公用经费" in page and "特殊教育学校生均公用经费 5,000 元" in page
    assert "计算与现场判定不一致" in page
    assert "G1 县域学校规划布局合理，符合国家规定 现场判定" in page
    assert "数据不全" in page
    html = resp.get_data(as_text=True)
    assert '<tr id="gq-G5">' in html and "<details>" in html
    basic = text_of(client.get(f"/counties/{demo['county'].code}/results?year={year}&standard=basic-2012"))
    assert "政府保障程度与教育质量" not in basic
