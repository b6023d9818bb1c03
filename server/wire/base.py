"""The base of the wire models, the one `parse()` and its error messages.

`parse(Model, payload)` returns a model instance or raises `server.errors.BadRequest` whose
message names the field and the problem in Vietnamese; the exception also carries the message
id (`msgid`, a Vietnamese gettext template) and its `params`, so `server.i18n` can give an
English caller the same message in English (server/translations/en/LC_MESSAGES/messages.po).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from ..errors import BadRequest

MAX_TEXT = 200  # any string of a kiosk event, a token

# Message ids: Vietnamese templates, translated to English in messages.po (tests check every one).
MSG_ONE_PAYLOAD = "sự kiện cần đúng một đối tượng JSON"
MSG_NOT_OBJECT = "dữ liệu phải là một đối tượng JSON"
MSG_MISSING = "thiếu trường '%(field)s'"
MSG_UNKNOWN = "trường không được biết: %(fields)s"
MSG_STRING = "trường '%(field)s' phải là một chuỗi"
MSG_INTEGER = "trường '%(field)s' phải là một số nguyên"
MSG_BOOLEAN = "trường '%(field)s' phải là true hoặc false"
MSG_TYPE = "trường '%(field)s' sai kiểu"
MSG_UNICODE = "trường '%(field)s' không phải văn bản Unicode hợp lệ"
MSG_TOO_LONG = "trường '%(field)s' dài quá %(max)s ký tự"
MSG_RANGE = "trường '%(field)s' phải từ %(min)s đến %(max)s"
MSG_MIN = "trường '%(field)s' phải lớn hơn hoặc bằng %(min)s"
MSG_MAX = "trường '%(field)s' phải nhỏ hơn hoặc bằng %(max)s"
MSG_CHOICE = "trường '%(field)s' phải là một trong: %(choices)s"
MSG_UUID = "trường '%(field)s' phải là một UUID"
MSG_INVALID = "trường '%(field)s' không hợp lệ"

MESSAGE_IDS = (MSG_ONE_PAYLOAD, MSG_NOT_OBJECT, MSG_MISSING, MSG_UNKNOWN, MSG_STRING, MSG_INTEGER,
               MSG_BOOLEAN, MSG_TYPE, MSG_UNICODE, MSG_TOO_LONG, MSG_RANGE, MSG_MIN, MSG_MAX,
               MSG_CHOICE, MSG_UUID, MSG_INVALID)

_TYPE_MESSAGES = {
    "string_type": MSG_STRING, "string_sub_type": MSG_STRING, "int_type": MSG_INTEGER,
    "int_from_float": MSG_INTEGER, "int_parsing": MSG_INTEGER, "bool_type": MSG_BOOLEAN,
    "string_unicode": MSG_UNICODE, "uuid_format": MSG_UUID,
}


def bad_request(msgid: str, **params) -> BadRequest:
    """A BadRequest whose message is `msgid % params`, carrying both for translation."""
    return BadRequest(msgid=msgid, **params)


def _printable(name: Any) -> str:
    """A field name as it can go into a message: no lone surrogate, not a page long."""
    text = name if isinstance(name, str) else repr(name)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:60]


def _canonical_uuid(value: str) -> str:
    """The canonical form of a UUID (lower case, hyphenated), as `uuid.UUID` reads it."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise PydanticCustomError("uuid_format", "not a UUID") from None


class WireModel(BaseModel):
    """An incoming payload: strict types, unknown keys refused, `null` read as absent.

    `null` for a field counts as leaving the field out (its default, or `missing` when
    required), as the first server's hand-written validation read payloads; fields named in `_keep_null` keep
    their `null` (which their type then refuses)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, hide_input_in_errors=True)
    _keep_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict) and None in data.values():
            fields = cls.model_fields
            keep = cls._keep_null
            return {k: v for k, v in data.items() if v is not None or k not in fields or k in keep}
        return data


class OutModel(BaseModel):
    """An outgoing payload (acks, pushes): for documentation and tests, not the hot path."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _valid_text(name: Any) -> bool:
    try:
        name.encode("utf-8")
    except (UnicodeEncodeError, AttributeError):
        return False
    return True


def _message(model: type[BaseModel], exc: ValidationError, payload: dict) -> BadRequest:
    errors = exc.errors(include_url=False, include_context=True, include_input=False)
    unknown = [e for e in errors if e["type"] in ("extra_forbidden", "invalid_key")]
    if unknown:  # unknown keys first, then the rest
        names = sorted({_printable(e["loc"][0]) for e in unknown if e["loc"]})
        return bad_request(MSG_UNKNOWN, fields=", ".join(names)[:100])
    err = errors[0]
    loc = err["loc"]
    kind = err["type"]
    if not loc:
        bad_keys = [k for k in payload if not _valid_text(k)]
        if kind == "string_unicode" and bad_keys:  # a key that is not valid Unicode: not a field of ours
            return bad_request(MSG_UNKNOWN, fields=", ".join(sorted(map(_printable, bad_keys)))[:100])
        return bad_request(MSG_NOT_OBJECT)
    field = ".".join(_printable(part) for part in loc)
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return bad_request(MSG_MISSING, field=field)
    if kind in _TYPE_MESSAGES:
        return bad_request(_TYPE_MESSAGES[kind], field=field)
    if kind == "string_too_long":
        return bad_request(MSG_TOO_LONG, field=field, max=ctx.get("max_length"))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        lo, hi = _bounds(model, loc)
        if lo is not None and hi is not None:
            return bad_request(MSG_RANGE, field=field, min=lo, max=hi)
        if lo is not None:
            return bad_request(MSG_MIN, field=field, min=lo)
        return bad_request(MSG_MAX, field=field, max=hi)
    if kind == "literal_error":
        return bad_request(MSG_CHOICE, field=field, choices=_choices(ctx.get("expected", "")))
    if kind.endswith("_type"):
        return bad_request(MSG_TYPE, field=field)
    return bad_request(MSG_INVALID, field=field)


def _choices(expected: str) -> str:
    # pydantic's "'ok', 'paper_low' or 'none'" -> "ok, paper_low, none"
    return expected.replace(" or ", ", ").replace("'", "")


def _bounds(model: type[BaseModel], loc: tuple) -> tuple[Any, Any]:
    """The `ge`/`le` bounds of the field at `loc` (top-level fields of incoming models)."""
    info = model.model_fields.get(loc[0]) if loc and isinstance(loc[0], str) else None
    lo = hi = None
    for meta in getattr(info, "metadata", ()):
        lo = getattr(meta, "ge", lo) if getattr(meta, "ge", None) is not None else lo
        hi = getattr(meta, "le", hi) if getattr(meta, "le", None) is not None else hi
    return lo, hi


def parse(model: type[WireModel], payload: Any) -> WireModel:
    """The payload as `model`, or BadRequest naming the field and the problem."""
    if not isinstance(payload, dict):
        raise bad_request(MSG_NOT_OBJECT)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise _message(model, exc, payload) from None


def single(args: tuple) -> Any:
    """The one payload of an event: none, or several arguments, is a malformed event."""
    if len(args) != 1:
        raise bad_request(MSG_ONE_PAYLOAD)
    return args[0]
