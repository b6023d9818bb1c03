"""How the server waits and runs things in the background: OS threads or gevent greenlets.

Code on a request or background path never calls `time.sleep`, `threading.Timer` or a bare
`Future.result()`: under gevent (no monkey-patching) those would block every connection at
once. It asks the runtime instead. The SQLite writer is always a real OS thread, so a commit's
fsync never stops the event loop; `wait(future)` is how a handler waits for it.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable

log = logging.getLogger(__name__)


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

    def rlock(self):
        return threading.RLock()

    def wait(self, future: Future) -> Any:
        return future.result()

    def threadsafe(self, fn: Callable[..., Any], *args) -> None:
        """Run `fn(*args)` soon, from any thread (here: at once, in the caller's thread)."""
        fn(*args)

    def blocking(self, fn: Callable[..., Any], *args) -> Any:
        """Run `fn(*args)`, which may block or take long (a subprocess, a year's report), and
        return its result (here: in the caller's own thread)."""
        return fn(*args)

    def later(self, seconds: float, fn: Callable[..., Any], *args) -> Callable[[], None]:
        """Run `fn(*args)` after `seconds`; returns a function that cancels it."""
        timer = threading.Timer(seconds, fn, args=args)
        timer.daemon = True
        timer.start()
        return timer.cancel



class Gevent:
    """gevent greenlets on the hub of the thread that builds it (the server's main thread)."""

    name = "gevent"

    def __init__(self):
        import gevent
        import gevent.event
        import gevent.hub
        import gevent.lock

        self._gevent = gevent
        self._Event = gevent.event.Event
        self._RLock = gevent.lock.RLock
        self._Waiter = gevent.hub.Waiter
        self._Timeout = gevent.Timeout
        self.hub = gevent.get_hub()
        self._hub_thread = threading.get_ident()
        # Calls handed in from other threads (the writer), run by the hub in order.
        self._calls: collections.deque = collections.deque()
        self._async = self.hub.loop.async_()
        self._async.start(self._drain)

    def _drain(self) -> None:
        calls = self._calls
        while calls:
            fn, args = calls.popleft()
            try:
                fn(*args)
            except Exception:  # one bad call must not stop the others
                log.exception("runtime call %r failed", fn)

    def in_hub_thread(self) -> bool:
        return threading.get_ident() == self._hub_thread

    def threadsafe(self, fn: Callable, *args) -> None:
        """Run `fn(*args)` soon in the hub's thread, from any thread. `fn` must not block."""
        if self.in_hub_thread():
            fn(*args)
            return
        self._calls.append((fn, args))
        self._async.send()  # thread-safe: wakes the hub's loop, which runs _drain

    def spawn(self, fn: Callable, *args):
        return self._gevent.spawn(fn, *args)

    def blocking(self, fn: Callable[..., Any], *args) -> Any:
        """Run `fn(*args)`, which may block or take long (espeak-ng, a year's report), on a
        thread of gevent's pool: the hub keeps serving every other connection meanwhile (for
        CPU-bound work, in turns of the interpreter's switch interval)."""
        if not self.in_hub_thread():
            return fn(*args)
        return self.hub.threadpool.apply(fn, args)

    def sleep(self, seconds: float) -> None:
        self._gevent.sleep(seconds)

    def event(self):
        return self._Event()

    def rlock(self):
        return self._RLock()

    def wait(self, future: Future, timeout: float | None = None) -> Any:
        """The future's result; the calling greenlet sleeps, the hub keeps serving the others.
        Outside the hub's thread (a command-line tool, a test) this is `future.result()`."""
        if future.done() or not self.in_hub_thread() or self._gevent.getcurrent() is self.hub:
            return future.result(timeout)
        # A bare Waiter (gevent's lightest wake-up), switched to from the hub by `_drain`: every
        # device event waits here once, and an AsyncResult with its timeout machinery was a few
        # per cent of the loop's time under load. (add_done_callback runs `done` at once if the
        # future completed meanwhile.)
        waiter = self._Waiter(self.hub)

        def done(fut: Future) -> None:  # in the writer thread (or here, if already done)
            self._calls.append((waiter.switch, (None,)))
            self._async.send()

        future.add_done_callback(done)
        if timeout is None:
            waiter.get()
        else:
            with self._Timeout(timeout):  # raises gevent.Timeout on timeout
                waiter.get()
        return future.result(0)

    def later(self, seconds: float, fn: Callable[..., Any], *args) -> Callable[[], None]:
        """Run `fn(*args)` after `seconds`; returns a function that cancels it."""
        g = self._gevent.spawn_later(seconds, fn, *args)
        return lambda: g.kill(block=False)


def make_runtime(mode: str):
    """The runtime for Flask-SocketIO's async mode `mode`."""
    if mode == "threading":
        return Threads()
    if mode == "gevent":
        return Gevent()
    raise ValueError(f"async_mode must be 'threading' or 'gevent', not {mode!r}")
