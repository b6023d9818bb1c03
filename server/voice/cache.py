"""Finished call WAVs kept on disk by key, written atomically, oldest dropped past a size limit."""

import os
import tempfile
import time
from pathlib import Path

SUFFIX = ".wav"
PART_PREFIX = ".part-"
STALE_PART_S = 3600  # a temp file this old was left by a crashed writer


class WavCache:
    """A folder of `<key>.wav`; safe for many threads and processes sharing it."""

    def __init__(self, directory: Path, max_bytes: int | None):
        self.directory = Path(directory)
        self.max_bytes = max_bytes

    def path(self, key: str) -> Path:
        return self.directory / (key + SUFFIX)

    def get(self, key: str) -> bytes | None:
        """The cached bytes, or None; a hit refreshes the file's mtime, which pruning goes by."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            os.utime(path)
        except OSError:
            pass  # pruned meanwhile: the bytes we read are still good
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store the bytes; readers see the old file or the whole new one, never a part."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=PART_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, self.path(key))
        except BaseException:
            os.unlink(tmp)
            raise
        self.prune(keep=self.path(key))

    def prune(self, keep: Path | None = None) -> None:
        """Delete least recently used entries until the folder is within max_bytes."""
        entries, now = [], time.time()
        for entry in os.scandir(self.directory):
            try:
                stat = entry.stat()
            except FileNotFoundError:
                continue  # another thread pruned it
            if entry.name.startswith(PART_PREFIX):
                if now - stat.st_mtime > STALE_PART_S:
                    _unlink(entry.path)
            elif entry.name.endswith(SUFFIX):
                entries.append((stat.st_mtime_ns, stat.st_size, entry.path))
        if self.max_bytes is None:
            return
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if keep is not None and Path(path) == keep:
                continue
            _unlink(path)
            total -= size


def _unlink(path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
