"""How the server waits and runs things in the background: OS threads or gevent greenlets.

Code on a request or background path never calls `time.sleep`, `threading.Timer` or a bare
`Future.result()`: under gevent (no monkey-patching) those would block every connection at
once. It asks the runtime instead. The SQLite writer is always a real OS thread, so a commit's
fsync never stops the event loop; `wait(future)` is how a handler waits for it.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any, Callable


class Threads:
    """The threading runtime: every connection and task on its own OS thread."""

    name = "threading"

    def spawn(self, fn: Callable[..., Any], *args) -> Any:
        thread = threading.Thread(target=fn, args=args, daemon=True, name=getattr(fn, "__name__", "task"))
        thread.start()
        return thread

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def event(self) -> threading.Event:
        return threading.Event()

    def wait(self, future: Future) -> Any:
        return future.result()

    def later(self, seconds: float, fn: Callable[..., Any], *args) -> Callable[[], None]:
        """Run `fn(*args)` after `seconds`; returns a function that cancels it."""
        timer = threading.Timer(seconds, fn, args=args)
        timer.daemon = True
        timer.start()
        return timer.cancel


def make_runtime(mode: str):
    """The runtime for Flask-SocketIO's async mode `mode`."""
    if mode == "threading":
        return Threads()
    raise ValueError(f"async_mode must be 'threading' or 'gevent', not {mode!r}")
