"""The documents: the findings report (.docx), the rectification lists and exports (.xlsx, .zip),
as downloaded from the app and written by the CLI."""
import io
import re
import zipfile

import openpyxl
from docx import Document
from docx.shared import Cm

from app.extensions import db
from app.indicators.metrics import evaluate
from app.reports.docx_report import SECTION_HEADINGS
from app.reports.xlsx_lists import COUNTY_HEADERS, MONTH_FORMAT, SCHOOL_HEADERS
from app.indicators.school_import import stored_frame
from tests import scenario
from tests.conftest import text_of


def docx_text(doc):
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return parts


def test_findings_report_docx(client, demo):
    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    resp = client.get(f"/inspections/{iid}/report.docx")
    assert resp.status_code == 200 and resp.mimetype.endswith("wordprocessingml.document")
    doc = Document(io.BytesIO(resp.data))
    paras = [p.text for p in doc.paragraphs]
    # every section heading, in order
    positions = [paras.index(h) for h in SECTION_HEADINGS]
    assert positions == sorted(positions)
    assert paras[0].startswith("关于示范县") and paras[0].endswith("的反馈意见")
    # A4, official margins, page number field in the footer
    sec = doc.sections[0]
    assert abs(sec.page_width - Cm(21)) < Cm(0.05) and abs(sec.page_height - Cm(29.7)) < Cm(0.05)
    assert "PAGE" in sec.footer._element.xml
    # the indicator tables hold the database's numbers
    inspection = demo["inspection"]
    frame, _ = stored_frame(inspection.county_id, inspection.year - 1)
    ev = evaluate(frame, inspection.standard)
    tables = [t for t in doc.tables if t.rows[0].cells[0].text == "代码" and t.rows[0].cells[2].text == "县域值"]
    assert len(tables) == 2
    for table, (sec_name, res) in zip(tables, ev.sections.items()):
        rows = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
        for code, r in res.indicators.items():
            assert rows[code][2] == f"{r.value:.2f}" and rows[code][3] == f"{r.cv:.3f}"
            assert rows[code][5] == ("达标" if r.ok else "未达标")
    # each problem of the feedback appears once, with its school
    text = "\n".join(docx_text(doc))
    for p in s["feedback"].problems:
        assert text.count(p.text) == 1, p.text
        if p.school:
            line = next(x for x in paras if p.text in x)
            assert f"【{p.school.name}】" in line
    assert "依据：检查记录#" in text and "陈督学" in text
    # the evidence photo with its caption
    assert len(doc.inline_shapes) == 1
    assert any("五年级二班课堂" in x for x in docx_text(doc))
    assert "县委县政府高度重视义务教育。" in text and "一年内消除大班额。" in text and "检查组意见：整改后复核。" in text


def test_rectification_xlsx(client, demo):
    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    resp = client.get(f"/inspections/{iid}/rectification.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["学校整改清单"]
    assert ws["A1"].value == "义务教育学校达到优质均衡目标整改清单"
    assert ws["A2"].value == "县（市、区）名称：示范县" and ws["D2"].value.startswith("填报日期：")
    assert [c.value for c in ws[3]] == SCHOOL_HEADERS
    school_problems = {}
    for p in s["feedback"].problems:
        if p.school:
            school_problems.setdefault(p.school.name, []).append(p.text)
    data_rows = [r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).border.left.style == "thin"]  # the form's rows
    blocks = [ws.cell(r, 1).value for r in data_rows if ws.cell(r, 1).value]
    assert sorted(b.split(".", 1)[1] for b in blocks) == sorted(school_problems)
    merged = [str(r) for r in ws.merged_cells.ranges]
    for row in range(4, 4 + sum(len(v) for v in school_problems.values())):
        d = ws.cell(row, 4)
        assert d.number_format == MONTH_FORMAT and (d.value.year, d.value.month) == (2027, 6)
        assert ws.cell(row, 2).value.startswith("1.") and ws.cell(row, 3).value.startswith("针对问题")
    assert ws.print_title_rows == "$3:$3" and ws.page_setup.orientation == "landscape"
    assert "A1:D1" in merged
    county = wb["县级政府整改清单"]
    assert [c.value for c in county[3]] == COUNTY_HEADERS
    county_rows = [[county.cell(r, c).value for c in (1, 2, 3)] for r in range(4, county.max_row + 1)
                   if county.cell(r, 1).border.left.style == "thin"]
    assert len(county_rows) == sum(1 for p in s["feedback"].problems if not p.school)
    assert all(r[2].strftime("%Y-%m") == "2027-06" for r in county_rows)


def test_school_with_several_problems_is_one_merged_block():
    from datetime import date

    from app.reports.data import RectificationData, RectRow
    from app.reports.xlsx_lists import build_rectification_xlsx

    data = RectificationData("示范县", date(2026, 11, 22), [
        ("城关小学", [RectRow("班额超标", "新建教室", date(2027, 6, 1)), RectRow("音乐教室不足", "改建", date(2027, 9, 1))]),
        ("城关小学（南校区）", [RectRow("运动场不足", "扩建", None)]),
    ], [RectRow("教师交流比例不足", "完善制度", date(2027, 3, 1))])
    ws = openpyxl.load_workbook(io.BytesIO(build_rectification_xlsx(data)))["学校整改清单"]
    assert ws["A4"].value == "1.城关小学" and ws["A6"].value == "2.城关小学（南校区）"
    assert "A4:A5" in [str(r) for r in ws.merged_cells.ranges]
    assert [ws["B4"].value, ws["B5"].value] == ["1.班额超标", "2.音乐教室不足"]
    assert ws["D4"].border.left.style == "thin" and ws["B4"].alignment.wrap_text


def test_exports_and_photo_zip(client, demo):
    scenario.run(client, demo)
    iid = demo["inspection"].id
    wb = openpyxl.load_workbook(io.BytesIO(client.get(f"/inspections/{iid}/export.xlsx").data))
    assert wb.sheetnames == ["检查记录", "答辩问答", "实地访谈", "相关部门", "照片", "反馈问题"]
    records = list(wb["检查记录"].iter_rows(values_only=True))
    assert records[0][:4] == ("编号", "类别", "学校/部门", "检查项") and len(records) == 4
    resp = client.get(f"/inspections/{iid}/photos.zip")
    z = zipfile.ZipFile(io.BytesIO(resp.data))
    names = z.namelist()
    assert len(names) == 1 and re.match(r"^.+/G5 班额不超标.*/2026-11-21 101000\.jpg$", names[0]), names


def test_zip_names_are_safe_and_unique():
    from datetime import datetime

    from app.reports.xlsx_lists import build_photos_zip

    when = datetime(2026, 11, 22, 9, 5, 7)
    buf = build_photos_zip([("城关/小学", "R5:面积?", when, b"1"), ("城关/小学", "R5:面积?", when, b"2")], io.BytesIO())
    names = zipfile.ZipFile(buf).namelist()
    assert names == ["城关_小学/R5_面积_/2026-11-22 090507.jpg", "城关_小学/R5_面积_/2026-11-22 090507 (2).jpg"]


def test_cli_report_and_rectification(app, client, demo, tmp_path):
    scenario.run(client, demo)
    runner = app.test_cli_runner()
    iid = str(demo["inspection"].id)
    out = tmp_path / "r.docx"
    result = runner.invoke(args=["report", iid, "--format", "docx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert Document(str(out)).paragraphs[0].text.startswith("关于示范县")
    html = tmp_path / "r.html"
    assert runner.invoke(args=["report", iid, "--format", "html", "-o", str(html)]).exit_code == 0
    assert all(h in html.read_text(encoding="utf-8") for h in SECTION_HEADINGS)
    xlsx = tmp_path / "z.xlsx"
    assert runner.invoke(args=["rectification", iid, "-o", str(xlsx)]).exit_code == 0
    assert openpyxl.load_workbook(str(xlsx)).sheetnames == ["学校整改清单", "县级政府整改清单"]
    assert runner.invoke(args=["report", "999", "-o", str(out)]).exit_code != 0


def test_printable_page_escapes_user_text(client, demo):
    s = scenario.run(client, demo)
    p = s["feedback"].problems[0]
    p.text = "<script>alert(1)</script>大班额"
    db.session.commit()
    html = client.get(f"/inspections/{demo['inspection'].id}/report").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;大班额" in html
    for h in SECTION_HEADINGS:
        assert h in html


def test_only_team_lead_fills_measures(client, demo):
    scenario.run(client, demo)
    from tests.conftest import login

    client.post("/logout", data={"csrf_token": client.get("/csrf-token").get_json()["token"]})
    t = login(client, "admin")
    resp = client.post(f"/inspections/{demo['inspection'].id}/rectification", data={"csrf_token": t})
    assert resp.status_code == 403
    page = text_of(client.get(f"/inspections/{demo['inspection'].id}/rectification"))
    assert "针对问题1制定措施" in page or "整改提升措施" in page


def test_rectification_items_are_closed_with_evidence(client, demo):
    from app.models import AuditEntry, RectificationItem

    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    p = s["feedback"].problems[0]
    resp = client.post(f"/inspections/{iid}/rectification/{p.id}/close", data={"csrf_token": s["token"], "evidence": ""})
    assert "销号需要填写整改完成的佐证" in text_of(client.get(resp.headers["Location"]))
    client.post(f"/inspections/{iid}/rectification/{p.id}/close", data={"csrf_token": s["token"], "evidence": "新建教室已投入使用"})
    item = db.session.execute(db.select(RectificationItem).filter_by(problem_id=p.id)).scalar_one()
    assert item.status == "closed" and item.closing_evidence == "新建教室已投入使用"
    page = text_of(client.get(f"/inspections/{iid}/rectification"))
    assert f"已销号 1 / {len(s['feedback'].problems)} 项" in page
    client.post(f"/inspections/{iid}/rectification/{p.id}/reopen", data={"csrf_token": s["token"]})
    db.session.expire_all()
    assert db.session.get(RectificationItem, item.id).status == "open"
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(AuditEntry.entity == "rectification",
                                                                         AuditEntry.action.in_(("close", "reopen")))) == 2


def test_a_lost_photo_file_does_not_stop_the_report(client, demo, app):
    import os

    from app.models import Photo

    scenario.run(client, demo)
    photo = db.session.execute(db.select(Photo)).scalar_one()
    os.remove(os.path.join(app.config["UPLOAD_DIR"], "photos", photo.thumb_key))
    resp = client.get(f"/inspections/{demo['inspection'].id}/report.docx")
    assert resp.status_code == 200
    assert len(Document(io.BytesIO(resp.data)).inline_shapes) == 0
