"""The administration issue's backup claim, end to end: a backup downloaded from the running
production server while `bench/server_load.py` sends 200 events/s restores (CLI, integrity
checked) to a database holding every ticket and rating acknowledged before the download began.
The full run's figures are in docs/benchmarks.md; this is the short form."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.browser_fixtures import ROOT


def test_a_backup_under_load_restores_with_every_row_acknowledged_before_it(tmp_path):
    out = tmp_path / "figures.json"
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "backup_under_load.py"), "--rate", "200",
                          "--duration", "12", "--kiosks", "40", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.exists(), run.stdout[-2000:] + run.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["restore"]["exit"] == 0 and figures["restore"]["integrity_check"] == "ok", figures
    assert figures["acked_before_backup"] > 200, figures  # the backup was taken under load...
    assert figures["backup"]["acked_after_it"] > 200, figures  # ...which went on after it
    assert figures["missing"] == [] and figures["found_in_restored"] == figures["acked_before_backup"], figures
    assert run.returncode == 0 and figures["ok"] is True
