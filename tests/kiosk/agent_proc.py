"""Run one kiosk agent in its own process, for the kill tests (mock pins, key lines on stdin).

Usage: python tests/kiosk/agent_proc.py CONFIG [--kill-after-ack] [--kill-before-print] [--png DIR]

--kill-after-ack: the process SIGKILLs itself right after the server acknowledged an outbox event
and before the row is removed: the worst moment for an acknowledgement to be lost.
--kill-before-print: it SIGKILLs itself after the server issued a ticket and before the printer
got it: a ticket nobody holds, unless the next start cancels it.
--png DIR: tickets are printed as PNG files into DIR (else no printer).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gpiozero.pins.mock import MockFactory  # noqa: E402

from kiosk.agent import Agent  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.simulate import Presser, keymap  # noqa: E402


def main(argv: list[str]) -> int:
    config = load_config(argv[0])
    hook = None
    if "--kill-after-ack" in argv:
        def hook(entry, answer):
            os.kill(os.getpid(), signal.SIGKILL)

    before_print = None
    if "--kill-before-print" in argv:
        def before_print(ticket):
            os.kill(os.getpid(), signal.SIGKILL)

    driver = None
    if "--png" in argv:
        from kiosk.printer import PngDriver

        driver = PngDriver(Path(argv[argv.index("--png") + 1]))
    pin_factory = MockFactory()
    agent = Agent(config, pin_factory=pin_factory, driver=driver, after_answer=hook, before_print=before_print)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    agent.start()
    presser = Presser(pin_factory, keymap(config))
    threading.Thread(target=lambda: [presser.line(line) for line in sys.stdin], daemon=True).start()
    stop.wait()
    agent.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
