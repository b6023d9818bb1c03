"""The server in its production form, `python -m server run` (gevent), as a subprocess on
loopback, for the tests that must see it so (freezing, gevent waits)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def center_instance(folder: Path) -> tuple[Path, dict]:
    """An instance folder under `folder` holding the test center, and the center's secrets
    (tokens by device, users): what `Production` is then started on."""
    from server import create_app
    from tests.conftest import load_test_center

    instance = folder / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "secret_key": "test"})
    center = load_test_center(app)
    app.extensions["qms"].close()
    return instance, center


class Production:
    """`python -m server run --instance INSTANCE` on a free port; `.url`, `.port`, `.stop()`."""

    def __init__(self, instance: Path, *, host: str = "127.0.0.1", env: dict | None = None):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = instance / "server.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "run", "--instance", str(instance), "--host", host,
             "--port", str(self.port)], cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited:\n" + self.log_path.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()  # not left running behind the caller's back
                    raise RuntimeError("the server did not start:\n" + self.log_path.read_text()[-3000:])
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()
