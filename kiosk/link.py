"""The agent's one Socket.IO connection to the server's `/kiosk` namespace.

A supervisor thread connects and reconnects forever with back-off, from the first start on (the
server may be down when the Pi boots). `call()` sends an event and waits for its acknowledgement;
it may be used from several threads at once.
"""

from __future__ import annotations

import logging
import random
import threading
from typing import Callable

from . import protocol
from .config import ServerConfig

log = logging.getLogger("kiosk.link")


class LinkDown(Exception):
    """The event could not be handed to the server (not connected). Nothing was sent."""


class NoAnswer(Exception):
    """The event was sent but no acknowledgement came (timeout or the link dropped meanwhile).

    The server may or may not have acted on it.
    """


_DROPPED = object()


class _Pending:
    """One call waiting for its acknowledgement (hashable by identity)."""

    __slots__ = ("done", "answer")

    def __init__(self):
        self.done = threading.Event()
        self.answer: object = None

    def resolve(self, answer: object) -> None:
        if not self.done.is_set():
            self.answer = answer
            self.done.set()


def default_client_factory():
    """A python-socketio client whose reconnection is left to `Link` (see `Link._supervise`)."""
    import socketio

    return socketio.Client(reconnection=False, handle_sigint=False)


def _find_server(server: ServerConfig) -> str | None:
    from .discovery import find_server

    return find_server(server.connect_timeout_s, server.mdns_interfaces)


class Link:
    """Keeps the agent connected and carries acknowledged calls."""

    def __init__(
        self,
        server: ServerConfig,
        *,
        client_factory: Callable[[], object] = default_client_factory,
        backoff_min_s: float = 0.5,
        backoff_max_s: float = 10.0,
        on_change: Callable[[bool], None] | None = None,
        on_config: Callable[[object], None] | None = None,
        discover: Callable[[], str | None] | None = None,
    ):
        self.server = server
        # Without an address in the config, the server is looked for on the LAN before each
        # connection attempt until one is found; it is looked for again when it stops answering.
        self.url = server.url
        self._discover = discover or (lambda: _find_server(server))
        self._client_factory = client_factory
        self._backoff = (backoff_min_s, backoff_max_s)
        self._on_change = on_change or (lambda up: None)
        self._on_config = on_config or (lambda payload: None)
        self._lock = threading.Lock()
        self._pending: set[_Pending] = set()
        self._connected = threading.Event()
        self._dropped = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_refusal = ""
        self._sio = self._new_client()

    # -- life cycle ------------------------------------------------------------------------------

    def _new_client(self):
        sio = self._client_factory()
        sio.on("connect", self._handle_connect, namespace=protocol.NAMESPACE)
        sio.on("disconnect", self._handle_disconnect, namespace=protocol.NAMESPACE)
        sio.on("connect_error", self._handle_connect_error, namespace=protocol.NAMESPACE)
        sio.on(protocol.DEVICE_CONFIG, self._handle_device_config, namespace=protocol.NAMESPACE)
        return sio

    def start(self) -> None:
        """Start the supervisor thread (returns at once; see `wait_connected`)."""
        self._thread = threading.Thread(target=self._supervise, name="kiosk-link", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        self._stop.set()
        self._dropped.set()
        try:
            self._sio.disconnect()
        except Exception:  # noqa: BLE001 - shutting down: whatever the client's state, carry on
            pass
        if self._thread:
            self._thread.join(timeout=self.server.connect_timeout_s + 5)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Block until connected (True) or `timeout` passed (False)."""
        return self._connected.wait(timeout)

    def _supervise(self) -> None:
        # python-socketio's own `connect(retry=True)` blocks inside a loop that `shutdown()` cannot
        # abort and that gives up when the namespace is refused; this loop retries every failure
        # and ends cleanly on `stop()`.
        delay = self._backoff[0]
        failures = 0
        while not self._stop.is_set():
            if self._connected.is_set():
                self._dropped.wait()
                continue
            self._settle()
            try:
                self._dropped.clear()
                if not self.url:
                    self.url = self._discover() or ""
                    if not self.url:
                        raise ConnectionError("no server announced on the LAN (mDNS _qms._tcp)")
                self._sio.connect(
                    self.url,
                    namespaces=[protocol.NAMESPACE],
                    auth={"device": self.server.device, "token": self.server.token},
                    transports=["websocket"],
                    wait_timeout=self.server.connect_timeout_s,
                )
                delay, failures = self._backoff[0], 0
                if not self._transport_up():
                    # Dropped between the namespace's connect and connect()'s return: python-socketio
                    # then calls no disconnect handler, and the agent would wait on a dead link.
                    self._handle_disconnect("transport error while connecting")
                continue
            except Exception as exc:  # noqa: BLE001 - socketio raises ConnectionError or ValueError; retry all
                failures += 1
                if not self.server.url:
                    self.url = ""  # found by mDNS: look again, the server may have moved
                # Say it once, then about once a minute: a kiosk may wait hours for its server.
                if failures == 1 or failures % max(1, int(60 / self._backoff[1])) == 0:
                    if self._last_refusal:
                        log.warning("still refused by the server (%s); retrying", self._last_refusal)
                    else:
                        log.warning("cannot reach the server at %s (%s); retrying", self.url or "?", exc)
                try:
                    self._sio.disconnect()
                except Exception:  # noqa: BLE001
                    pass
            self._stop.wait(delay * (0.75 + random.random() / 2))
            delay = min(delay * 2, self._backoff[1])

    def _settle(self, limit_s: float = 2.0) -> None:
        """Let the client finish tearing the old connection down before connecting again.

        python-socketio calls our disconnect handler before it marks itself disconnected, so a
        connect() at once is refused "Already connected": a misleading warning and a back-off step
        on every reconnect (issue 11). The teardown is a few statements; past `limit_s`, or when
        the transport is already gone, the old client is dropped for a new one."""
        waited = 0.0
        while (getattr(self._sio, "connected", False) and self._transport_up() and waited < limit_s
               and not self._stop.is_set()):
            self._stop.wait(0.005)
            waited += 0.005
        if getattr(self._sio, "connected", False):
            # A client whose transport died while it connected stays "connected" for good (its
            # disconnect() waits for an Engine.IO event that never comes): start a fresh one.
            try:
                self._sio.disconnect()
            except Exception:  # noqa: BLE001 - whatever state it was in, it is down now
                pass
            with self._lock:
                self._sio = self._new_client()

    def _transport_up(self) -> bool:
        eio = getattr(self._sio, "eio", None)
        return getattr(eio, "state", "connected") == "connected"

    # -- socket.io handlers (run on the client's threads) ---------------------------------------

    def _handle_connect(self) -> None:
        log.info("connected to %s as %s", self.url, self.server.device)
        self._last_refusal = ""
        self._connected.set()
        self._on_change(True)

    def _handle_device_config(self, payload=None) -> None:
        try:
            self._on_config(payload)
        except Exception:  # noqa: BLE001 - a bad setting must not break the link
            log.exception("the server's device_config could not be applied")

    def _handle_disconnect(self, reason=None) -> None:
        was_up = self._connected.is_set()
        self._connected.clear()
        with self._lock:
            pending = list(self._pending)
        for call in pending:
            call.resolve(_DROPPED)
        self._dropped.set()
        if was_up and not self._stop.is_set():
            log.warning("disconnected from the server (%s); reconnecting", reason)
            self._on_change(False)

    def _handle_connect_error(self, data=None) -> None:
        message = data.get("message") if isinstance(data, dict) else str(data)
        if not message or message == "Connection error":
            return  # a transport failure (server down): reported by the supervisor
        # The server refused the namespace: `unauthorized` per the protocol (a wrong or revoked token).
        if self._last_refusal != message:
            log.error(
                "the server REFUSED this kiosk (%s): check [server] device = %r and its token in the config;"
                " a revoked device needs a new token from `python -m server add-device`. Still retrying.",
                message, self.server.device,
            )
        self._last_refusal = message

    # -- calls ---------------------------------------------------------------------------------

    def call(self, event: str, data: dict, timeout: float) -> object:
        """Send `event` and return the server's acknowledgement.

        Raises LinkDown when not connected (nothing sent), NoAnswer when sent but unanswered in time.
        """
        # Not Client.call(): its docs say it is not thread-safe, and holding a lock through its wait
        # would let a slow rating delay a citizen's ticket. Emit under the lock, wait outside it.
        pending = _Pending()

        def ack(*args):
            pending.resolve(args[0] if len(args) == 1 else (list(args) or None))

        with self._lock:
            if not self._connected.is_set():
                raise LinkDown("not connected to the server")
            self._pending.add(pending)
            try:
                self._sio.emit(event, data, namespace=protocol.NAMESPACE, callback=ack)
            except Exception as exc:  # noqa: BLE001 - BadNamespaceError, socket errors: nothing left
                self._pending.discard(pending)
                raise LinkDown(f"cannot send {event}: {exc}") from exc
        try:
            if not pending.done.wait(timeout):
                raise NoAnswer(f"no answer to {event} within {timeout:g} s")
        finally:
            with self._lock:
                self._pending.discard(pending)
        if pending.answer is _DROPPED:
            raise NoAnswer(f"the link dropped before the answer to {event}")
        return pending.answer
