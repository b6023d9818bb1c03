"""The outbox keeps events across restarts; ages of presses stay honest across a reboot."""

from __future__ import annotations

import sqlite3

from kiosk.clock import (
    AGE_LOWER_BOUND,
    AGE_MONOTONIC,
    AGE_WALL,
    Clock,
    Stamp,
    read_boot_id,
)
from kiosk.outbox import Outbox


def stamp(mono=10.0, boot="boot-1", wall=1_800_000_000.0, synced=True):
    return Stamp(mono=mono, boot_id=boot, wall=wall, wall_synced=synced)


def test_rows_come_out_oldest_first_and_survive_a_reopen(tmp_path):
    path = tmp_path / "d" / "outbox.sqlite3"
    box = Outbox(path)
    assert box.add("rating", "k1", {"id": "k1", "score": 5}, stamp())
    assert box.add("print_failed", "k2", {"ticket_id": "t", "reason": "paper_out"})
    assert not box.add("rating", "k1", {"id": "k1", "score": 5}, stamp())  # same key: not twice
    box.close()

    box = Outbox(path)
    first = box.peek()
    assert (first.key, first.event, first.payload) == ("k1", "rating", {"id": "k1", "score": 5})
    assert first.stamp == stamp()
    box.remove(first.seq)
    second = box.peek()
    assert second.key == "k2" and second.stamp is None
    assert box.depth() == 1
    box.close()


def test_wal_and_full_sync(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    box.close()


def test_a_committed_row_is_visible_to_another_process_view(tmp_path):
    path = tmp_path / "o.sqlite3"
    box = Outbox(path)
    box.add("rating", "k", {"id": "k", "score": 3}, stamp())
    other = sqlite3.connect(path)  # what a restarted agent would read, without closing the first
    assert other.execute("SELECT key FROM outbox").fetchall() == [("k",)]
    other.close()
    box.close()


def test_bury_moves_to_dead_letter(tmp_path):
    box = Outbox(tmp_path / "o.sqlite3")
    box.add("rating", "k", {"id": "k", "score": 9}, stamp())
    entry = box.peek()
    box.note_failure(entry.seq, "timeout")
    box.bury(entry.seq, "bad_request", "score phải từ 1 đến 5")
    assert box.depth() == 0 and box.peek() is None
    [dead] = box.dead()
    assert dead["key"] == "k" and dead["error"] == "bad_request" and dead["attempts"] == 2
    box.close()


def clock(mono=100.0, boot="boot-1", wall=1_800_000_500.0, synced=True, since_boot=42.0):
    return Clock(monotonic=lambda: mono, wall=lambda: wall, boot_id=boot, synced=lambda: synced,
                 since_boot=lambda: since_boot)


def test_age_within_one_boot_is_monotonic_even_if_the_wall_clock_jumps():
    assert clock(mono=100.0, wall=0.0).age_ms(stamp(mono=10.0)) == (90_000, AGE_MONOTONIC)


def test_age_after_a_reboot_uses_a_synchronised_wall_clock():
    age = clock(boot="boot-2", wall=1_800_000_500.0).age_ms(stamp(wall=1_800_000_000.0))
    assert age == (500_000, AGE_WALL)


def test_age_after_a_reboot_without_a_trusted_clock_is_a_lower_bound():
    # The press was not stamped by a synchronised clock: only "before this boot" is known.
    assert clock(boot="boot-2").age_ms(stamp(synced=False)) == (42_000, AGE_LOWER_BOUND)
    # Now not synchronised (no NTP yet after the power cut).
    assert clock(boot="boot-2", synced=False).age_ms(stamp()) == (42_000, AGE_LOWER_BOUND)
    # A wall clock that went backwards is not trusted either.
    assert clock(boot="boot-2", wall=1_700_000_000.0).age_ms(stamp()) == (42_000, AGE_LOWER_BOUND)


def test_stamp_records_every_clock():
    s = clock(mono=7.0, wall=123.0).stamp()
    assert s == Stamp(mono=7.0, boot_id="boot-1", wall=123.0, wall_synced=True)


def test_boot_id(tmp_path):
    path = tmp_path / "boot_id"
    path.write_text("abc-123\n")
    assert read_boot_id(path) == "abc-123"
    assert read_boot_id(tmp_path / "missing") == ""
