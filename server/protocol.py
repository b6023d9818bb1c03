"""Validation of incoming payloads: a malformed one is a BadRequest naming what is wrong."""

from __future__ import annotations

import uuid
from typing import Any

from .errors import BadRequest

MAX_TEXT = 200
PRINTER_STATES = ("ok", "paper_low", "paper_out", "offline", "none")


def single(args: tuple) -> Any:
    """The one payload of an event: none, or several arguments, is a malformed event."""
    if len(args) != 1:
        raise BadRequest("sự kiện cần đúng một đối tượng JSON")
    return args[0]


def _obj(payload: Any) -> dict:
    if not isinstance(payload, dict):
        raise BadRequest("dữ liệu phải là một đối tượng JSON")
    return payload


def _field(payload: dict, name: str, kind, *, required: bool = True, default=None):
    if name not in payload or payload[name] is None:
        if required:
            raise BadRequest(f"thiếu trường '{name}'")
        return default
    value = payload[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise BadRequest(f"trường '{name}' sai kiểu")
    if not isinstance(value, kinds):
        raise BadRequest(f"trường '{name}' sai kiểu")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise BadRequest(f"trường '{name}' dài quá {MAX_TEXT} ký tự")
    return value


def _event_id(payload: dict) -> str:
    value = _field(payload, "id", str)
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BadRequest("trường 'id' phải là một UUID") from None


def _no_extra(payload: dict, allowed: set[str]) -> None:
    extra = sorted(set(payload) - allowed)
    if extra:
        raise BadRequest(f"trường không được biết: {', '.join(map(str, extra))[:100]}")


def ticket(payload: Any) -> dict:
    """{"id": UUID, "service": CODE, "priority": BOOL}"""
    p = _obj(payload)
    _no_extra(p, {"id", "service", "priority"})
    return {"id": _event_id(p), "service": _field(p, "service", str),
            "priority": _field(p, "priority", bool, required=False, default=False)}


def rating(payload: Any) -> dict:
    """{"id": UUID, "score": 1-5, "age_ms": INT >= 0}"""
    p = _obj(payload)
    _no_extra(p, {"id", "score", "age_ms"})
    score = _field(p, "score", int)
    if not 1 <= score <= 5:
        raise BadRequest(f"score phải từ 1 đến 5, không phải {score}")
    age = _field(p, "age_ms", int, required=False, default=0)
    if not 0 <= age <= 30 * 86400 * 1000:
        raise BadRequest("age_ms phải từ 0 đến 30 ngày")
    return {"id": _event_id(p), "score": score, "age_ms": age}


def status(payload: Any) -> dict:
    """{"printer": state, "outbox": INT, "version": STR, "uptime_s": INT}"""
    p = _obj(payload)
    _no_extra(p, {"printer", "outbox", "version", "uptime_s", "detail"})
    printer = _field(p, "printer", str, required=False, default="none")
    if printer not in PRINTER_STATES:
        raise BadRequest(f"printer phải là một trong {', '.join(PRINTER_STATES)}")
    outbox = _field(p, "outbox", int, required=False, default=0)
    uptime = _field(p, "uptime_s", int, required=False, default=0)
    if outbox < 0 or uptime < 0:
        raise BadRequest("outbox và uptime_s không được âm")
    return {"printer": printer, "outbox": outbox, "uptime_s": uptime,
            "version": _field(p, "version", str, required=False, default=""),
            "detail": _field(p, "detail", str, required=False, default="")}


def print_failed(payload: Any) -> dict:
    """{"ticket_id": ID, "reason": STR}"""
    p = _obj(payload)
    _no_extra(p, {"ticket_id", "reason"})
    return {"ticket_id": _field(p, "ticket_id", str),
            "reason": _field(p, "reason", str, required=False, default="")}


def counter_action(payload: Any) -> dict:
    """{"action": NAME, "ticket"?: REF, "service"?: CODE, "dossier_code"?: STR} (counter keypads, consoles)."""
    p = _obj(payload)
    _no_extra(p, {"id", "action", "ticket", "service", "dossier_code", "counter"})
    return {"action": _field(p, "action", str),
            "id": _field(p, "id", str, required=False),
            "counter": _field(p, "counter", int, required=False),
            "ticket": _field(p, "ticket", str, required=False),
            "service": _field(p, "service", str, required=False),
            "dossier_code": _field(p, "dossier_code", str, required=False)}
