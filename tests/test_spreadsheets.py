"""Tables as offices keep them, and hostile ones refused before they cost anything (app.spreadsheets
and the school data template that reads through it; at the end, the same refusals through the upload
routes, as a logged-in user with CSRF)."""
import io
import subprocess
import time
import zipfile

import openpyxl
import pytest

from app.fieldwork.draws import DrawError
from app.fieldwork.roster import parse_roster
from app.indicators.school_data import read_table
from app.spreadsheets import Limits, SpreadsheetError, read_first_sheet
from tests.test_school_data import KEYS, good_rows, headers, messages, write_xlsx


def zip_bomb(inflated_mb=90):
    """An .xlsx-shaped zip whose sheet inflates to `inflated_mb` MB from a few hundred KB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"<row><c><v>0</v></c></row>" * 40000
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            for _ in range(inflated_mb * 1024 * 1024 // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


def test_zip_bomb_refused_fast_before_parsing():
    bomb = zip_bomb()
    assert len(bomb) < 1_000_000
    t = time.perf_counter()
    table = read_table(bomb, filename="学校数据.xlsx")
    elapsed = time.perf_counter() - t
    assert table.frame is None and "解压后" in messages(table)[0] and "超过上限" in messages(table)[0]
    print(f"zip bomb of {len(bomb) // 1024} KB refused in {elapsed * 1000:.0f} ms")


def test_too_many_rows_refused_with_chinese_message(tmp_path):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["姓名"])
    for i in range(2000):
        ws.append([f"人{i}"])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(SpreadsheetError, match="超过上限 1000 行"):
        read_first_sheet(buf.getvalue(), "名单.xlsx", Limits(max_rows=1000))
    with pytest.raises(SpreadsheetError, match="超过 1000 行"):
        read_first_sheet(("姓名\n" + "张三\n" * 2000).encode(), "名单.csv", Limits(max_rows=1000))


def test_roster_reads_through_the_same_caps():
    bomb = zip_bomb(80)
    with pytest.raises(DrawError, match="解压后"):
        parse_roster(file_bytes=bomb, filename="名单.xlsx")
    # a GBK CSV as Chinese Excel saves it
    people = parse_roster(file_bytes="姓名,类型\n王芳,教师\n".encode("gbk"), filename="名单.csv")
    assert people[0]["label"] == "王芳" and people[0]["type"] == "教师"


def _csv_bytes(rows, encoding="utf-8-sig"):
    lines = [",".join(headers())]
    for r in rows:
        lines.append(",".join("" if r.get(KEYS[h]) is None else f'"{r.get(KEYS[h])}"' for h in headers()))
    return ("\n".join(lines) + "\n").encode(encoding)


def test_non_finite_and_out_of_range_numbers_refused_with_row_and_column():
    rows = good_rows()
    rows[0]["teaching_area"] = "inf"
    rows[1]["students"] = "12345678901234567890"  # 20 digits
    rows[2]["sports_area"] = "1e308"
    rows[3]["books"] = "1e9"
    table = read_table(_csv_bytes(rows), filename="a.csv")
    text = "\n".join(messages(table))
    assert table.frame is None
    assert "第 2 行「教学及辅助用房面积」" in text and "不是有限的数" in text
    assert "第 3 行「在校生数」" in text and "超出合理范围" in text
    assert "第 4 行「体育运动场馆面积」" in text
    assert "第 5 行「图书册数」" in text


def test_full_width_digits_thousands_and_the_decimal_comma():
    rows = good_rows()
    rows[0]["students"] = "８００"                 # full-width digits
    rows[1]["equipment_value"] = "２１５．６"       # full-width decimal point
    rows[2]["books"] = "23,226"                    # a thousands separator
    table = read_table(_csv_bytes(rows), filename="a.csv")
    assert table.ok, messages(table)
    f = table.frame.set_index(["学校标识码", "学段"])
    assert f.loc[("5100000001", "小学"), "在校生数"] == 800
    assert f.loc[("5100000002", "初中"), "教学仪器设备值"] == pytest.approx(215.6)
    assert f.loc[("5100000003", "小学"), "图书册数"] == 23226
    rows[1]["equipment_value"] = "215,6"  # can only be a decimal comma: refused, never 2156
    text = "\n".join(messages(read_table(_csv_bytes(rows), filename="a.csv")))
    assert "第 3 行「教学仪器设备值」" in text and "逗号只能是小数点" in text and "215.6" in text


def test_xls_and_ods_made_by_libreoffice_read_like_the_xlsx(tmp_path):
    xlsx = write_xlsx(tmp_path / "data.xlsx", good_rows())
    expected = read_table(xlsx).frame
    for fmt in ("xls", "ods"):
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-{fmt}", "--headless",
                        "--convert-to", fmt, "--outdir", str(tmp_path), xlsx],
                       check=True, capture_output=True, timeout=120)
        data = (tmp_path / f"data.{fmt}").read_bytes()
        table = read_table(data, filename=f"data.{fmt}")
        assert table.ok, messages(table)
        assert table.frame[["学校标识码", "学段", "在校生数", "图书册数"]].equals(
            expected[["学校标识码", "学段", "在校生数", "图书册数"]])


def test_the_upload_page_lists_the_first_200_errors_with_the_total(client, demo):
    from tests.conftest import login

    rows = [dict(good_rows()[0], code=f"51000{i:05d}", students="多") for i in range(300)]
    token = login(client, "admin")
    resp = client.post(f"/counties/{demo['county'].code}/data/upload", data={
        "csrf_token": token, "year": "2025", "file": (io.BytesIO(_csv_bytes(rows)), "a.csv")},
        content_type="multipart/form-data", headers={"HX-Request": "true"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "文件有 300 处错误" in page and "以下列出前 200 处" in page
    assert page.count("<li>") == 200


# ----------------------------------------------------------------------------- through HTTP


def _rows(*models):
    from app.extensions import db

    return {m.__name__: db.session.scalar(db.select(db.func.count()).select_from(m)) for m in models}


ZIP_DIRECTORY_REFUSAL = "解压后达"  # only check_archive() says this: the zip's directory, read before any sheet


def test_a_zip_bomb_uploaded_as_school_data_is_refused_and_nothing_stored(client, demo):
    """Uploaded by a logged-in admin with CSRF, on the county page and the province page: the
    refusal is the zip-directory check's (so the sheet was never parsed) and no row is stored."""
    from app.models import DataImport, SchoolSectionData
    from tests.conftest import login, text_of

    bomb = zip_bomb()
    token = login(client, "admin")
    before = _rows(DataImport, SchoolSectionData)
    for url in (f"/counties/{demo['county'].code}/data/upload", "/school-data/province/upload"):
        for headers in ({}, {"HX-Request": "true"}):
            resp = client.post(url, data={"csrf_token": token, "year": "2025", "file": (io.BytesIO(bomb), "学校数据.xlsx")},
                               headers=headers, content_type="multipart/form-data")
            assert resp.status_code == 422, (url, resp.status_code)
            page = text_of(resp)
            assert "未保存任何数据" in page and ZIP_DIRECTORY_REFUSAL in page and "已拒绝读取" in page, (url, page[:300])
    assert _rows(DataImport, SchoolSectionData) == before


def test_a_zip_bomb_uploaded_as_a_roster_is_refused_and_no_draw_stored(client, demo):
    from app.models import Draw
    from tests.conftest import login, text_of

    iid = demo["inspection"].id
    token = login(client, "lead")
    before = _rows(Draw)
    resp = client.post(f"/inspections/{iid}/draws/interviewees", follow_redirects=True, content_type="multipart/form-data",
                       data={"csrf_token": token, "count": "3", "roster": (io.BytesIO(zip_bomb(80)), "名单.xlsx")})
    page = text_of(resp)
    assert "未抽取" in page and ZIP_DIRECTORY_REFUSAL in page and "已拒绝读取" in page
    assert _rows(Draw) == before


def test_pasted_roster_text_has_the_files_line_cap(client, demo):
    from app.fieldwork.roster import ROSTER_LIMITS
    from app.models import Draw
    from tests.conftest import login, text_of

    too_long = "姓名\n" + "".join(f"群众{i}\n" for i in range(ROSTER_LIMITS.max_rows + 1))
    with pytest.raises(DrawError, match=f"超过上限 {ROSTER_LIMITS.max_rows} 行"):
        parse_roster(text=too_long)
    assert len(parse_roster(text=too_long.rsplit("群众", 1)[0])) == ROSTER_LIMITS.max_rows  # at the cap: read
    iid = demo["inspection"].id
    token = login(client, "lead")
    resp = client.post(f"/inspections/{iid}/draws/interviewees", follow_redirects=True,
                       data={"csrf_token": token, "count": "3", "roster_text": too_long})
    assert f"未抽取：粘贴的名单有 {ROSTER_LIMITS.max_rows + 2} 行，超过上限 {ROSTER_LIMITS.max_rows} 行" in text_of(resp)
    assert _rows(Draw) == {"Draw": 0}


def test_the_error_list_shows_as_many_errors_as_the_data_file_says(client, demo, monkeypatch):
    """max_errors_shown in app/standards/school-data.json decides how many errors are listed."""
    from app.indicators.school_data import template
    from tests.conftest import login, text_of

    monkeypatch.setitem(template(), "max_errors_shown", 3)
    token = login(client, "admin")
    bad = "\n".join([",".join(headers())] + [",".join(["x"] * len(headers()))] * 6).encode("utf-8")
    resp = client.post(f"/counties/{demo['county'].code}/data/upload", headers={"HX-Request": "true"},
                       content_type="multipart/form-data",
                       data={"csrf_token": token, "year": "2025", "file": (io.BytesIO(bad), "学校数据.csv")})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "以下列出前 3 处" in text_of(resp) and html.count("<li>") == 3
