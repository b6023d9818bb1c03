"""The report of a period with filters: summary, per officer, counter and service, the series
over time, the heat map and the ranking. Also today's figures for the live board.

Every figure comes from the daily roll-ups (`rollup`), read inside one read transaction so that
all the tables of a report agree with each other, and every figure is defined in `kpi`.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

from sqlite_utils import Database

from . import kpi, ranking, rollup
from .period import Filters, Period

ALL = ("services", "officers", "counters", "series", "heat", "ranking", "p90")

T_SUMS = ", ".join(f"sum({k}) AS {k}" for k in kpi.TICKET_FIELDS)
R_SUMS = ", ".join(f"sum({k}) AS {k}" for k in kpi.RATING_FIELDS)
WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@contextmanager
def snapshot(db: Database):
    """One read transaction: every query inside sees the same committed state."""
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN")
    try:
        yield db
    finally:
        db.execute("COMMIT")


def _where(filters: Filters) -> tuple[str, list]:
    conds, params = [], []
    if filters.service is not None:
        conds.append("service = ?")
        params.append(filters.service)
    if filters.counter is not None:
        conds.append("counter = ?")
        params.append(filters.counter)
    if filters.officer is not None:
        conds.append("officer_id = ?")
        params.append(filters.officer)
    return (" WHERE " + " AND ".join(conds)) if conds else "", params


class _Reader:
    """Grouped sums over the roll-ups of one report: SQL over the stored days, and the few live
    days' rows (today) fetched once and added in Python. (A UNION ALL of both in every query
    would roll today up again for each of the report's ten queries.)"""

    def __init__(self, db: Database, src: rollup.Source, filters: Filters):
        self.db, self.src, self.filters = db, src, filters
        self.where, self.params = _where(filters)
        self._live: dict[str, list[dict]] = {}

    def _coarse(self) -> bool:
        """Whether the coarser roll-ups (by service only) can answer: no counter or officer filter."""
        return self.filters.counter is None and self.filters.officer is None

    def _stored(self, part: str, select: str, group: str | None) -> list[dict]:
        table, params = self.src.stored(part)
        where = " AND ".join(["day BETWEEN ? AND ?"] + ([self.where[len(" WHERE "):]] if self.where else []))
        sql = f"SELECT {select} FROM {table} WHERE {where}" + (f" GROUP BY {group}" if group else "")
        cur = self.db.execute(sql, params + self.params)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    def live(self, part: str) -> list[dict]:
        """The live days' rows of a part that pass the filters."""
        if part not in self._live:
            rows = []
            for sql, params in self.src.live(part):
                cur = self.db.execute(sql, params)
                cols = [c[0] for c in cur.description]
                rows += [dict(zip(cols, r)) for r in cur.fetchall()]
            f = self.filters
            self._live[part] = [r for r in rows if (f.service is None or r.get("service") == f.service)
                                and (f.counter is None or r.get("counter") == f.counter)
                                and (f.officer is None or r.get("officer_id") == f.officer)]
        return self._live[part]

    def _sums(self, part: str, keys: tuple[str, ...], fields: tuple[str, ...]) -> dict:
        """{key value(s): {field: sum}}, stored and live together."""
        k = ", ".join(keys)
        select = ", ".join([*(f"{c} AS k{i}" for i, c in enumerate(keys)), *(f"sum({f}) AS {f}" for f in fields)])
        out: dict = {}
        for row in self._stored(part, select, k):
            key = row["k0"] if len(keys) == 1 else tuple(row[f"k{i}"] for i in range(len(keys)))
            out[key] = {f: row[f] or 0 for f in fields}
        for row in self.live(part):
            key = row[keys[0]] if len(keys) == 1 else tuple(row[c] for c in keys)
            kpi.add(out.setdefault(key, {f: 0 for f in fields}), row, fields)
        return out

    def tickets(self, key: str) -> dict:
        return self._sums("tickets", (key,), kpi.TICKET_FIELDS)

    def ratings(self, key: str) -> dict:
        return self._sums("ratings", (key,), kpi.RATING_FIELDS)

    def waits(self) -> dict[str, list]:
        """Waits (whole seconds) per service, as sorted runs: one run per day and service, or
        per day, service, counter and officer when the report is filtered by counter or officer."""
        part = "waits" if self._coarse() else "tickets"
        out: dict[str, list] = {}
        for r in self._stored(part, "service, waits", None) + self.live(part):
            if r["waits"]:
                out.setdefault(r["service"], []).append(rollup.waits_array(r["waits"]))
        return out

    def hours(self) -> list[dict]:
        """Arrivals and ratings by weekday and hour."""
        sums = self._sums("heat" if self._coarse() else "hours", ("weekday", "hour"), ("issued", "rated", "satisfied"))
        return [{"weekday": wd, "hour": h, **v} for (wd, h), v in sums.items()]


def _names(db: Database) -> dict:
    services = {r["code"]: r for r in db.query("SELECT code, name_vi, name_en, sort, active FROM services")}
    counters = {r["number"]: r for r in db.query("SELECT number, name, active FROM counters")}
    users = {r["id"]: r for r in db.query("SELECT id, username, full_name, role FROM users")}
    return {"services": services, "counters": counters, "users": users}


def _breakdown(reader: _Reader, key: str, waits: dict | None = None, t: dict | None = None,
               r: dict | None = None) -> dict:
    """Figures per value of `key` (service, officer_id, counter)."""
    t = reader.tickets(key) if t is None else t
    r = reader.ratings(key) if r is None else r
    out = {}
    for k in set(t) | set(r):
        out[k] = kpi.figures(t.get(k), r.get(k), (waits or {}).get(k, []) if waits is not None else None)
    return out


def _bucket(period: Period) -> str:
    if period.days <= 31:
        return "day"
    if period.days <= 92:
        return "week"
    return "month"


def _bucket_of(day: str, unit: str) -> str:
    d = date.fromisoformat(day)
    if unit == "day":
        return day
    if unit == "week":
        return (d - timedelta(days=d.weekday())).isoformat()
    return day[:7]


def _bucket_label(key: str, unit: str) -> str:
    if unit == "day":
        return f"{key[8:10]}/{key[5:7]}"
    if unit == "week":
        d = date.fromisoformat(key)
        return f"T{d.isocalendar()[1]:02d}"
    return f"{key[5:7]}/{key[:4]}"


def _buckets(period: Period, unit: str) -> list[str]:
    keys, d = [], period.start
    while d <= period.end:
        k = _bucket_of(d.isoformat(), unit)
        if not keys or keys[-1] != k:
            keys.append(k)
        d += timedelta(days=1)
    return keys


def _series(t: dict, r: dict, period: Period) -> dict:
    """Issued, served and satisfaction per day (a month or less), week (a quarter) or month."""
    unit = _bucket(period)
    sums_t: dict[str, dict] = {}
    sums_r: dict[str, dict] = {}
    for day, row in t.items():
        kpi.add(sums_t.setdefault(_bucket_of(day, unit), {}), row, kpi.TICKET_FIELDS)
    for day, row in r.items():
        kpi.add(sums_r.setdefault(_bucket_of(day, unit), {}), row, kpi.RATING_FIELDS)
    rows = []
    for key in _buckets(period, unit):
        f = kpi.figures(sums_t.get(key), sums_r.get(key))
        rows.append({"key": key, "label": _bucket_label(key, unit), "issued": f["issued"], "served": f["served"],
                     "no_show": f["no_show"], "avg_wait_s": f["avg_wait_s"], "ratings_counted": f["ratings_counted"],
                     "satisfied": f["satisfied"], "satisfaction_rate": f["satisfaction_rate"]})
    return {"unit": unit, "rows": rows}


def _heat(reader: _Reader, open_days: list[int]) -> dict:
    """Arrivals and satisfaction by weekday (Monday first) and local hour.

    `open_days[wd]`: how many days of that weekday had arrivals, for the per-day averages."""
    arrivals = [[0] * 24 for _ in range(7)]
    rated = [[0] * 24 for _ in range(7)]
    satisfied = [[0] * 24 for _ in range(7)]
    for row in reader.hours():
        wd, h = row["weekday"], row["hour"]
        if not (0 <= wd < 7 and 0 <= h < 24):
            continue
        arrivals[wd][h] += row["issued"] or 0
        rated[wd][h] += row["rated"] or 0
        satisfied[wd][h] += row["satisfied"] or 0
    used = [h for h in range(24) if any(arrivals[wd][h] or rated[wd][h] for wd in range(7))]
    hours = list(range(min(used), max(used) + 1)) if used else list(range(7, 18))
    return {
        "hours": hours, "weekdays": list(WEEKDAYS_VI), "weekdays_en": list(WEEKDAYS_EN), "days": open_days,
        "arrivals": [[arrivals[wd][h] for h in hours] for wd in range(7)],
        "arrivals_per_day": [[round(arrivals[wd][h] / open_days[wd], 1) if open_days[wd] else None
                              for h in hours] for wd in range(7)],
        "rated": [[rated[wd][h] for h in hours] for wd in range(7)],
        "satisfied": [[satisfied[wd][h] for h in hours] for wd in range(7)],
        "satisfaction": [[kpi.percent(satisfied[wd][h], rated[wd][h]) for h in hours] for wd in range(7)],
    }


def report(store, cfg, now: float, period: Period, filters: Filters = Filters(), *,
           prior_weight: float = 20.0, sections: tuple = ALL) -> dict:
    """The report as a JSON-ready dict. Rolls up the closed days it needs first (`store.write`)."""
    today = cfg.day(now)
    start, end = period.start.isoformat(), period.end.isoformat()
    rollup.ensure(store, cfg.tz, today, now, start, end)
    return read(store.read(), cfg, now, period, filters, prior_weight=prior_weight, sections=sections)


def read(db: Database, cfg, now: float, period: Period, filters: Filters = Filters(), *,
         prior_weight: float = 20.0, sections: tuple = ALL) -> dict:
    """The report from what is stored and what is live, without writing anything."""
    today = cfg.day(now)
    with snapshot(db):
        src = rollup.source(db, cfg.tz, today, period.start.isoformat(), period.end.isoformat())
        reader = _Reader(db, src, filters)
        names = _names(db)
        waits = reader.waits() if "p90" in sections else None
        t_service, r_service = reader.tickets("service"), reader.ratings("service")
        by_service = _breakdown(reader, "service", waits, t_service, r_service)
        # Every row has exactly one service (or none: unattributed presses), so the totals are
        # the sums of the per-service rows.
        total_t: dict = {}
        total_r: dict = {}
        for row in t_service.values():
            kpi.add(total_t, row, kpi.TICKET_FIELDS)
        for row in r_service.values():
            kpi.add(total_r, row, kpi.RATING_FIELDS)
        summary = kpi.figures(total_t, total_r,
                              None if waits is None else [run for runs in waits.values() for run in runs])
        out = {"period": period.as_json(), "filters": filters.as_args(), "generated_at": cfg.iso(now),
               "center_name": cfg.center_name, "summary": summary}
        if "services" in sections:
            out["services"] = _services(by_service, names, filters, waits is not None)
        officers = None
        if "officers" in sections or "ranking" in sections:
            officers = _officers(_breakdown(reader, "officer_id"), names)
        if "officers" in sections:
            out["officers"] = officers
        if "counters" in sections:
            out["counters"] = _counters(_breakdown(reader, "counter"), names, filters)
        if "series" in sections or "heat" in sections:
            t_day = reader.tickets("day")
            if "series" in sections:
                out["series"] = _series(t_day, reader.ratings("day"), period)
            if "heat" in sections:
                open_days = [0] * 7
                for day, row in t_day.items():
                    if row["issued"]:
                        open_days[date.fromisoformat(day).weekday()] += 1
                out["heat"] = _heat(reader, open_days)
        if "ranking" in sections:
            out["ranking"] = {
                "formula": ranking.FORMULA, "weight": prior_weight,
                "center_rate": summary["satisfaction_rate"],
                "rows": ranking.rank(officers, weight=prior_weight, center_rate=summary["satisfaction_rate"]),
            }
    return out


def _services(by: dict, names: dict, filters: Filters, with_p90: bool) -> list[dict]:
    rows = []
    for code, svc in sorted(names["services"].items(), key=lambda kv: (kv[1]["sort"], kv[0])):
        if filters.service is not None and code != filters.service:
            continue
        if code not in by and not svc["active"]:
            continue
        rows.append({"code": code, "name": svc["name_vi"], "name_en": svc["name_en"] or svc["name_vi"],
                     **by.get(code, kpi.figures(None, None, [] if with_p90 else None))})
    if None in by and by[None]["unattributed"] + by[None]["duplicates"]:
        rows.append({"code": None, "name": "Không gắn với phiếu", "name_en": "Not linked to a ticket", **by[None]})
    return rows


def _officers(by: dict, names: dict) -> list[dict]:
    rows = []
    for uid, figures in by.items():
        if uid is None:
            continue
        user = names["users"].get(uid) or {"username": f"#{uid}", "full_name": ""}
        rows.append({"id": uid, "username": user["username"], "name": user["full_name"] or user["username"],
                     **figures})
    rows.sort(key=lambda r: r["name"])
    return rows


def _counters(by: dict, names: dict, filters: Filters) -> list[dict]:
    rows = []
    for number, c in sorted(names["counters"].items()):
        if filters.counter is not None and number != filters.counter:
            continue
        if number not in by and (not c["active"] or filters.any()):
            continue
        rows.append({"number": number, "name": c["name"] or f"Quầy {number}",
                     **by.get(number, kpi.figures(None, None))})
    return rows


def today(db: Database, cfg, now: float) -> dict:
    """Today's figures for the live board: summary, per service and per officer."""
    day = date.fromisoformat(cfg.day(now))
    period = Period("day", day, day, day)
    return read(db, cfg, now, period, sections=("services", "officers", "p90"))


def options(db) -> dict:
    """What a report can be filtered by: services, counters and officers."""
    return {
        "services": list(db.query("SELECT code, name_vi, name_en FROM services ORDER BY sort, code")),
        "counters": list(db.query("SELECT number, name FROM counters ORDER BY number")),
        "officers": list(db.query("SELECT id, username, full_name FROM users WHERE role = 'officer' "
                                  "OR id IN (SELECT DISTINCT user_id FROM counter_sessions) ORDER BY full_name")),
    }
