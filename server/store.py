"""The SQLite file: per-thread read connections and one writer thread with group commit.

Every write is a function `fn(db, *args)` run on the writer thread. The writer takes the jobs
waiting in its queue, opens `BEGIN IMMEDIATE`, runs each job in its own savepoint (a failing job
rolls back alone; a job alone in its batch needs none), commits once with `synchronous=FULL`, and
only then returns each job's result to its caller. If the commit fails (disk full, I/O error),
every caller of the batch gets `StorageError` and nothing of it is kept. So what a caller
acknowledges is on disk, one fsync serves many concurrent writers, and two writers never race
for the lock ("database is locked").
"""

from __future__ import annotations

import logging
import queue
import secrets
import sqlite3
import threading
import time
import weakref
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Callable

import sqlite_utils

from .errors import QmsError, StorageError

log = logging.getLogger(__name__)

_STOP = object()
_POOL_MAX = 16


class _Lease:
    """A thread's hold on a read connection; when the thread ends, the connection goes back."""

    __slots__ = ("db", "__weakref__")

    def __init__(self, db):
        self.db = db


# SQLite's primary result codes for a failing medium rather than a failing program.
_STORAGE_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
                  sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}


def _storage_failure(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.Error) and code is not None and code & 0xFF in _STORAGE_CODES


def connect(path: str | Path, *, synchronous: str = "FULL") -> sqlite_utils.Database:
    """Open the database file in WAL mode with the pragmas every connection needs."""
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, the driver must not BEGIN for us.
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return sqlite_utils.Database(conn)


class Store:
    """Owns the database file. `read()` for queries, `write(fn, ...)` for durable changes."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", batch_max: int = 256):
        self.path = Path(path)
        self.synchronous = synchronous
        self.batch_max = batch_max
        self._local = threading.local()
        # Socket.IO and the web server run each event on a short-lived thread, so read
        # connections are pooled and leased to a thread for its life, not opened per thread.
        self._pool: list[sqlite_utils.Database] = []
        self._pool_lock = threading.Lock()
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._writer_db = connect(self.path, synchronous=synchronous)
        self._thread = threading.Thread(target=self._run, name="qms-writer", daemon=True)
        self._closed = False
        # Pushes to pages carry (boot, version): the version of the newest commit they reflect,
        # so that a page never lets an older snapshot overwrite a newer one (docs/protocol.md).
        self.boot = secrets.token_hex(4)
        self.version = 0
        self.pending = 0  # writes submitted and not yet answered (the server sheds load on it)
        # How long the oldest write of the last batch waited from submit to commit (seconds):
        # what a device's write waits now. The server sheds load on it too (services.Load).
        self.wait_s = 0.0
        # The last time the medium refused a write (disk full, I/O error), and why; None once a
        # batch commits whole again. /healthz reports it: a full disk must not look healthy.
        self.failure: dict | None = None
        self._pending_lock = threading.Lock()
        self.on_commit: list[Callable[[], None]] = []
        self._thread.start()

    # -- reads -------------------------------------------------------------------------------
    def read(self) -> sqlite_utils.Database:
        """This thread's read connection (sees every committed write)."""
        lease = getattr(self._local, "lease", None)
        if lease is None:
            if self._closed:
                raise StorageError("store is closed")
            with self._pool_lock:
                db = self._pool.pop() if self._pool else None
            if db is None:
                db = connect(self.path, synchronous=self.synchronous)
            lease = _Lease(db)
            weakref.finalize(lease, self._give_back, db)
            self._local.lease = lease
        return lease.db

    def _give_back(self, db: sqlite_utils.Database) -> None:
        with self._pool_lock:
            if not self._closed and len(self._pool) < _POOL_MAX and not db.conn.in_transaction:
                self._pool.append(db)
                return
        try:
            db.conn.close()
        except sqlite3.Error:
            pass

    # -- writes ------------------------------------------------------------------------------
    def write(self, fn: Callable[..., Any], *args, **kwargs) -> Any:
        """Run `fn(db, *args, **kwargs)` in a committed transaction; return its result or raise."""
        return self.wait(self.submit(fn, *args, **kwargs))

    def write_versioned(self, fn: Callable[..., Any], *args, **kwargs) -> tuple[Any, int]:
        """`write()`, and the version of the commit that made the change."""
        fut = self.submit(fn, *args, **kwargs)
        return self.wait(fut), fut.version

    def stamp(self, seq: int | None = None) -> dict:
        """`{"boot", "seq"}`: what a push built now reflects at least (docs/protocol.md, "Versions")."""
        return {"boot": self.boot, "seq": self.version if seq is None else seq}

    @staticmethod
    def wait(future: Future) -> Any:
        """How a caller waits for its write; the server's runtime replaces it (under gevent, a
        greenlet must not block its thread on the future: server/runtime.py)."""
        return future.result()

    def submit(self, fn: Callable[..., Any], *args, **kwargs) -> Future:
        """Queue a write; the future resolves after the batch holding it is committed."""
        if self._closed:
            raise StorageError("store is closed")
        fut: Future = Future()
        fut.submitted = time.monotonic()
        with self._pending_lock:
            self.pending += 1
        self._jobs.put((fn, args, kwargs, fut))
        return fut

    def _run(self) -> None:
        db = self._writer_db
        while True:
            job = self._jobs.get()
            if job is _STOP:
                break
            batch = [job]
            stop = False
            while len(batch) < self.batch_max:
                try:
                    nxt = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._commit_batch(db, batch)
            if stop:
                break
        db.conn.close()

    def _commit_batch(self, db: sqlite_utils.Database, batch: list) -> None:
        try:
            self._commit(db, batch)
        finally:
            with self._pending_lock:
                self.pending -= len(batch)

    def _commit(self, db: sqlite_utils.Database, batch: list) -> None:
        outcomes: list[tuple[bool, Any]] = []
        # A job alone in its batch (the usual case below a few hundred writes a second) needs no
        # savepoint: its failure rolls back the whole transaction. Two SQLite calls fewer, and
        # each call is a GIL hand-off that the writer pays for under load.
        alone = len(batch) == 1
        rolled_back = False
        try:
            db.conn.execute("BEGIN IMMEDIATE")
            for fn, args, kwargs, _fut in batch:
                if not alone:
                    db.conn.execute("SAVEPOINT job")
                try:
                    result = fn(db, *args, **kwargs)
                except BaseException as exc:  # the job's own failure: undo it alone
                    if alone:
                        if db.conn.in_transaction:
                            db.conn.execute("ROLLBACK")
                        rolled_back = True
                    elif not db.conn.in_transaction:
                        # SQLite undid the whole transaction (disk full, I/O error): the batch
                        # is lost, and the log should say why rather than "no such savepoint".
                        raise sqlite3.OperationalError(f"transaction lost: {exc}") from exc
                    else:
                        db.conn.execute("ROLLBACK TO job")
                        db.conn.execute("RELEASE job")
                    if not isinstance(exc, QmsError):
                        log.exception("write job %s failed", getattr(fn, "__name__", fn))
                    if _storage_failure(exc):  # disk full, I/O error: the client may retry
                        self._failed(exc)
                        err = StorageError()
                        err.__cause__ = exc
                        exc = err
                    outcomes.append((False, exc))
                else:
                    if not alone:
                        db.conn.execute("RELEASE job")
                    outcomes.append((True, result))
            if not rolled_back:  # (COMMIT raises if SQLite lost the transaction: nothing is acked)
                db.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            # Disk full, I/O error: nothing of the batch is kept, nobody is told "ok".
            log.error("commit failed: %s", exc)
            self._failed(exc)
            if db.conn.in_transaction:
                try:
                    db.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            err = StorageError()
            err.__cause__ = exc
            for *_rest, fut in batch:
                fut.set_exception(err)
            return
        if not rolled_back:
            self.version += 1
        if all(ok for ok, _value in outcomes):
            self.failure = None
        if any(ok for ok, _value in outcomes):
            # Before the callers hear back: a caller that changed a setting and writes again at
            # once must find the setting's new value in memory (server/services.py).
            for hook in list(self.on_commit):
                try:
                    hook()
                except Exception:  # a broadcast failure must not stop the writer
                    log.exception("on_commit hook failed")
        self.wait_s = time.monotonic() - min(f.submitted for *_rest, f in batch)
        for (ok, value), (*_rest, fut) in zip(outcomes, batch):
            fut.version = self.version
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    def _failed(self, exc: BaseException) -> None:
        self.failure = {"at": time.time(), "error": str(exc)[:200]}

    def close(self) -> None:
        """Finish queued writes, stop the writer and close every connection."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(_STOP)
        self._thread.join(timeout=30)
        with self._pool_lock:
            for db in self._pool:
                try:
                    db.conn.close()
                except sqlite3.Error:
                    pass
            self._pool.clear()
