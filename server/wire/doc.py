"""The payload tables of docs/protocol.md, generated from the wire models.

A table sits between `<!-- wire:NAME -->` and `<!-- /wire:NAME -->`; `render(text)` rewrites every
such block from `TABLES[NAME]`, `diff(text)` says how the document differs from the models.
"""

from __future__ import annotations

import difflib
import json
import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from . import incoming as inc
from . import outgoing as out

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"

# name -> (model, how deep nested models are spelled out as `parent.child` rows)
TABLES: dict[str, tuple[type[BaseModel], int]] = {
    "kiosk_auth": (inc.KioskAuth, 0),
    "ticket": (inc.Ticket, 0),
    "ticket_ack": (out.TicketAck, 1),
    "rating": (inc.Rating, 0),
    "rating_ack": (out.RatingAck, 0),
    "status": (inc.Status, 0),
    "print_failed": (inc.PrintFailed, 0),
    "print_failed_ack": (out.PrintFailedAck, 0),
    "counter_action": (inc.CounterAction, 0),
    "counter_action_ack": (out.CounterActionAck, 1),
    "error": (out.ErrorBody, 0),
    "version": (out.Version, 0),
    "snapshot": (out.DisplaySnapshot, 1),
    "called": (out.Called, 0),
    "board_auth": (inc.BoardAuth, 0),
    "board": (out.BoardSnapshot, 0),
    "counter_auth": (inc.CounterAuth, 0),
    "counter": (out.CounterView, 1),
    "rating_received": (out.RatingReceived, 0),
    "device_config": (out.DeviceConfig, 0),
    "http_ticket": (inc.TicketBody, 0),
    "http_counter_action": (inc.CounterActionBody, 0),
    "display_auth": (inc.DisplayAuth, 0),
    "pair": (inc.Pair, 0),
    "pair_ack": (out.PairAck, 0),
}

HEADER = "| field | type | required | default | limits | description |\n|---|---|---|---|---|---|"
BLOCK = re.compile(r"(<!-- wire:(?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /wire:(?P=name) -->)", re.S)


def _extra(info: FieldInfo | None, key: str) -> Any:
    for source in [info] + list(getattr(info, "metadata", []) if info else []):
        extra = getattr(source, "json_schema_extra", None)
        if isinstance(extra, dict) and key in extra:
            return extra[key]
    return None


def _flat(meta: list) -> list:
    """Constraint objects, with those inside FieldInfo objects."""
    out_meta = []
    for m in meta:
        out_meta.append(m)
        if isinstance(m, FieldInfo):
            out_meta += m.metadata
    return out_meta


def _metadata(annotation: Any) -> tuple[Any, list]:
    """(bare type, constraint objects) of an Annotated type."""
    meta: list = []
    while typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        annotation, meta = args[0], meta + list(args[1:])
    return annotation, _flat(meta)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _type_name(annotation: Any) -> str:
    annotation, meta = _metadata(annotation)
    for m in meta:
        extra = getattr(m, "json_schema_extra", None)
        if isinstance(extra, dict) and "doc_type" in extra:
            return extra["doc_type"]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        name = " or ".join(_type_name(a) for a in rest)
        return f"{name} or null" if len(rest) < len(args) else name
    if origin is Literal:
        if all(isinstance(a, bool) for a in args):
            return "boolean"
        return "string" if all(isinstance(a, str) for a in args) else "constant"
    if origin is list:
        inner = _type_name(args[0])
        return "list of objects" if inner == "object" else f"list of {inner}s"
    if origin is dict or annotation is dict:
        return "object"
    if _is_model(annotation):
        return "object"
    return {str: "string", int: "integer", bool: "boolean", float: "number", Any: "any"}.get(annotation, "any")


def _limits(info: FieldInfo) -> str:
    given = _extra(info, "doc_limits")
    if given:
        return given
    annotation, meta = _metadata(info.annotation)
    meta = _flat(list(info.metadata)) + meta
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                inner, inner_meta = _metadata(arg)
                extra = [getattr(m, "json_schema_extra", None) for m in inner_meta]
                given = next((e["doc_limits"] for e in extra if isinstance(e, dict) and "doc_limits" in e), None)
                if given:
                    return given
                annotation, meta = inner, meta + inner_meta
    if typing.get_origin(annotation) is Literal:
        return ", ".join(f"`{json.dumps(a)}`" if not isinstance(a, str) else f"`{a}`"
                         for a in typing.get_args(annotation))
    lo = next((m.ge for m in meta if getattr(m, "ge", None) is not None), None)
    hi = next((m.le for m in meta if getattr(m, "le", None) is not None), None)
    longest = next((m.max_length for m in meta if getattr(m, "max_length", None) is not None), None)
    parts = []
    if lo is not None and hi is not None:
        parts.append(f"{lo:,} to {hi:,}")
    elif lo is not None:
        parts.append(f"≥ {lo:,}")
    elif hi is not None:
        parts.append(f"≤ {hi:,}")
    if longest is not None:
        parts.append(f"≤ {longest} characters")
    return "; ".join(parts)


def _default(info: FieldInfo, outgoing: bool = False) -> str:
    given = _extra(info, "doc_default")
    if given:
        return given
    if info.default is PydanticUndefined:
        return ""
    if outgoing and info.default is None:
        return "absent"
    return f"`{json.dumps(info.default, ensure_ascii=False)}`"


def _nested(annotation: Any) -> tuple[type[BaseModel] | None, str]:
    """The model inside `X`, `X | None` or `list[X]`, and the row-name suffix for it."""
    annotation, _ = _metadata(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (Union, types.UnionType):
        models = [a for a in args if _is_model(_metadata(a)[0])]
        return (models[0], ".") if len(models) == 1 else (None, "")
    if origin is list and args and _is_model(args[0]):
        return args[0], "[]."
    return (annotation, ".") if _is_model(annotation) else (None, "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rows(model: type[BaseModel], depth: int = 0, prefix: str = "") -> list[str]:
    """The table rows of `model`'s fields (nested models spelled out `depth` levels down)."""
    out_rows = []
    for name, info in model.model_fields.items():
        required = "yes" if info.is_required() else "no"
        outgoing = issubclass(model, out.OutModel)
        kind = _extra(info, "doc_type") or _type_name(info.annotation)
        if outgoing and not info.is_required() and info.default is None and kind.endswith(" or null"):
            kind = kind[:-len(" or null")]  # left out, never sent as null
        out_rows.append("| " + " | ".join(_cell(c) for c in (
            f"`{prefix}{name}`", kind, required, _default(info, outgoing), _limits(info),
            info.description or "")) + " |")
        sub, suffix = _nested(info.annotation)
        if sub is not None and depth > 0 and sub is not out.Version:
            out_rows += rows(sub, depth - 1, f"{prefix}{name}{suffix}")
    return out_rows


def table(name: str) -> str:
    model, depth = TABLES[name]
    return HEADER + "\n" + "\n".join(rows(model, depth)) + "\n"


def render(text: str) -> str:
    """The document with every wire table regenerated; KeyError for an unknown marker."""
    def block(m: re.Match) -> str:
        return m.group(1) + table(m.group("name")) + m.group(4)

    return BLOCK.sub(block, text)


def markers(text: str) -> list[str]:
    return [m.group("name") for m in BLOCK.finditer(text)]


def diff(text: str, name: str = "docs/protocol.md") -> str:
    """A unified diff from the document to the document the models make ("" when they agree);
    also lists the tables missing from the document."""
    problems = []
    found = markers(text)
    missing = [n for n in TABLES if n not in found]
    unknown = [n for n in found if n not in TABLES]
    dup = sorted({n for n in found if found.count(n) > 1})
    if missing:
        problems.append(f"{name}: no table for {', '.join(missing)}")
    if unknown:
        problems.append(f"{name}: unknown wire markers {', '.join(unknown)}")
        return "\n".join(problems) + "\n"
    if dup:
        problems.append(f"{name}: markers used twice: {', '.join(dup)}")
    new = render(text)
    lines = difflib.unified_diff(text.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=name, tofile=f"{name} (from server/wire)")
    return "".join(problems and [p + "\n" for p in problems] or []) + "".join(lines)
