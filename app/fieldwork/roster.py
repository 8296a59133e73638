"""Reading a roster of people to interview (pasted text, .xlsx or .csv) into the population
items that draws.draw_interviewees takes. No Flask, no database."""
from __future__ import annotations

import re

from ..spreadsheets import Limits, SpreadsheetError, _mb, read_first_sheet
from .draws import DrawError

# A roster is a few hundred people: anything far larger is refused before it is read.
ROSTER_LIMITS = Limits(max_bytes=5 * 1024 * 1024, max_inflated=32 * 1024 * 1024, max_sheets=50, max_rows=5000,
                       max_cols=50)

_HEADER_NAMES = ("姓名",)
_TYPE_HEADERS = ("类型", "身份")
_CLASS_HEADERS = ("班级",)


def _person(n: int, name: str, kind: str, klass: str) -> dict:
    item = {"id": f"p{n}", "label": name, "type": kind}
    if klass:
        item["class"] = klass
    return item


def _split_line(line: str) -> list[str]:
    if re.search(r"[,，\t]", line):
        parts = re.split(r"[,，\t]", line)
    else:
        parts = line.split()
    return [p.strip() for p in parts]


def _rows_to_people(rows: list[list[str]], default_type: str) -> list[dict]:
    header_index = None
    for i, row in enumerate(rows[:10]):
        if any(cell == "姓名" for cell in row):
            header_index = i
            break
    if header_index is None:
        raise DrawError("文件中没有「姓名」列，请在第一行填写表头：姓名、类型、班级")
    header = rows[header_index]
    name_col = header.index("姓名")
    type_col = next((header.index(h) for h in _TYPE_HEADERS if h in header), None)
    class_col = next((header.index(h) for h in _CLASS_HEADERS if h in header), None)

    def cell(row, col):
        return row[col] if col is not None and col < len(row) else ""

    people = []
    for row in rows[header_index + 1:]:
        name = cell(row, name_col)
        if not name:
            continue
        people.append(_person(len(people) + 1, name, cell(row, type_col) or default_type, cell(row, class_col)))
    return people


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read_table(file_bytes: bytes, filename: str | None) -> list[list[str]]:
    try:
        rows = read_first_sheet(file_bytes, filename, ROSTER_LIMITS)
    except SpreadsheetError as exc:
        raise DrawError(str(exc)) from None
    return [[_cell_text(v) for v in row] for row in rows]


def _check_pasted_size(text: str, limits: Limits = ROSTER_LIMITS) -> None:
    """Pasted text is held to the same caps as a roster file: its size and its number of lines."""
    size = len(text.encode("utf-8"))
    if size > limits.max_bytes:
        raise DrawError(f"粘贴的名单大小 {_mb(size)}，超过上限 {_mb(limits.max_bytes)}，请分批抽取或上传名单文件。")
    lines = sum(1 for line in text.splitlines() if line.strip())
    if lines > limits.max_rows + 1:  # + a header line, as for a file
        raise DrawError(f"粘贴的名单有 {lines} 行，超过上限 {limits.max_rows} 行，请删减后重试。")


def parse_roster(
    text: str | None = None,
    file_bytes: bytes | None = None,
    filename: str | None = None,
    default_type: str = "",
) -> list[dict]:
    """A roster as interviewee population items ``{"id": "p1", "label": 姓名, "type": 类型}``
    (plus ``"class"`` when a 班级 is given), ids numbered in input order. Files are read through
app.spreadsheets (capped before parsing).

    Pasted text: one person per line, ``姓名`` or ``姓名,类型[,班级]`` separated by a comma,
    全角逗号 or tab, or else by spaces; blank lines and a ``姓名…`` header line are ignored;
    duplicate names are kept (each gets its own id). Files: .xlsx, .xls, .ods (first sheet) or
    .csv (UTF-8, or GBK as Excel saves it) with a header row holding 姓名 and optionally 类型 or 身份,
    and 班级.
    """
    if file_bytes is not None:
        if not file_bytes:
            raise DrawError("上传的文件是空的")
        rows = _read_table(file_bytes, filename)
        people = _rows_to_people(rows, default_type)
    else:
        _check_pasted_size(text or "")
        people = []
        for raw in (text or "").splitlines():
            line = raw.strip()
            if not line:
                continue
            parts = _split_line(line)
            if not people and parts[0] == "姓名":
                continue  # a pasted header line
            name = parts[0]
            if not name:
                continue
            kind = parts[1] if len(parts) > 1 and parts[1] else default_type
            klass = parts[2] if len(parts) > 2 else ""
            people.append(_person(len(people) + 1, name, kind, klass))
    if not people:
        raise DrawError("名单为空，请每行填写一个姓名")
    return people
