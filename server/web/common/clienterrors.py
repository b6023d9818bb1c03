"""A client's errors, logged once and then counted, so that a client cannot flood the log.

One socket sending a malformed packet 200 times a second made 200 tracebacks a second (0.6 GB
of log an hour): python-engineio logs every exception of its `message` handler, where
python-socketio decodes the packet and Flask-SocketIO dispatches it (`42/display,1[]` raised
IndexError there, before any handler of ours). `wrap_messages` puts this module between them:
a packet that raises is dropped (the connection stays up) and reported here, as are the
unexpected failures of our acknowledged handlers (server/web/common/acks.py).

`ClientErrors.report(address, connection, what)`: the first error of an address is logged in
full (with its traceback); later ones are counted, and a summary line ("N more from this
address, on K connections, in the last T s") is written at most every `interval_s` seconds, when
the next error comes. Memory stays bounded: at most `max_addresses` addresses are remembered
(the least recently seen is forgotten first), and at most `max_new` addresses a minute are
logged in full; beyond that they are only counted, in one summary line of their own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

log = logging.getLogger(__name__)

MAX_CONNECTIONS_NOTED = 32  # per address, for the summary's "on K connections"


class _Entry:
    __slots__ = ("count", "since", "connections", "last")

    def __init__(self, now: float):
        self.count = 0  # errors since the last line written
        self.since = now  # when that line was written
        self.connections: set[str] = set()
        self.last = ""


class ClientErrors:
    def __init__(self, logger: logging.Logger = log, *, interval_s: float = 60.0, max_addresses: int = 256,
                 max_new: int = 20, clock=time.monotonic):
        self.log = logger
        self.interval_s = interval_s
        self.max_addresses = max_addresses
        self.max_new = max_new
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._new = _Entry(clock())  # addresses not logged in full (past max_new a minute)
        self._new_logged = 0
        self.total = 0  # every error reported (tests, /healthz)

    def report(self, address: str | None, connection: str | None, what: str, *, exc_info=True) -> None:
        """One error of a client: logged if it is its address's first, counted otherwise.
        Call it from an `except` block (`exc_info` logs the exception being handled)."""
        address = address or "?"
        now = self.clock()
        full = line = None
        with self._lock:
            self.total += 1
            entry = self._entries.get(address)
            if entry is not None and entry.count == 0 and now - entry.since > 10 * self.interval_s:
                entry = None  # quiet for long: a new episode, logged in full again
            if entry is None:
                if self._first_of(address, now):
                    full = what
                else:
                    line = self._overflow(now)
            else:
                self._entries.move_to_end(address)
                entry.count += 1
                entry.last = what
                if connection is not None and len(entry.connections) < MAX_CONNECTIONS_NOTED:
                    entry.connections.add(connection)
                line = self._summary(address, entry, now)
        if full is not None:
            self.log.error("client %s (connection %s): %s", address, connection, full, exc_info=exc_info)
        elif line is not None:
            self.log.error("%s", line)

    def _first_of(self, address: str, now: float) -> bool:
        """Remember a new address; True to log its error in full, False when too many new
        addresses were logged in the last interval (counted in `_new` instead)."""
        if now - self._new.since >= self.interval_s and self._new.count == 0:
            self._new.since, self._new_logged = now, 0
        if self._new_logged >= self.max_new:
            self._new.count += 1
            return False
        self._new_logged += 1
        self._entries[address] = _Entry(now)
        while len(self._entries) > self.max_addresses:
            self._entries.popitem(last=False)
        return True

    def _summary(self, address: str, entry: _Entry, now: float) -> str | None:
        if now - entry.since < self.interval_s:
            return None
        line = (f"client {address}: {entry.count} more errors on {len(entry.connections)} connection(s) "
                f"in the last {now - entry.since:.0f} s (last: {entry.last})")
        entry.count, entry.since = 0, now
        entry.connections.clear()
        return line

    def _overflow(self, now: float) -> str | None:
        new = self._new
        if now - new.since < self.interval_s:
            return None
        line = f"{new.count} errors from clients not logged one by one in the last {now - new.since:.0f} s"
        new.count, new.since, self._new_logged = 0, now, 0
        return line


def describe(exc: BaseException, where: str) -> str:
    """A short line about an error: its type and message (cut), and where it happened."""
    text = str(exc).encode("utf-8", "backslashreplace").decode("utf-8")[:200]
    return f"{where}: {type(exc).__name__}: {text}"


def wrap_messages(socketio, errors: ClientErrors) -> None:
    """Put `errors` between Engine.IO and every Socket.IO packet: a packet whose decoding or
    handling raises is dropped, reported once per address, and the connection goes on."""
    server = socketio.server
    handler = server.eio.handlers["message"]

    def on_message(eio_sid, data, *args):
        try:
            return handler(eio_sid, data, *args)
        except Exception as exc:
            environ = server.environ.get(eio_sid) or {}
            errors.report(environ.get("REMOTE_ADDR"), eio_sid, describe(exc, f"packet {_head(data)}"))
            return None

    server.eio.on("message", on_message)


def _head(data) -> str:
    """The start of a packet, printable, for the log."""
    if isinstance(data, bytes):
        return f"<{len(data)} bytes>"
    return repr(str(data)[:40].encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace"))
