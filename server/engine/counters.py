"""Counter actions: call next, recall, serve, finish, no-show, requeue, transfer, pause, resume,
and officers signing in and out. Each validates the transition first and changes nothing if it
is illegal."""

from __future__ import annotations

from sqlite_utils import Database

from ..errors import (BadRequest, CounterBusy, CounterPaused, Forbidden, IllegalTransition,
                      NoTicketInHand, NotFound, QueueEmpty, TicketInHand)
from . import audit, catalog, sql, tickets
from .config import EngineConfig, parse_policy

IN_HAND = ("called", "serving")
ACTIONS = ("next", "recall", "serve", "finish", "no-show", "requeue", "transfer", "pause", "resume")


class NotYourTicket(IllegalTransition):
    code = "not_your_ticket"

    def default_message(self):
        return "Số này không thuộc quầy của bạn"


def _in_hand(db: Database, counter: dict) -> dict | None:
    if counter["current_ticket"] is None:
        return None
    row = tickets.get(db, counter["current_ticket"])
    return row if row and row["state"] in IN_HAND else None


def _require_in_hand(db: Database, counter: dict, ref: str | None) -> dict:
    row = _in_hand(db, counter)
    if row is None:
        raise NoTicketInHand(f"Quầy {counter['number']} không có số nào đang phục vụ")
    if ref is not None and ref not in (row["id"], row["code"]):
        raise NotYourTicket(f"Số {ref} không phải số đang ở quầy {counter['number']}")
    return row


def _call_event(db: Database, cfg: EngineConfig, counter: dict, row: dict, now: float, recall: bool) -> dict:
    cur = db.execute("INSERT INTO calls (at, ticket_id, code, counter, service, recall) VALUES (?, ?, ?, ?, ?, ?)",
                     [now, row["id"], row["code"], counter["number"], row["service"], int(recall)])
    svc = catalog.service(db, row["service"], active_only=False)
    # `id` (the calls row) lets a page match a call it was told of at once with the same call
    # in a later snapshot's recent list, so that it never shows it twice.
    return {"id": cur.lastrowid, "code": row["code"], "counter": counter["number"],
            "counter_name": counter["name"] or f"Quầy {counter['number']}",
            "service": row["service"], "service_name": svc["name_vi"], "recall": recall,
            "priority": bool(row["priority"]), "at": cfg.iso(now), "ticket_id": row["id"]}


def _finish(db: Database, row: dict, now: float, dossier_code: str | None = None) -> None:
    db.execute(
        """UPDATE tickets SET state = 'done', finished_at = ?, started_at = coalesce(started_at, called_at),
           dossier_code = coalesce(?, dossier_code) WHERE id = ?""", [now, dossier_code, row["id"]])


def _pick_next(db: Database, cfg: EngineConfig, counter: dict, now: float) -> dict | None:
    """The ticket this counter calls next: priority policy first, then oldest issued."""
    services = counter["services"]
    if not services:
        return None
    marks = ",".join("?" * len(services))
    base = f"SELECT * FROM tickets WHERE state = 'waiting' AND day = ? AND service IN ({marks})"
    params = [cfg.day(now), *services]
    oldest = " ORDER BY issued_at, rowid LIMIT 1"
    prio = list(db.query(base + " AND priority = 1" + oldest, params))
    normal = list(db.query(base + " AND priority = 0" + oldest, params))
    kind, n = parse_policy(cfg.priority_policy)
    if kind == "strict" or not normal:
        return (prio or normal or [None])[0]
    if not prio:
        return normal[0]
    # interleave:N: a priority ticket goes once N normal ones were called here since the last one.
    since_priority = 0
    for call in db.query(
        """SELECT t.priority FROM calls c JOIN tickets t ON t.id = c.ticket_id
           WHERE c.counter = ? AND c.recall = 0 AND c.at >= ? ORDER BY c.id DESC LIMIT ?""",
        [counter["number"], now - 86400, n + 1]):
        if call["priority"]:
            break
        since_priority += 1
    else:
        since_priority = n  # no priority call recently: priority may go now
    return prio[0] if since_priority >= n else normal[0]


def act(db: Database, cfg: EngineConfig, now: float, number: int, action: str, *,
        actor: str = "system", ticket: str | None = None, service: str | None = None,
        dossier_code: str | None = None) -> dict:
    """Apply one counter action; returns {"counter", "ticket", "call"?, "finished"?}."""
    if action not in ACTIONS:
        raise BadRequest(f"Thao tác '{action}' không tồn tại; dùng một trong: {', '.join(ACTIONS)}")
    counter = catalog.counter(db, number)
    result: dict = {"counter": number, "action": action}
    if action == "next":
        if counter["state"] == "paused":
            raise CounterPaused(f"Quầy {number} đang tạm nghỉ; hãy bấm Tiếp tục")
        held = _in_hand(db, counter)
        row = _pick_next(db, cfg, counter, now)
        if row is None:
            raise QueueEmpty("Không còn số nào đang chờ ở các lĩnh vực của quầy này")
        if held is not None:
            # Calling the next number finishes the one in hand: the usual rhythm at a counter.
            _finish(db, held, now)
            result["finished"] = held["code"]
        db.execute(
            """UPDATE tickets SET state = 'called', counter = ?, officer_id = ?, called_at = ?,
               first_called_at = coalesce(first_called_at, ?) WHERE id = ?""",
            [number, counter["officer_id"], now, now, row["id"]])
        db.execute("UPDATE counters SET current_ticket = ? WHERE number = ?", [row["id"], number])
        result["call"] = _call_event(db, cfg, counter, row, now, recall=False)
        result["ticket"] = row["code"]
    elif action == "recall":
        row = _require_in_hand(db, counter, ticket)
        db.execute("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", [row["id"]])
        result["call"] = _call_event(db, cfg, counter, row, now, recall=True)
        result["ticket"] = row["code"]
    elif action == "serve":
        row = _require_in_hand(db, counter, ticket)
        if row["state"] != "called":
            raise IllegalTransition(f"Số {row['code']} đã đang được phục vụ")
        db.execute("UPDATE tickets SET state = 'serving', started_at = ? WHERE id = ?", [now, row["id"]])
        result["ticket"] = row["code"]
    elif action == "finish":
        row = _require_in_hand(db, counter, ticket)
        if dossier_code is not None and (not isinstance(dossier_code, str) or len(dossier_code) > 64):
            raise BadRequest("Mã hồ sơ tối đa 64 ký tự")
        _finish(db, row, now, dossier_code or None)
        db.execute("UPDATE counters SET current_ticket = NULL WHERE number = ?", [number])
        result["ticket"] = row["code"]
    elif action == "no-show":
        row = _require_in_hand(db, counter, ticket)
        if row["state"] != "called":
            raise IllegalTransition(f"Số {row['code']} đang được phục vụ, không thể là vắng mặt")
        db.execute("UPDATE tickets SET state = 'no_show', no_show_at = ? WHERE id = ?", [now, row["id"]])
        db.execute("UPDATE counters SET current_ticket = NULL WHERE number = ?", [number])
        result["ticket"] = row["code"]
    elif action == "requeue":
        if not ticket:
            raise BadRequest('Cần "ticket": số hoặc mã phiếu vắng mặt cần xếp lại')
        row = tickets.find(db, cfg, now, ticket)
        if row["state"] != "no_show" or row["day"] != cfg.day(now):
            raise IllegalTransition(f"Chỉ xếp lại được số vắng mặt trong ngày; {row['code']} là {row['state']}")
        # It keeps its issue time, so it goes back to its place in the queue.
        db.execute("UPDATE tickets SET state = 'waiting', counter = NULL WHERE id = ?", [row["id"]])
        result["ticket"] = row["code"]
    elif action == "transfer":
        row = _require_in_hand(db, counter, ticket)
        if not service:
            raise BadRequest('Cần "service": lĩnh vực chuyển đến')
        target = catalog.service(db, service)
        if target["code"] == row["service"]:
            raise IllegalTransition(f"Số {row['code']} đã thuộc lĩnh vực {target['name_vi']}")
        # The stint at this counter ends here: recorded, so that it counts for this officer and
        # the next stint's service time starts at its own call (not this one's start).
        db.execute("""INSERT INTO ticket_transfers (ticket_id, day, at, from_service, to_service, counter,
                      officer_id, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                   [row["id"], row["day"], now, row["service"], target["code"], number, row["officer_id"],
                    row["started_at"] or row["called_at"]])
        # Keeps its number and issue time: it is placed ahead of tickets issued after it.
        db.execute("""UPDATE tickets SET state = 'waiting', service = ?, counter = NULL, started_at = NULL,
                      transfers = transfers + 1 WHERE id = ?""", [target["code"], row["id"]])
        db.execute("UPDATE counters SET current_ticket = NULL WHERE number = ?", [number])
        result["ticket"] = row["code"]
        result["service"] = target["code"]
    elif action == "pause":
        if counter["state"] == "paused":
            raise IllegalTransition(f"Quầy {number} đã tạm nghỉ")
        if _in_hand(db, counter) is not None:
            raise TicketInHand("Hãy hoàn thành hoặc chuyển số đang phục vụ trước khi tạm nghỉ")
        db.execute("UPDATE counters SET state = 'paused', state_since = ? WHERE number = ?", [now, number])
    elif action == "resume":
        if counter["state"] != "paused":
            raise IllegalTransition(f"Quầy {number} không tạm nghỉ")
        db.execute("UPDATE counters SET state = 'open', state_since = ? WHERE number = ?", [now, number])
    audit.record(db, now, actor, f"counter.{action}", number,
                 **{k: v for k, v in result.items() if k in ("ticket", "finished", "service")})
    return result


def sign_in(db: Database, cfg: EngineConfig, now: float, *, number: int, user: dict, actor: str) -> dict:
    """Put an officer at a counter; CounterBusy naming the holder if someone else is there."""
    counter = catalog.counter(db, number)
    if counter["officer_id"] not in (None, user["id"]):
        holder = db["users"].get(counter["officer_id"])
        raise CounterBusy(f"Quầy {number} đang do {holder['full_name'] or holder['username']} đăng nhập",
                          holder=holder["username"])
    if counter["officer_id"] == user["id"]:
        return {"counter": number, "officer": user["username"]}
    for other in db.query("SELECT number FROM counters WHERE officer_id = ?", [user["id"]]):
        sign_out(db, cfg, now, number=other["number"], user=user, actor=actor)
    db.execute("UPDATE counters SET officer_id = ?, officer_since = ? WHERE number = ?", [user["id"], now, number])
    db.execute("INSERT INTO counter_sessions (counter, user_id, started_at) VALUES (?, ?, ?)", [number, user["id"], now])
    audit.record(db, now, actor, "counter.sign_in", number, user=user["username"])
    return {"counter": number, "officer": user["username"]}


def sign_out(db: Database, cfg: EngineConfig, now: float, *, number: int, user: dict | None, actor: str,
             force: bool = False) -> dict:
    """Free a counter: its own officer, or anyone with `force` (a supervisor)."""
    counter = catalog.counter(db, number)
    if counter["officer_id"] is None:
        return {"counter": number, "officer": None}
    if not force and (user is None or counter["officer_id"] != user["id"]):
        raise Forbidden(f"Bạn không đăng nhập ở quầy {number}")
    db.execute("UPDATE counters SET officer_id = NULL, officer_since = NULL WHERE number = ?", [number])
    db.execute("UPDATE counter_sessions SET ended_at = ? WHERE counter = ? AND ended_at IS NULL", [now, number])
    audit.record(db, now, actor, "counter.sign_out", number, user_id=counter["officer_id"], forced=force)
    return {"counter": number, "officer": None}


def officer_at(db: Database, number: int) -> int | None:
    """The id of the officer signed in at counter `number` (None: nobody); NotFound if no such counter."""
    row = sql.first(db, "SELECT officer_id FROM counters WHERE number = ?", [number])
    if row is None:
        raise NotFound(f"Quầy số {number} không tồn tại")
    return row["officer_id"]


def held_by(db: Database, user_id: int) -> int | None:
    """The counter this user is signed in to, if any."""
    row = sql.first(db, "SELECT number FROM counters WHERE officer_id = ? AND active = 1 ORDER BY number LIMIT 1",
                    [user_id])
    return row["number"] if row else None


def exists(db: Database, number: int) -> bool:
    """Whether counter `number` exists and is active."""
    return sql.first(db, "SELECT 1 FROM counters WHERE number = ? AND active = 1", [number]) is not None
