"""The period of a report (day, week, month, quarter, year, or from-to) and its filters.

Query parameters (pages, exports and `/api/reports/...` alike):
`period` = day | week | month | quarter | half (half-year) | year | range (default month), `date` = YYYY-MM-DD, any
day inside the period (default today), `from` and `to` = YYYY-MM-DD for a range (both included),
and the filters `service` (code), `counter` (number), `officer` (user id or user name).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from .. import wire
from ..errors import BadRequest

KINDS = ("day", "week", "month", "quarter", "half", "year", "range")
MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
MAX_RANGE_DAYS = 3 * 366
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
# The days a report may be about: a period around year 9999 or 1 would step past what `date`
# can hold (OverflowError, "year 10000 is out of range").
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date
    end: date  # included
    anchor: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self, lang: str = "vi") -> str:
        """The period as a title says it: "Tháng 03/2026", "Quý I/2026", "Week 11/2026 (...)"."""
        s, e, en = self.start, self.end, lang == "en"
        if self.kind == "day":
            return f"{'' if en else 'Ngày '}{s:%d/%m/%Y}"
        if self.kind == "week":
            year, week, _ = s.isocalendar()
            return f"{'Week' if en else 'Tuần'} {week:02d}/{year} ({s:%d/%m} – {e:%d/%m/%Y})"
        if self.kind == "month":
            return f"{'Month' if en else 'Tháng'} {s:%m/%Y}"
        if self.kind == "quarter":
            return f"{'Quarter' if en else 'Quý'} {ROMAN[(s.month - 1) // 3 + 1]}/{s.year}"
        if self.kind == "half":
            if en:
                return f"{'First' if s.month == 1 else 'Second'} half of {s.year}"
            return f"6 tháng {'đầu' if s.month == 1 else 'cuối'} năm {s.year}"
        if self.kind == "year":
            return f"{'Year' if en else 'Năm'} {s.year}"
        return f"{'From' if en else 'Từ'} {s:%d/%m/%Y} {'to' if en else 'đến'} {e:%d/%m/%Y}"

    def shift(self, n: int) -> "Period":
        """The period n steps later (n < 0: earlier), of the same kind; a range moves by its length."""
        if self.kind == "range":
            delta = timedelta(days=self.days * n)
            return replace(self, start=self.start + delta, end=self.end + delta, anchor=self.anchor + delta)
        if self.kind == "day":
            return of(self.kind, self.anchor + timedelta(days=n))
        if self.kind == "week":
            return of(self.kind, self.anchor + timedelta(weeks=n))
        months = MONTHS[self.kind] * n
        m = self.start.year * 12 + self.start.month - 1 + months
        return of(self.kind, date(m // 12, m % 12 + 1, 1))

    def as_args(self) -> dict:
        """Query parameters that give this period back."""
        if self.kind == "range":
            return {"period": "range", "from": self.start.isoformat(), "to": self.end.isoformat()}
        return {"period": self.kind, "date": self.anchor.isoformat()}

    def as_json(self) -> dict:
        return {"kind": self.kind, "from": self.start.isoformat(), "to": self.end.isoformat(),
                "days": self.days, "label": self.label("vi"), "label_en": self.label("en")}


def of(kind: str, anchor: date) -> Period:
    """The period of a kind (not range) that holds `anchor`."""
    if kind == "day":
        return Period(kind, anchor, anchor, anchor)
    if kind == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return Period(kind, start, start + timedelta(days=6), anchor)
    if kind == "month":
        start = anchor.replace(day=1)
    elif kind == "quarter":
        start = date(anchor.year, (anchor.month - 1) // 3 * 3 + 1, 1)
    elif kind == "half":
        start = date(anchor.year, 1 if anchor.month <= 6 else 7, 1)
    elif kind == "year":
        start = date(anchor.year, 1, 1)
    else:
        raise BadRequest(f"period phải là một trong: {', '.join(KINDS)}")
    months = MONTHS[kind]
    m = start.year * 12 + start.month - 1 + months
    end = date(m // 12, m % 12 + 1, 1) - timedelta(days=1)
    return Period(kind, start, end, anchor)


def _date(args, name: str, default: date | None = None) -> date:
    value = args.get(name)
    if value in (None, ""):
        if default is None:
            raise BadRequest(f"thiếu tham số '{name}' (ngày dạng YYYY-MM-DD)")
        return default
    try:
        if len(str(value)) != 10:
            raise ValueError(value)
        day = date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(f"'{name}' phải là một ngày dạng YYYY-MM-DD, không phải {str(value)[:40]!r}") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadRequest(f"'{name}' phải từ {FIRST_DAY.isoformat()} đến {LAST_DAY.isoformat()}, "
                         f"không phải {day.isoformat()}")
    return day


def parse(args, today: date) -> Period:
    """The period asked for by query parameters; BadRequest naming what is wrong."""
    kind = args.get("period") or "month"
    if kind not in KINDS:
        raise BadRequest(f"period phải là một trong: {', '.join(KINDS)}; không phải {str(kind)[:20]!r}")
    if kind == "range":
        start, end = _date(args, "from"), _date(args, "to")
        if start > end:
            raise BadRequest(f"'from' ({start}) phải trước hoặc bằng 'to' ({end})")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise BadRequest(f"khoảng thời gian tối đa {MAX_RANGE_DAYS} ngày")
        return Period("range", start, end, start)
    return of(kind, _date(args, "date", today))


@dataclass(frozen=True)
class Filters:
    service: str | None = None
    counter: int | None = None
    officer: int | None = None

    def as_args(self) -> dict:
        return {k: v for k, v in (("service", self.service), ("counter", self.counter),
                                  ("officer", self.officer)) if v is not None}

    def any(self) -> bool:
        return bool(self.as_args())


def parse_filters(args, db) -> Filters:
    """The filters asked for, checked against the catalog; BadRequest naming what is unknown."""
    service = args.get("service") or None
    if service is not None:
        if not db.execute("SELECT 1 FROM services WHERE code = ?", [service]).fetchone():
            raise BadRequest(f"lĩnh vực '{str(service)[:20]}' không tồn tại")
    counter = args.get("counter") or None
    if counter is not None:
        if not wire.is_number(counter) or int(counter) > wire.MAX_INT:
            raise BadRequest(f"'counter' phải là số quầy, không phải {str(counter)[:20]!r}")
        counter = int(counter)
        if not db.execute("SELECT 1 FROM counters WHERE number = ?", [counter]).fetchone():
            raise BadRequest(f"quầy {counter} không tồn tại")
    officer = args.get("officer") or None
    if officer is not None:
        officer = str(officer)
        row = db.execute("SELECT id FROM users WHERE id = ? OR username = ?",
                         [wire.row_id(officer) or -1, officer[:40]]).fetchone()
        if not row:
            raise BadRequest(f"cán bộ '{officer[:40]}' không tồn tại")
        officer = row[0]
    return Filters(service, counter, officer)
