"""The documents checked as an office would: the .docx and the rectification .xlsx converted to PDF
by LibreOffice (soffice --headless), read back with poppler (pdftotext -bbox, pdfimages -list).
One conversion per document for the whole module."""
import html
import io
import os
import re
import shutil
import subprocess
import uuid
from datetime import date

import pytest
from PIL import Image

from app import create_app
from app.extensions import db
from tests import scenario
from tests.conftest import login

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdfimages")),
                                reason="needs LibreOffice and poppler-utils (make browser-deps installs them)")

MM = 72 / 25.4
LONG = "检查组认为该县坚持把义务教育优质均衡发展作为重大民生工程来抓" * 4  # pure CJK, no punctuation


def to_pdf(path, tmp):
    """soffice --headless with a private profile (parallel runs do not share one)."""
    profile = tmp / f"lo-{uuid.uuid4().hex[:8]}"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(path)], check=True, capture_output=True, timeout=180)
    pdf = tmp / (path.stem + ".pdf")
    assert pdf.exists(), "LibreOffice wrote no PDF"
    return pdf


def words(pdf):
    """[(page number, page height, xMin, yMin, xMax, yMax, word)] from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    rows = []
    for n, page in enumerate(re.findall(r"<page (.*?)</page>", out, re.S), start=1):
        height = float(re.search(r'height="([\d.]+)"', page).group(1))
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page):
            rows.append((n, height, *map(float, m.groups()[:4]), html.unescape(m.group(5))))
    return rows


def column_texts(pdf):
    """The printed text column by column: every word (a cell's line: the lists have no spaces) goes
    to the column whose left edge it starts at; a column's lines joined top to bottom, page by page."""
    out = []
    pdf_words = words(pdf)
    for n in sorted({w[0] for w in pdf_words}):
        cols = {}
        for w in sorted((w for w in pdf_words if w[0] == n), key=lambda w: (w[3], w[2])):
            left = next((x for x in cols if abs(x - w[2]) < 1.5), w[2])
            cols.setdefault(left, []).append(w[6])
        out += ["".join(v) for v in cols.values()]
    return out


def lines(pdf):
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return out


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A scenario inspection with a long edited paragraph and five evidence photos (one portrait),
    its .docx and rectification .xlsx, each converted to PDF once."""
    tmp = tmp_path_factory.mktemp("office")
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 't.sqlite3'}", UPLOAD_DIR=str(tmp / "up"),
                     QR_CACHE_DIR=str(tmp / "qr"))
    with app.app_context():
        db.create_all()
        from app.demo import build_demo
        from app.models import Feedback, FeedbackProblem, RectificationItem

        demo = build_demo()
        client = app.test_client()
        inspection = demo["inspection"]
        iid = inspection.id
        # a 资源配置 finding (a verified area) goes through the groups' summaries with the rest
        school1 = next(v.school for v in inspection.visits if v.group_id == inspection.groups[0].id)
        t = login(client, "inspector2")
        client.post(f"/inspections/{iid}/schools/{school1.id}/items/R5", data={
            "csrf_token": t, "client_uuid": scenario.u(), "verdict": "不达标", "observed_value": "2850"})
        client.post("/logout", data={"csrf_token": t})
        s = scenario.run(client, demo)
        t = s["token"]
        ids = []
        colours = {(140, 160, 90): (1200, 900)}  # scenario.jpeg()
        for k, size in enumerate(((1200, 900), (900, 1200), (1600, 900), (1200, 900))):
            buf = io.BytesIO()
            colour = (30 + 40 * k, 60, 200 - 40 * k)
            colours[colour] = size
            Image.new("RGB", size, colour).save(buf, "JPEG", quality=95)
            ph = client.post(f"/inspections/{iid}/photos", content_type="multipart/form-data", data={
                "csrf_token": t, "client_uuid": scenario.u(), "subject_type": "school", "subject_id": str(s["school1"].id),
                "item_code": "G5", "taken_at": f"2026-11-21T0{k + 3}:00:00Z", "photo": (io.BytesIO(buf.getvalue()), "p.jpg")})
            ids.append(ph.get_json()["id"])
        # the figures no record counts, entered by the lead; the drafted opening keeps them and the
        # lead adds a long paragraph; 存在的主要问题 and 督导意见 stay the app's drafts
        client.post(f"/inspections/{iid}/feedback/figures", data={
            "csrf_token": t, "forum_meetings_0": "4", "forum_people_0": "38", "forum_meetings_2": "2",
            "forum_people_2": "25", "questionnaires": "1260"})
        from app.reports.collect import feedback_drafts

        fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
        db.session.refresh(fb)
        opening = feedback_drafts(inspection, fb)["process"]
        client.post(f"/inspections/{iid}/feedback/save", data={
            "csrf_token": t, "process": opening + "\n" + LONG, "conclusion": "整改后复核"})
        # a long measure and problem: the printed cell must keep every character
        db.session.expire_all()
        fb = db.session.execute(db.select(Feedback).filter_by(inspection_id=iid)).scalar_one()
        g5 = next(p for p in fb.problems if p.indicator_code == "G5")
        g5.text = "班额超标：五年级二班58人，六年级一班56人，抽查发现部分教师无教师资格证，专任教师持证上岗率未达到百分之百"
        g5.rectification.measures = ("新建教学楼一栋，增加教室12间，2027年秋季学期起严格控制起始年级班额，"
                                     "分年级逐步消除56人以上大班额，同时组织无证教师参加资格考试，确保全员持证上岗")
        # a list of several pages: one school with twelve long items, so its block goes over pages
        for k in range(12):
            p = FeedbackProblem(position=100 + k, part="G", indicator_code="G3", school_id=g5.school_id, target="school",
                                text=f"音乐、美术专用教室不足{k + 1}：" + "现有音乐教室面积不足九十六平方米且器材陈旧，美术教室被挪作他用" * 2)
            fb.problems.append(p)
            db.session.flush()
            db.session.add(RectificationItem(problem_id=p.id, deadline=date(2027, 9, 1), measures=(
                "改建综合楼三层为音乐、美术专用教室各一间，按标准补充器材，2027年秋季学期前投入使用" * 2)))
        db.session.commit()
        docx = tmp / "feedback.docx"
        docx.write_bytes(client.get(f"/inspections/{iid}/report.docx").data)
        xlsx = tmp / "rectification.xlsx"
        xlsx.write_bytes(client.get(f"/inspections/{iid}/rectification.xlsx").data)
        from app.reports.collect import collect_rectification

        rect = collect_rectification(demo["inspection"], date.today())
        db.session.remove()
        db.engine.dispose()
    return {"docx_pdf": to_pdf(docx, tmp), "xlsx_pdf": to_pdf(xlsx, tmp), "rect": rect, "colours": colours}


def test_page_numbers_odd_right_even_left_7mm_below_the_type_area(office):
    pdf_words = words(office["docx_pdf"])
    pages = max(w[0] for w in pdf_words)
    assert pages >= 3
    for n in range(1, pages + 1):
        number = [w for w in pdf_words if w[0] == n and w[6] == str(n)]
        dashes = [w for w in pdf_words if w[0] == n and "—" in w[6]]
        assert number and dashes, f"page {n} has no '— {n} —'"
        w = max(number, key=lambda w: w[3])  # the lowest: the footer
        height = w[1]
        type_bottom = (297 - 35) * MM
        # the page number's line starts about 7 mm under the type area
        assert 4 * MM < w[3] - type_bottom < 10 * MM, (n, (w[3] - type_bottom) / MM)
        line = [d for d in dashes if abs(d[3] - w[3]) < 3] + [w]
        left, right = min(d[2] for d in line), max(d[4] for d in line)
        if n % 2:  # odd: right, one character in from the type area's right edge
            assert 2 * MM < (210 - 26) * MM - right < 9 * MM, (n, ((210 - 26) * MM - right) / MM)
        else:  # even: left, one character in
            assert 2 * MM < left - 28 * MM < 9 * MM, (n, (left - 28 * MM) / MM)
        assert height > 800  # A4 portrait


def test_a_full_body_line_holds_28_characters(office):
    text = lines(office["docx_pdf"])
    body = [re.sub(r"\s+", "", ln) for ln in text.splitlines()]
    # the edited opening paragraph (pure CJK): its first line after the two-character indent holds
    # 26, every further full line 28
    start = next(i for i, ln in enumerate(body) if ln and LONG.startswith(ln))
    run = []
    for ln in body[start:]:
        if not ln or not LONG.startswith("".join(run) + ln):
            break
        run.append(ln)
    assert "".join(run) == LONG[:len("".join(run))] and len(run) >= 4
    assert len(run[0]) == 26, run[0]
    assert all(len(ln) == 28 for ln in run[1:-1]), [len(x) for x in run]


def test_every_appendix_photo_is_shown_whole(office, tmp_path):
    """Each photo (a flat colour of its own) is measured on the rendered pages: a picture in a
    paragraph with exact line spacing prints as a strip one line high, whatever pdfimages says."""
    import numpy as np

    out = subprocess.run(["pdfimages", "-list", str(office["docx_pdf"])], check=True, capture_output=True,
                         text=True).stdout.splitlines()[2:]
    assert len([ln for ln in out if ln.strip()]) == len(office["colours"])
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(office["docx_pdf"]), str(tmp_path / "p")], check=True)
    pages = [np.asarray(Image.open(f).convert("RGB")).astype(int) for f in sorted(tmp_path.glob("p-*.png"))]
    for colour, (w_px, h_px) in office["colours"].items():
        best = 0
        for px in pages:
            mask = (np.abs(px - np.array(colour)).max(axis=2) < 14)
            rows, cols = np.where(mask)
            if len(rows):
                height = (rows.max() - rows.min() + 1) / 40 * 25.4
                width = (cols.max() - cols.min() + 1) / 40 * 25.4
                best = max(best, height)
        assert best > 0, f"photo {colour} not printed"
        expected = width * h_px / w_px
        assert best > 0.9 * expected and best > 30, f"photo {colour}: {best:.0f} mm of {expected:.0f} mm visible"


def test_the_drafted_problems_print_without_record_references_or_checklist_questions(office):
    """存在的主要问题 and 督导意见 as the app drafts them, printed: findings with the figure and the
    standard, the lead's 座谈会 and 问卷 figures in the opening, nothing internal."""
    from app.standards import get_standard

    text = lines(office["docx_pdf"])
    flat = re.sub(r"\s+", "", text)
    body = flat[:flat.index("附件1")]  # the document before its attachments
    problems = body[body.index("二、存在的主要问题"):body.index("三、督导意见")]
    assert "（一）" in problems and "班额超标" in problems and "生均体育运动场馆面积" in problems
    assert "低于标准要求（小学≥7.5㎡、初中≥10.2㎡）" in problems and "标准要求：小学每班不超过45人" in problems
    assert "实测面积" not in problems and not re.search(r"#\d", body) and "检查记录#" not in body
    assert "依据：" not in body and "（存疑）" not in body
    std = get_standard("quality-2017")
    for item in std.checklist_by_code.values():  # (an archive item names a document: quoting it is fine)
        question = re.sub(r"\s+", "", item["text"])
        assert question not in problems, question  # no checklist question pasted as a finding
    assert "召开座谈会6个（教师座谈会4个、家长座谈会2个），参加座谈63人" in body and "回收调查问卷1260份" in body
    directions = body[body.index("三、督导意见"):]
    assert "着力解决" not in directions and "规范办学规模和班额。" in directions
    assert "附件：1.问题清单" in flat and "2.证据照片" in flat and "四川省人民政府教育督导室" in flat


def test_the_printed_rectification_lists_keep_every_cells_text(office):
    flat = re.sub(r"\s+", "", lines(office["xlsx_pdf"]))
    columns = column_texts(office["xlsx_pdf"])
    rect = office["rect"]
    assert "附件1" in flat and "附件2" in flat and "第1页" in flat
    expected = []
    for n, (school, rows) in enumerate(rect.schools, start=1):
        expected.append(f"{n}.{school}")
        for k, r in enumerate(rows, start=1):
            expected += [f"{k}.{r.problem}", r.measure]
    for k, r in enumerate(rect.county_rows, start=1):
        expected += [f"{k}.{r.problem}", r.measure]
    assert len(expected) >= 4
    for value in expected:
        value = re.sub(r"\s+", "", value)
        assert any(value in col for col in columns), value
    # the school list runs over several pages, and a block broken by a page names its school again
    pdf_words = words(office["xlsx_pdf"])
    county_page = min(w[0] for w in pdf_words if w[6].startswith("附件2"))
    assert county_page >= 4, county_page  # the school list takes three pages or more
    continued = [w for w in pdf_words if w[6].endswith("（续）")]
    assert sorted(w[0] for w in continued) == list(range(2, county_page)), continued
    for w in continued:  # printed at the top of its page's rows, right under the repeated column heads
        heads = [h for h in pdf_words if h[0] == w[0] and h[6] == "学校名称"]
        assert heads and 0 < w[3] - heads[0][3] < 40, (w, heads)
        assert w[6].split(".", 1)[1][:-len("（续）")] in {name for name, _rows in rect.schools}


def test_each_printed_list_numbers_its_own_pages(office):
    """附件1 and 附件2 print from one workbook, each an attachment of its own: 附件2 starts at
    第 1 页 again, and no footer claims a total counted over both sheets."""
    pages = subprocess.run(["pdftotext", "-layout", str(office["xlsx_pdf"]), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    numbers = [int(m.group(1)) for p in pages for m in [re.search(r"第\s*(\d+)\s*页", p)] if m]
    county_page = next(i for i, p in enumerate(pages) if "附件2" in p)
    assert len(numbers) == len(pages)
    assert numbers == list(range(1, county_page + 1)) + list(range(1, len(pages) - county_page + 1)), numbers
    assert not any("共" in re.sub(r"\s+", "", p).split("第")[-1] for p in pages)
