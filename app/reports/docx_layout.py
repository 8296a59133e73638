"""The page of GB/T 9704-2012 (geometry, grid, fonts) and the small OOXML helpers the feedback
.docx is written with. Moved out of docx_report.py as it was; see that module for the layout rules."""
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

# -- the page (GB/T 9704-2012 5.2) -------------------------------------------------------------
PAGE_W, PAGE_H = 210, 297  # mm
TOP, BOTTOM, LEFT, RIGHT = 37, 35, 28, 26  # mm
TYPE_W, TYPE_H = PAGE_W - LEFT - RIGHT, PAGE_H - TOP - BOTTOM  # 156 × 225 mm
LINES, CHARS = 22, 28
BODY_PT = 16  # 3号
MM_PT = 72 / 25.4
LINE_TWIPS = int(TYPE_H * MM_PT * 20 / LINES)  # 579: 22 lines fill the 225 mm
CHAR_PT = TYPE_W * MM_PT / CHARS  # 15.79 pt: 28 characters fill the 156 mm
CHAR_SPACE = round((CHAR_PT - BODY_PT) * 4096)  # w:charSpace, 1/4096 pt against the 16 pt body (-848)
CONDENSE = -6  # twentieths of a point: 16 − 0.3 = 15.7 pt a character, just under the 15.79 pt pitch
CELL_PT = BODY_PT + CONDENSE / 20  # the width one body character takes
PAGE_NO_GAP = 7  # mm between the type area and the page number's line
FOOTER_LINE_PT = 20  # the page-number line's exact height
FOOTER_MM = BOTTOM - PAGE_NO_GAP - FOOTER_LINE_PT / MM_PT  # footer distance from the page's bottom edge

# -- fonts with their fallbacks (name, altName, panose, family, pitch) --------------------------
BODY_FONT = "仿宋_GB2312"
KAI_FONT = "楷体_GB2312"
HEI_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
SONG_FONT = "宋体"
LATIN_FONT = "Times New Roman"
FONT_TABLE = [
    ("仿宋_GB2312", "仿宋", "02010609030101010101", "modern", "fixed"),
    ("仿宋", "FangSong", "02010609060101010101", "modern", "fixed"),
    ("楷体_GB2312", "楷体", "02010609030101010101", "modern", "fixed"),
    ("楷体", "KaiTi", "02010609060101010101", "modern", "fixed"),
    ("黑体", "SimHei", "02010609060101010101", "modern", "fixed"),
    ("方正小标宋简体", "华文中宋", "02000000000000000000", "script", "fixed"),
    ("华文中宋", "宋体", "02010600040101010101", "auto", "variable"),
    ("宋体", "SimSun", "02010600030101010101", "auto", "variable"),
]


def _el(tag, **attrs):
    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(k), str(v))
    return el


def _set(parent, tag, **attrs):
    """The child `tag` of parent (created once), with attrs."""
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    for k, v in attrs.items():
        el.set(qn(k), str(v))
    return el


def _run_font(run, east_asia, size=None, latin=LATIN_FONT, spacing=None):
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    if size:
        run.font.size = Pt(size)
    if spacing is not None:
        _set(rpr, "w:spacing", **{"w:val": spacing})
    return run


def _exact(p, twips=LINE_TWIPS):
    """Exact line spacing (text only: a picture in such a paragraph is clipped to one line)."""
    ppr = p._p.get_or_add_pPr()
    _set(ppr, "w:spacing", **{"w:line": twips, "w:lineRule": "exact", "w:before": 0, "w:after": 0})


def _single(p):
    ppr = p._p.get_or_add_pPr()
    _set(ppr, "w:spacing", **{"w:line": 240, "w:lineRule": "auto", "w:before": 0, "w:after": 0})
