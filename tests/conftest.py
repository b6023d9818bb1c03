"""Shared fixtures: a real app on a real SQLite file, the Socket.IO test client, a live server.

The test center: services A (Đất đai, prefix A) and B (Hộ tịch, prefix B); counters 1 (A),
2 (B), 3 (A, B); officers `officer1`..`officer3` signed in at counters 1..3; a supervisor;
a ticket kiosk `kiosk-1`; rating terminals `rate-1`..`rate-3` at counters 1..3.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import time
from pathlib import Path

import pytest

from server import create_app
from server.engine import admin, counters
from server.serve import ThreadedServer

os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")


def _not_near_midnight(t: float) -> float:
    """`t` moved back, if need be, to between 02:00 and 20:00 in the test center's zone: tests
    advance the clock by minutes or hours and expect the same day, or stage "earlier today"
    (they failed when run at 23:30 or 00:20 Vietnam time, times CI may well run at)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    hour = datetime.fromtimestamp(t, ZoneInfo("Asia/Ho_Chi_Minh")).hour
    return t - 4 * 3600 if hour >= 20 else t - 6 * 3600 if hour < 2 else t


def daytime_clock():
    """A real clock (it runs), shifted once so that it reads between 02:00 and 20:00 in the
    center's zone: for live servers whose tests stage "earlier today"."""
    now = time.time()
    shift = now - _not_near_midnight(now)
    return lambda: time.time() - shift


class FakeClock:
    """A settable clock for the app: `clock.t` is Unix time; `advance(s)` moves it."""

    def __init__(self, t: float | None = None):
        self.t = t if t is not None else _not_near_midnight(time.time())

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def load_test_center(app) -> dict:
    """Load the test center described above; returns users (with passwords/tokens) and device tokens."""
    qms = app.extensions["qms"]

    def load(db, cfg, now):
        admin.add_service(db, cfg, now, code="A", name_vi="Đất đai", name_en="Land", prefix="A", sort=1)
        admin.add_service(db, cfg, now, code="B", name_vi="Hộ tịch", name_en="Civil status", prefix="B", sort=2)
        admin.add_counter(db, cfg, now, number=1, services=["A"])
        admin.add_counter(db, cfg, now, number=2, services=["B"])
        admin.add_counter(db, cfg, now, number=3, services=["A", "B"])
        users = {}
        for i in (1, 2, 3):
            u = admin.add_user(db, cfg, now, username=f"officer{i}", full_name=f"Cán bộ {i}", role="officer",
                               api_token=True, counter=i)
            users[u["username"]] = u
            row = db["users"].get(u["id"])
            counters.sign_in(db, cfg, now, number=i, user=row, actor="test")
        users["officer4"] = admin.add_user(db, cfg, now, username="officer4", full_name="Cán bộ 4", role="officer",
                                           api_token=True)
        users["boss"] = admin.add_user(db, cfg, now, username="boss", full_name="Trưởng bộ phận", role="supervisor",
                                       api_token=True)
        devices = {"kiosk-1": admin.add_device(db, cfg, now, device_id="kiosk-1", roles=["ticket"])["token"]}
        for i in (1, 2, 3):
            devices[f"rate-{i}"] = admin.add_device(db, cfg, now, device_id=f"rate-{i}", roles=["rating"], counter=i)["token"]
        devices["pad-1"] = admin.add_device(db, cfg, now, device_id="pad-1", roles=["counter"], counter=1)["token"]
        return {"users": users, "devices": devices}

    return qms.write(load)


def make_app(tmp_path: Path, **config):
    # In-process apps (Flask-SocketIO's test client, werkzeug's threaded server) run on threads;
    # the server in its production form (gevent) is tested as a subprocess.
    # Their lateness is the test process's too (its threads, a browser, other suites): shedding
    # on it would answer `busy` to tests that are not about load; those that are set their own.
    base = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "secret_key": "test",
            "broadcast_interval_ms": 50, "async_mode": "threading", "busy_lag_ms": 5000,
            "backup_hour": 24}  # no nightly backup in tests but those about it
    base.update(config)
    return create_app(base)


def settle(qms) -> None:
    """Wait until every write queued so far is committed (the writer takes them in order): a
    device's connect and disconnect are written without the connection waiting for them."""
    qms.write(lambda db, cfg, now: None)


# The test center is loaded once per session into a template database (loading it hashes six
# passwords, half a second); each test's app and live server starts on a copy of it.
TEMPLATE_ENV = "QMS_TEST_TEMPLATE_DIR"


def _template() -> tuple[Path, dict]:
    folder = Path(os.environ[TEMPLATE_ENV])
    db, secrets_ = folder / "template.db", folder / "center.json"
    if not db.exists():
        app = make_app(folder / "build")
        center = load_test_center(app)
        src, dst = sqlite3.connect(app.extensions["qms"].store.path), sqlite3.connect(db)
        src.backup(dst)
        src.close()
        dst.close()
        app.extensions["qms"].close()
        secrets_.write_text(json.dumps(center))
    return db, json.loads(secrets_.read_text())


def app_with_center(tmp_path: Path, **config):
    """An app on a copy of the template database holding the test center; `.test_center` has
    its passwords and tokens."""
    template, center = _template()
    instance = tmp_path / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    if not (instance / "qms.db").exists():
        shutil.copyfile(template, instance / "qms.db")
    app = make_app(tmp_path, **config)
    app.test_center = center
    return app


@pytest.fixture(scope="session", autouse=True)
def center_template(tmp_path_factory):
    """Where the template database is made (once, on first use)."""
    os.environ[TEMPLATE_ENV] = str(tmp_path_factory.mktemp("template"))
    yield _template()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def app(tmp_path, clock):
    app = app_with_center(tmp_path, CLOCK=clock)
    yield app
    app.extensions["qms"].close()


@pytest.fixture
def center(app):
    return app.test_center


@pytest.fixture
def qms(app):
    return app.extensions["qms"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def socketio(app):
    return app.extensions["socketio"]


@pytest.fixture
def kiosk_client(app, socketio, center):
    """A connected /kiosk test client for `kiosk-1` (ticket) or another device: kiosk_client("rate-1")."""
    made = []

    def make(device="kiosk-1", token=None):
        c = socketio.test_client(app, namespace="/kiosk",
                                 auth={"device": device, "token": token or center["devices"][device]})
        made.append(c)
        return c

    yield make
    for c in made:
        if c.is_connected("/kiosk"):
            c.disconnect(namespace="/kiosk")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real server on loopback: `.url`, `.app`, `.store`, `.stop()`, `.start()` (same port, same DB)."""

    def __init__(self, tmp_path: Path, **config):
        self.tmp_path = tmp_path
        self.config = config
        self.port = _free_port()
        self.app = None
        self._server = None
        self.center = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def qms(self):
        return self.app.extensions["qms"]

    @property
    def store(self):
        return self.qms.store

    def start(self) -> "LiveServer":
        self.app = app_with_center(self.tmp_path, **self.config)
        self.center = self.app.test_center
        self.qms.start_background()  # as the server process does
        for _ in range(50):
            try:
                self._server = ThreadedServer(self.app, "127.0.0.1", self.port).start()
                break
            except OSError:  # the old socket may linger a moment after a restart
                time.sleep(0.1)
        else:
            raise RuntimeError(f"could not bind port {self.port}")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self.app is not None:
            self.app.extensions["qms"].close()

    def add_device(self, device_id: str, roles: list[str], counter: int | None = None) -> str:
        return self.qms.write(admin.add_device, device_id=device_id, roles=roles, counter=counter)["token"]

    def token(self, device_or_user: str) -> str:
        if device_or_user in self.center["devices"]:
            return self.center["devices"][device_or_user]
        return self.center["users"][device_or_user]["api_token"]


@pytest.fixture
def live_server(tmp_path):
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()


# -- no test writes a tracked file -------------------------------------------------------------

def _tracked_changes() -> set[str] | None:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                         capture_output=True, text=True)
    return set(out.stdout.splitlines()) if out.returncode == 0 else None


def pytest_sessionstart(session):
    session.config.stash[_TRACKED] = _tracked_changes()


def pytest_sessionfinish(session, exitstatus):
    before, after = session.config.stash.get(_TRACKED, None), _tracked_changes()
    if before is None or after is None:
        return  # not a git checkout
    changed = sorted(after - before)
    if changed:
        session.config.get_terminal_writer().line(
            "tests changed tracked files (screenshots belong in test-artifacts/): " + ", ".join(changed), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_TRACKED = pytest.StashKey[set]()
