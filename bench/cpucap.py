"""Cap a process's CPU with a Linux control group, for the overload benchmarks.

`bench/server_load.py --server-cpu 0.4` runs the server with at most 0.4 of one core, so that its
capacity is a rate the load client (one Python process on the same machine) can exceed four
times over: on this 2-core machine the client cannot offer four times an uncapped server's
capacity, and a client starved of CPU measures itself, not the server.

cgroup v2 (`/sys/fs/cgroup/cgroup.controllers` lists `cpu`: `cpu.max`) or v1 (`/sys/fs/cgroup/cpu/`:
`cpu.cfs_quota_us`). The period is 10 ms, so that the server is never stopped for long at a
time (a 100-ms period would let it run 40 ms and then stop it 60 ms). Needs root; raises
`CapUnavailable` naming what is missing otherwise.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 10_000


class CapUnavailable(RuntimeError):
    pass


class CpuCap:
    """`with CpuCap(pid, 0.4):` the process (all its threads) gets at most 0.4 of a core."""

    def __init__(self, pid: int, cores: float):
        if cores <= 0:
            raise ValueError("cores must be > 0")
        self.pid, self.cores = pid, cores
        self.path: Path | None = None
        self.v2 = False

    def __enter__(self) -> "CpuCap":
        name = f"qms-bench-{os.getpid()}-{self.pid}"
        quota = max(1000, int(self.cores * PERIOD_US))
        try:
            if "cpu" in (ROOT / "cgroup.controllers").read_text().split() if (ROOT / "cgroup.controllers").exists() else False:
                self.v2 = True
                self.path = ROOT / name
                self.path.mkdir()
                (self.path / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            elif (ROOT / "cpu").is_dir():
                self.path = ROOT / "cpu" / name
                self.path.mkdir()
                (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                raise CapUnavailable(f"no cpu controller under {ROOT}")
            (self.path / "cgroup.procs").write_text(str(self.pid))
        except OSError as exc:
            self._remove()
            raise CapUnavailable(f"cannot cap the server's CPU with a control group ({exc}); run as root "
                                 f"on a machine with the cpu controller, or without --server-cpu") from exc
        return self

    def throttled_s(self) -> float:
        """Seconds the group was held back by its quota so far."""
        try:
            for line in (self.path / "cpu.stat").read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "throttled_usec":
                    return int(value) / 1e6
                if key == "throttled_time":  # v1, in ns
                    return int(value) / 1e9
        except (OSError, AttributeError, TypeError):
            pass
        return 0.0

    def _remove(self) -> None:
        if self.path is None or not self.path.exists():
            return
        parent = self.path.parent
        try:
            for pid in (self.path / "cgroup.procs").read_text().split():
                try:
                    (parent / "cgroup.procs").write_text(pid)
                except OSError:
                    pass
            self.path.rmdir()
        except OSError:
            pass

    def __exit__(self, *exc) -> None:
        self._remove()
