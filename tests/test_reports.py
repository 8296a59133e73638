"""The documents: the findings report (.docx), the rectification lists and exports (.xlsx, .zip),
as downloaded from the app and written by the CLI."""
import io
import re
import zipfile
from datetime import datetime, timezone

import openpyxl
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, Cm

from app.extensions import db
from app.indicators.metrics import evaluate
from app.reports.docx_report import HEADINGS
from app.reports.xlsx_lists import COUNTY_HEADERS, MONTH_FORMAT, SCHOOL_HEADERS
from app.indicators.school_import import stored_frame
from tests import scenario
from tests.conftest import login, text_of


def docx_text(doc):
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts.extend(c.text for c in row.cells)
    return parts


def test_feedback_opinion_docx(client, demo):
    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    resp = client.get(f"/inspections/{iid}/report.docx")
    assert resp.status_code == 200 and resp.mimetype.endswith("wordprocessingml.document")
    assert resp.headers["Content-Disposition"].startswith('attachment; filename="')
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    doc = Document(io.BytesIO(resp.data))
    paras = [p.text for p in doc.paragraphs]
    assert paras[0].replace("\n", "") == "关于示范县义务教育优质均衡发展省级评估的反馈意见"
    assert "\n" in paras[0]  # broken into two lines at a word boundary
    assert paras[2] == "示范县人民政府："  # 主送
    positions = [paras.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    # A4, GB/T 9704 margins, the document grid, odd/even footers with the page number
    sec = doc.sections[0]
    assert abs(sec.page_width - Cm(21)) < Cm(0.05) and abs(sec.page_height - Cm(29.7)) < Cm(0.05)
    assert [round(x / 36000) for x in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [37, 35, 28, 26]
    grid = sec._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars" and grid.get(qn("w:linePitch")) == "579"
    assert doc.settings.odd_and_even_pages_header_footer
    assert "PAGE" in sec.footer._element.xml and "PAGE" in sec.even_page_footer._element.xml
    assert sec.footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert sec.even_page_footer.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    for footer in (sec.footer, sec.even_page_footer):  # — N — in 4号 (14 pt) 宋体
        runs = [r for r in footer.paragraphs[0].runs if r.text.strip() or "PAGE" in r._r.xml]
        assert runs and all('w:eastAsia="宋体"' in r._r.xml and r.font.size == Pt(14) for r in runs)
    # headings in 黑体, the body justified
    first = next(p for p in doc.paragraphs if p.text == "一、主要成效")
    assert all('w:eastAsia="黑体"' in r._r.xml for r in first.runs if r.text.strip())
    body = next(p for p in doc.paragraphs if p.text.startswith("检查组认为"))
    assert (body.alignment or doc.styles["Normal"].paragraph_format.alignment) == WD_ALIGN_PARAGRAPH.JUSTIFY
    font_table = next(r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")).blob.decode()
    assert 'w:name="仿宋_GB2312"' in font_table and '<w:altName w:val="仿宋"/>' in font_table
    # the opening paragraph's figures; the confirmed problems by theme, with no record numbers
    text = "\n".join(docx_text(doc))
    assert f"实地检查学校{len({s['school1'].id, s['school2'].id})}所" in text
    assert "随机访谈1人，其中家长1人" in text
    assert "（一）个别学校班额超标。" in text and f"{s['school1'].name}（五年级二班58人）" in text
    assert "检查记录#" not in text and "依据：" not in text and f"【{s['school1'].name}】" not in text
    assert "作业量偏大" not in text  # 存疑: out until a lead confirms it
    assert "县委县政府高度重视义务教育。" in text and "一年内消除大班额。" in text
    # 附件说明 and the 落款 in the unsealed layout
    assert "附件：1. 问题清单" in paras and "2. 证据照片" in paras
    issuer = paras.index("四川省人民政府教育督导室")
    assert re.fullmatch(r"20\d\d年[1-9]\d?月[1-9]\d?日", paras[issuer + 1])
    assert "附件1" in paras and "附件2" in paras
    # the problem list: fixed widths inside 156 mm, header repeated
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "序号")
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert sum(widths) <= 156 / 25.4 * 1440 + 1 and min(widths) >= 15 / 25.4 * 1440
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert [s["school1"].name, "班额", "班额超标：五年级二班58人"] in [r[1:] for r in rows]
    # the photo of the confirmed G5 problem, whole, captioned in local time
    assert len(doc.inline_shapes) == 1
    assert any(f"{s['school1'].name} · 班额 · 2026年11月21日 10:10" in x for x in docx_text(doc))
    pic_para = doc.inline_shapes[0]._inline.getparent().getparent().getparent()
    spacing = pic_para.find(qn("w:pPr")).find(qn("w:spacing"))
    assert spacing.get(qn("w:lineRule")) == "auto"
    # file properties
    props = doc.core_properties
    assert props.title.startswith("关于示范县") and "李组长" in props.author and "python-docx" not in props.author
    assert abs((props.created - datetime.now(timezone.utc)).total_seconds()) < 120


def test_the_lead_edits_the_drafts_and_the_edited_text_prints(client, demo):
    from app.models import AuditEntry, Feedback

    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    page = text_of(client.get(f"/inspections/{iid}/feedback"))
    assert "草稿" in page and "（一）个别学校班额超标。" in page and "存疑事项（1" in page
    t = s["token"]
    client.post(f"/inspections/{iid}/feedback/save", data={
        "csrf_token": t, "addressee": "示范县人民政府、示范市教育局", "issuer": "示范省教育督导检查组",
        "process": "2026年11月24日至26日，检查组对示范县进行了实地督导检查。", "overall": "检查组认为，示范县基本达到要求。",
        "achievements": "（一）政府重视，保障有力。一是经费逐年增长。", "problems_text": "（一）部分学校大班额问题依然突出。城关小学一个班58人。",
        "requirements": "（一）加快消除大班额。", "closing": "请于三个月内报送整改方案。", "conclusion": "整改后复核"})
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    assert fb.addressee == "示范县人民政府、示范市教育局" and fb.problems_text.startswith("（一）部分学校大班额")
    doc = Document(io.BytesIO(client.get(f"/inspections/{iid}/report.docx").data))
    paras = [p.text for p in doc.paragraphs]
    assert "示范县人民政府、示范市教育局：" in paras and "示范省教育督导检查组" in paras
    for line in ("（一）政府重视，保障有力。一是经费逐年增长。", "（一）部分学校大班额问题依然突出。城关小学一个班58人。",
                 "（一）加快消除大班额。", "请于三个月内报送整改方案。", "检查组认为，示范县基本达到要求。"):
        assert line in paras
    assert "个别学校班额超标" not in "\n".join(paras)
    # a 楷体 headline run then the 仿宋 rest
    p = next(p for p in doc.paragraphs if p.text.startswith("（一）政府重视"))
    assert p.runs[0].text == "（一）政府重视，保障有力。" and 'w:eastAsia="楷体_GB2312"' in p.runs[0]._r.xml
    html = client.get(f"/inspections/{iid}/report").get_data(as_text=True)
    assert "示范县人民政府、示范市教育局：" in html and "（一）部分学校大班额问题依然突出。" in html
    # a one-line field refuses two lines; nothing is stored half-way
    client.post(f"/inspections/{iid}/feedback/save", data={"csrf_token": t, "addressee": "甲\n乙", "issuer": "新",
                                                           "conclusion": "整改后复核"})
    db.session.expire_all()
    fb = db.session.get(Feedback, fb.id)
    assert fb.addressee == "示范县人民政府、示范市教育局" and fb.issuer == "示范省教育督导检查组"
    # back to the draft
    client.post(f"/inspections/{iid}/feedback/redraft", data={"csrf_token": t, "field": "problems_text"})
    db.session.expire_all()
    assert db.session.get(Feedback, fb.id).problems_text == ""
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(AuditEntry.entity == "feedback")) >= 3
    # only the team lead edits
    client.post("/logout", data={"csrf_token": t})
    t2 = login(client, "inspector1")
    assert client.post(f"/inspections/{iid}/feedback/save", data={"csrf_token": t2, "issuer": "x"}).status_code == 403


def test_doubtful_items_wait_for_confirmation(client, demo):
    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    doubtful = [p for p in s["feedback"].problems if p.doubtful]
    assert len(doubtful) == 1 and "作业量偏大" in doubtful[0].text
    assert "作业量偏大" not in "\n".join(docx_text(Document(io.BytesIO(client.get(f"/inspections/{iid}/report.docx").data))))
    client.post(f"/inspections/{iid}/feedback/problems/{doubtful[0].id}", data={"csrf_token": s["token"], "confirm": "1"})
    text = "\n".join(docx_text(Document(io.BytesIO(client.get(f"/inspections/{iid}/report.docx").data))))
    assert "学生课业负担偏重" in text and "作业量偏大" in text


def test_evidence_photos_default_to_confirmed_problems_and_the_lead_chooses(client, demo):
    from app.models import Feedback

    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    # a photo of the 存疑 item (not a problem yet) and one loose photo: not in by default
    t = login(client, "inspector3")
    extra = client.post(f"/inspections/{iid}/photos", content_type="multipart/form-data", data={
        "csrf_token": t, "client_uuid": scenario.u(), "subject_type": "school", "subject_id": str(s["school2"].id),
        "item_code": "Q8", "taken_at": "2026-11-22T01:00:00Z", "photo": (io.BytesIO(scenario.jpeg((20, 60, 200))), "b.jpg")}).get_json()
    client.post("/logout", data={"csrf_token": t})
    t = login(client, "lead")
    doc = Document(io.BytesIO(client.get(f"/inspections/{iid}/report.docx").data))
    assert len(doc.inline_shapes) == 1
    page = client.get(f"/inspections/{iid}/feedback").get_data(as_text=True)
    assert f'value="{extra["id"]}"' in page and f'value="{s["photo"]["id"]}" checked' in page
    # take the default one out, add the other
    client.post(f"/inspections/{iid}/feedback/photos", data={"csrf_token": t, "photo": [str(extra["id"])]})
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    assert fb.photo_choice == {"in": [extra["id"]], "out": [s["photo"]["id"]]}
    text = "\n".join(docx_text(Document(io.BytesIO(client.get(f"/inspections/{iid}/report.docx").data))))
    assert f"{s['school2'].name} · 学生课业负担合理 · 2026年11月22日 09:00" in text
    assert "五年级二班课堂" not in text
    # a photo of another inspection is refused, nothing changes
    client.post(f"/inspections/{iid}/feedback/photos", data={"csrf_token": t, "photo": ["99999"]})
    db.session.expire_all()
    assert db.session.get(Feedback, fb.id).photo_choice == {"in": [extra["id"]], "out": [s["photo"]["id"]]}


def test_figures_count_the_final_draw_and_schools_visited(client, demo):
    from app.fieldwork.procedure import feedback_figures
    from app.models import Draw

    inspection = demo["inspection"]
    scenario.run(client, demo)
    schools = [v.school for v in inspection.visits]
    lead = demo["users"]["lead"]
    for k, chosen in enumerate((schools[:6], schools[3:9])):  # a draw, then a redraw
        db.session.add(Draw(inspection_id=inspection.id, kind="schools", title="抽取", population=[], rule={}, seed=str(k),
                            result={"selected": [x.id for x in chosen]}, drawn_by_id=lead.id))
        db.session.commit()
    f = feedback_figures(inspection)
    assert f["schools_drawn"] == 6  # not 9: the redraw replaces the draw
    assert f["schools_visited"] == 2 and sum(f["visited_by_type"].values()) == 2
    doc = Document(io.BytesIO(client.get(f"/inspections/{inspection.id}/report.docx").data))
    text = "\n".join(docx_text(doc))
    assert "随机抽取学校6所" in text and "实地检查学校2所" in text and "实地检查学校1所" not in text


def test_rectification_xlsx(client, demo):
    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    resp = client.get(f"/inspections/{iid}/rectification.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["学校整改清单"]
    assert ws["A1"].value == "附件1" and ws["A2"].value == "义务教育学校达到优质均衡目标整改清单"
    assert ws["A3"].value == "县（市、区）名称：示范县" and ws["C3"].value.startswith("填报日期：")
    assert [c.value for c in ws[4]] == SCHOOL_HEADERS
    assert ws.print_title_rows == "$4:$4" and ws.page_setup.orientation == "landscape"
    assert "&P" in ws.oddFooter.center.text
    data_rows = [r for r in range(5, ws.max_row + 1) if ws.cell(r, 2).border.left.style == "thin"]
    # only the confirmed indicator items of schools: G5 of school 1 (Q8 is 存疑, the interview is no indicator)
    assert [ws.cell(r, 1).value for r in data_rows] == [f"1.{s['school1'].name}"]
    assert ws.cell(data_rows[0], 2).value == "1.班额超标：五年级二班58人"  # the name is not repeated in the text
    d = ws.cell(data_rows[0], 4)
    assert d.number_format == MONTH_FORMAT and (d.value.year, d.value.month) == (2027, 6)
    county = wb["县级政府整改清单"]
    assert county["A1"].value == "附件2" and [c.value for c in county[4]] == COUNTY_HEADERS
    county_rows = [[county.cell(r, c).value for c in (1, 2, 3)] for r in range(5, county.max_row + 1)
                   if county.cell(r, 1).border.left.style == "thin"]
    assert [r[0] for r in county_rows] == ["1.教师交流轮岗名单及比例测算（含骨干教师）不全：缺2024年交流名单"]
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
    assert ws["A5"].value == "1.城关小学" and ws["A7"].value == "2.城关小学（南校区）"
    assert "A5:A6" in [str(r) for r in ws.merged_cells.ranges]
    assert [ws["B5"].value, ws["B6"].value] == ["1.班额超标", "2.音乐教室不足"]
    assert ws["D5"].border.left.style == "thin" and ws["B5"].alignment.wrap_text


def test_row_heights_count_what_fits_and_a_long_block_names_its_school_on_the_next_page():
    from datetime import date

    from app.reports.data import RectificationData, RectRow
    from app.reports.xlsx_lists import COUNTY_WIDTHS, SCHOOL_WIDTHS, build_rectification_xlsx, print_scale, wrapped_lines

    # 44 units of the Arial 11 default font = 352 px, 344 px of text: 21 CJK characters (16 px
    # each) a line, or 43 half-width ones (LibreOffice prints 22; Excel's inner margins are wider)
    assert wrapped_lines("教" * 21, 44) == 1 and wrapped_lines("教" * 22, 44) == 2
    assert wrapped_lines("a" * 43, 44) == 1 and wrapped_lines("a" * 44, 44) == 2 and wrapped_lines("教\n教", 44) == 2
    assert print_scale(SCHOOL_WIDTHS) == 1 and print_scale(COUNTY_WIDTHS) == 1  # breaks placed here are the printer's
    long = "学校专任教师持证上岗率未达到百分之百，抽查发现部分教师无教师资格证" * 3
    data = RectificationData("示范县", date(2026, 11, 22), [
        ("城关小学", [RectRow(long, long, date(2027, 6, 1)) for _ in range(8)])], [])
    ws = openpyxl.load_workbook(io.BytesIO(build_rectification_xlsx(data)))["学校整改清单"]
    lines = wrapped_lines("1." + long, SCHOOL_WIDTHS[1])
    assert ws.row_dimensions[5].height >= 18 * lines
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks, "eight long rows do not fit one page"
    first_on_next = breaks[0] + 1
    assert ws.cell(first_on_next, 1).value == "1.城关小学（续）"
    assert f"A5:A{breaks[0]}" in [str(r) for r in ws.merged_cells.ranges] or breaks[0] == 5


def _formula_cells(data):
    """Cells of a workbook that are formulas: openpyxl's type 'f', or an <f> element in a sheet's XML."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    found = [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        found += [n for n in z.namelist() if n.startswith("xl/worksheets/") and re.search(rb"<f[ >]", z.read(n))]
    return found, {c.value for c in cells}


def test_every_xlsx_writes_typed_text_as_text(client, demo):
    from app.indicators.school_import import data_years
    from app.models import CheckRecord, Feedback, RectificationItem, School

    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    evil = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+2", "=SUM(1,2)", "@SUM(A1)", "=1+1"]
    rec = db.session.execute(db.select(CheckRecord).filter_by(item_code="G5")).scalar_one()
    rec.note = evil[0]
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    g5 = next(p for p in fb.problems if p.indicator_code == "G5")
    g5.text = evil[1]
    db.session.get(RectificationItem, g5.rectification.id).measures = evil[2]
    next(p for p in fb.problems if p.id != g5.id and p.indicator_code).text = evil[3]
    g5.school.name = evil[4] + g5.school.name  # a school name the office typed, in every list it reaches
    db.session.commit()
    school_name = g5.school.name
    for url in (f"/inspections/{iid}/export.xlsx", f"/inspections/{iid}/rectification.xlsx"):
        formulas, values = _formula_cells(client.get(url).data)
        assert not formulas, url
        if "export" in url:
            assert evil[0] in values  # stored as typed, as text
        else:
            assert {f"1.{evil[1]}", evil[2], f"1.{evil[3]}", f"1.{school_name}"} <= values
    # the self-check workbook (school names from the county's data)
    for school in db.session.scalars(db.select(School).filter_by(county_id=demo["county"].id)):
        if not school.name.startswith("="):
            school.name = "=" + school.name
    db.session.commit()
    client.post("/logout", data={"csrf_token": s["token"]})
    login(client, "admin")
    county = demo["county"]
    resp = client.get(f"/counties/{county.code}/self-check.xlsx?year={data_years(county.id)[0]}")
    assert resp.status_code == 200
    formulas, values = _formula_cells(resp.data)
    assert not formulas
    assert any(isinstance(v, str) and v.startswith("=") and not v.startswith("=1+1") for v in values)


def test_records_export_has_times_categories_filter_and_print_setup(client, demo):
    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    resp = client.get(f"/inspections/{iid}/export.xlsx")
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"] and '-records.xlsx"' in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["检查记录"]
    assert ws["A1"].font.b and ws.auto_filter.ref.startswith("A1:")
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    times = [r[11] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert times and all(isinstance(t, datetime) for t in times)
    photos = list(wb["照片"].iter_rows(min_row=2, values_only=True))
    assert photos[0][2] == "学校检查" and photos[0][5] == datetime(2026, 11, 21, 10, 10)  # local time


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
    buf = build_photos_zip([("城关/小学", "R5:面积?", when, b"1"), ("城关/小学", "R5:面积?", when, b"2"),
                            ("城关小学", "R5 体育运动场馆面积与填报一致（实地查看运动场）且需核对台账和平面图纸资料", when, b"3")],
                           io.BytesIO())
    names = zipfile.ZipFile(buf).namelist()
    assert names[:2] == ["城关_小学/R5_面积_/2026-11-22 090507.jpg", "城关_小学/R5_面积_/2026-11-22 090507 (2).jpg"]
    folder = names[2].split("/")[1]
    assert folder.count("（") == folder.count("）") and len(folder) <= 40


def test_photo_zip_download_name(client, demo):
    scenario.run(client, demo)
    resp = client.get(f"/inspections/{demo['inspection'].id}/photos.zip")
    cd = resp.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E7%A4%BA%E8%8C%83%E5%8E%BF%E7%85%A7%E7%89%87.zip" in cd
    assert re.search(r'filename="\d+-photos\.zip"', cd)


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
    assert all(h in html.read_text(encoding="utf-8") for h in HEADINGS)
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
    for h in HEADINGS:
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


def _login_post(client, who, url, **data):
    t = login(client, who)
    resp = client.post(url, data=dict(data, csrf_token=t))
    client.post("/logout", data={"csrf_token": t})
    return resp


def test_the_lead_enters_forums_and_questionnaires_and_the_opening_states_them(client, demo):
    from app.models import AuditEntry, Feedback
    from app.reports.collect import feedback_drafts

    s = scenario.run(client, demo)
    inspection = demo["inspection"]
    iid = inspection.id
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    opening = feedback_drafts(inspection, fb)["process"]
    assert "座谈" not in opening and "问卷" not in opening and "0个" not in opening and "0份" not in opening
    client.post("/logout", data={"csrf_token": s["token"]})
    # 教师 is type 0, 校长 type 3, 人大代表/政协委员 type 4 in interview-questions.json
    url = f"/inspections/{iid}/feedback/figures"
    assert _login_post(client, "inspector1", url, forum_meetings_0="3").status_code == 403
    _login_post(client, "lead", url, forum_meetings_0="abc", questionnaires="860")
    db.session.expire_all()
    assert db.session.get(Feedback, fb.id).entered_figures is None  # refused whole
    _login_post(client, "lead", url, forum_meetings_0="3", forum_meetings_3="2", forum_people_3="16",
                questionnaires="860", base_version=str(db.session.get(Feedback, fb.id).version))
    db.session.expire_all()
    fb = db.session.get(Feedback, fb.id)
    assert fb.entered_figures == {"forums": {"教师": [3, None], "校长": [2, 16]}, "questionnaires": 860}
    opening = feedback_drafts(inspection, fb)["process"]
    assert "召开座谈会5个（教师座谈会3个、校长座谈会2个）" in opening and "回收调查问卷860份" in opening
    assert "参加座谈" not in opening  # the teachers' meetings' attendance is not known: no total
    assert opening.index("座谈会") < opening.index("随机访谈") < opening.index("回收调查问卷")
    _login_post(client, "lead", url, forum_meetings_0="3", forum_people_0="45", forum_meetings_4="1",
                forum_people_4="12", base_version=str(fb.version))
    db.session.expire_all()
    fb = db.session.get(Feedback, fb.id)
    t = login(client, "lead")
    text = "\n".join(docx_text(Document(io.BytesIO(client.get(f"/inspections/{iid}/report.docx").data))))
    assert "召开座谈会4个（教师座谈会3个、人大代表、政协委员座谈会1个），参加座谈57人" in text
    assert "问卷" not in text  # cleared: left out, not 0
    page = text_of(client.get(f"/inspections/{iid}/feedback"))
    assert re.search(r"座谈会\s*4\s*场，\s*57\s*人", page), page[:600]
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id)).where(
        AuditEntry.entity == "feedback", AuditEntry.summary.like("%座谈会%"))) == 2
    # a stale page does not overwrite
    client.post(url, data={"csrf_token": t, "questionnaires": "5", "base_version": "1"})
    db.session.expire_all()
    assert "questionnaires" not in db.session.get(Feedback, fb.id).entered_figures


def test_resource_findings_quote_the_per_pupil_figure_and_the_standard(client, demo):
    from app.indicators.school_import import school_frame
    from app.models import Feedback
    from app.reports.collect import feedback_drafts

    inspection = demo["inspection"]
    iid = inspection.id
    g1 = inspection.groups[0]
    school1 = next(v.school for v in inspection.visits if v.group_id == g1.id)
    frame, _year = school_frame(school1.id, inspection.year)
    assert list(frame["学段"]) == ["小学"]
    pupils = float(frame["在校生数"].iloc[0])
    area = 3.2 * pupils  # 3.2 ㎡ a pupil, under the 7.5 of a 小学
    _login_post(client, "inspector2", f"/inspections/{iid}/schools/{school1.id}/items/R5",
                client_uuid=scenario.u(), verdict="不达标", observed_value=f"{area:.0f}")
    scenario.run(client, demo)
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
    r5 = next(p for p in fb.problems if p.indicator_code == "R5")
    shown = f"{round(area) / pupils:.2f}"
    assert f"生均体育运动场馆面积{shown}㎡" in r5.text and "实测面积" not in r5.text
    drafts = feedback_drafts(inspection, fb)
    problems = drafts["problems_text"]
    line = next(x for x in problems.splitlines() if "体育运动场馆" in x)
    assert f"{school1.name}（生均体育运动场馆面积{shown}㎡），低于标准要求（小学≥7.5㎡、初中≥10.2㎡）。" in line
    assert "实地访谈中部分受访对象" not in problems and "部分受访家长对" in problems
    # a figure that meets the standard is not quoted as the shortfall
    from app.indicators.verified import verified_per_pupil

    assert verified_per_pupil(inspection, school1.id, "R5", f"{area:.0f}") == {"小学": round(area) / pupils}
    assert verified_per_pupil(inspection, school1.id, "R5", f"{8 * pupils:.0f}") is None


def test_resource_criteria_state_the_standards_own_thresholds():
    from app.standards import get_standard

    std = get_standard("quality-2017")
    for code, ind in std.indicators.items():
        if ind.get("thresholds"):
            crit = ind.get("criterion", "")
            for section, limit in ind["thresholds"].items():
                assert section in crit and f"≥{limit:g}" in crit, (code, crit)


def test_directions_are_one_per_theme_group_and_never_repeat(client, demo):
    from app.models import Feedback
    from app.reports import wording
    from app.reports.collect import feedback_drafts
    from app.standards import get_standard

    for sid in ("quality-2017", "basic-2012"):
        assert wording.unlisted_codes(get_standard(sid)) == [], sid
    themes = ["R1", "R3", "R5", "G3", "G4", "G5", "Q7", "~interview", "~hearing"]  # in document order
    lines = wording.directions(themes, [])
    assert len(lines) == 6  # teachers, buildings, size, quality, recognition, departments
    assert lines[0].startswith("（一）配齐配足教师队伍。") and "体育、音乐、美术专任教师" in lines[0]
    assert lines[1].startswith("（二）加大学校建设投入。") and "生均面积达到标准" in lines[1] and "音乐、美术" in lines[1]
    assert lines[2].startswith("（三）规范办学规模和班额。") and "超大规模" in lines[2] and "大班额" in lines[2]
    sentences = [x for line in lines for x in re.split(r"[。；]", line.split("）", 1)[1]) if x]
    assert len(sentences) == len(set(sentences))
    assert not any("着力解决" in x or "制定整改方案" in x for x in lines)
    scenario.run(client, demo)
    inspection = demo["inspection"]
    fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=inspection.id)).scalar_one()
    drafts = feedback_drafts(inspection, fb)
    req = drafts["requirements"].splitlines()
    assert req[0].startswith("（一）规范办学规模和班额。制定消除大班额工作方案")
    assert len(req) == len(set(req)) and "整改方案" not in drafts["requirements"]
    assert "整改方案" in drafts["closing"]
    hearing = next(x for x in drafts["problems_text"].splitlines() if "陈述答辩" in x)
    assert "陈述答辩中部分问题回答不够充分。对“编外教师如何消化？”的回答评价为差" in hearing, hearing
    assert hearing.count("陈述答辩中") == 1, hearing


def test_only_headings_keep_with_the_next_paragraph(client, demo):
    s = scenario.run(client, demo)
    iid = demo["inspection"].id
    points = "\n".join(f"（{c}）第{c}项成效，各地持续加大投入" for c in "一二三四五六")
    client.post(f"/inspections/{iid}/feedback/save", data={"csrf_token": s["token"], "achievements": points,
                                                           "conclusion": "整改后复核"})
    doc = Document(io.BytesIO(client.get(f"/inspections/{iid}/report.docx").data))
    paras = [p for p in doc.paragraphs if p.text.strip()]
    body = paras[:next(i for i, p in enumerate(paras) if p.text.startswith("请示范县人民政府"))]  # up to the 落款 block
    kept = [p.text for p in body if p.paragraph_format.keep_with_next]
    assert "（一）第一项成效，各地持续加大投入" in [p.text for p in body]
    assert kept and all(k in HEADINGS for k in kept), kept


def test_drafted_achievements_read_as_sentences():
    from app.reports import wording

    assert wording.achievements(["政府重视，投入加大：近三年投入义务教育经费3.2亿元", "学校管理规范",
                                 "（三）教师队伍建设成效明显。", "课后服务全覆盖！"]) == [
        "（一）政府重视，投入加大。近三年投入义务教育经费3.2亿元。", "（二）学校管理规范。",
        "（三）教师队伍建设成效明显。", "（四）课后服务全覆盖！"]
