"""Office pages for school data: template, upload → errors / preview → confirm, results."""
import io
import re

import openpyxl

from app.extensions import db
from app.models import AuditEntry, DataImport, School, SchoolSectionData
from tests.conftest import text_of
from tests.test_school_data import good_rows, write_xlsx


def upload(client, token, path, year="2025", htmx=False, code="510999"):
    with open(path, "rb") as f:
        data = {"csrf_token": token, "year": year, "file": (io.BytesIO(f.read()), path.rsplit("/", 1)[-1])}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/counties/{code}/data/upload", data=data, headers=headers, content_type="multipart/form-data")


def test_template_download(client, demo, login_as):
    login_as("admin")
    resp = client.get("/school-data/template.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb["学校数据"]["A1"].value == "学校标识码" and wb["学校数据"]["B2"].value == "城关小学"


def test_bad_upload_lists_every_error_and_stores_nothing(client, demo, login_as, tmp_path):
    token = login_as("admin")
    rows = good_rows()
    rows[0]["students"] = "一百二"
    rows[2]["urban_rural"] = "郊区"
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    before = db.session.scalar(db.select(db.func.count(SchoolSectionData.id)))
    resp = upload(client, token, path, htmx=True)
    assert resp.status_code == 422
    page = text_of(resp)
    assert "文件有 2 处错误，未保存任何数据" in page
    assert '第 2 行「在校生数」: "一百二" 不是整数' in page
    assert '第 4 行「城乡类型」: "郊区" 不是可选值' in page
    assert db.session.scalar(db.select(db.func.count(DataImport.id))) == 1  # only the demo's own import
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id))) == before
    # without HTMX the whole page comes back with the errors
    resp = upload(client, token, path)
    assert resp.status_code == 422 and "上传数据" in text_of(resp) and "一百二" in text_of(resp)


def test_upload_preview_confirm_results(client, demo, login_as, tmp_path):
    token = login_as("lead")
    rows = good_rows()
    rows[1]["equipment_value"] = 500 * 3000  # 元 entered as 万元 → a warning
    path = write_xlsx(tmp_path / "ok.xlsx", rows)
    resp = upload(client, token, path, year="2024", htmx=True)
    assert resp.status_code == 204
    preview = resp.headers["HX-Redirect"]
    page = client.get(preview)
    assert page.status_code == 200
    text = text_of(page)
    assert "确认保存" in text and "条数据提醒" in text and "疑似按「元」而非「万元」填报" in text
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id)).where(SchoolSectionData.year == 2024)) == 0
    import_id = int(re.search(r"/imports/(\d+)", preview).group(1))
    resp = client.post(f"/counties/510999/data/imports/{import_id}/confirm", data={"csrf_token": token})
    assert resp.status_code == 302 and "/results?year=2024" in resp.headers["Location"]
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id)).where(SchoolSectionData.year == 2024)) == 5
    assert db.session.execute(db.select(AuditEntry).filter_by(entity="school_data", entity_id=import_id)).scalar()
    # confirming twice stores nothing more
    client.post(f"/counties/510999/data/imports/{import_id}/confirm", data={"csrf_token": token})
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id)).where(SchoolSectionData.year == 2024)) == 5

    page = client.get("/counties/510999/results?year=2024")
    text = text_of(page)
    html = page.get_data(as_text=True)
    assert "示范县 2024 年指标测算" in text
    assert html.count("<svg class=\"cv-chart\"") == 2
    assert "每百名学生拥有高于规定学历教师数" in text and "差异系数" in text
    assert "疑似按「元」而非「万元」填报" in text  # the warning beside its school
    basic = text_of(client.get("/counties/510999/results?year=2024&standard=basic-2012"))
    assert "综合差异系数" in basic


def test_results_filter_and_sort_on_the_demo(client, demo, login_as):
    login_as("admin")
    from datetime import date

    year = date.today().year - 1
    page = client.get(f"/counties/510999/results?year={year}")
    html = page.get_data(as_text=True)
    all_rows = re.findall(r'<tr class="(row-bad|)" data-code="(\d+)"', html)
    failing = [c for cls, c in all_rows if cls == "row-bad"]
    assert all_rows and failing and len(failing) < len(all_rows)
    page = client.get(f"/counties/510999/results?year={year}&failing=1")
    shown = re.findall(r'<tr class="(row-bad|)" data-code="(\d+)"', page.get_data(as_text=True))
    assert sorted(c for _, c in shown) == sorted(failing) and all(cls == "row-bad" for cls, _ in shown)
    page = client.get(f"/counties/510999/results?year={year}&sort=R5&dir=desc")
    html = page.get_data(as_text=True)
    assert "R5↓" in html


def test_discard(client, demo, login_as, tmp_path):
    token = login_as("admin")
    resp = upload(client, token, write_xlsx(tmp_path / "ok.xlsx", good_rows()), year="2023")
    import_id = int(re.search(r"/imports/(\d+)", resp.headers["Location"]).group(1))
    client.post(f"/counties/510999/data/imports/{import_id}/discard", data={"csrf_token": token})
    assert db.session.get(DataImport, import_id).status == "discarded"
    assert db.session.scalar(db.select(db.func.count(SchoolSectionData.id)).where(SchoolSectionData.year == 2023)) == 0


def test_checklist_shows_reported_figures_against_thresholds(client, demo, login_as):
    from datetime import date

    from app.models import School

    login_as("inspector1")
    inspection = demo["inspection"]
    visit = next(v for v in inspection.visits if v.school.school_type == "九年一贯制学校")
    school = visit.school
    data = {d.section: d for d in db.session.execute(
        db.select(SchoolSectionData).filter_by(school_id=school.id)).scalars()}
    page = text_of(client.get(f"/inspections/{inspection.id}/schools/{school.id}"))
    year = date.today().year - 1
    primary = data["小学"]
    value = primary.sports_area / primary.students
    assert f"{year} 年小学：填报体育运动场馆面积 {primary.sports_area:g}㎡，在校生 {primary.students} 人 → {value:.2f} ㎡/生（标准 ≥ 7.5" in page
    junior = data["初中"]
    assert f"初中：填报体育运动场馆面积 {junior.sports_area:g}㎡，在校生 {junior.students} 人" in page
    assert f"最大班额 {primary.max_class} 人（上限 45 人）" in page
    assert "实地核对：与填报不符时选「存疑」或「不达标」" in page
    # a school without data shows the checklist without figures
    other = next(v for v in inspection.visits if v.school_id != school.id).school
    db.session.execute(db.delete(SchoolSectionData).where(SchoolSectionData.school_id == other.id))
    db.session.commit()
    page = text_of(client.get(f"/inspections/{inspection.id}/schools/{other.id}"))
    assert "实地核对" not in page and "体育运动场馆面积与填报一致" in page
    assert db.session.get(School, other.id)


def test_replacing_a_year_shows_what_changes_and_asks_before_removing(client, demo, login_as, tmp_path):
    from app.models import County

    token = login_as("admin")
    county = County(code="510998", name="替换县")
    db.session.add(county)
    db.session.commit()
    rows = good_rows()
    first = upload(client, token, write_xlsx(tmp_path / "all.xlsx", rows), year="2025", code="510998")
    first_id = first.headers["Location"].rsplit("/", 1)[-1]
    client.post(f"/counties/510998/data/imports/{first_id}/confirm", data={"csrf_token": token})
    def count():
        return db.session.scalar(db.select(db.func.count(SchoolSectionData.id)).join(School).where(
            SchoolSectionData.year == 2025, School.county_id == county.id))

    assert count() == 5
    # a smaller file: one row changed, three rows not in it
    smaller = [dict(rows[0], students=900), rows[1]]
    resp = upload(client, token, write_xlsx(tmp_path / "two.xlsx", smaller), year="2025", code="510998")
    preview = resp.headers["Location"]
    text = text_of(client.get(preview))
    assert "本年度已有 5 行" in text and "更新 1 行" in text and "不变 1 行" in text and "删除 3 行" in text
    assert "确认删除 3 行" in text
    import_id = preview.rsplit("/", 1)[-1]
    refused = client.post(f"/counties/510998/data/imports/{import_id}/confirm", data={"csrf_token": token})
    assert refused.headers["Location"].endswith(preview)
    assert count() == 5
    client.post(f"/counties/510998/data/imports/{import_id}/confirm", data={"csrf_token": token, "replace": "1"})
    db.session.expire_all()
    stored = db.session.scalars(db.select(SchoolSectionData.students).join(School).where(
        SchoolSectionData.year == 2025, School.county_id == county.id)).all()
    assert sorted(stored) == sorted([900, rows[1]["students"]])


def test_preview_is_paginated(client, demo, login_as, tmp_path):
    from tests.test_metrics import row

    token = login_as("admin")
    rows = [row(f"51099{i:05d}", "小学") for i in range(250)]
    resp = upload(client, token, write_xlsx(tmp_path / "many.xlsx", rows), year="2023")
    preview = resp.headers["Location"]
    page = client.get(preview)
    assert "共 250 行，第 1 / 3 页" in text_of(page) and page.get_data(as_text=True).count('data-code="') == 100
    last = client.get(preview + "?page=3")
    assert last.get_data(as_text=True).count('data-code="') == 50
