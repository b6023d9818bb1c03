"""The ticket printer: python-escpos drivers (or a PNG folder in the simulator) behind one service.

Printer trouble never stops the agent: every python-escpos, pyusb and OS error is caught, the
printer object is dropped and re-created on the next use (so a printer that was unplugged or
power-cycled comes back by itself), and the state is reported as ok / paper_low / paper_out /
offline / none.
"""

from __future__ import annotations

import copy
import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Protocol

from .config import PrinterConfig

if TYPE_CHECKING:  # Pillow is loaded only by kiosks that print
    from PIL import Image

log = logging.getLogger("kiosk.printer")

OK, PAPER_LOW, PAPER_OUT, OFFLINE, NONE = "ok", "paper_low", "paper_out", "offline", "none"
_PAPER_LEVELS = {2: OK, 1: PAPER_LOW, 0: PAPER_OUT}


class PrintFailed(Exception):
    """The ticket did not come out whole. `state` is the printer state, `reason` a short text."""

    def __init__(self, state: str, reason: str):
        super().__init__(reason)
        self.state = state
        self.reason = reason[:200]


class Driver(Protocol):
    def probe(self) -> str: ...

    def print_image(self, image: "Image.Image", name: str) -> str: ...

    def close(self) -> None: ...


def _errors() -> tuple[type[BaseException], ...]:
    """Exceptions a printer connection can raise: python-escpos's, pyusb's and pyserial's are OSError or escpos Error."""
    from escpos.exceptions import Error as EscposError

    # AssertionError: python-escpos asserts on a device object left None by a failed open.
    return (EscposError, OSError, AssertionError, ValueError)


def _is_timeout(exc: BaseException) -> bool:
    try:
        from usb.core import USBTimeoutError
    except ImportError:  # pragma: no cover - pyusb is a dependency
        USBTimeoutError = TimeoutError  # noqa: N806
    return isinstance(exc, (TimeoutError, USBTimeoutError))


def escpos_factory(config: PrinterConfig) -> Callable[[], object]:
    """A function that builds a fresh, unopened python-escpos printer for `config`."""
    from escpos import printer as escpos_printer

    kind = config.kind
    if kind == "usb":
        return lambda: escpos_printer.Usb(
            config.usb_vendor,
            config.usb_product,
            timeout=int(config.timeout_s * 1000),
            in_ep=config.usb_in_ep,
            out_ep=config.usb_out_ep,
        )
    if kind == "serial":
        return lambda: escpos_printer.Serial(devfile=config.serial_port, baudrate=config.baudrate, timeout=config.timeout_s)
    if kind == "network":
        return lambda: escpos_printer.Network(host=config.host, port=config.port, timeout=config.timeout_s)
    if kind == "file":
        return lambda: escpos_printer.File(devfile=config.path)
    raise ValueError(f"no python-escpos printer for kind {kind!r}")


def _set_media_width(printer, width_px: int) -> None:
    # The default profile has no paper width, so python-escpos prints a warning on every image. The
    # profile's data dict is shared by every instance of its class: copy it before changing it.
    data = copy.deepcopy(printer.profile.profile_data)
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = width_px
    printer.profile.profile_data = data


class EscposDriver:
    """One python-escpos printer object, opened on first use and re-created after any failure."""

    def __init__(self, factory: Callable[[], object], width_px: int, *, status_query: bool = True):
        self._factory = factory
        self._width_px = width_px
        self._status_query = status_query
        self._can_query = status_query
        self._printer = None
        self.errors = _errors()

    def _open(self):
        if self._printer is None:
            printer = self._factory()
            _set_media_width(printer, self._width_px)
            printer.open()
            self._printer = printer
            self._can_query = self._status_query
        return self._printer

    def _drop(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except Exception:  # noqa: BLE001 - the device is gone already; closing is best effort
                pass

    def _paper(self, printer) -> str:
        if not self._can_query:
            return OK
        try:
            level = printer.paper_status()
        except NotImplementedError:
            self._can_query = False  # File and Dummy cannot read back
            return OK
        except self.errors as exc:
            if _is_timeout(exc):
                # Some printers never answer DLE EOT; don't call them offline for it.
                log.info("printer does not answer status queries (%s); paper state unknown", exc)
                self._can_query = False
                return OK
            raise
        return _PAPER_LEVELS.get(level, OK)

    def probe(self) -> str:
        """Open the printer if needed and read its paper state; 'offline' when unreachable."""
        try:
            return self._paper(self._open())
        except self.errors as exc:
            log.debug("printer probe failed: %r", exc)
            self._drop()
            return OFFLINE

    def print_image(self, image: "Image.Image", name: str) -> str:
        """Print `image` then cut; returns the paper state after printing, or raises PrintFailed."""
        try:
            printer = self._open()
        except self.errors as exc:
            self._drop()
            raise PrintFailed(OFFLINE, f"offline: {_short(exc)}") from exc
        try:
            printer.image(image, impl="bitImageRaster")
            printer.cut()
            state = self._paper(printer)
        except self.errors as exc:
            self._drop()
            raise PrintFailed(OFFLINE, f"offline: {_short(exc)}") from exc
        if state == PAPER_OUT:
            raise PrintFailed(PAPER_OUT, "paper_out: the paper ran out while printing")
        return state

    def close(self) -> None:
        self._drop()


class PngDriver:
    """The simulator's printer: each ticket becomes a PNG file in a folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.last_path: Path | None = None

    def probe(self) -> str:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return OFFLINE
        return OK

    def print_image(self, image: "Image.Image", name: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", name) or "ticket"
        path = self.folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{safe}.png"
        part = path.with_name(path.name + ".part")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Whole files only: whoever watches the folder never opens a half-written ticket.
            image.save(part, format="PNG")
            os.replace(part, path)
        except OSError as exc:
            raise PrintFailed(OFFLINE, f"offline: {_short(exc)}") from exc
        self.last_path = path
        log.info("ticket %s printed to %s", name, path)
        return OK

    def close(self) -> None:
        pass


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:180]


class Printer:
    """Thread-safe front of a driver that remembers the last state and reports its changes."""

    def __init__(self, driver: Driver | None, on_change: Callable[[str], None] | None = None):
        self._driver = driver
        self._on_change = on_change or (lambda state: None)
        self._lock = threading.Lock()
        self._state = NONE if driver is None else OFFLINE
        self._state_lock = threading.Lock()
        self.detail = ""  # the last failure's reason while the state is not ok

    @property
    def state(self) -> str:
        return self._state

    def _set(self, state: str, detail: str = "") -> None:
        with self._state_lock:
            changed, self._state = state != self._state, state
            self.detail = "" if state in (OK, PAPER_LOW, NONE) else (detail or self.detail)
        if changed:
            log.info("printer state: %s", state)
            self._on_change(state)

    def probe(self) -> str:
        """Refresh and return the state (reconnects a printer that came back)."""
        if self._driver is None:
            return NONE
        with self._lock:
            state = self._driver.probe()
        self._set(state)
        return state

    def print_image(self, image: "Image.Image", name: str) -> None:
        """Print one ticket; raises PrintFailed (and records the state) when it did not come out."""
        if self._driver is None:
            raise PrintFailed(NONE, "none: no printer configured")
        with self._lock:
            try:
                state = self._driver.print_image(image, name)
            except PrintFailed as exc:
                self._set(exc.state, exc.reason)
                raise
            except Exception as exc:  # noqa: BLE001 - an unknown driver error must not lose the ticket silently
                log.exception("unexpected printer error")
                self._driver.close()
                self._set(OFFLINE, f"offline: {_short(exc)}")
                raise PrintFailed(OFFLINE, f"offline: {_short(exc)}") from exc
        self._set(state)

    def close(self) -> None:
        if self._driver is not None:
            with self._lock:
                self._driver.close()


def build_driver(config: PrinterConfig) -> Driver | None:
    """The driver for `config`: None for kind 'none', a PNG folder for 'png', else python-escpos."""
    if config.kind == "none":
        return None
    if config.kind == "png":
        return PngDriver(Path(config.png_dir or "tickets"))
    return EscposDriver(escpos_factory(config), config.width_px, status_query=config.status_query)
