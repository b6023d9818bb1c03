"""The status reporter: a report at start, on a change, and again after a reconnection."""

from __future__ import annotations

import threading

from kiosk.status import StatusReporter
from tests.kiosk.kiosk_helpers import wait_for


class FakeLink:
    def __init__(self):
        self.connected = True
        self.sent: list[dict] = []

    def call(self, event, data, timeout):
        assert event == "status"
        self.sent.append(dict(data))
        return {"ok": True}


def test_reports_on_change_and_after_reconnection():
    link = FakeLink()
    state = {"printer": "ok", "outbox": 0, "version": "t", "uptime_s": 1}
    probes = []
    reporter = StatusReporter(link, lambda: dict(state), interval_s=3600, timeout_s=1,
                              monotonic=lambda: 0.0 + len(link.sent) * 2.0, probe=lambda: probes.append(1))
    thread = threading.Thread(target=reporter.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(link.sent) == 1, message="first report")
        assert probes  # the printer was probed before the first report
        state["uptime_s"] = 99
        reporter.changed()
        threading.Event().wait(0.05)
        assert len(link.sent) == 1  # uptime alone is not a change
        state["printer"] = "paper_out"
        reporter.changed()
        wait_for(lambda: len(link.sent) == 2, message="report of the change")
        assert link.sent[-1]["printer"] == "paper_out"
        link.connected = False
        reporter.changed()
        threading.Event().wait(0.05)
        link.connected = True
        reporter.changed()
        wait_for(lambda: len(link.sent) == 3, message="report after reconnection")
    finally:
        reporter.stop()
        thread.join(5)
