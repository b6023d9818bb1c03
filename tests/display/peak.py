"""The morning peak on a real display (issue 12): a scenario of calls, recalls and a pause at 8
counters played in real time against the live server, and what the page did with each call.

Used by tests/display/test_display_peak.py (what is said and shown must be true, nothing left
unsaid) and bench/display_peak.py (the delays: call to spotlight, call to the start of its voice).

Times: the driver stamps each action with `time.time()` just before its HTTP request; the page
stamps its logs with `performance.now()`, turned into the same wall clock by
`performance.timeOrigin` (one machine, one clock).
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field

import requests

from server.engine import admin, counters

SNAPSHOT_GRACE_S = 1.0  # a pause reaches the page in a snapshot: coalesced (250 ms) and sent


@dataclass
class Event:
    at: float          # seconds from the start
    counter: int
    action: str        # next, recall, finish, pause, resume


@dataclass
class Done:
    event: Event
    sent: float        # wall clock, just before the request
    answered: float
    call: dict | None  # the call made (next, recall)


def busy_hour(minutes: float = 10, per_minute: float = 8, n_counters: int = 8, seed: int = 12) -> list[Event]:
    """`per_minute` calls a minute for `minutes`, spread over the counters, about one in eight a
    recall; counter 5 finishes and pauses at 35 % of the time and resumes at 55 %."""
    return _scenario(int(minutes * per_minute), minutes * 60, n_counters, seed, pause=(5, 0.35, 0.55),
                     even=True)


def burst(calls: int = 30, seconds: float = 60, n_counters: int = 8, seed: int = 7) -> list[Event]:
    """`calls` calls (recalls among them) from the counters within `seconds`; counter 3 pauses
    half-way and resumes at three quarters."""
    return _scenario(calls, seconds, n_counters, seed, pause=(3, 0.5, 0.75), even=False)


def _scenario(n: int, span: float, n_counters: int, seed: int, pause, even: bool) -> list[Event]:
    rng = random.Random(seed)
    if even:  # evenly spaced, a little jitter
        times = [min(span, max(0.0, (i + 0.5) * span / n + rng.uniform(-1.5, 1.5))) for i in range(n)]
    else:     # a burst: anywhere in the span
        times = sorted(rng.uniform(0, span) for _ in range(n))
    paused_counter, pause_at, resume_at = pause
    out: list[Event] = []
    holding: set[int] = set()
    paused = False
    marks = [(pause_at * span, "pause"), (resume_at * span, "resume")]
    for t in times:
        while marks and marks[0][0] <= t:
            at, what = marks.pop(0)
            if what == "pause":
                if paused_counter in holding:
                    out.append(Event(at, paused_counter, "finish"))
                    holding.discard(paused_counter)
                out.append(Event(at, paused_counter, "pause"))
                paused = True
            else:
                out.append(Event(at, paused_counter, "resume"))
                paused = False
        choices = [c for c in range(1, n_counters + 1) if not (paused and c == paused_counter)]
        counter = rng.choice(choices)
        action = "recall" if counter in holding and rng.random() < 0.15 else "next"
        holding.add(counter)
        out.append(Event(t, counter, action))
    return out


class Center:
    """The live test center grown to `n_counters` counters, each with its officer signed in, and
    enough waiting tickets for every call."""

    def __init__(self, live, n_counters: int = 8, tickets: int = 120):
        self.live = live
        self.http = requests.Session()
        qms = live.qms
        self.tokens = {i: live.token(f"officer{i}") for i in (1, 2, 3)}

        def grow(db, cfg, now):
            tokens = {}
            for i in range(4, n_counters + 1):
                admin.add_counter(db, cfg, now, number=i, services=["A", "B"] if i % 2 else ["B", "A"])
                name = f"peak{i}"
                u = admin.add_user(db, cfg, now, username=name, full_name=f"Cán bộ {i}", role="officer",
                                   api_token=True, counter=i)
                counters.sign_in(db, cfg, now, number=i, user=db["users"].get(u["id"]), actor="test")
                tokens[i] = u["api_token"]
            return tokens

        self.tokens.update(qms.write(grow))
        for i in range(tickets):
            self.issue("AB"[i % 2])

    def issue(self, service: str) -> None:
        r = self.http.post(f"{self.live.url}/api/tickets", json={"service": service},
                           headers={"Authorization": "Bearer " + self.live.token("kiosk-1")}, timeout=10)
        assert r.status_code == 201, r.text

    def act(self, counter: int, action: str) -> dict:
        r = self.http.post(f"{self.live.url}/api/counters/{counter}/{action}",
                           headers={"Authorization": "Bearer " + self.tokens[counter]}, timeout=10)
        assert r.status_code == 200, (counter, action, r.text)
        return r.json()["result"]

    def play(self, events: list[Event]) -> list[Done]:
        """Each event at its time (real time, from now); returns what was done and when."""
        start = time.time()
        done = []
        for ev in sorted(events, key=lambda e: e.at):
            wait = start + ev.at - time.time()
            if wait > 0:
                time.sleep(wait)  # the driver keeps the scenario's pace; nothing is asserted here
            sent = time.time()
            result = self.act(ev.counter, ev.action)
            done.append(Done(ev, sent, time.time(), result.get("call")))
        return done


IDLE = """ids => { const d = window.qmsDisplay; const got = new Set(d.receivedLog.map(e => e.id));
    return ids.every(i => got.has(i)) && d.state.queue.length === 0 && d.state.speaking === null; }"""

LOGS = """() => { const d = window.qmsDisplay;
    return {origin: performance.timeOrigin, received: d.receivedLog, shown: d.shownLog, audio: d.audioLog,
            dropped: d.droppedLog, spot: d.spotLog}; }"""


def wait_idle(page, done: list[Done], timeout_ms: int = 180_000) -> dict:
    """Wait until the page has every call and has said or dropped them all; its logs, in wall time."""
    ids = [d.call["id"] for d in done if d.call]
    page.wait_for_function(IDLE, arg=ids, timeout=timeout_ms)
    logs = page.evaluate(LOGS)
    ms = logs.pop("origin")
    for entries in logs.values():
        for e in entries:
            for key in ("at", "start", "end", "received"):
                if e.get(key) is not None:
                    e[key] = (ms + e[key]) / 1000.0
    return logs


@dataclass
class Verdict:
    calls: int = 0
    spot_delay: list[float] = field(default_factory=list)   # s, each call: sent -> in the spotlight
    voice_delay: list[float] = field(default_factory=list)  # s, each call said: sent -> its voice starts
    said_once: int = 0
    said_full: int = 0
    cut: int = 0
    dropped: int = 0
    untrue: list[str] = field(default_factory=list)         # said after it stopped being true
    unsaid: list[str] = field(default_factory=list)         # neither said nor superseded
    stale_spot: list[str] = field(default_factory=list)     # spotlight older than the counter's current call
    errors: list[str] = field(default_factory=list)         # audio that failed to play

    def figures(self) -> dict:
        return {"calls": self.calls, "spotlight": pct(self.spot_delay), "voice": pct(self.voice_delay),
                "said_once": self.said_once, "said_full": self.said_full, "cut": self.cut,
                "dropped": self.dropped, "untrue": len(self.untrue), "unsaid": len(self.unsaid),
                "stale_spotlight": len(self.stale_spot), "audio_errors": len(self.errors)}


def pct(values: list[float]) -> dict:
    if not values:
        return {}
    v = sorted(values)

    def q(p):
        return v[min(len(v) - 1, max(0, round(p * (len(v) - 1))))]

    return {"n": len(v), "p50": q(.5), "p90": q(.9), "p99": q(.99), "max": v[-1], "mean": statistics.fmean(v)}


def judge(done: list[Done], logs: dict) -> Verdict:
    """What the page did against what the counters did."""
    verdict = Verdict()
    received = {e["id"]: e["at"] for e in logs["received"]}
    shown = {}
    for e in logs["shown"]:
        shown.setdefault(e["id"], e["at"])
    audio = {}
    for e in logs["audio"]:
        audio.setdefault(e["id"], e)
    dropped = {e["id"]: e for e in logs["dropped"]}

    # When each call stopped being true, as the page could know it: the next call at its counter
    # when the page received it, or a finish or pause when answered plus a snapshot's way.
    ends: dict[int, float] = {}
    last_call: dict[int, Done] = {}
    for d in sorted(done, key=lambda d: d.sent):
        c = d.event.counter
        prev = last_call.get(c)
        if d.call:
            if prev is not None and prev.call["id"] not in ends:
                ends[prev.call["id"]] = received.get(d.call["id"], d.answered)
            last_call[c] = d
        elif d.event.action in ("finish", "pause", "no-show") and prev is not None and prev.call["id"] not in ends:
            ends[prev.call["id"]] = d.answered + SNAPSHOT_GRACE_S

    calls = [d for d in done if d.call]
    verdict.calls = len(calls)
    for d in calls:
        cid, label = d.call["id"], f"{d.call['code']}@{d.event.counter}#{d.call['id']}"
        if cid in shown:
            verdict.spot_delay.append(shown[cid] - d.sent)
        entry = audio.get(cid)
        end = ends.get(cid)
        if entry is not None and entry["start"] is not None and not (entry["cut"] and entry["start"] == entry["end"]):
            verdict.voice_delay.append(entry["start"] - d.sent)
            verdict.said_once += bool(entry["once"])
            verdict.said_full += not entry["once"]
            if entry["error"]:
                verdict.errors.append(f"{label}: {entry['error']}")
            if end is not None and entry["start"] > end:
                verdict.untrue.append(f"{label} said {entry['start'] - end:.2f} s after it stopped being true")
            if entry["cut"]:
                verdict.cut += 1
            elif end is not None and entry["end"] is not None and entry["end"] > end + SNAPSHOT_GRACE_S:
                verdict.untrue.append(f"{label} went on being said {entry['end'] - end:.2f} s after it stopped being true")
        elif end is not None and (cid in dropped or (entry is not None and entry["cut"])):
            verdict.dropped += 1
        else:
            verdict.unsaid.append(f"{label}: not said, and still true (dropped: {dropped.get(cid)})")

    # The spotlight: every drawing shows, for each counter, no call older than one the page had.
    by_counter: dict[int, list[tuple[float, int]]] = {}
    counter_of = {d.call["id"]: d.event.counter for d in calls}
    for d in calls:
        if d.call["id"] in received:
            by_counter.setdefault(d.event.counter, []).append((received[d.call["id"]], d.call["id"]))
    for e in logs["spot"]:
        for cid in e["ids"]:
            c = counter_of.get(cid)
            if c is None:
                continue
            newer = [i for at, i in by_counter.get(c, []) if at <= e["at"] and i > cid]
            end = ends.get(cid)
            if newer:
                verdict.stale_spot.append(f"#{cid} at counter {c} shown after #{newer[0]} came")
            elif end is not None and e["at"] > end + SNAPSHOT_GRACE_S:
                verdict.stale_spot.append(f"#{cid} at counter {c} shown {e['at'] - end:.2f} s after it stopped being true")
    return verdict
