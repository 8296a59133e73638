"""县域自查 (002): every indicator × school that falls short, as a page and an .xlsx whose
附件1/附件2 start the rectification lists — on the demo county, before any report is approved
and after the county's own report shows a county-level shortfall."""
import io
import subprocess

from openpyxl import load_workbook

from app.indicators.school_import import data_years
from app.reporting.selfcheck import self_check
from app.standards import get_standard
from tests.conftest import text_of
from tests.test_indicators_cli import _approve_county_report, _onsite
from tests.test_office_print import to_pdf


def test_self_check_lists_school_and_county_shortfalls(app, demo):
    county = demo["county"]
    year = data_years(county.id)[0]
    _approve_county_report(demo, year, special_ed_funds=45.0)  # G7: 5,000 元 per pupil < 6,000
    _onsite(demo, "G1", "缺失")  # a judged indicator found wanting on site
    check = self_check(county, year, get_standard("quality-2017"))
    codes = {s.code for s in check.rows}
    # R indicators below threshold and G5 class sizes over the limit, per school, from the import
    school_rows = [s for _n, _c, items in check.schools for s in items]
    assert any(s.code.startswith("R") for s in school_rows)
    g5 = [s for s in school_rows if s.code == "G5"]
    assert g5 and all(s.school and s.section for s in g5)
    assert all("班额" in s.problem for s in g5)
    # county level: G7 from the county report, G1 from the on-site verdict
    county_codes = {s.code for s in check.county_rows}
    assert "G7" in county_codes and "G1" in county_codes
    g1 = next(s for s in check.county_rows if s.code == "G1")
    assert g1.source == "现场判定"
    assert "G8" not in codes  # met in the county report
    assert any(code == "Q1" for code, _n, _f in check.incomplete)  # no cohort figures yet: not a pass


def test_self_check_page_and_workbook(app, client, demo, login_as, tmp_path):
    county = demo["county"]
    year = data_years(county.id)[0]
    _approve_county_report(demo, year, special_ed_funds=45.0)
    login_as("admin")
    page = text_of(client.get(f"/counties/{county.code}/self-check?year={year}"))
    assert f"{county.name} {year} 年逐项逐校自查" in page
    assert "学校未达标项" in page and "县级未达标项" in page and "G7" in page
    assert "数据不全的指标" in page
    resp = client.get(f"/counties/{county.code}/self-check.xlsx?year={year}")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["逐项逐校自查", "学校整改清单", "县级政府整改清单"]
    detail = wb["逐项逐校自查"]
    assert [c.value for c in detail[2]] == ["序号", "学校", "学段", "指标", "指标名称", "实际情况", "标准", "存在不足情况", "来源"]
    rows = list(detail.iter_rows(min_row=3, values_only=True))
    assert any(r[3] == "G7" and r[1] == "县级" for r in rows)
    assert any(r[3] == "G5" and r[1] != "县级" for r in rows)
    school_list = wb["学校整改清单"]
    assert school_list["A1"].value == "附件1"
    assert any("班额" in str(c.value or "") for row in school_list.iter_rows(min_row=5) for c in row)
    county_list = wb["县级政府整改清单"]
    assert any("G7" in str(c.value or "") for row in county_list.iter_rows(min_row=5) for c in row)
    # it prints: LibreOffice turns it into a PDF with every sheet
    path = tmp_path / "selfcheck.xlsx"
    path.write_bytes(resp.data)
    pdf = to_pdf(path, tmp_path)
    printed = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "逐项逐校自查表" in printed and "附件1" in printed and "附件2" in printed


def test_self_check_roles(app, client, demo, login_as):
    code = demo["county"].code
    login_as("inspector1")
    assert client.get(f"/counties/{code}/self-check").status_code == 403
    assert client.get(f"/counties/{code}/self-check.xlsx").status_code == 403
