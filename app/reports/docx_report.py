"""The findings report as a .docx in the layout of an official document (GB/T 9704 style):
A4, 仿宋 body at 三号 (16 pt), 小标宋 title at 二号 (22 pt), headings 一、（一）1., page numbers
"— N —" centred in the footer, tables with repeating header rows. No Flask here."""
import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

BODY_FONT = "仿宋_GB2312"
BODY_FALLBACK = "FangSong"  # Word falls back through the style's fonts; LibreOffice maps 仿宋 to Noto Serif CJK
TITLE_FONT = "方正小标宋简体"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"

SECTION_HEADINGS = ["一、基本情况", "二、指标测算", "三、各环节情况", "四、主要成绩", "五、存在问题", "六、整改要求",
                    "七、结论", "附件：证据照片"]
STEP_HEADINGS = [("hearing", "（一）陈述答辩"), ("archives", "（二）查阅档案资料"), ("schools", "（三）分组检查学校"),
                 ("departments", "（四）检查相关部门"), ("interviews", "（五）实地随机访谈")]
CN_NUM = "一二三四五六七八九十"


def _fonts(run, east_asia, size=None, bold=None):
    run.font.name = "Times New Roman"
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:ascii"), "Times New Roman")
    rfonts.set(qn("w:hAnsi"), "Times New Roman")
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold


def _style_fonts(doc):
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(16)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), BODY_FONT)
    rfonts.set(qn("w:ascii"), "Times New Roman")
    rfonts.set(qn("w:hAnsi"), "Times New Roman")
    pf = normal.paragraph_format
    pf.line_spacing = Pt(28)  # fixed 28 pt: 22 lines a page as in official documents
    pf.space_after = Pt(0)
    pf.space_before = Pt(0)


class _Writer:
    def __init__(self):
        self.doc = Document()
        sec = self.doc.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Cm(21), Cm(29.7)
        sec.top_margin, sec.bottom_margin = Cm(3.7), Cm(3.5)
        sec.left_margin, sec.right_margin = Cm(2.8), Cm(2.6)
        _style_fonts(self.doc)
        self._footer_page_number(sec)

    def _footer_page_number(self, sec):
        p = sec.footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(p.add_run("— "), BODY_FONT, 14)
        run = p.add_run()
        _fonts(run, BODY_FONT, 14)
        for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if tag:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), tag)
            else:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            run._element.append(el)
        _fonts(p.add_run(" —"), BODY_FONT, 14)

    def title(self, text):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(16)
        p.paragraph_format.line_spacing = Pt(36)
        _fonts(p.add_run(text), TITLE_FONT, 22)

    def heading(self, text, level):
        p = self.doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(32)
        p.paragraph_format.keep_with_next = True
        font = H1_FONT if level == 1 else H2_FONT
        _fonts(p.add_run(text), font, 16, bold=level == 3)
        return p

    def para(self, text, indent=True, bold_prefix=None):
        p = self.doc.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(32)
        if bold_prefix:
            _fonts(p.add_run(bold_prefix), BODY_FONT, 16, bold=True)
        _fonts(p.add_run(text), BODY_FONT, 16)
        return p

    def table(self, headers, rows, widths=None, size=12):
        t = self.doc.add_table(rows=1, cols=len(headers))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        head = t.rows[0]
        trpr = head._tr.get_or_add_trPr()
        flag = OxmlElement("w:tblHeader")  # repeat the header row on every page
        flag.set(qn("w:val"), "true")
        trpr.append(flag)
        for cell, text in zip(head.cells, headers):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _fonts(cell.paragraphs[0].add_run(text), H1_FONT, size)
        for row in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row):
                _fonts(cell.paragraphs[0].add_run("" if text is None else str(text)), BODY_FONT, size)
        if widths:
            for row in t.rows:
                for cell, w in zip(row.cells, widths):
                    cell.width = Cm(w)
        self.doc.add_paragraph()
        return t

    def bytes(self):
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def fmt_value(v):
    return "—" if v is None else f"{v:.2f}"


def fmt_cv(v):
    return "无法计算" if v is None else f"{v:.3f}"


def verdict(ok):
    return {True: "达标", False: "未达标", None: "—"}[ok]


def date_range(data):
    if not data.start_date:
        return ""
    s = f"{data.start_date.year}年{data.start_date.month}月{data.start_date.day}日"
    if data.end_date and data.end_date != data.start_date:
        s += f"至{data.end_date.month}月{data.end_date.day}日"
    return s


def report_title(data):
    subject = data.standard.replace("督导评估", "")
    if subject.startswith("县域"):
        subject = subject[2:]  # "示范县县域…" reads badly: "关于示范县义务教育…"
    return f"关于{data.county}{subject}{data.level}的反馈意见"


def build_docx(data):
    w = _Writer()
    w.title(report_title(data))
    f = data.figures
    w.para(f"{date_range(data)}，{data.level}检查组依据《{data.standard}》（{data.document}），对{data.county}开展了实地督导检查。现将有关情况反馈如下。")

    w.heading(SECTION_HEADINGS[0], 1)
    w.para("检查组成员：" + "；".join(f"{name}（{role}）" for name, role in data.team) + "。")
    for name, lead, members, schools in data.groups:
        w.para(f"{name}：组长{lead}，成员{'、'.join(members)}；检查学校{'、'.join(schools) or '（未分配）'}。")
    by_type = "、".join(f"{t}{n}人" for t, n in (f.get("interviews_by_type") or {}).items())
    w.para(f"随机抽取学校{f.get('schools_drawn', 0)}所，实地检查学校{f.get('schools_visited', 0)}所；"
           f"实地随机访谈{f.get('interviews', 0)}人{('（' + by_type + '）') if by_type else ''}；"
           f"检查相关部门{len(f.get('departments') or [])}个{('（' + '、'.join(f['departments']) + '）') if f.get('departments') else ''}；"
           f"形成检查记录{f.get('records', 0)}条，照片{f.get('photos', 0)}张。")

    w.heading(SECTION_HEADINGS[1], 1)
    if not data.indicators:
        w.para("本县尚未导入学校办学条件数据，未测算。")
    for i, sec in enumerate(data.indicators):
        w.heading(f"（{CN_NUM[i]}）{sec.section}（{data.data_year}年数据，纳入测算{sec.schools}所，在校生{sec.students}人）", 2)
        rows = [(r.code, r.name, fmt_value(r.value), fmt_cv(r.cv), "" if r.cap is None else f"{r.cap:.2f}", verdict(r.ok))
                for r in sec.rows]
        if sec.composite_cap is not None:
            rows.append(("", "综合差异系数", "", fmt_cv(sec.composite_cv), f"{sec.composite_cap:.2f}", verdict(sec.ok)))
        w.table(["代码", "指标", "县域值", "差异系数", "上限", "结论"], rows, widths=[1.6, 7.2, 2.2, 2.0, 1.5, 1.6])
        failing = [s for s in sec.short_schools if s[2] is False]
        if failing:
            w.para(f"未达到校校达标要求的学校{len(failing)}所：" +
                   "；".join(f"{name}（{'、'.join(codes)}）" for name, codes, _ok in failing) + "。")
        elif sec.short_schools:
            w.para("各校均达到校校达标要求。")

    w.heading(SECTION_HEADINGS[2], 1)
    for key, heading in STEP_HEADINGS:
        w.heading(heading, 2)
        for line in data.steps.get(key, []) or ["（无记录）"]:
            w.para(line)

    w.heading(SECTION_HEADINGS[3], 1)
    for n, line in enumerate(data.achievements or ["（待填写）"], start=1):
        w.para(line, bold_prefix=f"{n}. " if data.achievements else None)

    w.heading(SECTION_HEADINGS[4], 1)
    if not data.problems:
        w.para("（无）")
    part_no = 0
    current = None
    for p in data.problems:
        if p.part != current:
            current = p.part
            w.heading(f"（{CN_NUM[part_no]}）{p.part}", 2)
            part_no += 1
        head = f"{p.number}. " + (f"【{p.where}】" if p.where else "")
        tail = "（" + "；".join(x for x in (f"指标 {p.indicator}" if p.indicator else "", f"依据：{p.evidence}" if p.evidence else "") if x) + "）"
        w.para(p.text + (tail if tail != "（）" else ""), bold_prefix=head)

    w.heading(SECTION_HEADINGS[5], 1)
    for n, line in enumerate(data.requirements or ["（待填写）"], start=1):
        w.para(line, bold_prefix=f"{n}. " if data.requirements else None)

    w.heading(SECTION_HEADINGS[6], 1)
    w.table(["代码", "一票否决情形", "是否存在"], [(c, name, "存在" if applies else "未发现") for c, name, applies in data.vetoes],
            widths=[1.6, 10.5, 3.0])
    w.para(f"检查组意见：{data.conclusion or '（未定）'}。")

    w.heading(SECTION_HEADINGS[7], 1)
    if not data.photos:
        w.para("（无证据照片）")
    else:
        _photo_table(w, data.photos)
    return w.bytes()


def _photo_table(w, photos):
    cols = 2
    t = w.doc.add_table(rows=0, cols=cols)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i in range(0, len(photos), cols):
        cells = t.add_row().cells
        for cell, ph in zip(cells, photos[i:i + cols]):
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run().add_picture(io.BytesIO(ph.image), width=Cm(7.5))
            cap = cell.add_paragraph()
            cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
            when = ph.taken_at.strftime("%Y-%m-%d %H:%M") if ph.taken_at else ""
            _fonts(cap.add_run(" · ".join(x for x in (ph.school, ph.item, when) if x)), BODY_FONT, 10)
            if ph.caption:
                _fonts(cell.add_paragraph().add_run(ph.caption), BODY_FONT, 10)
