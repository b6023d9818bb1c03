"""A FUSE file system that loses what was not fsynced when told: a power cut, for bench/faults.py.

    python bench/lossyfs.py BACKING MOUNTPOINT      (foreground; SIGUSR1 = power cut; SIGTERM = unmount)

A pass-through to the directory BACKING, except that file data written is kept in memory until
the file is fsynced: reads see it, BACKING does not. SIGUSR1 throws every unsynced byte away, as a
power cut does to a disk's cache and the kernel's dirty pages (tmpfs cannot test this: its fsync
does nothing, and nothing is lost). Directory changes (create, rename, unlink) go through at once:
SQLite's database and WAL files are created once, so only their data matters here. The number of
bytes thrown away is written to BACKING/../lossyfs-dropped (the harness checks a cut lost
something). Single-threaded; slow, and meant for a few thousand small transactions.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from pathlib import Path

import mfusepy as fuse


class Dirty:
    """A file's unsynced state: its whole content in memory, and the ranges changed since the last sync."""

    def __init__(self, data: bytearray):
        self.data = data
        self.ranges: list[tuple[int, int]] = []
        self.truncated = False


class LossyFS(fuse.Operations):
    use_ns = True

    def __init__(self, root: str):
        self.root = root
        self.dirty: dict[str, Dirty] = {}
        self._mutex = threading.RLock()  # the power-cut signal may land inside an operation
        self.dropped = 0

    def _full(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def _load(self, path: str) -> Dirty:
        d = self.dirty.get(path)
        if d is None:
            with open(self._full(path), "rb") as f:
                d = self.dirty[path] = Dirty(bytearray(f.read()))
        return d

    # -- power ------------------------------------------------------------------------------
    def power_cut(self) -> None:
        with self._mutex:
            self.dropped += sum(sum(n for _, n in d.ranges) + (1 if d.truncated else 0) for d in self.dirty.values())
            self.dirty.clear()
        Path(self.root).parent.joinpath("lossyfs-dropped").write_text(str(self.dropped))

    def _sync(self, path: str) -> None:
        d = self.dirty.pop(path, None)
        if d is None:
            return
        fd = os.open(self._full(path), os.O_WRONLY)
        try:
            for off, n in d.ranges:
                os.pwrite(fd, bytes(d.data[off:off + n]), off)
            os.ftruncate(fd, len(d.data))
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- metadata ---------------------------------------------------------------------------
    def getattr(self, path, fh=None):
        with self._mutex:
            try:
                st = os.lstat(self._full(path))
            except FileNotFoundError:
                raise fuse.FuseOSError(errno.ENOENT)
            attrs = {k: getattr(st, k) for k in ("st_mode", "st_nlink", "st_uid", "st_gid", "st_size",
                                                   "st_atime_ns", "st_mtime_ns", "st_ctime_ns")}
            for k in ("st_atime", "st_mtime", "st_ctime"):
                attrs[k] = attrs.pop(k + "_ns")
            d = self.dirty.get(path)
            if d is not None:
                attrs["st_size"] = len(d.data)
            return attrs

    def readdir(self, path, fh):
        return [".", "..", *os.listdir(self._full(path))]

    def access(self, path, amode):
        if not os.access(self._full(path), amode):
            raise fuse.FuseOSError(errno.EACCES)
        return 0

    def mkdir(self, path, mode):
        return os.mkdir(self._full(path), mode)

    def rmdir(self, path):
        return os.rmdir(self._full(path))

    def chmod(self, path, mode):
        return os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        return os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        return os.utime(self._full(path), ns=times) if times else os.utime(self._full(path))

    def unlink(self, path):
        with self._mutex:
            self.dirty.pop(path, None)
            return os.unlink(self._full(path))

    def rename(self, old, new):
        with self._mutex:
            self._sync(old)
            self.dirty.pop(new, None)
            return os.rename(self._full(old), self._full(new))

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        return {k: getattr(st, k) for k in ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree",
                                            "f_files", "f_flag", "f_frsize", "f_namemax")}

    # -- data -------------------------------------------------------------------------------
    def create(self, path, mode, fi=None):
        fd = os.open(self._full(path), os.O_WRONLY | os.O_CREAT, mode)
        os.close(fd)
        return 0

    def open(self, path, flags):
        if not os.path.exists(self._full(path)):
            raise fuse.FuseOSError(errno.ENOENT)
        return 0

    def read(self, path, size, offset, fh):
        with self._mutex:
            d = self.dirty.get(path)
            if d is not None:
                return bytes(d.data[offset:offset + size])
            with open(self._full(path), "rb") as f:
                f.seek(offset)
                return f.read(size)

    def write(self, path, data, offset, fh):
        with self._mutex:
            d = self._load(path)
            end = offset + len(data)
            if end > len(d.data):
                d.data.extend(b"\0" * (end - len(d.data)))
            d.data[offset:end] = data
            d.ranges.append((offset, len(data)))
            return len(data)

    def truncate(self, path, length, fh=None):
        with self._mutex:
            d = self._load(path)
            if length < len(d.data):
                del d.data[length:]
            else:
                d.data.extend(b"\0" * (length - len(d.data)))
            d.truncated = True
            d.ranges = [(o, n) for o, n in d.ranges if o < length]

    def fsync(self, path, datasync, fh):
        with self._mutex:
            self._sync(path)
        return 0

    def flush(self, path, fh):
        return 0  # close() is not a sync

    def release(self, path, fh):
        return 0


def main(argv: list[str]) -> int:
    backing, mount = argv
    fs = LossyFS(os.path.abspath(backing))
    signal.signal(signal.SIGUSR1, lambda *_: fs.power_cut())
    fuse.FUSE(fs, mount, foreground=True, nothreads=True, allow_other=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
