"""The dossier code (mã hồ sơ) put to use: search tickets and their ratings by it; the dossiers
received per officer and per day with their waits and ratings; one row per counted rating for
the province's one-stop software (which keeps its records per dossier, not per queue ticket).

A period counts tickets by their issue day and ratings by their ticket's day, as the report does
(docs/reports.md); a rating's service, counter and officer are those of the stint it was given in.
Times are ISO 8601 with the center's offset here (JSON and machine exports); pages format them.
"""

from __future__ import annotations

from sqlite_utils import Database

from ..errors import BadRequest
from .period import Filters, Period
from .tables import SCORE_LABELS, Column, Table

SEARCH_LIMIT = 200
CHANNEL = "Thiết bị đánh giá tại quầy"  # the only channel of this system's ratings: the counter's terminal
DEFAULT_LEVELS = "5=Rất hài lòng;4=Hài lòng;3=Không hài lòng;2=Không hài lòng;1=Không hài lòng"


def three_levels(text: str | None) -> dict[int, str]:
    """The 3-level mapping of official evaluations from a setting "5=Rất hài lòng;4=Hài lòng;..."
    (each score 1-5 once); the default mapping for anything it does not give."""
    out = dict(_parse_levels(DEFAULT_LEVELS))
    out.update(_parse_levels(text or ""))
    return out


def _parse_levels(text: str) -> list[tuple[int, str]]:
    pairs = []
    for part in text.split(";"):
        score, _, label = part.partition("=")
        if score.strip() in ("1", "2", "3", "4", "5") and label.strip():
            pairs.append((int(score), label.strip()))
    return pairs


def _names(db: Database) -> tuple[dict, dict]:
    users = {r[0]: r[1] or r[2] for r in db.execute("SELECT id, full_name, username FROM users")}
    services = {r[0]: r[1] for r in db.execute("SELECT code, name_vi FROM services")}
    return users, services


def _seconds(end, start) -> int | None:
    return None if end is None or start is None else int(round(end - start))


def _ticket_row(cfg, t: dict, users: dict, services: dict) -> dict:
    return {
        "ticket": t["code"], "ticket_id": t["id"], "day": t["day"], "dossier_code": t["dossier_code"],
        "service": t["service"], "service_name": services.get(t["service"], t["service"]),
        "counter": t["counter"], "officer_id": t["officer_id"], "officer": users.get(t["officer_id"]),
        "state": t["state"], "issued_at": cfg.iso(t["issued_at"]), "called_at": cfg.iso(t["first_called_at"]),
        "finished_at": cfg.iso(t["finished_at"]),
        "wait_s": _seconds(t["first_called_at"], t["issued_at"]),
        "service_s": _seconds(t["finished_at"], t["started_at"] or t["called_at"]) if t["state"] == "done" else None,
    }


def search(db: Database, cfg, query: str) -> dict:
    """Tickets whose dossier code is `query` or starts with it (any case), newest first, each with
    every press that was tied to it (counted, or a repeated press)."""
    q = (query or "").strip()
    if not q:
        raise BadRequest("Nhập mã hồ sơ cần tìm ('q')")
    if len(q) > 64:
        raise BadRequest("Mã hồ sơ tối đa 64 ký tự ('q')")
    try:
        q.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no code is made of one
        raise BadRequest("Mã hồ sơ có ký tự không hợp lệ ('q')") from None
    like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    cur = db.execute("""SELECT * FROM tickets WHERE dossier_code = ? COLLATE NOCASE
                        OR dossier_code LIKE ? ESCAPE '\\' ORDER BY issued_at DESC LIMIT ?""",
                     [q, like, SEARCH_LIMIT + 1])
    cols = [c[0] for c in cur.description]
    rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    users, services = _names(db)
    ratings: dict[str, list] = {}
    ids = [r["id"] for r in rows[:SEARCH_LIMIT]]
    if ids:
        marks = ",".join("?" * len(ids))
        for r in db.execute(f"""SELECT ticket_id, id, score, status, pressed_at, counter, officer_id, device_id
                                FROM ratings WHERE ticket_id IN ({marks}) ORDER BY pressed_at""", ids):
            ratings.setdefault(r[0], []).append({
                "id": r[1], "score": r[2], "label": SCORE_LABELS[r[2]], "status": r[3], "pressed_at": cfg.iso(r[4]),
                "counter": r[5], "officer_id": r[6], "officer": users.get(r[6]), "device_id": r[7]})
    tickets = [{**_ticket_row(cfg, t, users, services), "ratings": ratings.get(t["id"], [])}
               for t in rows[:SEARCH_LIMIT]]
    return {"query": q, "tickets": tickets, "more": len(rows) > SEARCH_LIMIT}


def _where(filters: Filters, service: str, counter: str, officer: str) -> tuple[str, list]:
    conds, params = [], []
    for value, column in ((filters.service, service), (filters.counter, counter), (filters.officer, officer)):
        if value is not None:
            conds.append(f"{column} = ?")
            params.append(value)
    return "".join(f" AND {c}" for c in conds), params


def received(db: Database, cfg, period: Period, filters: Filters = Filters()) -> list[dict]:
    """The dossiers received in a period (finished tickets with a dossier code), per officer and
    per day: [{officer, days: [{day, dossiers: [...], count, avg_wait_s, rated, satisfied}]}]."""
    where, params = _where(filters, "t.service", "t.counter", "t.officer_id")
    cur = db.execute(
        f"""SELECT t.*, r.score AS score FROM tickets t
            LEFT JOIN ratings r ON r.ticket_id = t.id AND r.status = 'counted'
            WHERE t.day BETWEEN ? AND ? AND t.state = 'done' AND coalesce(t.dossier_code, '') != ''{where}
            ORDER BY t.day, t.finished_at""", [period.start.isoformat(), period.end.isoformat(), *params])
    cols = [c[0] for c in cur.description]
    users, services = _names(db)
    by_officer: dict = {}
    for values in cur.fetchall():
        t = dict(zip(cols, values))
        row = {**_ticket_row(cfg, t, users, services), "score": t["score"],
               "label": SCORE_LABELS.get(t["score"]) if t["score"] else None}
        by_officer.setdefault(t["officer_id"], {}).setdefault(t["day"], []).append(row)
    out = []
    for officer_id, days in by_officer.items():
        groups = []
        for day, rows in days.items():
            waits = [r["wait_s"] for r in rows if r["wait_s"] is not None]
            scores = [r["score"] for r in rows if r["score"]]
            groups.append({"day": day, "dossiers": rows, "count": len(rows),
                           "avg_wait_s": round(sum(waits) / len(waits), 1) if waits else None,
                           "rated": len(scores), "satisfied": sum(1 for s in scores if s >= 4)})
        out.append({"officer_id": officer_id, "officer": users.get(officer_id) or "—", "days": groups,
                    "count": sum(g["count"] for g in groups)})
    out.sort(key=lambda o: o["officer"])
    return out


def rating_rows(db: Database, cfg, period: Period, filters: Filters = Filters(), *,
                levels: dict[int, str] | None = None) -> list[dict]:
    """One row per counted rating of the period: time, counter, officer, service, ticket, dossier
    code, channel, score 1-5 and its label, the 3-level mapping, reasons (none collected yet)."""
    where, params = _where(filters, "coalesce(r.service, t.service)", "r.counter", "r.officer_id")
    return _ratings(db, cfg, "t.day BETWEEN ? AND ?" + where,
                    [period.start.isoformat(), period.end.isoformat(), *params], levels)


def push_record(db: Database, cfg, rating_id: str, *, levels: dict[int, str] | None = None,
                unit: str = "") -> dict | None:
    """What the push to the province sends of one counted rating (before a province's own mapping):
    the export's row, with the center and its unit; None if it is not a counted rating."""
    rows = _ratings(db, cfg, "r.id = ?", [rating_id], levels)
    return {**rows[0], "center": cfg.center_name, "unit": unit} if rows else None


def _ratings(db: Database, cfg, where: str, params: list, levels: dict[int, str] | None) -> list[dict]:
    levels = levels or three_levels(None)
    cur = db.execute(
        f"""SELECT r.id, r.pressed_at, r.counter, r.officer_id, coalesce(r.service, t.service) AS service,
                   t.code, t.dossier_code, r.device_id, r.score
            FROM ratings r JOIN tickets t ON t.id = r.ticket_id
            WHERE r.status = 'counted' AND {where} ORDER BY r.pressed_at, r.id""", params)
    users, services = _names(db)
    return [{"rating_id": r[0], "time": cfg.iso(r[1]), "counter": r[2], "officer_id": r[3],
             "officer": users.get(r[3]), "service": r[4], "service_name": services.get(r[4], r[4]),
             "ticket": r[5], "dossier_code": r[6] or "", "channel": CHANNEL, "device_id": r[7], "score": r[8],
             "score_label": SCORE_LABELS[r[8]], "level3": levels[r[8]], "reasons": ""}
            for r in cur.fetchall()]


RATING_COLUMNS = [
    Column("time", "Thời điểm đánh giá", "Time", "text"), Column("counter", "Quầy", "Counter"),
    Column("officer", "Cán bộ", "Officer", "text"), Column("service_name", "Lĩnh vực", "Service", "text"),
    Column("ticket", "Số thứ tự", "Ticket", "text"), Column("dossier_code", "Mã hồ sơ", "Dossier code", "text"),
    Column("channel", "Kênh đánh giá", "Channel", "text"), Column("device_id", "Thiết bị", "Device", "text"),
    Column("score", "Điểm (1–5)", "Score (1–5)"), Column("score_label", "Mức đánh giá", "Level", "text"),
    Column("level3", "Mức (3 mức)", "Level (3 levels)", "text"), Column("reasons", "Lý do", "Reasons", "text"),
    Column("rating_id", "Mã lượt đánh giá", "Rating id", "text"),
]


def rating_table(rows: list[dict]) -> Table:
    """The export of one row per rating (CSV and Excel through `export`)."""
    return Table("ratings", "Từng lượt đánh giá", "Every rating", RATING_COLUMNS, rows)
