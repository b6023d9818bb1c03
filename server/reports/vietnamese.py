"""Dates and numbers as Vietnamese readers expect them on pages and documents: 01/11/2026,
1.234,5, and the place and date line of an administrative document (Nghị định 30/2020/NĐ-CP).
ISO dates stay in the JSON API and the machine exports."""

from __future__ import annotations

from datetime import date, datetime

from .tables import text


def _as_date(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def date_text(value) -> str:
    """A date (a `date` or an ISO string) as dd/mm/yyyy; "—" for nothing."""
    d = _as_date(value)
    return "—" if d is None else f"{d:%d/%m/%Y}"


def datetime_text(value) -> str:
    """An ISO date and time as "08:05 12/03/2026" (local time as written in the ISO string)."""
    if value in (None, ""):
        return "—"
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return f"{dt:%H:%M %d/%m/%Y}"


def number_text(value, decimals: int = 0) -> str:
    """1234.5 -> "1.234,5" (`decimals` 0 or 1)."""
    return text(value, "int" if decimals == 0 else "avg")


def place_date(place: str, value) -> str:
    """ "Phường Bến Thành, ngày 05 tháng 3 năm 2026": a day below 10 and the months 1 and 2 take a
    leading zero (Nghị định 30/2020/NĐ-CP, Phụ lục I)."""
    d = _as_date(value)
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    line = f"ngày {d.day:02d} tháng {month} năm {d.year}"
    return f"{place}, {line}" if place else line.capitalize()
