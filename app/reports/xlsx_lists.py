"""Spreadsheets: the two rectification lists in the columns of 002's attachments 1 and 2, the
export of every record, and the photo archive. No Flask here."""
import io
import re
import unicodedata
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break

from .wording import shorten

SCHOOL_TITLE = "义务教育学校达到优质均衡目标整改清单"
COUNTY_TITLE = "县级政府达到优质均衡目标整改清单"
SCHOOL_HEADERS = ["学校名称", "存在不足情况", "整改提升措施", "完成时限"]
COUNTY_HEADERS = ["存在不足情况", "整改提升措施", "完成时限"]
MONTH_FORMAT = 'yyyy"年"m"月"'

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FONT = Font(name="仿宋", size=12)
BOLD = Font(name="黑体", size=12, bold=True)
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# The printed page (A4 landscape): margins in inches, heights and widths in points.
MARGINS = PageMargins(left=0.6, right=0.6, top=0.6, bottom=0.8, header=0.3, footer=0.35)
PAGE_HEIGHT_PT = 210 / 25.4 * 72 - (MARGINS.top + MARGINS.bottom) * 72 - 6  # a little slack for rounding
PAGE_WIDTH_PT = 297 / 25.4 * 72 - (MARGINS.left + MARGINS.right) * 72
LINE_PT = 18  # one line of 12 pt CJK text (Excel ≈ 15.75, LibreOffice with Noto CJK ≈ 17.4)
PAD_PT = 6
# Each sheet is its own attachment, numbered from 1. No "共 &N 页": LibreOffice and WPS count &N
# over the whole workbook, so 附件2 on its one page would read "第 1 页，共 7 页".
FOOTER = "第 &P 页"
# A column width counts digits of the workbook's default font. That font is set to Arial 11 (every
# Windows PC has it; LibreOffice lays it out with the metric-identical Liberation Sans), so a unit is
# 8 px (6 pt) wherever the list is opened — with Calibri, which LibreOffice often lacks, a unit was
# 7 px in Excel and ≈ 9.4 px in LibreOffice, whose fit-to-width then shrank the page by a tenth and
# put 25 characters where the heights were made for 18.
DEFAULT_FONT = Font(name="Arial", size=11)
UNIT_PX = 8
CELL_PAD_PX = 8  # the cell's inner margins, both sides, with a little to spare
HALF_PX = 8  # a half-width character of the 12 pt cell font (a CJK one is two)
PX_PT = 0.75
# The four (three) columns: 123 units = 984 px = 738 pt fit the 755 pt between the margins, so the
# print scale is 1 and the breaks placed here are where the printer breaks.
SCHOOL_WIDTHS = [22, 44, 44, 13]
COUNTY_WIDTHS = [55, 55, 13]
A4 = 9


def new_workbook():
    """A workbook whose default font (the unit of column widths) is DEFAULT_FONT."""
    wb = Workbook()
    wb._fonts = IndexedList([DEFAULT_FONT])
    return wb


def print_scale(widths):
    """The scale fit-to-width prints at: 1 when the columns fit between the margins."""
    return min(1.0, PAGE_WIDTH_PT / (sum(widths) * UNIT_PX * PX_PT))


def text(cell, value):
    """Write user-typed text as text: a value starting with = + - @ never becomes a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def units(ch):
    """Display width in half-width units: a CJK (full-width) character counts double."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


_TOKEN = re.compile(r"[A-Za-z0-9.,:%+\-/]+|.", re.S)


def wrapped_lines(value, width):
    """How many lines `value` takes in a wrapped cell `width` units wide at 12 pt: the characters
    that really fit (UNIT_PX a unit, 8 px a half-width character, a CJK one 16 px),
    Latin words kept whole, explicit line breaks kept."""
    per_line = max(2, int((width * UNIT_PX - CELL_PAD_PX) // HALF_PX))
    total = 0
    for para in str(value or "").split("\n"):
        lines, used = 1, 0
        for tok in _TOKEN.findall(para):
            w = sum(units(ch) for ch in tok)
            if used + w > per_line and used:
                lines += 1
                used = 0
            while w > per_line:  # a word longer than the line is cut
                w -= per_line
                lines += 1
            used += w
        total += lines
    return total


def row_height(values, widths):
    return max(24, PAD_PT + LINE_PT * max(wrapped_lines(v, w) for v, w in zip(values, widths)))


def page_numbers(ws):
    """第 N 页 in the printed footer, counted from 1 on every sheet (not on from the sheet before)."""
    ws.oddFooter.center.text = FOOTER
    ws.page_setup.firstPageNumber = 1
    ws.page_setup.useFirstPageNumber = True


def _print_setup(ws, title_rows):
    ws.print_title_rows = title_rows
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape"
    # one page wide: should a PC lay the default font out wider, the columns are scaled down, which
    # only leaves more room under the breaks placed here at 100 %
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = MARGINS
    page_numbers(ws)
    ws.oddFooter.center.font = "仿宋,Regular"
    ws.oddFooter.center.size = 11
    ws.print_options.horizontalCentered = True


def _sheet_head(ws, label, title, headers, county, filled, widths):
    """Row 1 附件N, row 2 the title, row 3 县（市、区）名称 … 填报日期, row 4 the column heads
    (printed again on every page)."""
    last = len(headers)
    text(ws.cell(1, 1), label).font = Font(name="黑体", size=14)
    ws.row_dimensions[1].height = 22
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=last)
    text(ws.cell(2, 1), title).font = Font(name="方正小标宋简体", size=18)
    ws.cell(2, 1).alignment = CENTER
    ws.row_dimensions[2].height = 36
    split = last // 2  # the county's name on the left half, the date on the right half
    if split > 1:
        ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=split)
    ws.merge_cells(start_row=3, start_column=split + 1, end_row=3, end_column=last)
    text(ws.cell(3, 1), f"县（市、区）名称：{county}").font = FONT
    text(ws.cell(3, split + 1), f"填报日期：{filled.year}年{filled.month}月{filled.day}日").font = FONT
    ws.cell(3, split + 1).alignment = Alignment(horizontal="right")
    ws.row_dimensions[3].height = 22
    for i, h in enumerate(headers, start=1):
        c = text(ws.cell(4, i), h)
        c.font = BOLD
        c.alignment = CENTER
        c.border = BORDER
    ws.row_dimensions[4].height = 24
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A5"
    _print_setup(ws, "4:4")
    return 22 + 36 + 22 + 24


def _cell(ws, row, col, value, number_format=None):
    c = text(ws.cell(row, col), value)
    c.font = FONT
    c.alignment = WRAP
    c.border = BORDER
    if number_format:
        c.number_format = number_format
        c.alignment = Alignment(horizontal="center", vertical="top")
    return c


class _Pages:
    """Where the printed pages break: rows are never split, so a row that does not fit on the
    page starts the next one (a manual break here, so that the school's name can be repeated)."""

    def __init__(self, ws, used_first, header, widths):
        self.ws, self.used, self.header = ws, used_first, header
        self.capacity = PAGE_HEIGHT_PT / print_scale(widths)  # row heights are points at 100 %

    def fits(self, height):
        return self.used + height <= self.capacity

    def add(self, height):
        self.used += height

    def break_before(self, row):
        self.ws.row_breaks.append(Break(id=row - 1))
        self.used = self.header


def build_rectification_xlsx(data):
    """Attachment 1 (schools: one block per campus, its problems numbered under it) and
    attachment 2 (the county government), deadlines as real dates shown to the month. Printed
    A4 landscape with page numbers; a school block broken by a page shows its name again."""
    wb = new_workbook()
    ws = wb.active
    ws.title = "学校整改清单"
    pages = _Pages(ws, _sheet_head(ws, "附件1", SCHOOL_TITLE, SCHOOL_HEADERS, data.county, data.filled,
                                   SCHOOL_WIDTHS), 24, SCHOOL_WIDTHS)
    row = 5
    for n, (school, items) in enumerate(data.schools, start=1):
        first = row
        for k, item in enumerate(items or [None], start=1):
            values = [f"{n}.{school}", f"{k}.{item.problem}" if item else "", item.measure if item else ""]
            height = row_height(values + [""], SCHOOL_WIDTHS)
            if not pages.fits(height):
                if row > first:  # the block goes on over the page: close its merge, name it again
                    if row - 1 > first:
                        ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
                    first = row
                pages.break_before(row)
            pages.add(height)
            name = f"{n}.{school}" if row == first and k == 1 else (f"{n}.{school}（续）" if row == first else None)
            _cell(ws, row, 1, name)
            _cell(ws, row, 2, values[1])
            _cell(ws, row, 3, values[2])
            _cell(ws, row, 4, item.deadline if item else None, MONTH_FORMAT)
            ws.row_dimensions[row].height = height
            row += 1
        if row - 1 > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    _notes(ws, row + 1, ["注：", "1.学校必须按照物理独立校区填报，如一校多区必须分开自查后分开填报。",
                         "2.存在不足情况按照《办法》31项指标中要求学校达标的每一项指标要求逐项填报；达标项目不用填报。",
                         "3.完成时限精确到月份。"], SCHOOL_WIDTHS, pages)

    ws2 = wb.create_sheet("县级政府整改清单")
    pages = _Pages(ws2, _sheet_head(ws2, "附件2", COUNTY_TITLE, COUNTY_HEADERS, data.county, data.filled,
                                    COUNTY_WIDTHS), 24, COUNTY_WIDTHS)
    row = 5
    for k, item in enumerate(data.county_rows, start=1):
        values = [f"{k}.{item.problem}", item.measure, ""]
        height = row_height(values, COUNTY_WIDTHS)
        if not pages.fits(height):
            pages.break_before(row)
        pages.add(height)
        _cell(ws2, row, 1, values[0])
        _cell(ws2, row, 2, item.measure)
        _cell(ws2, row, 3, item.deadline, MONTH_FORMAT)
        ws2.row_dimensions[row].height = height
        row += 1
    _notes(ws2, row + 1, ["注：", "1.存在不足情况按照《办法》31项指标中要求县级政府达标的每一项指标要求逐项填报；达标项目不用填报。",
                          "2.完成时限精确到月份。"], COUNTY_WIDTHS, pages)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _notes(ws, row, lines, widths, pages):
    pages.add(LINE_PT)  # the empty row above the notes
    for i, line in enumerate(lines):
        ws.merge_cells(start_row=row + i, start_column=1, end_row=row + i, end_column=len(widths))
        c = text(ws.cell(row + i, 1), line)
        c.font = Font(name="仿宋", size=11)
        c.alignment = Alignment(wrap_text=True, vertical="top")
        height = row_height([line], [sum(widths)])
        if not pages.fits(height):
            pages.break_before(row + i)
        pages.add(height)
        ws.row_dimensions[row + i].height = height


def build_export_xlsx(sheets):
    """{sheet name: (headers, rows)} → .xlsx, one sheet per kind (write-only: large is fine).
    Text stays text (never a formula), times are real date-time cells, the header is bold with a
    filter, and each sheet prints landscape, one page wide, its header on every page."""
    wb = Workbook(write_only=True)
    for name, (headers, rows) in sheets.items():
        ws = wb.create_sheet(name[:31])
        ws.freeze_panes = "A2"
        widths = [max(8, min(50, sum(units(ch) for ch in str(h)) + 4)) for h in headers]
        for r in rows[:200]:
            for i, v in enumerate(r):
                shown = v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else str(_plain(v) or "")
                widths[i] = max(widths[i], min(50, max((sum(units(ch) for ch in line) for line in shown.split("\n")),
                                                       default=0) + 2))
        for i, width in enumerate(widths):
            ws.column_dimensions[get_column_letter(i + 1)].width = width
        last = get_column_letter(len(headers))
        ws.auto_filter.ref = f"A1:{last}{len(rows) + 1}"
        ws.print_title_rows = "1:1"
        ws.page_setup.paperSize = A4
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.7, header=0.3, footer=0.3)
        page_numbers(ws)
        ws.append([_head_cell(ws, h) for h in headers])
        for r in rows:
            ws.append([_value_cell(ws, v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _head_cell(ws, value):
    c = WriteOnlyCell(ws, value=value)
    c.data_type = "s"
    c.font = Font(bold=True)
    c.alignment = Alignment(vertical="center")
    return c


def _value_cell(ws, value):
    value = _plain(value)
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.data_type = "s"  # user-typed text is never a formula
        if "\n" in value:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    elif isinstance(value, datetime):
        c.number_format = DATETIME_FORMAT
    return c


def _plain(v):
    if isinstance(v, (list, dict)):
        import json

        return json.dumps(v, ensure_ascii=False)
    return v


UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(value, fallback="未命名", limit=40):
    """A file or folder name: unsafe characters replaced, shortened at a word boundary (never
    mid-bracket)."""
    value = UNSAFE.sub("_", shorten((value or "").strip(), limit)).strip(". ")
    return value or fallback


def build_photos_zip(photos, out):
    """photos: iterable of (school, item, taken_at, jpeg bytes) → a zip written to `out` (a file
    object), entries named 学校/项目/YYYY-MM-DD HHMMSS.jpg; equal names get " (2)", " (3)"."""
    seen = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:  # JPEGs do not compress
        for school, item, taken_at, data in photos:
            stamp = taken_at.strftime("%Y-%m-%d %H%M%S") if taken_at else "无时间"
            base = f"{safe_name(school)}/{safe_name(item)}/{stamp}"
            n = seen.get(base, 0) + 1
            seen[base] = n
            name = base + (f" ({n})" if n > 1 else "") + ".jpg"
            info = zipfile.ZipInfo(name, date_time=(taken_at or datetime(2000, 1, 1)).timetuple()[:6])
            info.flag_bits |= 0x800  # UTF-8 file names
            z.writestr(info, data)
    return out
