"""The store: group commit, a failing job rolled back alone, a failed commit acknowledging nothing,
a full disk, concurrent issuing without gaps or duplicates, and durability across a restart."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from server import errors
from server.engine import tickets
from server.store import Store
from tests.conftest import make_app


class Gate:
    """Holds the writer inside a job, so that the jobs queued meanwhile form the next batch."""

    def __init__(self, store: Store):
        self.inside = threading.Event()
        self.release = threading.Event()
        self.future = store.submit(self._job)
        assert self.inside.wait(10)

    def _job(self, db):
        self.inside.set()
        assert self.release.wait(10)

    def open(self) -> None:
        self.release.set()
        self.future.result(10)


def _insert(db, name: str) -> str:
    db.execute("INSERT INTO settings (name, value, updated_at) VALUES (?, '1', 0)", [name])
    return name


def _names(store: Store) -> set[str]:
    return {r[0] for r in store.read().execute("SELECT name FROM settings WHERE name LIKE 't-%'")}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db")
    s.write(lambda db: db.execute(
        "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT, updated_at REAL, updated_by TEXT)"))
    s.write(lambda db: db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
    s.write(lambda db: db.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, p INTEGER REFERENCES parent(id))"))
    yield s
    s.close()


def test_connections_are_durable_wal(store):
    writer = store._writer_db.conn
    assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert writer.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.read().execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_queued_jobs_commit_together(store):
    commits = []
    store.on_commit.append(lambda: commits.append(1))
    gate = Gate(store)
    futures = [store.submit(_insert, f"t-{i}") for i in range(20)]
    gate.open()
    assert [f.result(10) for f in futures] == [f"t-{i}" for i in range(20)]
    assert len(commits) == 2  # the gate's batch, then all twenty in one
    assert len(_names(store)) == 20


def test_a_failing_job_rolls_back_alone(store):
    def half_then_fail(db):
        _insert(db, "t-bad")
        raise errors.IllegalTransition("nope")

    gate = Gate(store)
    good1 = store.submit(_insert, "t-1")
    bad = store.submit(half_then_fail)
    good2 = store.submit(_insert, "t-2")
    crash = store.submit(lambda db: (_insert(db, "t-crash"), 1 / 0))
    good3 = store.submit(_insert, "t-3")
    gate.open()
    assert good1.result(10) == "t-1" and good2.result(10) == "t-2" and good3.result(10) == "t-3"
    with pytest.raises(errors.IllegalTransition):
        bad.result(10)
    with pytest.raises(ZeroDivisionError):
        crash.result(10)
    assert _names(store) == {"t-1", "t-2", "t-3"}


def test_a_job_alone_in_its_batch_that_fails_leaves_nothing(store):
    """A lone job runs without a savepoint: its failure rolls the whole transaction back."""
    commits = []
    store.on_commit.append(lambda: commits.append(1))

    def half_then_fail(db):
        _insert(db, "t-bad")
        raise errors.IllegalTransition("nope")

    def half_then_storage_failure(db):
        _insert(db, "t-bad2")
        db.execute("PRAGMA query_only = ON")
        try:
            return _insert(db, "t-bad3")
        finally:
            db.execute("PRAGMA query_only = OFF")

    with pytest.raises(errors.IllegalTransition):
        store.write(half_then_fail)
    with pytest.raises(errors.StorageError):
        store.write(half_then_storage_failure)
    assert _names(store) == set() and commits == []  # nothing written, nothing announced
    assert store.write(_insert, "t-1") == "t-1"
    assert _names(store) == {"t-1"} and commits == [1]


def test_a_job_that_lost_the_transaction_is_not_acknowledged(store):
    """If SQLite undid the transaction under a job that carried on (say it caught the error),
    its result must not be acknowledged: the COMMIT fails and the caller gets StorageError."""
    def swallowed(db):
        _insert(db, "t-lost")
        db.conn.execute("ROLLBACK")  # what SQLite does itself on some disk-full and I/O errors
        return "looks fine"

    with pytest.raises(errors.StorageError):
        store.write(swallowed)
    gate = Gate(store)
    futures = [store.submit(_insert, "t-1"), store.submit(swallowed), store.submit(_insert, "t-2")]
    gate.open()
    for fut in futures:
        with pytest.raises(errors.StorageError):
            fut.result(10)
    assert _names(store) == set()


def test_a_failed_commit_acknowledges_nothing(store):
    """A deferred foreign key is checked at COMMIT: a real commit failure, no mock."""

    def poison(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        db.execute("INSERT INTO child (id, p) VALUES (1, 999)")  # no parent 999: fails at COMMIT
        return "poison"

    store.write(lambda db: db.execute("PRAGMA foreign_keys = ON"))
    gate = Gate(store)
    before = [store.submit(_insert, f"t-{i}") for i in range(3)]
    mid = store.submit(poison)
    after = [store.submit(_insert, f"t-{i}") for i in range(3, 6)]
    gate.open()
    for fut in before + [mid] + after:
        with pytest.raises(errors.StorageError) as caught:
            fut.result(10)
        assert caught.value.code == "internal"
    assert _names(store) == set()
    assert store.read().execute("SELECT count(*) FROM child").fetchone()[0] == 0
    # The writer is still alive and the next batch commits.
    assert store.write(_insert, "t-next") == "t-next"
    assert _names(store) == {"t-next"}


def test_a_read_only_database_refuses_every_write(store):
    store.write(_insert, "t-0")
    store.write(lambda db: db.execute("PRAGMA query_only = ON"))
    with pytest.raises(errors.StorageError) as caught:
        store.write(_insert, "t-1")
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    store._writer_db.conn.execute("PRAGMA query_only = OFF")  # the writer is idle between batches
    store.write(_insert, "t-2")
    assert _names(store) == {"t-0", "t-2"}


def test_a_storage_failure_inside_a_job_fails_that_job_alone(store):
    def refused(db):
        db.execute("PRAGMA query_only = ON")  # the next statement fails as on a read-only medium
        try:
            return _insert(db, "t-bad")
        finally:
            db.execute("PRAGMA query_only = OFF")

    gate = Gate(store)
    good1 = store.submit(_insert, "t-1")
    bad = store.submit(refused)
    good2 = store.submit(_insert, "t-2")
    gate.open()
    assert good1.result(10) == "t-1" and good2.result(10) == "t-2"
    with pytest.raises(errors.StorageError) as caught:
        bad.result(10)
    assert caught.value.code == "internal"
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert _names(store) == {"t-1", "t-2"}


def test_a_programming_error_in_a_job_is_not_disguised(store):
    with pytest.raises(sqlite3.OperationalError):
        store.write(lambda db: db.execute("SELECT * FROM no_such_table"))


def test_a_full_disk_fails_the_write_and_leaves_nothing_half_written(tmp_path, clock):
    """`max_page_count` makes the database file full: the ticket that does not fit is refused
    whole (no ticket without its audit row), earlier ones stay, and the writer goes on."""
    app = make_app(tmp_path, CLOCK=clock)
    qms = app.extensions["qms"]
    from server.engine import admin

    qms.write(admin.add_service, code="A", name_vi="Đất đai", prefix="A")
    pages = qms.store._writer_db.execute("PRAGMA page_count").fetchone()[0]
    qms.store.write(lambda db: db.execute(f"PRAGMA max_page_count = {pages + 2}"))
    acked, refused = [], None
    for _ in range(2000):
        try:
            acked.append(qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A", actor="t"))
        except Exception as exc:
            refused = exc
            break
    assert refused is not None, "the database never filled up"
    assert isinstance(refused, errors.StorageError) and refused.code == "internal"
    db = qms.store.read()
    rows = db.execute("SELECT id, code FROM tickets ORDER BY seq").fetchall()
    audits = db.execute("SELECT subject FROM audit WHERE action = 'ticket.issue'").fetchall()
    assert [r[0] for r in rows] == [t["id"] for t in acked]
    assert {a[0] for a in audits} == {t["id"] for t in acked}
    assert [r[1] for r in rows] == [f"A{i:03d}" for i in range(1, len(acked) + 1)]
    # Room again: the sequence goes on without a gap.
    qms.store.write(lambda db: db.execute("PRAGMA max_page_count = 1073741823"))
    nxt = qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A", actor="t")
    assert nxt["code"] == f"A{len(acked) + 1:03d}"
    app.extensions["qms"].close()


def test_concurrent_issuing_through_the_store_has_no_gap_and_no_duplicate(engine, qms):
    per_thread, threads = 25, 16
    start = threading.Barrier(threads)

    def worker(k):
        start.wait()
        out = []
        for i in range(per_thread):
            service = "A" if (k + i) % 3 else "B"
            out.append(qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service=service, actor="t"))
        return out

    with ThreadPoolExecutor(threads) as pool:
        results = [t for chunk in pool.map(worker, range(threads)) for t in chunk]
    assert len(results) == per_thread * threads
    for service, prefix in (("A", "A"), ("B", "B")):
        codes = sorted(t["code"] for t in results if t["service"] == service)
        assert codes == [f"{prefix}{i:03d}" for i in range(1, len(codes) + 1)]
        seqs = [r["seq"] for r in engine.rows("SELECT seq FROM tickets WHERE service = ? ORDER BY seq", [service])]
        assert seqs == list(range(1, len(codes) + 1))
    # Issue times follow the order of the numbers (both are given by the one writer).
    rows = engine.rows("SELECT issued_at, seq FROM tickets WHERE service = 'A' ORDER BY seq")
    assert [r["issued_at"] for r in rows] == sorted(r["issued_at"] for r in rows)


def test_acked_writes_survive_close_and_reopen(tmp_path, clock, center_template):
    import shutil

    template, center = center_template
    (tmp_path / "instance").mkdir()
    shutil.copyfile(template, tmp_path / "instance" / "qms.db")
    app = make_app(tmp_path, CLOCK=clock)
    sio = app.extensions["socketio"]
    kiosk = sio.test_client(app, namespace="/kiosk", auth={"device": "kiosk-1", "token": center["devices"]["kiosk-1"]})
    rater = sio.test_client(app, namespace="/kiosk", auth={"device": "rate-2", "token": center["devices"]["rate-2"]})
    acked = []
    for _ in range(5):
        ack = kiosk.emit("ticket", {"id": str(uuid.uuid4()), "service": "B"}, namespace="/kiosk", callback=True)
        assert ack["ok"]
        acked.append(ack["ticket"])
    rating_id = str(uuid.uuid4())
    assert rater.emit("rating", {"id": rating_id, "score": 5, "age_ms": 0}, namespace="/kiosk", callback=True)["ok"]
    kiosk.disconnect(namespace="/kiosk")
    rater.disconnect(namespace="/kiosk")
    app.extensions["qms"].close()

    # Read the file with nothing of ours in between.
    conn = sqlite3.connect(tmp_path / "instance" / "qms.db")
    ids = {r[0] for r in conn.execute("SELECT id FROM tickets")}
    assert ids == {t["id"] for t in acked}
    assert conn.execute("SELECT count(*) FROM ratings WHERE id = ?", [rating_id]).fetchone()[0] == 1
    conn.close()

    again = make_app(tmp_path, CLOCK=clock)
    try:
        kiosk = again.extensions["socketio"].test_client(
            again, namespace="/kiosk", auth={"device": "kiosk-1", "token": center["devices"]["kiosk-1"]})
        # A replay after the restart returns the ticket issued before it; the sequence continues.
        replay = kiosk.emit("ticket", {"id": acked[2]["id"], "service": "B"}, namespace="/kiosk", callback=True)
        assert replay["ticket"]["code"] == "B003"
        fresh = kiosk.emit("ticket", {"id": str(uuid.uuid4()), "service": "B"}, namespace="/kiosk", callback=True)
        assert fresh["ticket"]["code"] == "B006"
    finally:
        again.extensions["qms"].close()


def test_closed_store_refuses_writes(tmp_path):
    s = Store(tmp_path / "c.db")
    s.close()
    with pytest.raises(errors.StorageError):
        s.write(lambda db: None)


def test_version_grows_by_one_per_committed_batch_and_is_set_before_anyone_hears(store, tmp_path):
    start = store.version
    assert isinstance(start, int) and isinstance(store.boot, str) and len(store.boot) >= 8
    seen_by_hook = []
    store.on_commit.append(lambda: seen_by_hook.append(store.version))
    result, v = store.write_versioned(_insert, "t-a")
    assert result == "t-a" and v == start + 1 == store.version and seen_by_hook == [v]
    # Jobs of one batch share its version; the next batch gets the next one.
    gate = Gate(store)
    futures = [store.submit(_insert, f"t-b{i}") for i in range(5)]
    gate.open()
    assert [f.result(10) for f in futures] and {f.version for f in futures} == {start + 3}
    assert store.version == start + 3
    # A job that fails alone commits nothing: the version does not move.
    with pytest.raises(sqlite3.IntegrityError):
        store.write(_insert, "t-a")
    assert store.version == start + 3
    assert store.stamp() == {"boot": store.boot, "seq": start + 3}
    other = Store(tmp_path / "other.db")
    try:
        assert other.boot != store.boot and other.version == 0
    finally:
        other.close()


def test_healthz_reports_a_full_disk_until_writes_go_through_again(tmp_path, clock):
    """While the disk refuses writes, /healthz answers 503 with the reason; once a write is
    committed again, 200 (issue: the web layer / faults, hole 4)."""
    app = make_app(tmp_path, CLOCK=clock)
    qms = app.extensions["qms"]
    client = app.test_client()
    from server.engine import admin

    qms.write(admin.add_service, code="A", name_vi="Đất đai", prefix="A")
    assert client.get("/healthz").status_code == 200
    pages = qms.store._writer_db.execute("PRAGMA page_count").fetchone()[0]
    qms.store.write(lambda db: db.execute(f"PRAGMA max_page_count = {pages + 2}"))
    with pytest.raises(errors.StorageError):
        for _ in range(2000):
            qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A", actor="t")
    resp = client.get("/healthz")
    body = resp.get_json()
    assert resp.status_code == 503 and body["ok"] is False and body["db"] == "failing"
    assert "full" in body["last_write_failure"]["error"].lower()
    qms.store.write(lambda db: db.execute("PRAGMA max_page_count = 1073741823"))
    qms.write(tickets.issue, ticket_id=str(uuid.uuid4()), service="A", actor="t")
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["db"] == "ok"
    qms.close()


def test_healthz_reports_low_disk_space(tmp_path, clock):
    app = make_app(tmp_path, CLOCK=clock, disk_free_min_mb=10 ** 12)  # more than any disk has
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503 and resp.get_json()["db"] == "low_disk"
    app.extensions["qms"].close()


def test_migration_m004_binds_request_ids_and_keeps_older_rows(tmp_path):
    # A database migrated up to before m004 (as one in the field is), with a stored request,
    # then migrated: the row is kept, and new rows say their counter and action.
    from sqlite_utils import Database

    from server import migrations

    db = Database(tmp_path / "old.db")
    migrations.core.apply(db, stop_before="m004_action_requests_bound")
    db.execute("INSERT INTO action_requests (id, at, actor, result) VALUES ('r', 1, 'user:a', '{}')")
    migrations.migrate(db)
    assert "m004_action_requests_bound" in [m.name for m in migrations.core.applied(db)]
    assert {"counter", "action"} <= set(db["action_requests"].columns_dict)
    assert db.execute("SELECT id, actor, counter, action FROM action_requests").fetchall() == [("r", "user:a", None, None)]
