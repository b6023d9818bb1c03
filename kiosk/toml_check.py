"""Strict reading of a parsed TOML document, with errors that name the line to fix.

tomllib gives no positions, so `Locator` scans the text for table headers and `key =` lines (good
enough for hand-written files; an unknown position falls back to the enclosing table). `Table`
reads a table key by key and refuses the keys nobody read.
"""

from __future__ import annotations

import re
from typing import Any, Callable

REQUIRED = object()
# BCM numbers of the Pi's 40-pin header.
PIN_RANGE = range(0, 28)


class ConfigError(ValueError):
    """A configuration mistake; `str()` is a message for the person editing the file."""

    def __init__(self, message: str, *, key: str = "", line: int | None = None, file: str = ""):
        self.key = key
        self.line = line
        self.file = file
        where = file or "config"
        if line:
            where += f", line {line}"
        prefix = f"{where}: {key}: " if key else f"{where}: "
        super().__init__(prefix + message)


class Locator:
    """Maps key paths like ('ticket', 'buttons', 1, 'pin') to 1-based line numbers."""

    _header = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _assign = re.compile(r"^\s*([A-Za-z0-9_.\-\"']+)\s*=")

    def __init__(self, text: str):
        self.lines: dict[tuple, int] = {}
        table: tuple = ()
        counts: dict[tuple, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._header.match(line)
            if header:
                parts = tuple(p.strip().strip("\"'") for p in header.group(2).split("."))
                if header.group(1) == "[[":
                    index = counts.get(parts, 0)
                    counts[parts] = index + 1
                    # Tables nested in an array element refer to its latest element.
                    table = self._resolve(parts[:-1], counts) + (parts[-1], index)
                else:
                    table = self._resolve(parts, counts)
                self.lines.setdefault(table, number)
                continue
            assign = self._assign.match(line)
            if assign:
                keys = tuple(k.strip("\"'") for k in assign.group(1).split("."))
                self.lines.setdefault(table + keys, number)

    @staticmethod
    def _resolve(parts: tuple, counts: dict[tuple, int]) -> tuple:
        resolved: tuple = ()
        for i, part in enumerate(parts):
            resolved += (part,)
            if parts[: i + 1] in counts:
                resolved += (counts[parts[: i + 1]] - 1,)
        return resolved

    def line(self, path: tuple) -> int | None:
        """Line of `path`, or of its nearest enclosing table that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return None


def format_key(path: tuple) -> str:
    """('ticket', 'buttons', 1, 'pin') -> 'ticket.buttons[2].pin' (array elements counted from 1)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out


class Context:
    """What a table reader needs to report an error precisely."""

    def __init__(self, file: str, locator: Locator):
        self.file = file
        self.locator = locator

    def error(self, path: tuple, message: str) -> ConfigError:
        return ConfigError(message, key=format_key(path), line=self.locator.line(path), file=self.file)


class Table:
    """Reads one TOML table key by key, then refuses whatever keys were not read."""

    def __init__(self, ctx: Context, path: tuple, data: Any):
        if not isinstance(data, dict):
            raise ctx.error(path, f"must be a table, not {type(data).__name__}")
        self.ctx = ctx
        self.path = path
        self.data = data
        self.seen: set[str] = set()

    def get(self, key: str, check: Callable[[tuple, Any], Any], default: Any = REQUIRED) -> Any:
        self.seen.add(key)
        if key not in self.data:
            if default is REQUIRED:
                raise self.ctx.error(self.path + (key,), "is missing (required)")
            return default
        return check(self.path + (key,), self.data[key])

    def sub(self, key: str) -> "Table | None":
        self.seen.add(key)
        if key not in self.data:
            return None
        return Table(self.ctx, self.path + (key,), self.data[key])

    def array(self, key: str) -> list["Table"]:
        self.seen.add(key)
        items = self.data.get(key)
        if items is None:
            raise self.ctx.error(self.path + (key,), f"is missing: add at least one [[{format_key(self.path + (key,))}]]")
        if not isinstance(items, list) or not items:
            raise self.ctx.error(self.path + (key,), "must be a non-empty array of tables")
        return [Table(self.ctx, self.path + (key, i), item) for i, item in enumerate(items)]

    def done(self) -> None:
        for key in self.data:
            if key not in self.seen:
                allowed = ", ".join(sorted(self.seen))
                raise self.ctx.error(self.path + (key,), f"unknown key (allowed here: {allowed})")


# Value checkers: each takes (path, value) and returns the value or raises through the context.


def checkers(ctx: Context):
    def string(path, value):
        if not isinstance(value, str):
            raise ctx.error(path, f"must be a string, not {value!r}")
        return value

    def nonempty(path, value):
        value = string(path, value).strip()
        if not value:
            raise ctx.error(path, "must not be empty")
        return value

    def boolean(path, value):
        if not isinstance(value, bool):
            raise ctx.error(path, f"must be true or false, not {value!r}")
        return value

    def integer(path, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(path, f"must be an integer, not {value!r}")
        return value

    def seconds(path, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ctx.error(path, f"must be a number of seconds >= 0, not {value!r}")
        return float(value)

    def positive_seconds(path, value):
        value = seconds(path, value)
        if value <= 0:
            raise ctx.error(path, "must be more than 0 seconds")
        return value

    def pin(path, value):
        if isinstance(value, bool) or not isinstance(value, int) or value not in PIN_RANGE:
            raise ctx.error(path, f"must be a BCM GPIO number from 0 to 27, not {value!r}")
        return value

    def one_of(choices):
        def check(path, value):
            if value not in choices:
                raise ctx.error(path, f"must be one of {', '.join(map(repr, choices))}, not {value!r}")
            return value

        return check

    def port(path, value):
        value = integer(path, value)
        if not 0 < value < 65536:
            raise ctx.error(path, f"must be a port number from 1 to 65535, not {value}")
        return value

    def usb_id(path, value):
        value = integer(path, value)
        if not 0 < value <= 0xFFFF:
            raise ctx.error(path, f"must be a USB id such as 0x0416, not {value}")
        return value

    return {
        "string": string, "nonempty": nonempty, "boolean": boolean, "integer": integer, "seconds": seconds,
        "positive_seconds": positive_seconds, "pin": pin, "one_of": one_of, "port": port, "usb_id": usb_id,
    }
