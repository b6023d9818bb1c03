"""The gevent server's own websocket code (server/wsock.py), frame by frame over a raw TCP socket
against `python -m server run`: the handshake, masking, fragments, ping, the closing handshake
and each refusal with its close code. The kiosks, displays and pages over it are tested by every
other gevent-mode test (test_gevent_server.py, test_freeze.py, the browser tests' live servers)."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct

import pytest

from server.wsock import _unmask, accept_key, frame
from tests.server.production import Production, center_instance

LIMIT = 4096  # max_payload_bytes for this server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance, center = center_instance(tmp_path_factory.mktemp("wsock"))
    srv = Production(instance, env={"QMS_MAX_PAYLOAD_BYTES": str(LIMIT)})
    yield {"srv": srv, **center}
    srv.stop()


def masked(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes = b"\x01\x02\x03\x04") -> bytes:
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        head = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", b0, 0x80 | 127, n)
    return head + mask + _unmask(payload, mask)


class Peer:
    """A raw websocket client: `.send(bytes)`, `.frame()` -> (opcode, payload) or None at EOF."""

    def __init__(self, port: int, *, key: str | None = None, version: str = "13"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
                           f"Sec-WebSocket-Version: {version}\r\n\r\n").encode())
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.headers = {k.strip().lower(): v.strip() for k, _, v in
                        (line.decode().partition(":") for line in head.split(b"\r\n")[1:] if line)}

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(self.buf)
            self.buf += data
        head, _, self.buf = self.buf.partition(marker)
        return head

    def _need(self, n: int) -> bool:
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                return False
            self.buf += data
        return True

    def frame(self):
        if not self._need(2):
            return None
        b0, b1 = self.buf[0], self.buf[1]
        assert not b1 & 0x80, "a server's frames are not masked"
        n, at = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, at = struct.unpack_from("!H", self.buf, 2)[0], 4
        elif n == 127:
            self._need(10)
            n, at = struct.unpack_from("!Q", self.buf, 2)[0], 10
        self._need(at + n)
        payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
        return b0 & 0x0F, payload

    def text(self) -> str:
        while True:
            got = self.frame()
            assert got is not None, "connection closed"
            if got[0] == 0x1:
                return got[1].decode()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close_code(self) -> int | None:
        """The code of the server's close frame (reading past anything before it), None at EOF."""
        while True:
            got = self.frame()
            if got is None:
                return None
            if got[0] == 0x8:
                return struct.unpack("!H", got[1][:2])[0]

    def eof(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def opened(server) -> Peer:
    peer = Peer(server["srv"].port)
    assert peer.status == 101
    assert peer.headers["sec-websocket-accept"] == accept_key(peer.key)
    opening = json.loads(peer.text()[1:])  # Engine.IO's open packet: 0{"sid", "pingInterval", ...}
    assert opening["maxPayload"] == LIMIT
    return peer


def test_accept_key_is_rfc6455s_example():
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_frame_lengths():
    assert frame(0x1, b"x" * 125)[:2] == b"\x81\x7d"
    assert frame(0x1, b"x" * 126)[:4] == b"\x81\x7e\x00\x7e"
    assert frame(0x2, b"x" * 70000)[:10] == b"\x82\x7f" + struct.pack("!Q", 70000)


def test_a_socket_io_connection_over_masked_and_fragmented_frames(server):
    peer = opened(server)
    # Socket.IO CONNECT to /kiosk with the device's credentials, in three fragments.
    body = ("40/kiosk," + json.dumps({"device": "kiosk-1", "token": server["devices"]["kiosk-1"]})).encode()
    peer.send(masked(0x1, body[:5], fin=False) + masked(0x0, body[5:12], fin=False, mask=b"\xff\x00\xaa\x55")
              + masked(0x0, body[12:], mask=b"\x10\x20\x30\x40"))
    assert peer.text().startswith("40/kiosk,{")
    # A ping between frames is answered with a pong carrying its payload.
    peer.send(masked(0x9, b"are you there"))
    assert peer.frame() == (0xA, b"are you there")
    peer.send(masked(0x1, b'42/kiosk,1["status",{"printer":"ok"}]'))
    ack = peer.text()
    assert ack.startswith("43/kiosk,1[") and json.loads(ack[len("43/kiosk,1"):])[0]["ok"] is True
    # The closing handshake: the server answers with the same code and ends the connection.
    peer.send(masked(0x8, struct.pack("!H", 1000)))
    assert peer.close_code() == 1000
    assert peer.eof()


@pytest.mark.parametrize("bad, code", [
    (struct.pack("!BB", 0x81, 5) + b"hello", 1002),  # not masked
    (masked(0x3, b"x"), 1002),  # an unknown opcode
    (bytes([0xC1]) + masked(0x1, b"x")[1:], 1002),  # a reserved bit (compression nobody agreed on)
    (masked(0x0, b"x"), 1002),  # a continuation of nothing
    (masked(0x9, b"x", fin=False), 1002),  # a fragmented control frame
    (masked(0x1, b"\xff\xfe"), 1007),  # text that is not UTF-8
    (masked(0x1, b"4" * (LIMIT + 1)), 1009),  # one frame over the limit
    (masked(0x1, b"4" * 3000, fin=False) + masked(0x0, b"4" * 3000), 1009),  # a message over it in pieces
], ids=["unmasked", "opcode", "rsv", "stray-continuation", "fragmented-ping", "not-utf8", "too-big", "too-big-pieces"])
def test_refusals_close_with_their_code_and_the_server_goes_on(server, bad, code):
    peer = opened(server)
    peer.send(bad)
    assert peer.close_code() == code
    assert peer.eof()
    again = opened(server)  # the server is fine
    again.send(masked(0x8, struct.pack("!H", 1000)))
    assert again.close_code() == 1000


def test_a_header_announcing_a_huge_frame_is_refused_before_its_payload(server):
    """2**62 bytes announced: refused from the header (1009), nothing read or allocated for it."""
    peer = opened(server)
    peer.send(struct.pack("!BBQ", 0x81, 0x80 | 127, 2 ** 62) + b"\x00\x00\x00\x00")
    assert peer.close_code() == 1009
    assert peer.eof()


@pytest.mark.parametrize("key, version, status", [
    ("not base64!", "13", 400),
    (base64.b64encode(b"short").decode(), "13", 400),
    (None, "8", 400),
])
def test_a_bad_handshake_is_answered_400(server, key, version, status):
    peer = Peer(server["srv"].port, key=key, version=version)
    assert peer.status == status
