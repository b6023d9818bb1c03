"""The kiosk's TOML configuration: parsed once at start, checked strictly, then frozen.

Every mistake (unknown key, wrong type, pin used twice, missing token, bad paper width) raises
`ConfigError` whose message names the file, the line and the key to fix.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .toml_check import ConfigError, Context, Locator, Table, checkers, format_key

__all__ = ["Config", "ConfigError", "load_config", "parse_config"]

ROLES = ("ticket", "rating", "counter")
PRINTER_KINDS = ("usb", "serial", "network", "file", "png", "none")
COUNTER_ACTIONS = ("next", "recall", "finish", "no-show", "serve", "pause", "resume")
PAPER_WIDTHS_MM = (58, 80)

DEFAULT_RATING_LABELS = {
    5: "Rất hài lòng",
    4: "Hài lòng",
    3: "Bình thường",
    2: "Không hài lòng",
    1: "Rất không hài lòng",
}


@dataclass(frozen=True)
class ServerConfig:
    url: str  # empty: found on the LAN by mDNS (kiosk/discovery.py)
    device: str
    token: str = field(repr=False)
    connect_timeout_s: float = 5.0
    ticket_timeout_s: float = 3.0
    call_timeout_s: float = 10.0
    counter_timeout_s: float = 3.0
    reconnect_max_s: float = 5.0
    # Local IPv4 addresses to look for the server on by mDNS (empty: every interface).
    mdns_interfaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrinterConfig:
    kind: str = "none"
    paper_mm: int = 80
    usb_vendor: int | None = None
    usb_product: int | None = None
    usb_in_ep: int = 0x82
    usb_out_ep: int = 0x01
    serial_port: str = ""
    baudrate: int = 9600
    host: str = ""
    port: int = 9100
    path: str = ""
    timeout_s: float = 5.0
    status_query: bool = True
    png_dir: str = ""

    @property
    def width_px(self) -> int:
        """Printable width in dots at 203 dpi: 576 for 80 mm paper, 384 for 58 mm."""
        return 576 if self.paper_mm == 80 else 384


@dataclass(frozen=True)
class TicketButton:
    pin: int
    service: str
    label: str
    priority: bool = False


@dataclass(frozen=True)
class PriorityButton:
    pin: int
    led: int | None = None
    window_s: float = 10.0


@dataclass(frozen=True)
class TicketConfig:
    buttons: tuple[TicketButton, ...]
    lockout_s: float = 1.5
    priority: PriorityButton | None = None


@dataclass(frozen=True)
class RatingButton:
    pin: int
    score: int
    label: str
    led: int | None = None


@dataclass(frozen=True)
class RatingConfig:
    buttons: tuple[RatingButton, ...]
    lockout_s: float = 3.0
    led: int | None = None


@dataclass(frozen=True)
class CounterButton:
    pin: int
    action: str


@dataclass(frozen=True)
class CounterConfig:
    buttons: tuple[CounterButton, ...]
    lockout_s: float = 1.0
    led: int | None = None


@dataclass(frozen=True)
class KioskConfig:
    roles: tuple[str, ...]
    data_dir: Path
    status_led: int | None = None
    status_interval_s: float = 30.0
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "info"
    # Buttons wire the GPIO to ground by default (internal pull-up), the usual arcade-button wiring.
    button_pull_up: bool = True


@dataclass(frozen=True)
class Config:
    path: Path
    kiosk: KioskConfig
    server: ServerConfig
    printer: PrinterConfig
    ticket: TicketConfig | None = None
    rating: RatingConfig | None = None
    counter: CounterConfig | None = None


def _read_server(ctx, c, table: Table, base: Path) -> ServerConfig:
    url = table.get("url", c["string"], "").strip()
    if url and not re.match(r"^https?://[^/\s]+", url):
        raise ctx.error(("server", "url"), f"must look like http://HOST:PORT, not {url!r}")
    token = table.get("token", c["string"], None)
    token_file = table.get("token_file", c["nonempty"], None)
    if token is not None and token_file is not None:
        raise ctx.error(("server", "token_file"), "give either token or token_file, not both")
    if token_file is not None:
        token_path = (base / token_file).expanduser()
        try:
            token = token_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ctx.error(("server", "token_file"), f"cannot read {token_path}: {exc.strerror}") from None
    if not token or not token.strip():
        raise ctx.error(
            ("server", "token"),
            "missing token: set token = \"...\" (or token_file) to the secret printed by `python -m server add-device`",
        )
    server = ServerConfig(
        url=url.rstrip("/"),
        device=table.get("device", c["nonempty"]),
        token=token.strip(),
        connect_timeout_s=table.get("connect_timeout_s", c["positive_seconds"], 5.0),
        ticket_timeout_s=table.get("ticket_timeout_s", c["positive_seconds"], 3.0),
        call_timeout_s=table.get("call_timeout_s", c["positive_seconds"], 10.0),
        counter_timeout_s=table.get("counter_timeout_s", c["positive_seconds"], 3.0),
        reconnect_max_s=table.get("reconnect_max_s", c["positive_seconds"], 5.0),
        mdns_interfaces=tuple(table.get("mdns_interfaces", _addresses(ctx), [])),
    )
    table.done()
    return server


def _addresses(ctx):
    def check(path, value):
        if not isinstance(value, list) or not all(
                isinstance(v, str) and re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", v) for v in value):
            raise ctx.error(path, f"must be a list of IPv4 addresses such as [\"192.168.1.20\"], not {value!r}")
        return value

    return check


def _read_printer(ctx, c, table: Table | None, base: Path) -> PrinterConfig:
    if table is None:
        return PrinterConfig()
    kind = table.get("kind", c["one_of"](PRINTER_KINDS))
    paper = table.get("paper_mm", c["integer"], 80)
    if paper not in PAPER_WIDTHS_MM:
        raise ctx.error(("printer", "paper_mm"), f"paper width must be 58 or 80 (mm), not {paper}")
    needs = {
        "usb": ("usb_vendor", "usb_product"),
        "serial": ("serial_port",),
        "network": ("host",),
        "file": ("path",),
    }.get(kind, ())
    values = dict(
        usb_vendor=table.get("usb_vendor", c["usb_id"], None),
        usb_product=table.get("usb_product", c["usb_id"], None),
        usb_in_ep=table.get("usb_in_ep", c["integer"], 0x82),
        usb_out_ep=table.get("usb_out_ep", c["integer"], 0x01),
        serial_port=table.get("serial_port", c["nonempty"], ""),
        baudrate=table.get("baudrate", c["integer"], 9600),
        host=table.get("host", c["nonempty"], ""),
        port=table.get("port", c["port"], 9100),
        path=table.get("path", c["nonempty"], ""),
        png_dir=table.get("png_dir", c["nonempty"], ""),
    )
    if values["png_dir"]:
        values["png_dir"] = str((base / Path(values["png_dir"]).expanduser()))
    for key in needs:
        if not values[key]:
            raise ctx.error(("printer", key), f"is missing: printer kind {kind!r} needs {', '.join(needs)}")
    printer = PrinterConfig(
        kind=kind,
        paper_mm=paper,
        timeout_s=table.get("timeout_s", c["positive_seconds"], 5.0),
        status_query=table.get("status_query", c["boolean"], True),
        **values,
    )
    table.done()
    return printer


def _read_ticket(ctx, c, table: Table) -> TicketConfig:
    buttons = []
    for item in table.array("buttons"):
        buttons.append(
            TicketButton(
                pin=item.get("pin", c["pin"]),
                service=item.get("service", c["nonempty"]),
                label=item.get("label", c["nonempty"], ""),
                priority=item.get("priority", c["boolean"], False),
            )
        )
        item.done()
    priority = None
    sub = table.sub("priority")
    if sub is not None:
        priority = PriorityButton(
            pin=sub.get("pin", c["pin"]),
            led=sub.get("led", c["pin"], None),
            window_s=sub.get("window_s", c["positive_seconds"], 10.0),
        )
        sub.done()
    ticket = TicketConfig(
        buttons=tuple(b if b.label else TicketButton(b.pin, b.service, b.service, b.priority) for b in buttons),
        lockout_s=table.get("lockout_s", c["seconds"], 1.5),
        priority=priority,
    )
    table.done()
    return ticket


def _read_rating(ctx, c, table: Table) -> RatingConfig:
    buttons = []
    scores: dict[int, int] = {}
    for i, item in enumerate(table.array("buttons")):
        score = item.get("score", c["integer"])
        if score not in DEFAULT_RATING_LABELS:
            raise ctx.error(("rating", "buttons", i, "score"), f"score must be 1 to 5, not {score}")
        if score in scores:
            raise ctx.error(
                ("rating", "buttons", i, "score"),
                f"score {score} is already given by rating.buttons[{scores[score] + 1}]",
            )
        scores[score] = i
        buttons.append(
            RatingButton(
                pin=item.get("pin", c["pin"]),
                score=score,
                label=item.get("label", c["nonempty"], DEFAULT_RATING_LABELS[score]),
                led=item.get("led", c["pin"], None),
            )
        )
        item.done()
    rating = RatingConfig(
        buttons=tuple(buttons),
        lockout_s=table.get("lockout_s", c["seconds"], 3.0),
        led=table.get("led", c["pin"], None),
    )
    table.done()
    return rating


def _read_counter(ctx, c, table: Table) -> CounterConfig:
    buttons = []
    for item in table.array("buttons"):
        buttons.append(CounterButton(pin=item.get("pin", c["pin"]), action=item.get("action", c["one_of"](COUNTER_ACTIONS))))
        item.done()
    counter = CounterConfig(
        buttons=tuple(buttons),
        lockout_s=table.get("lockout_s", c["seconds"], 1.0),
        led=table.get("led", c["pin"], None),
    )
    table.done()
    return counter


def _pins_in_use(config: Config) -> list[tuple[tuple, int]]:
    """Every (key path, pin) the config claims, in file order."""
    used: list[tuple[tuple, int]] = []
    if config.kiosk.status_led is not None:
        used.append((("kiosk", "status_led"), config.kiosk.status_led))
    if config.ticket:
        for i, b in enumerate(config.ticket.buttons):
            used.append((("ticket", "buttons", i, "pin"), b.pin))
        if config.ticket.priority:
            used.append((("ticket", "priority", "pin"), config.ticket.priority.pin))
            if config.ticket.priority.led is not None:
                used.append((("ticket", "priority", "led"), config.ticket.priority.led))
    if config.rating:
        if config.rating.led is not None:
            used.append((("rating", "led"), config.rating.led))
        for i, b in enumerate(config.rating.buttons):
            used.append((("rating", "buttons", i, "pin"), b.pin))
            if b.led is not None:
                used.append((("rating", "buttons", i, "led"), b.led))
    if config.counter:
        if config.counter.led is not None:
            used.append((("counter", "led"), config.counter.led))
        for i, b in enumerate(config.counter.buttons):
            used.append((("counter", "buttons", i, "pin"), b.pin))
    return used


def _check_pins(ctx: Context, config: Config) -> None:
    first: dict[int, tuple] = {}
    for path, pin in _pins_in_use(config):
        if pin in first:
            other = first[pin]
            line = ctx.locator.line(other)
            where = f" (line {line})" if line else ""
            raise ctx.error(path, f"GPIO {pin} is already used by {format_key(other)}{where}")
        first[pin] = path


def parse_config(text: str, *, file: str = "config", base: Path | None = None) -> Config:
    """Parse and check TOML text; relative paths resolve against `base` (the file's folder)."""
    base = base or Path.cwd()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"not valid TOML: {exc}", line=int(match.group(1)) if match else None, file=file) from None
    ctx = Context(file, Locator(text))
    c = checkers(ctx)
    root = Table(ctx, (), data)

    kiosk_table = root.sub("kiosk")
    if kiosk_table is None:
        raise ctx.error(("kiosk",), "missing [kiosk] table (with roles = [\"ticket\"] or [\"rating\"])")
    roles = kiosk_table.get("roles", lambda p, v: v)
    if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles) or len(set(roles)) != len(roles):
        raise ctx.error(("kiosk", "roles"), f"must be a list of distinct roles among {', '.join(ROLES)}, not {roles!r}")
    data_dir = Path(kiosk_table.get("data_dir", c["nonempty"], "data")).expanduser()
    kiosk = KioskConfig(
        roles=tuple(roles),
        data_dir=data_dir if data_dir.is_absolute() else (base / data_dir),
        status_led=kiosk_table.get("status_led", c["pin"], None),
        status_interval_s=kiosk_table.get("status_interval_s", c["positive_seconds"], 30.0),
        timezone=kiosk_table.get("timezone", c["nonempty"], "Asia/Ho_Chi_Minh"),
        log_level=kiosk_table.get("log_level", c["one_of"](("debug", "info", "warning", "error")), "info"),
        button_pull_up=kiosk_table.get("button_pull_up", c["boolean"], True),
    )
    kiosk_table.done()

    server_table = root.sub("server")
    if server_table is None:
        raise ctx.error(("server",), "missing [server] table (url, device, token)")
    server = _read_server(ctx, c, server_table, base)
    printer = _read_printer(ctx, c, root.sub("printer"), base)

    sections = {}
    readers = {"ticket": _read_ticket, "rating": _read_rating, "counter": _read_counter}
    for role, reader in readers.items():
        table = root.sub(role)
        if table is None and role in roles:
            raise ctx.error(("kiosk", "roles"), f"role {role!r} is listed but the file has no [{role}] table")
        if table is not None and role not in roles:
            raise ctx.error((role,), f"[{role}] is configured but {role!r} is not in kiosk.roles")
        sections[role] = reader(ctx, c, table) if table is not None else None
    root.done()

    if "ticket" in roles and printer.kind == "none":
        raise ctx.error(("printer", "kind"), "the ticket role needs a printer: add a [printer] table")

    config = Config(path=Path(file), kiosk=kiosk, server=server, printer=printer, **sections)
    _check_pins(ctx, config)
    return config


def load_config(path: str | Path) -> Config:
    """Read and check the TOML file at `path`; raises ConfigError naming the line to fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("the config file must be UTF-8 text", file=str(path)) from None
    return parse_config(text, file=str(path), base=path.resolve().parent)
