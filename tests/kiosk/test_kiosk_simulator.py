"""The simulator: `python -m kiosk --simulate` with keys as lines, tickets as PNG files."""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

from PIL import Image

from kiosk.demo_config import write_demo_config
from kiosk.panel import PRIORITY, RATING, TICKET, Panel
from kiosk.simulate import Presser, help_text, keymap, read_lines, simulated
from tests.kiosk.kiosk_helpers import make_config, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_keymap_and_help(tmp_path):
    config = make_config(tmp_path, roles=("ticket", "rating", "counter"))
    keys = {k.key: k for k in keymap(config)}
    assert keys["1"].pin == config.ticket.buttons[0].pin and keys["2"].names == ("ticket:b",)
    assert keys["p"].pin == config.ticket.priority.pin
    assert keys["a"].names == ("rating:5",) and keys["f"].names == ("rating:2",)
    assert keys["n"].names == ("counter:next",)
    text = help_text(list(keys.values()), tty=False)
    assert "đánh giá 5: Rất hài lòng" in text and "EOF keeps running" in text


def test_lines_press_mock_buttons(tmp_path, pin_factory, fake_clock):
    config = make_config(tmp_path, roles=("ticket", "rating"),
                         replace={"lockout_s = 1.5": "lockout_s = 0", "lockout_s = 3.0": "lockout_s = 0"})
    q = {TICKET: queue.Queue(), RATING: queue.Queue()}
    q[PRIORITY] = q[TICKET]
    panel = Panel(config, pin_factory, fake_clock, q)
    try:
        presser = Presser(pin_factory, keymap(config))
        read_lines(io.StringIO("1\np1\nrating:2\nTICKET:B\nx?\n\n"), presser, threading.Event())
        tickets = [q[TICKET].get_nowait() for _ in range(q[TICKET].qsize())]
        assert [(p.kind, getattr(p.button, "service", None)) for p in tickets] == [
            (TICKET, "A"), (PRIORITY, None), (TICKET, "A"), (TICKET, "B")]
        assert [q[RATING].get_nowait().button.score] == [2] and q[RATING].empty()
    finally:
        panel.close()


def test_simulated_config_prints_to_png(tmp_path):
    config = simulated(make_config(tmp_path))
    assert config.printer.kind == "png" and config.printer.png_dir == str(tmp_path / "data" / "tickets")


def test_simulator_process_issues_and_draws_a_ticket(tmp_path, live_server):
    config = write_demo_config(tmp_path / "kiosk.toml", server=live_server.url, device="kiosk-1",
                               token=live_server.token("kiosk-1"), roles=["ticket"], data_dir=str(tmp_path / "data"))
    fifo = tmp_path / "keys"
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "--simulate", "--config", str(config),
                             "--keys-fifo", str(fifo)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    logged: list[str] = []  # the agent's log lines (stderr), read as they come
    reader = threading.Thread(target=lambda: logged.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: fifo.exists(), message="key pipe created")
        # The agent's own word that its link is up (the server marking it online comes earlier,
        # while the client is still finishing its handshake: a press then finds no link).
        wait_for(lambda: any("connected to" in line for line in logged), message="kiosk connected")
        fd = os.open(fifo, os.O_WRONLY)
        os.write(fd, b"2\n")
        os.close(fd)
        png = wait_for(lambda: list((tmp_path / "data" / "tickets").glob("*-B001.png")), message="ticket PNG")[0]
        img = Image.open(png)
        assert img.width == 576 and img.mode == "1"
        [ticket] = live_server.store.read().query("SELECT code, state FROM tickets")
        assert ticket == {"code": "B001", "state": "waiting"}
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=20)[0]
        reader.join(10)
    assert proc.returncode == 0, "".join(logged)
    assert "lấy số Hộ tịch (B)" in out  # the key help is printed at start


def test_simulator_without_config_needs_a_token(tmp_path):
    env = dict(os.environ, KIOSK_TOKEN="")
    done = subprocess.run([sys.executable, "-m", "kiosk", "--simulate"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--token" in done.stderr
