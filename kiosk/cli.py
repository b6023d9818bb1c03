"""Command line: `python -m kiosk --config FILE [--simulate]`, `python -m kiosk write-demo-config ...`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from . import __version__
from .config import ROLES, ConfigError, load_config, parse_config


def skip_unused_imports() -> None:
    """Keep python-socketio from importing aiohttp and requests, which the agent never uses.

    engineio imports both when installed (for asyncio clients and HTTP long-polling); the agent
    speaks websocket only. Skipping them saves ~15 MB of resident memory on a Pi. Only the CLI
    calls this, before anything imports socketio.
    """
    for name in ("aiohttp", "requests"):
        if name not in sys.modules:
            sys.modules[name] = None  # makes `import name` raise ImportError, which engineio handles


def keep_escpos_cache(data_dir: Path) -> None:
    """Point python-escpos's printer-profile cache at data_dir/cache unless already set.

    By default python-escpos parses its profile database with PyYAML at every start and pickles it
    into a fresh temporary folder that is never reused or removed: slow on a Pi 3, ~3 MB more
    memory, and one stray folder in /tmp per start. A fixed folder makes every later start load
    the pickle.
    """
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
        cache = Path(data_dir) / "cache"
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(cache)


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kiosk",
        description="Kiosk agent: ticket / rating / counter buttons, thermal printer, outbox.",
        epilog="Other commands: python -m kiosk write-demo-config --help; python -m kiosk sample-ticket --help",
    )
    p.add_argument("--config", type=Path, help="the kiosk's TOML config (see deploy/kiosk/kiosk.example.toml)")
    p.add_argument("--simulate", action="store_true", help="mock GPIO pins, tickets as PNG files, keys as buttons")
    p.add_argument("--keys-fifo", type=Path, help="(simulator) also read key lines from this named pipe")
    p.add_argument("--check", action="store_true", help="check the config and exit (0 when fine)")
    p.add_argument("--version", action="version", version=f"kiosk {__version__}")
    g = p.add_argument_group("simulator without --config")
    g.add_argument("--server", default=os.environ.get("KIOSK_SERVER", "http://127.0.0.1:5000"))
    g.add_argument("--device", default=os.environ.get("KIOSK_DEVICE", "kiosk-sim"))
    g.add_argument("--token", default=os.environ.get("KIOSK_TOKEN", ""))
    g.add_argument("--roles", default="ticket,rating", help="comma-separated roles (default ticket,rating)")
    g.add_argument("--data-dir", type=Path, help="where the outbox and PNG tickets go (default ./kiosk-data/DEVICE)")
    return p


def _demo_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m kiosk write-demo-config",
        description="Write a kiosk config with a simulated (PNG) printer, for demos and `make run`.",
    )
    p.add_argument("--server", required=True, help="server URL, e.g. http://127.0.0.1:5000")
    p.add_argument("--device", required=True, help="device id registered on the server")
    p.add_argument("--token", required=True, help="the device's token")
    p.add_argument("--role", default="ticket", help=f"comma-separated roles among {', '.join(ROLES)}")
    p.add_argument(
        "--service", action="append", default=[], metavar="CODE=LABEL",
        help="a ticket button (repeatable); default A=Đất đai, B=Hộ tịch",
    )
    p.add_argument("--scores", default="5,4,3,2", help="scores of the rating buttons, left to right")
    p.add_argument("--data-dir", default=None, help="outbox and PNG folder (default: data/ beside the config)")
    p.add_argument("--paper-mm", type=int, default=80, choices=(58, 80))
    p.add_argument("--out", required=True, type=Path, help="file to write (mode 0600)")
    return p


def _setup_logging(level: str, simulate: bool) -> None:
    fmt = "%(asctime)s %(levelname)s %(message)s" if simulate else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), format=fmt, datefmt="%H:%M:%S")
    # The link reports connection trouble itself, once; keep only the libraries' warnings and errors.
    for noisy in ("socketio.client", "engineio.client", "websocket"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def write_demo_config_main(argv: list[str]) -> int:
    from .demo_config import write_demo_config

    args = _demo_parser().parse_args(argv)
    services = []
    for item in args.service or ["A=Đất đai", "B=Hộ tịch"]:
        code, _, label = item.partition("=")
        services.append((code.strip(), (label or code).strip()))
    kwargs = dict(
        server=args.server,
        device=args.device,
        token=args.token,
        roles=[r.strip() for r in args.role.split(",") if r.strip()],
        services=services,
        scores=tuple(int(s) for s in args.scores.split(",") if s.strip()),
        paper_mm=args.paper_mm,
    )
    if args.data_dir:
        kwargs["data_dir"] = str(Path(args.data_dir).resolve())
    try:
        path = write_demo_config(args.out, **kwargs)
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _simulator_config(args):
    from .demo_config import demo_config_text

    if not args.token:
        raise ConfigError(
            "the simulator needs --config FILE, or --token (or KIOSK_TOKEN) of a device registered on the server",
            key="--token",
        )
    data_dir = args.data_dir or Path.cwd() / "kiosk-data" / args.device
    text = demo_config_text(
        server=args.server, device=args.device, token=args.token,
        roles=[r.strip() for r in args.roles.split(",") if r.strip()], data_dir=str(Path(data_dir).resolve()),
    )
    return parse_config(text, file="(built-in simulator config)")


def sample_ticket_main(argv: list[str]) -> int:
    """`python -m kiosk sample-ticket --out FILE [--paper-mm 58|80]`: draw the docs' sample ticket."""
    from .ticket_image import render_ticket, sample_ticket

    p = argparse.ArgumentParser(prog="python -m kiosk sample-ticket", description=sample_ticket_main.__doc__)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--paper-mm", type=int, default=80, choices=(58, 80))
    args = p.parse_args(argv)
    render_ticket(sample_ticket(), width_px=576 if args.paper_mm == 80 else 384).save(args.out)
    print(args.out)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["write-demo-config"]:
        return write_demo_config_main(argv[1:])
    if argv[:1] == ["sample-ticket"]:
        return sample_ticket_main(argv[1:])
    args = _run_parser().parse_args(argv)
    try:
        if args.config:
            config = load_config(args.config)
        elif args.simulate:
            config = _simulator_config(args)
        else:
            raise ConfigError("give --config FILE (or --simulate to try it without hardware)")
    except ConfigError as exc:
        print(f"kiosk: configuration error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        print(f"{config.path}: OK (roles: {', '.join(config.kiosk.roles)})")
        return 0

    skip_unused_imports()
    _setup_logging(config.kiosk.log_level, args.simulate)
    keep_escpos_cache(config.kiosk.data_dir)
    from .agent import Agent
    from .panel import make_pin_factory

    if args.simulate:
        from .simulate import simulated

        config = simulated(config)
    try:
        pin_factory = make_pin_factory(simulate=args.simulate)
    except Exception as exc:  # noqa: BLE001 - gpiozero raises BadPinFactory or an ImportError of lgpio
        print(f"kiosk: no GPIO pin factory ({exc}); set GPIOZERO_PIN_FACTORY=lgpio on a Pi, or use --simulate",
              file=sys.stderr)
        return 3

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    agent = Agent(config, pin_factory=pin_factory, announce_leds=args.simulate)
    agent.start()
    if args.simulate:
        from .simulate import start_input

        start_input(config, pin_factory, stop, stop.set, keys_fifo=args.keys_fifo)
        if "ticket" in config.kiosk.roles:
            logging.getLogger("kiosk").info("tickets are written as PNG files to %s", config.printer.png_dir)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        logging.getLogger("kiosk").info("stopping")
        agent.stop()
    return 0
