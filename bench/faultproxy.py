"""A loopback TCP proxy that can break the link between kiosks and the server on command.

Each direction of every connection through it is in one of three modes:
- `pass`: bytes are forwarded;
- `hold`: the next bytes wait in the proxy (and TCP back-pressure fills the kernel buffers
  behind them) until the mode leaves `hold`: a stalled link, or a stopped peer; nothing is lost;
- `drop`: bytes are read and thrown away, the connection stays open: a half-open link in that
  direction, or, in both, a partition that neither end notices until its own timeouts.
`cut()` resets every connection at once (a cable pulled, a peer killed); `half_open()` resets
only the server's side and drops what the kiosk sends: the server knows the connection is gone,
the kiosk does not until its own timeouts. Loopback only.
Used by bench/faults.py and by the tests of late deliveries.
"""

from __future__ import annotations

import socket
import struct
import threading

UP, DOWN = "up", "down"  # client -> server, server -> client
MODES = ("pass", "hold", "drop")


class Proxy:
    """`Proxy(target_port).start()`; clients connect to `.port`. Thread-safe mode changes."""

    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self._modes = {UP: "pass", DOWN: "pass"}
        self._cond = threading.Condition()
        self._conns: set[socket.socket] = set()
        self._servers: set[socket.socket] = set()  # the server-side socket of each connection
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self.port = self._listener.getsockname()[1]
        self._closed = False
        self.held = {UP: 0, DOWN: 0}  # chunks that waited in `hold` (tests wait on this)
        self.connections = 0  # connections accepted so far

    def start(self) -> "Proxy":
        threading.Thread(target=self._accept, name="faultproxy-accept", daemon=True).start()
        return self

    def retarget(self, port: int) -> None:
        """Send new connections to another port (a restarted server)."""
        self.target = (self.target[0], port)

    # -- faults ---------------------------------------------------------------------------------
    def set(self, up: str | None = None, down: str | None = None) -> None:
        """Set the mode of each direction given (`pass`, `hold` or `drop`)."""
        with self._cond:
            for direction, mode in ((UP, up), (DOWN, down)):
                if mode is not None:
                    if mode not in MODES:
                        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
                    self._modes[direction] = mode
            self._cond.notify_all()

    def heal(self) -> None:
        self.set(up="pass", down="pass")

    def cut(self) -> None:
        """Reset every open connection (RST: SO_LINGER 0); new ones are still accepted."""
        with self._cond:
            conns = list(self._conns)
            self._conns.clear()
            self._servers.clear()
            self._cond.notify_all()
        for sock in conns:
            _reset(sock)

    def half_open(self) -> None:
        """Reset the server's side of every connection, and drop whatever either side sends."""
        self.set(up="drop", down="drop")
        with self._cond:
            servers = list(self._servers & self._conns)
            self._conns.difference_update(servers)
            self._cond.notify_all()
        for sock in servers:
            _reset(sock)

    def close(self) -> None:
        self._closed = True
        self.heal()
        try:
            self._listener.close()
        except OSError:
            pass
        self.cut()

    # -- plumbing -------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                _reset(client)  # the server is down: the client sees a refusal
                continue
            with self._cond:
                self.connections += 1
                self._conns.update((client, server))
                self._servers.add(server)
            for src, dst, direction in ((client, server, UP), (server, client, DOWN)):
                threading.Thread(target=self._pump, args=(src, dst, direction), daemon=True,
                                 name=f"faultproxy-{direction}").start()

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self._cond:
                    if self._modes[direction] == "hold":
                        self.held[direction] += 1
                        self._cond.notify_all()
                    while self._modes[direction] == "hold" and src in self._conns:
                        self._cond.wait()
                    mode = self._modes[direction]
                    alive = src in self._conns
                if not alive:
                    break
                if mode == "pass":
                    dst.sendall(data)
        except OSError:
            pass
        # One side ended: end the other too, as a router would carry a FIN or a RST; unless
        # nothing gets through either way (a partition, a half-open link): then nobody tells it.
        with self._cond:
            silent = self._modes[UP] == self._modes[DOWN] == "drop"
            ends = [src] if silent else [src, dst]
            gone = [sock for sock in ends if sock in self._conns]
            self._conns.difference_update(ends)
            self._servers.difference_update(ends)
        for sock in gone:
            _reset(sock)

    def wait_held(self, direction: str, count: int = 1, timeout: float = 30.0) -> bool:
        """Wait until `count` chunks have been held in `direction` (True) or `timeout` (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.held[direction] >= count, timeout)


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.shutdown(socket.SHUT_RDWR)  # wakes the pump blocked in recv() on it
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
