"""The demo's page of simulated buttons: a newcomer clicks a kiosk's or a terminal's button in the
browser, and the press goes to the real simulated agent, as a key on its stdin.

It is served by `make run` itself (not by the center's server), because it drives processes that
only `make run` owns; the center's server never learns of it. Loopback by default, like the demo.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

PAGE = Path(__file__).with_name("buttons.html")
TICKET_NAME = re.compile(r"^[A-Za-z0-9_-]+\.png$")
MAX_BODY = 4096


@dataclass
class Panel:
    """One simulated device as the page shows it: its buttons, as (key, label) pairs."""
    device: str
    title: str
    kind: str  # "ticket" or "rating"
    keys: list[tuple[str, str, str]]  # (key, label, tone): tone is "", "priority", "good", "fair" or "poor"
    send: Callable[[str], None]  # writes one key to the agent
    agent_log: Path | None = None  # the agent's own log, read for whether it is connected
    log: deque = field(default_factory=lambda: deque(maxlen=8))

    def online(self) -> bool:
        """Whether the agent's last word on its link was that it connected."""
        if self.agent_log is None or not self.agent_log.exists():
            return False
        with self.agent_log.open("rb") as f:
            f.seek(max(0, f.seek(0, 2) - 16384))
            tail = f.read().decode("utf-8", "replace")
        up = tail.rfind("INFO connected to ")
        down = max(tail.rfind("disconnected from the server"), tail.rfind("cannot reach the server"))
        return up > down


class Buttons:
    """What the page can see and do: the panels, the ticket folder, the links to the real pages."""

    def __init__(self, panels: list[Panel], tickets: Path, links: dict[str, str]):
        self.panels = {p.device: p for p in panels}
        self.tickets = tickets
        self.links = links
        self.lock = threading.Lock()  # one key at a time into an agent's stdin

    def config(self) -> dict:
        return {"links": self.links,
                "panels": [{"device": p.device, "title": p.title, "kind": p.kind,
                            "keys": [{"key": k, "label": label, "tone": tone} for k, label, tone in p.keys]}
                           for p in self.panels.values()]}

    def press(self, device: str, key: str) -> None:
        """Send `key` to `device`; KeyError names what is unknown."""
        panel = self.panels.get(device)
        if panel is None:
            raise KeyError(f"no simulated device {device!r}")
        label = next((label for k, label, _ in panel.keys if k == key), None)
        if label is None:
            raise KeyError(f"{device} has no button {key!r}")
        with self.lock:
            panel.send(key)
        panel.log.append(label)

    def state(self) -> dict:
        names = sorted((p.name for p in self.tickets.glob("*.png")), reverse=True)[:4] if self.tickets.is_dir() else []
        return {"tickets": names, "pressed": {d: list(p.log) for d, p in self.panels.items()},
                "online": {d: p.online() for d, p in self.panels.items()}}

    def ticket(self, name: str) -> bytes | None:
        if not TICKET_NAME.match(name):
            return None
        path = self.tickets / name
        return path.read_bytes() if path.is_file() else None


def handler_for(buttons: Buttons) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "qms-demo-buttons"

        def log_message(self, *args) -> None:  # the demo's terminal is for the banner, not access logs
            pass

        def reply(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def json(self, status: int, data: dict) -> None:
            self.reply(status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        def error(self, status: int, code: str, message: str) -> None:
            self.json(status, {"ok": False, "error": {"code": code, "message": message}})

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            if path == "/":
                self.reply(HTTPStatus.OK, PAGE.read_bytes(), "text/html; charset=utf-8")
            elif path == "/config":
                self.json(HTTPStatus.OK, buttons.config())
            elif path == "/state":
                self.json(HTTPStatus.OK, buttons.state())
            elif path.startswith("/tickets/") and (png := buttons.ticket(path[len("/tickets/"):])) is not None:
                self.reply(HTTPStatus.OK, png, "image/png")
            else:
                self.error(HTTPStatus.NOT_FOUND, "not_found", f"no such page: {path}")

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/press":
                return self.error(HTTPStatus.NOT_FOUND, "not_found", f"no such page: {self.path}")
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if not 0 < length <= MAX_BODY:
                return self.error(HTTPStatus.BAD_REQUEST, "bad_request", f"a body of 1 to {MAX_BODY} bytes is needed")
            try:
                body = json.loads(self.rfile.read(length))
                device, key = body["device"], body["key"]
                if not isinstance(device, str) or not isinstance(key, str):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return self.error(HTTPStatus.BAD_REQUEST, "bad_request",
                                  'the body must be JSON {"device": "...", "key": "..."}')
            try:
                buttons.press(device, key)
            except KeyError as exc:
                return self.error(HTTPStatus.BAD_REQUEST, "unknown_button", exc.args[0])
            except OSError as exc:  # the agent has stopped: its stdin is closed
                return self.error(HTTPStatus.SERVICE_UNAVAILABLE, "device_stopped", f"{device} is not running: {exc}")
            self.json(HTTPStatus.OK, {"ok": True})

    return Handler


def serve(buttons: Buttons, host: str, port: int) -> ThreadingHTTPServer:
    """Start the page's server on a thread of its own; the caller shuts it down."""
    httpd = ThreadingHTTPServer((host, port), handler_for(buttons))
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="demo-buttons", daemon=True).start()
    return httpd
