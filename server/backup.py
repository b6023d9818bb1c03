"""Backups of the database: a consistent copy while the server runs, nightly copies kept for a
number of days, and a restore (with the server stopped) that checks the copy first.

The copy is made with SQLite's online backup API from a connection of its own, not by copying
the file: the file of a WAL database is not the database (recent commits are in the -wal file),
and a file copy taken during a write can be torn. The backup reads one consistent snapshot and
every commit acknowledged before it began is in it.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from datetime import datetime
from pathlib import Path

from .errors import BadRequest

PREFIX = "qms-"


def copy(source: Path, dest: Path) -> Path:
    """Copy the database at `source` into `dest` (a new file) consistently; checked before it is
    kept. Returns `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(part)
    try:
        # In one step, that is in one read transaction: under WAL the writer goes on meanwhile,
        # whereas a backup in steps starts over each time another connection writes.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    finally:
        dst.close()
        src.close()
    check(part)
    part.replace(dest)
    return dest


def check(path: Path) -> None:
    """BadRequest unless `path` is a SQLite database that passes `PRAGMA integrity_check` and
    holds this server's tables."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BadRequest(f"{path} không phải một cơ sở dữ liệu đọc được: {exc}") from None
    if result != "ok":
        raise BadRequest(f"{path} hỏng (integrity_check: {result})")
    if not {"tickets", "ratings", "users", "services"} <= tables:
        raise BadRequest(f"{path} không phải bản sao lưu của hệ thống này")


def nightly(source: Path, folder: Path, now: float, tz, *, hour: int, keep: int) -> Path | None:
    """The day's backup into `folder` once the local time has passed `hour`, if not made yet;
    then only the `keep` newest are kept. Returns the new file, or None."""
    local = datetime.fromtimestamp(now, tz)
    if local.hour < hour:
        return None
    dest = folder / f"{PREFIX}{local.date().isoformat()}.db"
    if dest.exists():
        return None
    copy(source, dest)
    for old in sorted(folder.glob(f"{PREFIX}*.db"))[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return dest


def restore(database: Path, source: Path) -> Path:
    """Replace `database` by the backup `source` (the server must be stopped). The backup is
    checked first; the current file is kept beside it as `<name>.before-restore-<time>`.
    Returns that kept file."""
    check(source)
    kept = database.with_name(f"{database.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
    if database.exists():
        # Through the backup API too, so the kept copy includes what the -wal file holds.
        copy(database, kept)
    part = database.with_name(database.name + ".restore")
    shutil.copyfile(source, part)
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    part.replace(database)
    return kept
