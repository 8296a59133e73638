"""Spreadsheets: the two rectification lists in the columns of 002's attachments 1 and 2, the
export of every record, and the photo archive. No Flask here."""
import io
import re
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.page import PageMargins

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


def _sheet_head(ws, title, headers, county, filled, widths):
    last = len(headers)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last)
    ws.cell(1, 1, title).font = Font(name="方正小标宋简体", size=18, bold=True)
    ws.cell(1, 1).alignment = CENTER
    ws.row_dimensions[1].height = 36
    ws.cell(2, 1, f"县（市、区）名称：{county}").font = FONT
    ws.cell(2, last, f"填报日期：{filled.year}年{filled.month}月{filled.day}日").font = FONT
    ws.cell(2, last).alignment = Alignment(horizontal="right")
    for i, h in enumerate(headers, start=1):
        c = ws.cell(3, i, h)
        c.font = BOLD
        c.alignment = CENTER
        c.border = BORDER
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(3, i).column_letter].width = width
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.6, right=0.6, top=0.7, bottom=0.7)


def _cell(ws, row, col, value, number_format=None):
    c = ws.cell(row, col, value)
    c.font = FONT
    c.alignment = WRAP
    c.border = BORDER
    if number_format:
        c.number_format = number_format
        c.alignment = Alignment(horizontal="center", vertical="top")
    return c


def _row_height(*texts, chars_per_line=(18, 30, 30)):
    lines = max(1, *[-(-len(t or "") // n) for t, n in zip(texts, chars_per_line)])
    return max(24, 18 * lines)


def build_rectification_xlsx(data):
    """Attachment 1 (schools: one block per campus, its problems numbered under it) and
    attachment 2 (the county government), deadlines as real dates shown to the month."""
    wb = Workbook()
    ws = wb.active
    ws.title = "学校整改清单"
    _sheet_head(ws, SCHOOL_TITLE, SCHOOL_HEADERS, data.county, data.filled, [28, 48, 48, 14])
    row = 4
    for n, (school, items) in enumerate(data.schools, start=1):
        first = row
        for k, item in enumerate(items or [None], start=1):
            _cell(ws, row, 1, f"{n}.{school}" if k == 1 else None)
            _cell(ws, row, 2, f"{k}.{item.problem}" if item else "")
            _cell(ws, row, 3, item.measure if item else "")
            _cell(ws, row, 4, item.deadline if item else None, MONTH_FORMAT)
            ws.row_dimensions[row].height = _row_height(school if k == 1 else "", item.problem if item else "",
                                                        item.measure if item else "")
            row += 1
        if row - 1 > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
    _notes(ws, row + 1, ["注：", "1.学校必须按照物理独立校区填报，如一校多区必须分开自查后分开填报。",
                         "2.存在不足情况按照《办法》31项指标中要求学校达标的每一项指标要求逐项填报；达标项目不用填报。",
                         "3.完成时限精确到月份。"], 4)

    ws2 = wb.create_sheet("县级政府整改清单")
    _sheet_head(ws2, COUNTY_TITLE, COUNTY_HEADERS, data.county, data.filled, [56, 56, 14])
    row = 4
    for k, item in enumerate(data.county_rows, start=1):
        _cell(ws2, row, 1, f"{k}.{item.problem}")
        _cell(ws2, row, 2, item.measure)
        _cell(ws2, row, 3, item.deadline, MONTH_FORMAT)
        ws2.row_dimensions[row].height = _row_height(item.problem, item.measure, chars_per_line=(36, 36))
        row += 1
    _notes(ws2, row + 1, ["注：", "1.存在不足情况按照《办法》31项指标中要求县级政府达标的每一项指标要求逐项填报；达标项目不用填报。",
                          "2.完成时限精确到月份。"], 3)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _notes(ws, row, lines, cols):
    for i, text in enumerate(lines):
        ws.merge_cells(start_row=row + i, start_column=1, end_row=row + i, end_column=cols)
        c = ws.cell(row + i, 1, text)
        c.font = Font(name="仿宋", size=11)
        c.alignment = Alignment(wrap_text=True)


def build_export_xlsx(sheets):
    """{sheet name: (headers, rows)} → .xlsx, one sheet per kind (write-only: large is fine)."""
    wb = Workbook(write_only=True)
    for name, (headers, rows) in sheets.items():
        ws = wb.create_sheet(name[:31])
        ws.freeze_panes = "A2"
        widths = [max(8, min(50, len(str(h)) * 2 + 2)) for h in headers]
        for r in rows[:200]:
            for i, v in enumerate(r):
                widths[i] = max(widths[i], min(50, len(str(v or "")) + 2))
        for i, width in enumerate(widths):
            ws.column_dimensions[_col(i)].width = width
        ws.append(headers)
        for r in rows:
            ws.append([_plain(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _col(i):
    s = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        s = chr(65 + rem) + s
    return s


def _plain(v):
    if isinstance(v, (list, dict)):
        import json

        return json.dumps(v, ensure_ascii=False)
    return v


UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text, fallback="未命名"):
    text = UNSAFE.sub("_", (text or "").strip()).strip(". ")
    return text[:60] or fallback


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
