"""全省导入: one file, several counties (issue 13) — checks, preview, replacement, storing."""
import io
import re

import pytest

from app.extensions import db
from app.models import County, DataImport, School, SchoolSectionData
from tests.conftest import text_of
from tests.test_metrics import row
from tests.test_school_data import good_rows, write_xlsx
from tests.test_school_pages import upload as county_upload


@pytest.fixture
def two_counties(demo):
    a = County(code="510801", name="甲县")
    b = County(code="510802", name="乙县")
    db.session.add_all([a, b])
    db.session.commit()
    return a, b


def province_rows():
    """Five rows of 甲县 (the good rows) and three of 乙县."""
    rows = [dict(r, county_code="510801") for r in good_rows()]
    rows += [dict(row(f"51080200{i:02d}", "小学"), county_code="510802") for i in range(3)]
    return rows


def upload(client, token, path, year="2025"):
    with open(path, "rb") as f:
        data = {"csrf_token": token, "year": year, "file": (io.BytesIO(f.read()), path.rsplit("/", 1)[-1])}
    return client.post("/school-data/province/upload", data=data, content_type="multipart/form-data")


def stored_codes(county, year=2025):
    return sorted(db.session.scalars(db.select(School.code).join(SchoolSectionData).where(
        School.county_id == county.id, SchoolSectionData.year == year)).all())


def test_a_file_of_two_counties_stores_each_under_its_county(client, two_counties, login_as, tmp_path):
    a, b = two_counties
    token = login_as("admin")
    assert "全省导入学校数据" in text_of(client.get("/counties"))
    page = text_of(client.get("/school-data/province"))
    assert "管理员对系统中所有县（市、区）都有权限" in page
    resp = upload(client, token, write_xlsx(tmp_path / "p.xlsx", province_rows()))
    assert resp.status_code == 302, text_of(resp)[:500]
    preview = resp.headers["Location"]
    text = text_of(client.get(preview))
    assert "8 行，2 个县" in text and "甲县" in text and "乙县" in text
    assert stored_codes(a) == [] and stored_codes(b) == []  # nothing stored before the confirm
    import_id = int(re.search(r"/imports/(\d+)", preview).group(1))
    done = client.post(f"/school-data/province/imports/{import_id}/confirm", data={"csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    assert stored_codes(a) == ["5100000001", "5100000002", "5100000003", "5100000003", "5100000004"]
    assert stored_codes(b) == ["5108020000", "5108020001", "5108020002"]
    assert db.session.scalar(db.select(School.county_id).filter_by(code="5108020001")) == b.id
    # each county has an import of its own in its history
    assert db.session.scalar(db.select(DataImport.row_count).filter_by(county_id=b.id, status="stored")) == 3
    result = client.get(done.headers["Location"])
    html, text = result.get_data(as_text=True), text_of(result)
    assert "已保存 2 个县 2025 年共 8 行学校数据" in text
    assert 'href="/counties/510801/results?year=2025"' in html and 'href="/counties/510802/results?year=2025"' in html
    assert re.search(r"甲县 510801 5 ", text) and re.search(r"乙县 510802 3 ", text)
    assert "乙县 2025 年指标测算" in text_of(client.get("/counties/510802/results?year=2025"))


def test_unknown_county_code_is_refused_with_row_and_column(client, two_counties, login_as, tmp_path):
    token = login_as("admin")
    rows = province_rows()
    rows[6]["county_code"] = "519999"  # Excel row 8
    resp = upload(client, token, write_xlsx(tmp_path / "p.xlsx", rows))
    assert resp.status_code == 422
    assert "第 8 行「县级行政区划代码」: 县级行政区划代码 519999 不存在" in text_of(resp)
    assert db.session.scalar(db.select(db.func.count(DataImport.id)).where(DataImport.county_id.is_(None))) == 0


def test_a_file_without_county_codes_is_refused(client, two_counties, login_as, tmp_path):
    token = login_as("admin")
    resp = upload(client, token, write_xlsx(tmp_path / "p.xlsx", good_rows()))
    assert resp.status_code == 422 and "文件没有填写「县级行政区划代码」列" in text_of(resp)


def test_a_school_of_another_county_is_refused(client, two_counties, login_as, tmp_path):
    a, b = two_counties
    token = login_as("admin")
    demo_code = db.session.scalar(db.select(School.code).join(County).where(County.code == "510999").limit(1))
    rows = province_rows()
    rows[5]["code"] = demo_code  # Excel row 7, a school of 示范县 said to be in 乙县
    resp = upload(client, token, write_xlsx(tmp_path / "p.xlsx", rows))
    assert resp.status_code == 422
    assert f"第 7 行「学校标识码」: 学校标识码 {demo_code} 已属于示范县（510999），与本行的县级行政区划代码 510802 不符" in text_of(resp)
    # one school in two counties of the same file
    rows = province_rows()
    rows[3]["county_code"] = "510802"  # the 初中 row of 5100000003, its 小学 row is in 甲县
    resp = upload(client, token, write_xlsx(tmp_path / "q.xlsx", rows))
    assert resp.status_code == 422 and "第 5 行「县级行政区划代码」: 学校标识码 5100000003 在第 4 行属于 510801" in text_of(resp)
    assert stored_codes(a) == [] and stored_codes(b) == []


def test_county_page_refuses_a_file_naming_another_county(client, two_counties, login_as, tmp_path):
    token = login_as("lead")
    rows = [dict(r, county_code="510999") for r in good_rows()]
    rows[2]["county_code"] = "510801"  # Excel row 4
    resp = county_upload(client, token, write_xlsx(tmp_path / "c.xlsx", rows), code="510999")
    assert resp.status_code == 422
    text = text_of(resp)
    assert "第 4 行「县级行政区划代码」: 510801 不是示范县的代码（510999）" in text and "未保存任何数据" in text
    # the county's own code (or none) is fine
    rows[2]["county_code"] = "510999"
    ok = county_upload(client, token, write_xlsx(tmp_path / "d.xlsx", rows), code="510999")
    assert ok.status_code == 302


def test_replacement_counts_per_county_are_shown_before_deleting(client, two_counties, login_as, tmp_path):
    a, b = two_counties
    token = login_as("admin")
    first = upload(client, token, write_xlsx(tmp_path / "p.xlsx", province_rows()))
    first_id = re.search(r"/imports/(\d+)", first.headers["Location"]).group(1)
    client.post(f"/school-data/province/imports/{first_id}/confirm", data={"csrf_token": token})
    # again: 甲县 loses 2 rows and one changes; 乙县 gains one
    rows = province_rows()
    rows = [dict(rows[0], students=900)] + rows[1:3] + rows[5:] + [dict(row("5108020009", "初中"), county_code="510802")]
    resp = upload(client, token, write_xlsx(tmp_path / "q.xlsx", rows))
    preview = resp.headers["Location"]
    page = client.get(preview)
    html = page.get_data(as_text=True)
    cells = lambda code: re.findall(r"<td class=\"n\">(?:<strong class=\"bad\">)?(\d+)",  # noqa: E731
                                    re.search(rf'<tr data-county="{code}">(.*?)</tr>', html, re.S).group(1))
    # 文件行数, 已有, 新增, 更新, 不变, 删除, 提醒
    assert cells("510801")[:6] == ["3", "5", "0", "1", "2", "2"]
    assert cells("510802")[:6] == ["4", "3", "1", "0", "3", "0"]
    text = text_of(page)
    assert "确认删除 2 行" in text and "甲县：以下 2 行本年度已有、文件中没有，确认后将删除" in text
    import_id = re.search(r"/imports/(\d+)", preview).group(1)
    refused = client.post(f"/school-data/province/imports/{import_id}/confirm", data={"csrf_token": token})
    assert refused.headers["Location"].endswith(preview)
    db.session.expire_all()
    assert len(stored_codes(a)) == 5 and len(stored_codes(b)) == 3  # nothing deleted, nothing added
    client.post(f"/school-data/province/imports/{import_id}/confirm", data={"csrf_token": token, "replace": "1"})
    db.session.expire_all()
    assert len(stored_codes(a)) == 3 and len(stored_codes(b)) == 4


def test_county_filter_shows_only_that_county(client, two_counties, login_as, tmp_path):
    token = login_as("admin")
    rows = [dict(row(f"51080100{i:02d}", "小学"), county_code="510801") for i in range(120)]
    rows += [dict(row(f"51080200{i:02d}", "小学"), county_code="510802") for i in range(30)]
    rows[125]["equipment_value"] = 500 * 3000  # a warning in 乙县
    preview = upload(client, token, write_xlsx(tmp_path / "p.xlsx", rows)).headers["Location"]
    page = client.get(preview)
    html = page.get_data(as_text=True)
    assert "共 150 行，第 1 / 2 页" in text_of(page) and html.count('data-code="') == 100
    assert '<option value="510802">乙县（510802）</option>' in html
    only_b = client.get(preview + "?county=510802")
    codes = re.findall(r'data-code="(\d+)" data-county="(\d+)"', only_b.get_data(as_text=True))
    assert len(codes) == 30 and {c for _, c in codes} == {"510802"} and "共 30 行" in text_of(only_b)
    warned = client.get(preview + "?county=510802&warned=1")
    codes = re.findall(r'data-code="(\d+)"', warned.get_data(as_text=True))
    assert codes == ["5108020005"] and "疑似按「元」而非「万元」填报" in text_of(warned)
    assert re.findall(r'data-code="(\d+)"', client.get(preview + "?county=510801&warned=1").get_data(as_text=True)) == []


@pytest.mark.parametrize("username", ["lead", "inspector1"])
def test_only_admins_reach_the_province_import(client, two_counties, login_as, tmp_path, username):
    token = login_as(username)
    assert client.get("/school-data/province").status_code == 403
    assert upload(client, token, write_xlsx(tmp_path / "p.xlsx", province_rows())).status_code == 403
    assert client.get("/school-data/province/imports/1").status_code == 403
    assert client.post("/school-data/province/imports/1/confirm", data={"csrf_token": token}).status_code == 403
    assert client.post("/school-data/province/imports/1/discard", data={"csrf_token": token}).status_code == 403
    assert "全省导入学校数据" not in text_of(client.get("/counties")) if username == "lead" else True


def poor(code, students=500):
    """A 小学 row far below the quality-2017 thresholds: fails 校校达标 and pulls the CVs up."""
    return row(code, "小学", students=students, teachers=students // 40, qualified_teachers=1, key_teachers=0,
               pe_art_teachers=0, senior_teachers=0, teaching_area=students * 1.0, sports_area=students * 1.0,
               equipment_value=students * 100 / 10000, multimedia_rooms=0, computers=2, books=students * 2)


def cell(html, county, section):
    """The visible text of one county's evaluation cell of a 学段 in the province preview."""
    tr = re.search(rf'<tr data-county="{county}">(.*?)</tr>', html, re.S).group(1)
    td = re.search(rf'<td class="n county-eval" data-section="{section}">(.*?)</td>', tr, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", td.replace("<br>", " "))).strip()


def county_rows(import_id, county):
    rows = db.session.get(DataImport, import_id).rows
    return [r for r in rows if r["county_code"] == county]


def test_preview_evaluates_each_county_before_storing(client, two_counties, login_as, tmp_path):
    from app.indicators.metrics import evaluate
    from app.indicators.school_data import frame_from_rows
    from app.standards import get_standard

    a, b = two_counties
    token = login_as("admin")
    rows = [dict(r, county_code="510801") for r in good_rows()]
    rows += [dict(row(f"51080200{i:02d}", "小学", students=400 + 100 * i), county_code="510802") for i in range(3)]
    rows += [dict(poor(f"51080200{i:02d}"), county_code="510802") for i in (7, 8)]
    preview = upload(client, token, write_xlsx(tmp_path / "p.xlsx", rows)).headers["Location"]
    import_id = int(re.search(r"/imports/(\d+)", preview).group(1))
    html = client.get(preview).get_data(as_text=True)
    std = get_standard("quality-2017")  # the county pages' default standard
    for county in ("510801", "510802"):
        ev = evaluate(frame_from_rows(county_rows(import_id, county)), std)
        for sec, res in ev.sections.items():
            text = cell(html, county, sec)
            if not res.schools:
                assert text == "无纳入测算的学校"
                continue
            worst = max(res.indicators.values(), key=lambda r: r.cv)
            failing = int((ev.schools[ev.schools["section"] == sec]["ok"] == False).sum())  # noqa: E712
            assert text == (f"{worst.code} {worst.cv:.3f} / {std.cv['caps'][sec]:.2f} {'达标' if res.ok else '未达标'} "
                            f"校校达标：{failing} / {res.schools} 所未达标")
    # 甲县 meets the standard; 乙县's two poor schools fail 校校达标 and push a CV over the cap
    assert cell(html, "510801", "小学").endswith("达标 校校达标：0 / 3 所未达标") and "未达标 校" not in cell(html, "510801", "小学")
    assert re.fullmatch(r"R\d 0\.\d{3} / 0\.50 未达标 校校达标：2 / 5 所未达标", cell(html, "510802", "小学"))
    assert '<strong class="bad">未达标</strong>' in html and '<strong class="bad">2</strong>' in html
    assert cell(html, "510802", "初中") == "无纳入测算的学校"
    # the other standard (the same ?standard= as the county pages): its composite coefficient
    html = client.get(preview + "?standard=basic-2012").get_data(as_text=True)
    basic = get_standard("basic-2012")
    ev = evaluate(frame_from_rows(county_rows(import_id, "510802")), basic)
    res = ev.sections["小学"]
    assert cell(html, "510802", "小学") == f"综合 {res.composite_cv:.3f} / {res.cap:.2f} {'达标' if res.ok else '未达标'}"
    assert client.get(preview + "?standard=nope").status_code == 404
    assert stored_codes(a) == [] and stored_codes(b) == []  # still nothing stored


def test_province_figures_are_the_county_previews_figures(client, two_counties, login_as, tmp_path):
    """乙县's cell in the province preview against the county preview of the same rows."""
    token = login_as("admin")
    b_rows = [dict(row(f"51080200{i:02d}", "小学", students=300 + 150 * i), county_code="510802") for i in range(3)]
    b_rows += [dict(poor("5108020007"), county_code="510802"), dict(row("5108020009", "初中"), county_code="510802")]
    rows = [dict(r, county_code="510801") for r in good_rows()] + b_rows
    province_html = client.get(upload(client, token, write_xlsx(tmp_path / "p.xlsx", rows)).headers["Location"]).get_data(as_text=True)
    county_preview = county_upload(client, token, write_xlsx(tmp_path / "b.xlsx", b_rows), code="510802").headers["Location"]
    county_html = client.get(county_preview).get_data(as_text=True)
    for sec in ("小学", "初中"):
        part = re.search(rf'<section class="card result-section">\s*<h2>{sec}(.*?)</section>', county_html, re.S).group(1)
        cvs = {code: cv for code, cv in re.findall(r'<td class="code">(R\d)</td>.*?<td class="n">[^<]*</td>\s*<td class="n">([\d.]+)', part, re.S)}
        code = max(cvs, key=lambda c: float(cvs[c]))
        verdict = "未达标" if "校际均衡未达标" in part else "达标"
        assert cell(province_html, "510802", sec).startswith(f"{code} {cvs[code]} / ") and f" {verdict} 校校达标" in cell(province_html, "510802", sec)
