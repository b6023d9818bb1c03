"""The simulator: mock GPIO pins, tickets as PNG files, keys (or lines) standing in for buttons.

Keys act on the mock pins themselves (pin driven low, then high), so a simulated press goes
through the same gpiozero callbacks, lockout and queues as a real one.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import select
import stat
import sys
import threading
from pathlib import Path
from typing import Callable, TextIO

from .config import Config

log = logging.getLogger("kiosk.simulate")

TICKET_KEYS = "123456789"
RATING_KEYS = "asdfg"
PRIORITY_KEY = "p"
COUNTER_KEYS = {"next": "n", "recall": "l", "finish": "h", "no-show": "v", "serve": "b", "pause": "z", "resume": "c"}
QUIT_KEYS = ("q", "\x03", "\x04")


@dataclasses.dataclass(frozen=True)
class Key:
    key: str
    pin: int
    names: tuple[str, ...]  # other spellings accepted on a line, e.g. "ticket:A", "rating:5"
    help: str


def simulated(config: Config) -> Config:
    """`config` with the printer replaced by a PNG folder (data_dir/tickets unless png_dir is set)."""
    if "ticket" not in config.kiosk.roles:
        return config
    folder = config.printer.png_dir or str(Path(config.kiosk.data_dir) / "tickets")
    return dataclasses.replace(config, printer=dataclasses.replace(config.printer, kind="png", png_dir=folder))


def keymap(config: Config) -> list[Key]:
    """The keys of this config's buttons, in the order they are listed."""
    keys: list[Key] = []
    if config.ticket:
        for key, b in zip(TICKET_KEYS, config.ticket.buttons):
            what = f"lấy số {b.label} ({b.service})" + (", ưu tiên" if b.priority else "")
            keys.append(Key(key, b.pin, (f"ticket:{b.service}".lower(),), what))
        if config.ticket.priority:
            keys.append(Key(PRIORITY_KEY, config.ticket.priority.pin, ("priority",), "ưu tiên (rồi bấm số lĩnh vực)"))
    if config.rating:
        for key, b in zip(RATING_KEYS, config.rating.buttons):
            keys.append(Key(key, b.pin, (f"rating:{b.score}",), f"đánh giá {b.score}: {b.label}"))
    if config.counter:
        for b in config.counter.buttons:
            key = COUNTER_KEYS[b.action]
            keys.append(Key(key, b.pin, (f"counter:{b.action}",), f"quầy: {b.action}"))
    return keys


def help_text(keys: list[Key], *, tty: bool) -> str:
    lines = ["Phím mô phỏng nút bấm / simulator keys:"]
    lines += [f"  {k.key}  {k.help}   (or a line: {k.names[0]})" for k in keys]
    lines.append("  q  thoát / quit" if tty else "  (one key or name per line on stdin; EOF keeps running)")
    return "\n".join(lines)


class Presser:
    """Presses mock buttons by key or name."""

    def __init__(self, pin_factory, keys: list[Key], pull_up: bool = True):
        self.pin_factory = pin_factory
        self.pull_up = pull_up
        self.by_name: dict[str, Key] = {}
        for k in keys:
            self.by_name[k.key] = k
            for name in k.names:
                self.by_name[name] = k

    def press(self, key: Key) -> None:
        pin = self.pin_factory.pin(key.pin)
        if self.pull_up:
            pin.drive_low()
            pin.drive_high()
        else:
            pin.drive_high()
            pin.drive_low()

    def line(self, text: str) -> list[str]:
        """Act on one input line (a name like "rating:5", or a run of keys like "p1"); returns unknown parts."""
        text = text.strip().lower()
        if not text:
            return []
        if text in self.by_name:
            self.press(self.by_name[text])
            return []
        unknown = []
        for char in text:
            if char in self.by_name:
                self.press(self.by_name[char])
            elif not char.isspace():
                unknown.append(char)
        return unknown


def read_lines(stream: TextIO, presser: Presser, stop: threading.Event) -> None:
    """Press for each line until EOF or `stop`; EOF just ends the reading (the kiosk keeps running)."""
    for line in stream:
        if stop.is_set():
            return
        unknown = presser.line(line)
        if unknown:
            log.warning("unknown key(s) %s", " ".join(unknown))


def read_fifo(path: Path, presser: Presser, stop: threading.Event) -> None:
    """Like `read_lines` on a named pipe, reopened after each writer closes it."""
    if not path.exists():
        os.mkfifo(path, 0o600)
    elif not stat.S_ISFIFO(path.stat().st_mode):
        raise ValueError(f"{path} exists and is not a named pipe")
    while not stop.is_set():
        with open(path, encoding="utf-8") as stream:
            read_lines(stream, presser, stop)


def read_tty(fd: int, presser: Presser, stop: threading.Event, on_quit: Callable[[], None]) -> None:
    """Single keys from a terminal in cbreak mode; restores the terminal on exit."""
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            char = os.read(fd, 1).decode("utf-8", "replace").lower()
            if char in QUIT_KEYS or char == "":
                on_quit()
                return
            if char in presser.by_name:
                presser.press(presser.by_name[char])
            elif char == "?":
                print(help_text(list({id(k): k for k in presser.by_name.values()}.values()), tty=True), flush=True)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def start_input(
    config: Config, pin_factory, stop: threading.Event, on_quit: Callable[[], None], *, keys_fifo: Path | None = None,
    stdin: TextIO | None = None,
) -> list[threading.Thread]:
    """Start reading keys: the terminal if stdin is one, else lines on stdin; plus `keys_fifo` if given."""
    stdin = stdin or sys.stdin
    keys = keymap(config)
    presser = Presser(pin_factory, keys, config.kiosk.button_pull_up)
    tty = stdin.isatty()
    print(help_text(keys, tty=tty), flush=True)
    threads = []
    if tty:
        target, args = read_tty, (stdin.fileno(), presser, stop, on_quit)
    else:
        target, args = read_lines, (stdin, presser, stop)
    threads.append(threading.Thread(target=target, args=args, name="kiosk-keys", daemon=True))
    if keys_fifo is not None:
        threads.append(threading.Thread(target=read_fifo, args=(keys_fifo, presser, stop), name="kiosk-fifo", daemon=True))
    for thread in threads:
        thread.start()
    return threads
