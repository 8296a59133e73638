"""The downloadable school-data template (.xlsx): the headers with one example row, and the
填表说明 sheet (columns, the asset split, where indoor sports rooms go). Moved out of
school_data.py as it was; the columns come from school-data.json through school_data.columns()."""
import io

from .school_data import columns


def template_workbook():
    """The downloadable template: sheet 1 with the headers and one example row, sheet 2 notes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "学校数据"
    cols = columns()
    ws.append([c["header"] for c in cols])
    ws.append([c["example"] if c["example"] != "" else None for c in cols])
    for i, c in enumerate(cols, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if c["required"] is True:
            cell.fill = PatternFill("solid", fgColor="FFF2CC")
        cell.comment = Comment(c["note"], "督导通")
        ws.column_dimensions[cell.column_letter].width = max(10, len(c["header"]) * 2 + 2)
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("填表说明")
    notes.append(["列名", "是否必填", "类型", "说明"])
    for c in cols:
        req = {True: "必填", False: "选填"}.get(c["required"], f"{c['required']}必填")
        kind = {"text": "文本", "int": "整数，≥0", "number": "数字，≥0", "enum": "可选值：" + "、".join(c.get("values", []))}[c["type"]]
        notes.append([c["header"], req, kind, c["note"]])
    notes.append([])
    notes.append(["说明", "", "", "每个学段一行：九年一贯制学校填小学、初中两行；第 1 行为表头，请勿修改；示例行请删除后再填报。"])
    from .split import split_instructions

    for line in split_instructions():
        notes.append(["", "", "", line])
    notes.append(["", "", "", "室内体育用房（室内体育馆、风雨操场）计入「体育运动场馆面积」（R5），不计入「教学及辅助用房面积」（R4），不要重复计算。"])
    for col, width in zip("ABCD", (22, 10, 40, 70)):
        notes.column_dimensions[col].width = width
    for cell in notes[1]:
        cell.font = Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
