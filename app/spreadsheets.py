"""Reading the tables offices keep (.xlsx, .xls, .ods, CSV in UTF-8 or GBK/GB18030), refused
before they cost anything: the archive's inflated size, its sheets, rows and columns are capped
before or while the first sheet is read, so a zip bomb or a million empty rows is turned away in
a fraction of a second with a Chinese message. No Flask; the caps are passed in (config).

Every reader of user tables goes through here: the school data template, rosters, anything later.
"""
from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass

EXCEL_NAMES = (".xlsx", ".xlsm", ".xls", ".ods")
TABLE_NAMES = EXCEL_NAMES + (".csv",)


class SpreadsheetError(ValueError):
    """A file refused as a whole; the message is Chinese and meant for the user."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 15 * 1024 * 1024        # the file as uploaded
    max_inflated: int = 64 * 1024 * 1024     # an .xlsx/.ods unpacked (all its parts)
    max_sheets: int = 50
    max_rows: int = 60000
    max_cols: int = 200

    @classmethod
    def from_mapping(cls, values):
        return cls(**{k: int(v) for k, v in (values or {}).items() if k in cls.__dataclass_fields__})


def _mb(n):
    return f"{n / 1024 / 1024:.0f} MB"


def kind_of(data: bytes, filename: str | None) -> str:
    name = (filename or "").lower()
    for ext in TABLE_NAMES:
        if name.endswith(ext):
            return ext
    if data[:2] == b"PK":
        return ".xlsx"
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return ".xls"
    return ""


def check_archive(data: bytes, limits: Limits) -> None:
    """An .xlsx/.ods is a zip: its parts' inflated sizes and its sheet count are known from the
    central directory before anything is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise SpreadsheetError("无法读取该文件：不是有效的 Excel（.xlsx）或 WPS / LibreOffice（.ods）文件，或文件已损坏。") from None
    inflated = sum(i.file_size for i in infos)
    if inflated > limits.max_inflated or len(infos) > 10000:
        raise SpreadsheetError(f"文件解压后达 {_mb(inflated)}，超过上限 {_mb(limits.max_inflated)}，已拒绝读取。"
                               "请只保留需要的工作表和数据行后重新上传。")
    sheets = [i for i in infos if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
    if len(sheets) > limits.max_sheets:
        raise SpreadsheetError(f"文件有 {len(sheets)} 个工作表，超过上限 {limits.max_sheets} 个。")


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes as such, else GB18030 (a superset of the GBK
    that Chinese Excel saves by default)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise SpreadsheetError("无法识别 CSV 文件的编码：请另存为「CSV UTF-8」或 .xlsx。") from None


def read_first_sheet(data: bytes, filename: str | None, limits: Limits = Limits()) -> list[list]:
    """The first sheet (or the CSV) as rows of cell values: str, int/float, datetime, or '' for an
    empty cell. Raises SpreadsheetError for a file refused as a whole."""
    if not data:
        raise SpreadsheetError("上传的文件是空的。")
    if len(data) > limits.max_bytes:
        raise SpreadsheetError(f"文件大小 {_mb(len(data))}，超过上限 {_mb(limits.max_bytes)}。")
    kind = kind_of(data, filename)
    if kind == ".csv":
        if data.count(b"\n") > limits.max_rows + 1:
            raise SpreadsheetError(f"文件超过 {limits.max_rows} 行，已拒绝读取。")
        text = decode_csv(data)
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error:
            raise SpreadsheetError("无法读取该 CSV 文件（引号或分隔符有误）。") from None
        if any(len(r) > limits.max_cols for r in rows):
            raise SpreadsheetError(f"文件超过 {limits.max_cols} 列，已拒绝读取。")
        return rows
    if kind not in EXCEL_NAMES:
        raise SpreadsheetError("只接受 .xlsx、.xls、.ods 或 .csv 文件。")
    if kind != ".xls":
        check_archive(data, limits)
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if len(book.sheet_names) > limits.max_sheets:
            raise SpreadsheetError(f"文件有 {len(book.sheet_names)} 个工作表，超过上限 {limits.max_sheets} 个。")
        sheet = book.get_sheet_by_index(0)
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError("无法读取该文件：请确认是 Excel / WPS / LibreOffice 表格且未加密、未损坏。") from None
    if sheet.height > limits.max_rows + 1:
        raise SpreadsheetError(f"工作表「{sheet.name}」有 {sheet.height} 行，超过上限 {limits.max_rows} 行。"
                               "请删除多余的行（包括格式化过的空行）后重新上传。")
    if sheet.width > limits.max_cols:
        raise SpreadsheetError(f"工作表「{sheet.name}」有 {sheet.width} 列，超过上限 {limits.max_cols} 列。")
    return sheet.to_python(skip_empty_area=False)


def normalise_text(value: str) -> str:
    """Full-width digits, letters and punctuation as typed on Chinese keyboards (８００, ２１５．６,
    １２，３４５) in their ASCII form, for numbers and codes (not for names)."""
    return unicodedata.normalize("NFKC", value).strip()
