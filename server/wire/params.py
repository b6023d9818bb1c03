"""Numbers read from text: query parameters, form fields, URL paths, a socket's `counter`.

ASCII digits only (`str.isdigit` also accepts "²" and "٣", which `int()` then refuses or reads),
and within SQLite's INTEGER (a larger Python int makes SQLite raise OverflowError). A refusal is
a `bad_request` naming the field, with the wire's translated messages.
"""

from __future__ import annotations

from typing import Any

from .base import MSG_INTEGER, MSG_RANGE, bad_request

MAX_INT = 2 ** 63 - 1  # SQLite's largest INTEGER


def is_number(text: Any) -> bool:
    """Text of ASCII digits only (no sign, no space), short enough to be an INTEGER."""
    return isinstance(text, str) and 0 < len(text) <= 19 and text.isascii() and text.isdigit()


def integer(value: Any, field: str, lo: int = 0, hi: int = MAX_INT) -> int:
    """`value` (text of ASCII digits, or an int) as an int in [lo, hi]; BadRequest naming `field`."""
    if isinstance(value, bool):
        raise bad_request(MSG_INTEGER, field=field)
    if isinstance(value, int):
        n = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        n = int(value[:40]) if len(value) <= 40 else hi + 1
    else:
        raise bad_request(MSG_INTEGER, field=field)
    if not lo <= n <= hi:
        raise bad_request(MSG_RANGE, field=field, min=lo, max=hi)
    return n


def row_id(text: Any) -> int | None:
    """A row id written as text, or None when the text is not one (e.g. a user name)."""
    return int(text) if is_number(text) and int(text) <= MAX_INT else None
