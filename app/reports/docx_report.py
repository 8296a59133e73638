"""The feedback opinion (反馈意见) as a .docx an office sends as it is, laid out to GB/T 9704-2012
《党政机关公文格式》 (see ../shared/domain/feedback-report.md):

- A4; margins top 37, bottom 35, left 28, right 26 mm: a type area of 156 × 225 mm;
- 3号 (16 pt) 仿宋_GB2312 body, 22 lines × 28 characters: the section declares a document grid
  (w:docGrid linesAndChars, line pitch 225 mm / 22, character pitch 156 mm / 28); body paragraphs
  also carry the pitch themselves (exact line spacing of one grid line, characters condensed by
  0.3 pt) and do not snap to the grid, so Word, WPS and LibreOffice all set 28 characters a line
  (LibreOffice 7 gives a 16 pt character two cells of a 15.8 pt grid);
- justified paragraphs indented two characters; headings 一、 黑体, （一） 楷体; title 2号 小标宋;
- page numbers "— N —" in 4号 半角 宋体 7 mm below the type area, odd pages right and even pages
  left, one character in (odd/even footers);
- 主送, 附件说明, 落款 in the unsealed layout (署名 右空二字, the date two characters right of it);
- attachments each on a new page, "附件N" in 黑体 on the first line, the title centred on the third;
- the fonts named with fallbacks in the font table (仿宋_GB2312 → 仿宋 → FangSong …);
- tables of fixed widths inside the 156 mm, their header row repeated on every page;
- photos whole: a picture sits in a paragraph with single (auto) line spacing, never an exact one.
No Flask here."""
import io
import re
from datetime import datetime, timezone

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt
from PIL import Image

from .docx_layout import (  # the page geometry and the XML helpers
    PAGE_W, PAGE_H, TOP, BOTTOM, LEFT, RIGHT, TYPE_W, BODY_PT, MM_PT, LINE_TWIPS, CHAR_SPACE, CONDENSE, CELL_PT, FOOTER_LINE_PT, FOOTER_MM, BODY_FONT, KAI_FONT, HEI_FONT, TITLE_FONT, SONG_FONT, LATIN_FONT, FONT_TABLE, _el, _set, _run_font, _exact, _single,
)
from .wording import cn_date

PROBLEM_COLUMNS = [("序号", 16), ("学校（单位）", 38), ("所属指标", 34), ("存在问题", 68)]  # mm, = 156
PHOTO_COL_MM = TYPE_W / 2
PHOTO_W_MM = 72
HEADINGS = ("一、主要成效", "二、存在的主要问题", "三、督导意见")
SUBHEAD = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
HEADLINE = re.compile(r"^[一二三四五六七八九十]+、")


class _Writer:
    def __init__(self):
        self.doc = Document()
        self._page()
        self._styles()
        self._font_table()
        self._footers()

    # -- set-up ---------------------------------------------------------------------------------
    def _page(self):
        sec = self.doc.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = Mm(PAGE_W), Mm(PAGE_H)
        sec.top_margin, sec.bottom_margin = Mm(TOP), Mm(BOTTOM)
        sec.left_margin, sec.right_margin = Mm(LEFT), Mm(RIGHT)
        sec.header_distance = Mm(15)
        sec.footer_distance = Mm(FOOTER_MM)
        sec.gutter = Mm(0)
        sect = sec._sectPr
        grid = sect.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            sect.append(grid)
        grid.set(qn("w:type"), "linesAndChars")
        grid.set(qn("w:linePitch"), str(LINE_TWIPS))
        grid.set(qn("w:charSpace"), str(CHAR_SPACE))
        # odd and even pages have their own footers (page numbers right / left)
        self.doc.settings.odd_and_even_pages_header_footer = True
        settings = self.doc.settings.element
        lang = settings.find(qn("w:themeFontLang"))
        if lang is not None:
            lang.set(qn("w:eastAsia"), "zh-CN")

    def _styles(self):
        styles = self.doc.styles
        normal = styles["Normal"]
        normal.font.size = Pt(BODY_PT)
        rpr = normal.element.get_or_add_rPr()
        for child in list(rpr):
            if child.tag in (qn("w:rFonts"), qn("w:lang"), qn("w:spacing")):
                rpr.remove(child)
        rpr.insert(0, _el("w:rFonts", **{"w:ascii": LATIN_FONT, "w:hAnsi": LATIN_FONT, "w:eastAsia": BODY_FONT,
                                         "w:cs": LATIN_FONT}))
        rpr.append(_el("w:spacing", **{"w:val": CONDENSE}))
        rpr.append(_el("w:lang", **{"w:val": "en-US", "w:eastAsia": "zh-CN", "w:bidi": "ar-SA"}))
        ppr = normal.element.get_or_add_pPr()
        _set(ppr, "w:snapToGrid", **{"w:val": 0})
        _set(ppr, "w:spacing", **{"w:line": LINE_TWIPS, "w:lineRule": "exact", "w:before": 0, "w:after": 0})
        _set(ppr, "w:jc", **{"w:val": "both"})
        # docDefaults: the theme's Japanese fonts out, Chinese in
        defaults = self.doc.styles.element.find(qn("w:docDefaults"))
        if defaults is not None:
            for rfonts in defaults.iter(qn("w:rFonts")):
                for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                    rfonts.attrib.pop(qn(attr), None)
                rfonts.set(qn("w:ascii"), LATIN_FONT)
                rfonts.set(qn("w:hAnsi"), LATIN_FONT)
                rfonts.set(qn("w:eastAsia"), BODY_FONT)
            for lang in defaults.iter(qn("w:lang")):
                lang.set(qn("w:eastAsia"), "zh-CN")

    def _font_table(self):
        """Name the government fonts and what stands in for each on a PC without them."""
        part = next(rel.target_part for rel in self.doc.part.rels.values() if rel.reltype.endswith("/fontTable"))
        root = parse_xml(part.blob)
        for name, alt, panose, family, pitch in FONT_TABLE:
            for old in root.findall(qn("w:font")):
                if old.get(qn("w:name")) == name:
                    root.remove(old)
            font = _el("w:font", **{"w:name": name})
            font.append(_el("w:altName", **{"w:val": alt}))
            font.append(_el("w:panose1", **{"w:val": panose}))
            font.append(_el("w:charset", **{"w:val": "86"}))  # GB2312
            font.append(_el("w:family", **{"w:val": family}))
            font.append(_el("w:pitch", **{"w:val": pitch}))
            root.append(font)
        from lxml import etree

        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _footers(self):
        sec = self.doc.sections[0]
        for footer, align, side in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
                                    (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left")):
            footer.is_linked_to_previous = False
            p = footer.paragraphs[0]
            p.alignment = align
            ppr = p._p.get_or_add_pPr()
            _set(ppr, "w:snapToGrid", **{"w:val": 0})
            _exact(p, FOOTER_LINE_PT * 20)
            _set(ppr, "w:ind", **{f"w:{side}": round(CELL_PT * 20)})  # one character in
            self._page_number(p)

    @staticmethod
    def _page_number(p):
        """— N — in 4号 半角 宋体 (the numerals half-width: 宋体 is the Latin font too)."""
        def run(text=None):
            r = p.add_run(text)
            _run_font(r, SONG_FONT, 14, latin=SONG_FONT, spacing=0)
            return r

        run("— ")
        r = run()
        for tag, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
            if tag:
                r._element.append(_el("w:fldChar", **{"w:fldCharType": tag}))
            elif text == "PAGE":
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = " PAGE "
                r._element.append(instr)
            else:
                t = OxmlElement("w:t")
                t.text = text
                r._element.append(t)
        run(" —")

    # -- text ------------------------------------------------------------------------------------
    def blank(self):
        return self.doc.add_paragraph()

    def title(self, lines):
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _exact(p, 36 * 20)
        for i, line in enumerate(lines):
            run = _run_font(p.add_run(line), TITLE_FONT, 22, spacing=0)
            if i < len(lines) - 1:
                run.add_break(WD_BREAK.LINE)
        return p

    def plain(self, text, indent_chars=0, align=None, font=BODY_FONT, right_chars=0):
        p = self.doc.add_paragraph()
        if align is not None:
            p.alignment = align
        ind = {}
        if indent_chars:
            ind["w:firstLine"] = round(indent_chars * CELL_PT * 20)
        if right_chars:
            ind["w:right"] = round(right_chars * CELL_PT * 20)
        if ind:
            _set(p._p.get_or_add_pPr(), "w:ind", **ind)
        _run_font(p.add_run(text), font)
        return p

    def heading(self, text):
        p = self.plain(text, indent_chars=2, font=HEI_FONT)
        p.paragraph_format.keep_with_next = True
        return p

    def para(self, text):
        """A body paragraph; "（一）headline。" opens in 楷体, "一、…" is a 黑体 heading."""
        if HEADLINE.match(text):
            return self.heading(text)
        m = SUBHEAD.match(text)
        if not m:
            return self.plain(text, indent_chars=2)
        end = text.find("。")
        head, rest = (text, "") if end < 0 else (text[:end + 1], text[end + 1:])
        p = self.plain(head, indent_chars=2, font=KAI_FONT)
        if rest:  # a （一） line is a point of its own, not a heading: only 一、… keeps with the next
            _run_font(p.add_run(rest), BODY_FONT)
        return p

    def page_break(self):
        p = self.doc.add_paragraph()
        p.add_run().add_break(WD_BREAK.PAGE)
        return p

    def attachment_head(self, number, title):
        """附件N in 黑体 flush left on the first line, the title centred on the third (its own page)."""
        p = self.doc.add_paragraph()
        p.paragraph_format.page_break_before = True
        _run_font(p.add_run(f"附件{number}"), HEI_FONT)
        self.blank()
        t = self.doc.add_paragraph()
        t.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _exact(t, 36 * 20)
        _run_font(t.add_run(title), TITLE_FONT, 22, spacing=0)
        self.blank()

    def table(self, columns, rows, size=12):
        """Fixed column widths (mm) inside the type area; the header row repeats on every page."""
        t = self.doc.add_table(rows=1, cols=len(columns))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        t.autofit = False
        self._fix_widths(t, [w for _h, w in columns])
        head = t.rows[0]
        trpr = head._tr.get_or_add_trPr()
        trpr.append(_el("w:tblHeader", **{"w:val": "true"}))
        trpr.append(_el("w:cantSplit", **{"w:val": "true"}))
        for cell, (text, _w) in zip(head.cells, columns):
            p = cell.paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _single(p)
            _run_font(p.add_run(text), HEI_FONT, size)
        for row in rows:
            r = t.add_row()
            r._tr.get_or_add_trPr().append(_el("w:cantSplit", **{"w:val": "true"}))
            for i, (cell, text) in enumerate(zip(r.cells, row)):
                p = cell.paragraphs[0]
                _single(p)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER if i == 0 else WD_ALIGN_PARAGRAPH.LEFT
                _run_font(p.add_run("" if text is None else str(text)), BODY_FONT, size)
        self._fix_widths(t, [w for _h, w in columns])
        return t

    @staticmethod
    def _fix_widths(table, widths_mm, borders=True):
        tbl = table._tbl
        tblpr = tbl.tblPr
        _set(tblpr, "w:tblW", **{"w:w": round(sum(widths_mm) * MM_PT * 20), "w:type": "dxa"})
        _set(tblpr, "w:tblLayout", **{"w:type": "fixed"})
        if not borders:
            tblpr.append(parse_xml(f'<w:tblBorders {nsdecls("w")}>' + "".join(
                f'<w:{s} w:val="nil"/>' for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
                + "</w:tblBorders>"))
        grid = tbl.tblGrid
        for col, w in zip(grid.findall(qn("w:gridCol")), widths_mm):
            col.set(qn("w:w"), str(round(w * MM_PT * 20)))
        for row in table.rows:
            for cell, w in zip(row.cells, widths_mm):
                cell.width = Mm(w)

    def photos(self, photos):
        """Two photos a row, each whole (single line spacing) with its caption under it."""
        t = self.doc.add_table(rows=0, cols=2)
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for i in range(0, len(photos), 2):
            row = t.add_row()
            row._tr.get_or_add_trPr().append(_el("w:cantSplit", **{"w:val": "true"}))
            for cell, ph in zip(row.cells, photos[i:i + 2]):
                p = cell.paragraphs[0]
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _single(p)
                width, height = _size(ph.image)
                w = Mm(PHOTO_W_MM)
                h = Emu(int(w * min(height / width, 1.25)))  # very tall photos are kept within a third of the page
                if height / width > 1.25:
                    w = Emu(int(h * width / height))
                p.add_run().add_picture(io.BytesIO(ph.image), width=w, height=h)
                cap = cell.add_paragraph()
                cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _single(cap)
                cap.paragraph_format.space_after = Pt(8)
                _run_font(cap.add_run(photo_caption(ph)), BODY_FONT, 10.5, spacing=0)
                if ph.caption:
                    _run_font(cap.add_run("\n" + ph.caption), BODY_FONT, 10.5, spacing=0)
        self._fix_widths(t, [PHOTO_COL_MM, PHOTO_COL_MM], borders=False)
        return t

    def bytes(self):
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def _size(jpeg):
    with Image.open(io.BytesIO(jpeg)) as im:
        return im.size


def photo_caption(ph):
    """学校 · 项目 · 2026年11月21日 10:10 (local time)."""
    when = f"{cn_date(ph.taken_at)} {ph.taken_at:%H:%M}" if ph.taken_at else ""
    return " · ".join(x for x in (ph.school, ph.item, when) if x)


def signature_indents(issuer, when):
    """Right indents (characters) of the 落款's two lines, GB/T 9704 7.3.5.2 (unsealed): the name
    右空二字, the date one line below starting two characters right of the name's first character;
    a date longer than that moves the name left so that the date stays 右空二字."""
    name = len(issuer)
    date = sum(0.5 if ch.isdigit() else 1 for ch in when)
    if date + 2 <= name:
        return 2, name - date
    return 4 + date - name, 2


def build_docx(data):
    w = _Writer()
    w.title(data.title_lines)
    w.blank()
    w.plain(f"{data.addressee}：")
    for line in data.opening + data.overall:
        w.para(line)
    for heading, lines in zip(HEADINGS, (data.achievements, data.problems, data.requirements)):
        w.heading(heading)
        for line in lines or ["（待填写）"]:
            w.para(line)
    last = None
    for line in data.closing:
        last = w.para(line)
    # the closing paragraph, 附件说明 and 落款 stay together: a 落款 never stands alone on a page
    tail = [last] if last is not None else []
    attachments = data.attachments
    if attachments:
        tail.append(w.blank())
        for n, name in attachments:
            if n == 1:
                tail.append(w.plain(f"附件：{n}. {name}", indent_chars=2))
            else:  # further names under the first one's, no punctuation after them
                tail.append(w.plain(f"{n}. {name}"))
                _set(tail[-1]._p.get_or_add_pPr(), "w:ind", **{"w:left": round(5 * CELL_PT * 20)})
    when = cn_date(data.sign_date)
    name_right, date_right = signature_indents(data.issuer, when)
    tail.append(w.blank())
    tail.append(w.plain(data.issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=name_right))
    w.plain(when, align=WD_ALIGN_PARAGRAPH.RIGHT, right_chars=date_right)
    for p in tail:
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.keep_together = True

    for n, name in attachments:
        if name == "问题清单":
            w.attachment_head(n, "问题清单")
            w.table(PROBLEM_COLUMNS, [(p.number, p.where, p.item, p.text) for p in data.problem_list])
        else:
            w.attachment_head(n, "证据照片")
            w.photos(data.photos)

    props = w.doc.core_properties
    props.title = "".join(data.title_lines)
    props.author = "、".join(name for name, _role in data.team) or data.issuer  # the team
    props.last_modified_by = next((name for name, role in data.team if role == "检查组组长"), props.author)
    props.subject = f"{data.county}反馈意见"
    props.comments = f"发文机关：{data.issuer}"
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)  # written as UTC ("…Z")
    props.created = props.modified = now
    props.last_printed = now
    props.revision = 1
    return w.bytes()
