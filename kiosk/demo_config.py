"""Write a ready-to-run kiosk config (simulated printer, mock-friendly pins) for demos and tests."""

from __future__ import annotations

from pathlib import Path

from .config import DEFAULT_RATING_LABELS, parse_config

# BCM pins chosen once so that every role fits on one Pi without clashes.
STATUS_LED = 4
TICKET_PINS = (5, 6, 13, 19, 26, 12, 16, 20, 21)
PRIORITY_PIN, PRIORITY_LED = 17, 27
RATING_PINS = (22, 23, 24, 25, 18)
RATING_LED = 10
COUNTER_PINS = {"next": 2, "recall": 3, "finish": 7, "no-show": 8}
COUNTER_LED = 11


def _q(text: str) -> str:
    """A TOML basic string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def demo_config_text(
    *,
    server: str,
    device: str,
    token: str,
    roles: list[str] | tuple[str, ...] = ("ticket",),
    services: list[tuple[str, str]] | tuple = (("A", "Đất đai"), ("B", "Hộ tịch")),
    scores: tuple[int, ...] = (5, 4, 3, 2),
    data_dir: str | Path = "data",
    paper_mm: int = 80,
    printer: str = "png",
) -> str:
    """The TOML text of a demo config; raises ValueError for an impossible request."""
    roles = list(roles)
    if len(services) > len(TICKET_PINS):
        raise ValueError(f"at most {len(TICKET_PINS)} services on one demo kiosk")
    if len(scores) > len(RATING_PINS):
        raise ValueError(f"at most {len(RATING_PINS)} rating buttons on one demo kiosk")
    out = [
        "# Kiosk agent config (written by `python -m kiosk write-demo-config`). See docs/kiosk.md.",
        "[kiosk]",
        f"roles = [{', '.join(_q(r) for r in roles)}]",
        f"data_dir = {_q(data_dir)}",
        f"status_led = {STATUS_LED}",
        "",
        "[server]",
        f"url = {_q(server)}",
        f"device = {_q(device)}",
        f"token = {_q(token)}",
        "",
    ]
    if "ticket" in roles:
        out += ["[printer]", f"kind = {_q(printer)}", f"paper_mm = {paper_mm}", ""]
        out += ["[ticket]", "lockout_s = 1.5", ""]
        for pin, (code, label) in zip(TICKET_PINS, services):
            out += ["[[ticket.buttons]]", f"pin = {pin}", f"service = {_q(code)}", f"label = {_q(label)}", ""]
        out += ["[ticket.priority]", f"pin = {PRIORITY_PIN}", f"led = {PRIORITY_LED}", "window_s = 10", ""]
    if "rating" in roles:
        out += ["[rating]", "lockout_s = 3.0", f"led = {RATING_LED}", ""]
        for pin, score in zip(RATING_PINS, scores):
            out += ["[[rating.buttons]]", f"pin = {pin}", f"score = {score}", f"label = {_q(DEFAULT_RATING_LABELS[score])}", ""]
    if "counter" in roles:
        out += ["[counter]", "lockout_s = 1.0", f"led = {COUNTER_LED}", ""]
        for action, pin in COUNTER_PINS.items():
            out += ["[[counter.buttons]]", f"pin = {pin}", f"action = {_q(action)}", ""]
    text = "\n".join(out)
    parse_config(text, file="demo config")  # fail here, not at the kiosk's start
    return text


def write_demo_config(out: str | Path, **kwargs) -> Path:
    """Write `demo_config_text(**kwargs)` to `out` (mode 0600: it holds a token); returns the path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = demo_config_text(**kwargs)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text, encoding="utf-8")
    return path
