"""Finding the server on the center's LAN when the config gives no address.

The server announces itself by mDNS/DNS-SD as a `_qms._tcp` service (server/discovery.py; the
agent imports nothing of the server, so the type is written in both places). The agent browses
for it, takes the first one that resolves, and connects to `http://ADDRESS:PORT`; when that
address stops answering it looks again (the server's Pi may have got a new address).
"""

from __future__ import annotations

import logging
import threading
from typing import Sequence

log = logging.getLogger("kiosk.discovery")

SERVICE_TYPE = "_qms._tcp.local."


def find_server(timeout_s: float = 5.0, interfaces: Sequence[str] = ()) -> str | None:
    """The URL of the first server announced within `timeout_s`, or None. `interfaces`: local
    IPv4 addresses to browse on (empty: every interface)."""
    from zeroconf import InterfaceChoice, IPVersion, ServiceBrowser, ServiceListener, Zeroconf

    found: list[str] = []
    done = threading.Event()

    class Listener(ServiceListener):
        def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
            info = zc.get_service_info(type_, name, timeout=int(timeout_s * 1000))
            addresses = info.parsed_addresses(IPVersion.V4Only) if info else []
            if addresses and not done.is_set():
                path = (info.properties.get(b"path") or b"/").decode("utf-8", "replace").rstrip("/")
                found.append(f"http://{addresses[0]}:{info.port}{path}")
                log.info("found the server %r at %s", name, found[0])
                done.set()

        def update_service(self, zc, type_, name) -> None:
            self.add_service(zc, type_, name)

        def remove_service(self, zc, type_, name) -> None:
            pass

    zc = Zeroconf(interfaces=list(interfaces) or InterfaceChoice.All, ip_version=IPVersion.V4Only)
    try:
        browser = ServiceBrowser(zc, SERVICE_TYPE, Listener())
        done.wait(timeout_s)
        browser.cancel()
    finally:
        zc.close()
    return found[0] if found else None
