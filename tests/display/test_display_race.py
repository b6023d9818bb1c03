"""`called` and `snapshot` race to the display (issue: a call shown twice, an old snapshot winning).

The server sends `called` from the request thread at once and snapshots from the broadcaster
thread, so a page gets them in either order. Here the real page in headless chromium gets both
orders many times, with crafted emissions through the live server's own Socket.IO (the
broadcaster is held off the store's commits, so the test alone decides the order), and then under
real concurrent load with nothing held. Each time: every call is listed once in "Số vừa gọi" and
put in the spotlight (and the voice queue) once, and the newest snapshot wins.

The page is never waited on with a sleep: after each step the test emits a `probe` event on the
same namespace and waits for the page to have received it; Socket.IO delivers one emitter's
messages in order, so everything sent before it has been handled by then.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from server.engine import requests, views
from server.web.display import namespace as display_socket
from tests.browser_fixtures import browser  # noqa: F401
from tests.display.helpers import Center, open_display

ROUNDS = 6

# Records every moment "Số vừa gọi" lists a call twice (by call id; code@counter on a page
# without ids), however briefly, and every probe received.
WATCH = """() => {
    window.__dups = [];
    window.__probe = -1;
    const list = document.getElementById('recent-list');
    new MutationObserver(() => {
        const keys = [...list.querySelectorAll('li[data-code]')]
            .map(li => li.dataset.id || (li.dataset.code + '@' + li.dataset.counter));
        if (new Set(keys).size !== keys.length) window.__dups.push(keys.join(','));
    }).observe(list, {childList: true, subtree: true});
    window.qmsDisplay.socket.on('probe', n => { window.__probe = n; });
}"""

# Every call id the spotlight has shown (the one shown now included) or will show: its queue is
# the voice's queue.
SPOTLIGHT_IDS = """() => {
    const d = window.qmsDisplay;
    return d.shownLog.map(e => e.id).concat(d.state.queue.map(c => c.id));
}"""


class Race:
    """The live server's display namespace, driven by hand."""

    def __init__(self, live, page):
        self.live = live
        self.page = page
        self.sio = live.app.extensions["socketio"]
        # Announce a call made earlier, with the version of the commit that made it.
        self.emit_call = lambda call: live.qms.announce_call({k: v for k, v in call.items() if k != "v"},
                                                             call["v"]["seq"])
        self.probes = 0
        self.calls: list[dict] = []
        self.newest_seq = 0

    def call(self, counter: int, action: str = "next") -> dict:
        """Make a call in the store, as the API does, without announcing it."""
        result, seq = self.live.qms.write_versioned(requests.counter_action, number=counter, action=action,
                                                    actor="test")
        call = {**result["call"], "v": {"boot": self.live.store.boot, "seq": seq}}
        assert isinstance(call["id"], int) and call["v"]["boot"] == self.live.store.boot
        self.calls.append(call)
        return call

    def snapshot(self) -> dict:
        snap = display_socket.snapshot(self.live.qms)
        self.newest_seq = max(self.newest_seq, snap["v"]["seq"])
        return snap

    def send(self, *messages) -> None:
        for m in messages:
            if "recent_calls" in m:
                self.sio.emit("snapshot", m, namespace="/display")
            else:
                self.emit_call(m)
        self.probes += 1
        self.sio.emit("probe", self.probes, namespace="/display")
        self.page.wait_for_function("n => window.__probe === n", arg=self.probes)

    def check(self, what: str) -> None:
        page = self.page
        assert page.evaluate("window.__dups") == [], f"{what}: a call listed twice"
        db = self.live.store.read()
        # A recall takes its number's row (issue 12): each number at a counter once, newest first.
        expected = list(dict.fromkeys((c["code"], str(c["counter"]))
                                      for c in views.recent_calls(db, self.live.qms.cfg(), 8)))
        shown = page.locator("#recent-list li[data-code]").evaluate_all(
            "ls => ls.map(li => [li.dataset.code, li.dataset.counter])")
        assert [tuple(x) for x in shown] == expected, what
        assert page.evaluate("window.qmsDisplay.state.snapshot.v.seq") == self.newest_seq, what

    def check_spotlight(self, what: str) -> None:
        ids = self.page.evaluate(SPOTLIGHT_IDS)
        assert sorted(ids) == sorted(c["id"] for c in self.calls), f"{what}: spotlight {ids}"


@pytest.fixture
def race(browser, live_server):  # noqa: F811
    center = Center(live_server)
    for service in "A" * 40 + "B" * 40:
        center.issue(service)
    # From here on, commits do not wake the broadcaster: the test sends every message itself.
    live_server.store.on_commit.remove(live_server.qms.broadcaster.mark)
    page = open_display(browser, live_server, "mute=1")
    page.evaluate(WATCH)
    r = Race(live_server, page)
    r.send(r.snapshot())
    yield r
    page.context.close()


def test_called_and_snapshot_in_either_order_show_each_call_once(race):
    for i in range(ROUNDS):
        # One call: its `called` before, then after, the snapshot that already holds it.
        call = race.call(1)
        snap = race.snapshot()
        assert call["v"]["seq"] <= snap["v"]["seq"] and call["id"] in [c["id"] for c in snap["recent_calls"]]
        race.send(call, snap)
        race.check(f"round {i}: called, then snapshot")
        call = race.call(2)
        race.send(race.snapshot(), call)
        race.check(f"round {i}: snapshot, then called")

        # A recall: the same number again, a new call (its own id), in both orders.
        recall = race.call(2, "recall")
        assert recall["recall"] and recall["id"] != call["id"] and recall["code"] == call["code"]
        snap = race.snapshot()
        race.send(*((recall, snap) if i % 2 else (snap, recall)))
        race.check(f"round {i}: recall")

        # Two counters at once (their writes may share one commit), messages interleaved.
        with ThreadPoolExecutor(2) as pool:
            one, three = pool.map(race.call, (1, 3))
        snap = race.snapshot()
        orders = [(three, snap, one), (snap, one, three), (one, three, snap)]
        race.send(*orders[i % 3])
        race.check(f"round {i}: two counters")

        # An older snapshot arriving after a newer one is dropped: the newest wins.
        old = race.snapshot()
        call = race.call(3)
        new = race.snapshot()
        assert old["v"]["seq"] < new["v"]["seq"]
        race.send(*((call, new, old) if i % 2 else (new, old, call)))
        race.check(f"round {i}: older snapshot after a newer one")
        assert race.page.evaluate("window.qmsDisplay.state.dropped") >= i + 1
        race.check_spotlight(f"round {i}")

    # The spotlight's queue drains in order, each call once.
    race.page.wait_for_function("() => window.qmsDisplay.shownLog.length >= 3")


def test_a_snapshot_of_another_boot_is_applied(race):
    """After a restart the server's versions start again: a new boot is always newer."""
    call = race.call(1)
    snap = race.snapshot()
    race.send(snap, call)
    restarted = race.snapshot() | {"v": {"boot": "another-boot", "seq": 0}, "notice": "Máy chủ vừa khởi động lại"}
    race.send(restarted)
    expect(race.page.locator("#ticker-text")).to_have_text("Máy chủ vừa khởi động lại")
    assert race.page.evaluate("window.__dups") == []


def test_real_calls_under_load_show_each_call_once(browser, live_server):  # noqa: F811
    """Nothing held: `called` from request threads, snapshots from the broadcaster, three
    counters calling at once, round after round."""
    center = Center(live_server)
    for service in "A" * 30 + "B" * 30:
        center.issue(service)
    page = open_display(browser, live_server, "mute=1")
    page.evaluate(WATCH)
    made: list[dict] = []
    lock = threading.Lock()

    def call(counter: int) -> None:
        result = center.act(counter, "next")
        with lock:
            made.append(result["call"])

    with ThreadPoolExecutor(3) as pool:
        for _ in range(12):
            list(pool.map(call, (1, 2, 3)))
    db = live_server.store.read()
    expected = [[c["code"], str(c["counter"])] for c in views.recent_calls(db, live_server.qms.cfg(), 8)]
    page.wait_for_function(
        """exp => JSON.stringify([...document.querySelectorAll('#recent-list li[data-code]')]
                 .map(li => [li.dataset.code, li.dataset.counter])) === JSON.stringify(exp)""", arg=expected)
    page.wait_for_function(f"() => ({SPOTLIGHT_IDS})().length >= {len(made)}")
    assert page.evaluate("window.__dups") == []
    ids = page.evaluate(SPOTLIGHT_IDS)
    assert sorted(ids) == sorted(c["id"] for c in made)
    page.context.close()
