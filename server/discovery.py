"""The server announces itself on the center's LAN by mDNS/DNS-SD, so that kiosks and displays
set up without an address find it (kiosk/discovery.py, deploy/display/qms-display.sh).

One `_qms._tcp` service named after the machine, with the port and a TXT record (`path`, the
center's name). The announcement runs on zeroconf's own thread and event loop, beside whatever
serves the app (gevent's hub or gunicorn); a failure to announce is logged and the server runs on:
devices with an address in their config still reach it.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger("qms.discovery")

SERVICE_TYPE = "_qms._tcp.local."  # kiosk/discovery.py has its own copy (the agent imports no server code)


def interfaces(setting: str | None) -> list[str] | None:
    """The `mdns_interfaces` setting: None when off, [] for every interface, else the addresses."""
    value = (setting or "").strip()
    if value.lower() == "off":
        return None
    return [a.strip() for a in value.split(",") if a.strip()]


def addresses(host: str, chosen: list[str]) -> list[str]:
    """The IPv4 addresses to announce: the one the server listens on, or when it listens on
    every address, those of the chosen interfaces (every non-loopback one by default)."""
    if host not in ("0.0.0.0", "", "::"):
        return [host]
    if chosen:
        return chosen
    import ifaddr  # zeroconf's own dependency

    return [ip.ip for adapter in ifaddr.get_adapters() for ip in adapter.ips
            if isinstance(ip.ip, str) and not ip.ip.startswith("127.")]


class Announcement:
    """The server's service record on the LAN, from `start()` to `close()`."""

    def __init__(self, host: str, port: int, *, center: str, chosen: list[str], name: str | None = None):
        self.host, self.port, self.center, self.chosen = host, port, center, chosen
        self.name = name or f"QMS {socket.gethostname()}"
        self._zc = None
        self._info = None
        self._pid = os.getpid()
        self.announced = ""  # "NAME on ADDRESSES port PORT" once registered

    def start(self) -> "Announcement":
        from zeroconf import InterfaceChoice, IPVersion, ServiceInfo, Zeroconf

        try:
            found = addresses(self.host, self.chosen)
            if not found:
                log.warning("mDNS: no IPv4 address to announce")
                return self
            label = self.name.encode("utf-8")[:63].decode("utf-8", "ignore")  # a DNS label's limit
            self._info = ServiceInfo(
                SERVICE_TYPE, f"{label}.{SERVICE_TYPE}", port=self.port,
                addresses=[socket.inet_aton(a) for a in found],
                properties={"path": "/", "center": self.center.encode("utf-8")[:200]},
                server=f"{socket.gethostname()}.local.")
            self._zc = Zeroconf(interfaces=self.chosen or InterfaceChoice.All, ip_version=IPVersion.V4Only)
            # allow_name_change: a second server (or a restart before the old record expired)
            # gets "QMS host (2)" instead of failing.
            self._zc.register_service(self._info, allow_name_change=True)
            self.announced = f"{self._info.name} {', '.join(found)}:{self.port}"
            log.info("mDNS: announced %s", self.announced)
        except Exception:  # noqa: BLE001 - the server serves without it
            log.exception("mDNS announcement failed; devices need the server's address in their config")
            self.close()
        return self

    def close(self) -> None:
        zc, self._zc = self._zc, None
        # Only in the process that announced: gunicorn's worker is a fork of it (without
        # zeroconf's thread) and leaves through the same `finally`.
        if zc is None or os.getpid() != self._pid:
            return
        try:
            if self._info is not None:
                zc.unregister_service(self._info)
        finally:
            zc.close()
