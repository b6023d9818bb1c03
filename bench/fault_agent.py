"""One kiosk agent process for bench/faults.py: the project's own Agent on mock pins.

Usage: python bench/fault_agent.py CONFIG PRINTER_FLAG PNG_DIR [KILL_BEFORE_PRINT_N]

Press lines come on stdin ("rating:5", "ticket:DD", as the simulator reads them). What the
harness must know is printed on stdout, one line each, flushed:
  R <id> <mono>   a rating is in the outbox (durable): from here it must reach the server once;
                  <mono> is the press's stamp on CLOCK_MONOTONIC (one clock for every process
                  here, and not faked by the clock scenario), so the harness knows the true press
                  time without the pipe's delay
  A <id>          the server acknowledged it with ok
  P <ticket id>   a ticket came out of the printer
  READY           the agent reads presses from here on (presses written before would be late)
  UP / DOWN       its link to the server came up / went down
The printer writes PNG files into PNG_DIR; while the file PRINTER_FLAG holds `unplugged` or
`paper_out`, printing fails that way (mid-ticket: the server has issued it already).
KILL_BEFORE_PRINT_N: the agent SIGKILLs itself between the server's answer and the printer at its
N-th ticket (a ticket issued and never printed).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gpiozero.pins.mock import MockFactory  # noqa: E402

from kiosk import protocol  # noqa: E402
from kiosk.agent import Agent  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.printer import OFFLINE, PAPER_OUT, PngDriver, PrintFailed  # noqa: E402
from kiosk.simulate import Presser, keymap  # noqa: E402

_out = threading.Lock()


def say(*words) -> None:
    with _out:
        sys.stdout.write(" ".join(str(w) for w in words) + "\n")
        sys.stdout.flush()


class FlakyPng(PngDriver):
    """The simulator's PNG printer, failing while the flag file says so."""

    def __init__(self, folder: Path, flag: Path):
        super().__init__(folder)
        self.flag = flag

    def _fault(self) -> str:
        try:
            return self.flag.read_text().strip()
        except OSError:
            return ""

    def print_image(self, image, name: str) -> str:
        fault = self._fault()
        if fault == "unplugged":
            raise PrintFailed(OFFLINE, "offline: unplugged (fault harness)")
        if fault == "paper_out":
            raise PrintFailed(PAPER_OUT, "paper_out: (fault harness)")
        return super().print_image(image, name)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = load_config(argv[0])
    driver = FlakyPng(Path(argv[2]), Path(argv[1]))
    kill_at = int(argv[3]) if len(argv) > 3 else 0
    tickets = [0]

    def before_print(ticket):
        tickets[0] += 1
        if tickets[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def after_answer(entry, answer):
        if entry.event == protocol.RATING and protocol.is_ok(answer):
            say("A", entry.key)

    pin_factory = MockFactory()
    agent = Agent(config, pin_factory=pin_factory, driver=driver, after_answer=after_answer,
                  before_print=before_print, on_ticket=lambda t: say("P", t.get("id")))
    add = agent.outbox.add

    def recorded(event, key, payload, stamp=None):
        added = add(event, key, payload, stamp)
        if event == protocol.RATING and added:
            say("R", key, f"{stamp.mono:.6f}" if stamp else "")
        return added

    agent.outbox.add = recorded
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    agent.start()
    presser = Presser(pin_factory, keymap(config))

    def read():
        for line in sys.stdin:
            presser.line(line)
        stop.set()

    threading.Thread(target=read, daemon=True).start()
    say("READY")
    up = False
    while not stop.wait(0.05):
        if agent.link.connected != up:
            up = agent.link.connected
            say("UP" if up else "DOWN")
    agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
