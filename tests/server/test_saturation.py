"""Past capacity the production server refuses fast with `busy` and never collapses: the short
form of `bench/load_table.py --outbox` (docs/benchmarks.md, "Web layer, second pass"). Devices send
as the kiosk's outbox does (one event in flight, back-off after `busy`), far faster than the
server takes them, and the shedding is made touchy (5 ms of write wait) so that it must act."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.browser_fixtures import ROOT


def test_overload_is_answered_fast_refusals_are_delivered_later_and_nothing_is_lost(tmp_path):
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "server_load.py"), "--outbox", "--kiosks", "40",
                          "--rate", "3000", "--duration", "6", "--call-every", "1", "--p99-target", "1000",
                          "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "QMS_BUSY_WRITE_WAIT_MS": "5"})
    assert out.exists(), run.stdout[-2000:] + run.stderr[-2000:]
    f = json.loads(out.read_text())
    assert f["verify"]["ok"], f["verify"]  # the database holds exactly what was acknowledged
    assert f["events_acked_ok"] == f["events_sent"] == 18000, f["errors"]  # every event delivered in the end
    assert f["busy_answers"] > 0 and f["events_delivered_after_busy"] > 0, "the shedding never acted"
    assert f["dropped_connections"] == 0
    assert f["answer_ms"]["p99"] < 1000, f["answer_ms"]  # every answer, ok or busy, within a second
