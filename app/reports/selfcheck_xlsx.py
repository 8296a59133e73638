"""The self-check workbook: sheet 逐项逐校自查 (every indicator × school that falls short, with the
figure and the standard), then 002's 附件1/附件2 rectification lists with the problems filled in.
No Flask here."""
import io

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .xlsx_lists import BOLD, BORDER, CENTER, FONT, WRAP, _print_setup, build_rectification_xlsx, row_height, text

DETAIL_HEADERS = ["序号", "学校", "学段", "指标", "指标名称", "实际情况", "标准", "存在不足情况", "来源"]
DETAIL_WIDTHS = [6, 20, 7, 6, 22, 16, 14, 44, 9]


def build_selfcheck_xlsx(check, filled):
    wb = load_workbook(io.BytesIO(build_rectification_xlsx(check.rectification(filled))))
    ws = wb.create_sheet("逐项逐校自查", 0)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(DETAIL_HEADERS))
    text(ws.cell(1, 1), f"{check.county.name}{check.year}年{check.standard.short_name}逐项逐校自查表（未达标项）").font = BOLD
    ws.cell(1, 1).alignment = CENTER
    ws.row_dimensions[1].height = 28
    for i, h in enumerate(DETAIL_HEADERS, start=1):
        c = text(ws.cell(2, i), h)
        c.font, c.alignment, c.border = BOLD, CENTER, BORDER
        ws.column_dimensions[get_column_letter(i)].width = DETAIL_WIDTHS[i - 1]
    row = 3
    for n, s in enumerate(check.rows, start=1):
        values = [n, s.school or "县级", s.section or "", s.code, s.name, s.value, s.limit, s.problem, s.source]
        for i, v in enumerate(values, start=1):
            c = text(ws.cell(row, i), v)
            c.font, c.alignment, c.border = FONT, WRAP, BORDER
        ws.row_dimensions[row].height = row_height([str(v) for v in values], DETAIL_WIDTHS)
        row += 1
    if row == 3:
        text(ws.cell(3, 1), "没有未达标项。").font = FONT
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(DETAIL_HEADERS))}{max(row - 1, 2)}"
    _print_setup(ws, "2:2")
    wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
