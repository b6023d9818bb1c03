"""A lean server side of the WebSocket protocol (RFC 6455) for python-engineio under gevent.

python-engineio's gevent driver speaks WebSocket through simple-websocket, which gives every
connection a reader greenlet feeding wsproto's event machine and hands each message over through
an event: under load that was a quarter of the event loop's time (docs/benchmarks.md, "Web
layer": wsproto 17 %, simple-websocket 5 %, plus the greenlet switches). Here the connection's
own Engine.IO greenlet reads and decodes its frames in `wait()`, and `send()` writes one frame.

What it keeps of the protocol: the opening handshake (version 13 only, no extensions and no
subprotocols: our clients ask for neither), masked client frames, fragmented messages, ping
answered by pong, the closing handshake, and these refusals, each a close frame with its code:
an unmasked frame, reserved bits or an unknown opcode (1002), a text message that is not UTF-8
(1007), a message over `max_message` bytes (1009, decided from the frame header, before its
payload is read). The socket's timeout (python-engineio sets it to ping interval + timeout on
`_sock`) ends a connection that goes silent.

`WebSocketWSGI` has the interface python-engineio expects of `_async["websocket"]`:
`WebSocketWSGI(handler, server)(environ, start_response)` runs `handler(ws)`, with `ws.wait()`
(the next message, str or bytes, or None once closed), `ws.send(message)` and `ws.close()`.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA
NORMAL, PROTOCOL_ERROR, BAD_DATA, TOO_BIG = 1000, 1002, 1007, 1009
_RECV = 65536


class Closed(Exception):
    """The connection ended (the peer closed it, or a protocol error closed it)."""


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + GUID).digest()).decode("ascii")


def _unmask(payload: bytes, mask: bytes) -> bytes:
    # XOR with the 4-byte key repeated, as one big-integer operation instead of a loop per byte.
    n = len(payload)
    if n == 0:
        return payload
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, unmasked frame (a server's)."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return head + payload


class WebSocket:
    """One accepted connection: `wait()`, `send()`, `close()` (python-engineio's interface)."""

    def __init__(self, sock, max_message: int):
        import gevent.lock

        self._sock = sock  # (this name: python-engineio sets its timeout)
        self.max_message = max_message
        self._buf = bytearray()
        self._send_lock = gevent.lock.Semaphore()  # the writer greenlet and a pong never interleave
        self.closed = False
        self._close_sent = False

    # -- reading -----------------------------------------------------------------------------
    def _fill(self, need: int) -> None:
        while len(self._buf) < need:
            data = self._sock.recv(_RECV)
            if not data:
                raise Closed()
            self._buf += data

    def _frame(self) -> tuple[bool, int, bytes]:
        """The next frame: (final, opcode, unmasked payload)."""
        self._fill(2)
        b0, b1 = self._buf[0], self._buf[1]
        final, opcode, length = bool(b0 & 0x80), b0 & 0x0F, b1 & 0x7F
        if b0 & 0x70 or not b1 & 0x80 or opcode not in (TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG):
            self._fail(PROTOCOL_ERROR)
        at = 2
        if length == 126:
            self._fill(4)
            length = struct.unpack_from("!H", self._buf, 2)[0]
            at = 4
        elif length == 127:
            self._fill(10)
            length = struct.unpack_from("!Q", self._buf, 2)[0]
            at = 10
        if opcode >= CLOSE and (length > 125 or not final):
            self._fail(PROTOCOL_ERROR)
        if length > self.max_message:
            self._fail(TOO_BIG)
        self._fill(at + 4 + length)
        mask = bytes(self._buf[at:at + 4])
        payload = _unmask(bytes(self._buf[at + 4:at + 4 + length]), mask)
        del self._buf[:at + 4 + length]
        return final, opcode, payload

    def wait(self):
        """The next message (str for text, bytes for binary), or None once the connection closed."""
        if self.closed:
            return None
        parts: list[bytes] = []
        kind = None
        size = 0
        try:
            while True:
                final, opcode, payload = self._frame()
                if opcode == PING:
                    self._send(PONG, payload)
                    continue
                if opcode == PONG:
                    continue
                if opcode == CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else NORMAL
                    self._reply_close(code if 1000 <= code < 5000 else PROTOCOL_ERROR)
                    raise Closed()
                if (opcode == CONTINUATION) != (kind is not None):
                    self._fail(PROTOCOL_ERROR)  # a continuation of nothing, or a new message inside one
                kind = kind or opcode
                size += len(payload)
                if size > self.max_message:
                    self._fail(TOO_BIG)
                parts.append(payload)
                if final:
                    break
        except (Closed, OSError):
            self._end()
            return None
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if kind == BINARY:
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self._fail_quietly(BAD_DATA)
            return None

    def _fail(self, code: int):
        self._reply_close(code)
        raise Closed()

    def _fail_quietly(self, code: int) -> None:
        self._reply_close(code)
        self._end()

    # -- writing -----------------------------------------------------------------------------
    def _send(self, opcode: int, payload: bytes) -> None:
        with self._send_lock:
            self._sock.sendall(frame(opcode, payload))

    def send(self, message) -> None:
        if self.closed:
            raise OSError("websocket closed")
        if isinstance(message, str):
            self._send(TEXT, message.encode("utf-8"))
        else:
            self._send(BINARY, bytes(message))

    def _reply_close(self, code: int) -> None:
        if self._close_sent:
            return
        self._close_sent = True
        try:
            self._send(CLOSE, struct.pack("!H", code))
        except OSError:
            pass

    def close(self) -> None:
        """Send the close frame (once) and end the connection."""
        self._reply_close(NORMAL)
        self._end()

    def _end(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass


def _socket_of(environ: dict):
    """The connection's socket under gevent's pywsgi (a duplicate: pywsgi closes its own)."""
    wsgi_input = environ["wsgi.input"]
    rfile = getattr(wsgi_input, "rfile", wsgi_input)
    sock = rfile.raw._sock
    try:
        return sock.dup()
    except NotImplementedError:
        return sock


def _bad_request(start_response, why: str):
    body = why.encode("utf-8")
    start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                       ("Content-Length", str(len(body)))])
    return [body]


def make_wsgi(max_message: int):
    """The class python-engineio is given as `_async["websocket"]`, refusing messages over
    `max_message` bytes."""

    class WebSocketWSGI:
        def __init__(self, handler, server):
            self.app = handler
            self.server = server
            self.ws: WebSocket | None = None

        def __call__(self, environ, start_response):
            if environ.get("REQUEST_METHOD") != "GET" \
                    or environ.get("HTTP_UPGRADE", "").lower() != "websocket" \
                    or "upgrade" not in environ.get("HTTP_CONNECTION", "").lower():
                return _bad_request(start_response, "expected a websocket upgrade")
            if environ.get("HTTP_SEC_WEBSOCKET_VERSION") != "13":
                return _bad_request(start_response, "websocket version 13 only")
            key = environ.get("HTTP_SEC_WEBSOCKET_KEY", "")
            try:
                if len(base64.b64decode(key, validate=True)) != 16:
                    raise ValueError(key)
            except ValueError:
                return _bad_request(start_response, "bad Sec-WebSocket-Key")
            sock = _socket_of(environ)
            sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + accept_key(key).encode("ascii") + b"\r\n\r\n")
            self.ws = WebSocket(sock, max_message)
            # (as python-engineio's own gevent driver does: the handler's return value, []; the
            # response was written above, and the server closes the connection after it)
            return self.app(self.ws)

    return WebSocketWSGI


def install(socketio, max_message: int) -> None:
    """Serve `socketio`'s websockets with this module (gevent mode only)."""
    eio = socketio.server.eio
    if eio.async_mode != "gevent":
        raise ValueError("server/wsock.py serves gevent mode only")
    eio._async = {**eio._async, "websocket": make_wsgi(max_message)}
