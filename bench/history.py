"""Synthetic history of a busy center: a year of tickets, calls and ratings, written fast.

    .venv/bin/python bench/history.py OUT_DIR [--days 365] [--per-day 1150] [--seed 7]

makes OUT_DIR/instance/qms.db with `create_app`'s migrations, loads the catalog (6 services,
16 counters, 19 officers, kiosks) through the admin functions, then simulates each working day
(Monday-Friday and Saturday morning, Tết closed) and writes every row with `executemany` in ONE
transaction straight into SQLite. The last day ("today": the last weekday, so that it is a working
morning) runs up to `--now-hour` (default 10:00 local):
tickets still waiting, counters holding numbers, devices online or not, so that the live board has
something to show. The audit log is not generated (reports never read it).

What is simulated, so that the reports have shapes to show:
- arrivals: a Poisson process whose rate peaks at 8-9 h, falls before lunch, a smaller afternoon
  peak; Mondays busier, Saturdays mornings only; a quieter month after Tết;
- a real queue: each counter calls the oldest ticket of the services it serves (priority first),
  so waits grow at the morning peak; no-shows (4 %, some requeued), transfers (2 %: each a stint
  in `ticket_transfers`, a third of them rated by the citizen during that first stint), recalls;
  now and then a ticket served across midnight and rated after it (the next weekday);
- "start serving" skipped for a third of the tickets (started_at NULL until finish, as the engine
  does it); officers absent some days and replaced by two substitutes (few ratings each), one
  officer leaving ten days ago and a newcomer taking his counter (few ratings);
- ratings: each officer has his own score profile; ~58 % of the served rate (mostly within the
  window after finishing, some during service), some press twice (duplicates), some presses with
  nobody at the counter (unattributed);
- dossier codes (mã hồ sơ) typed at finish for 85 % of the finished tickets.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import operator
import random
import sqlite3
import sys
import time
import uuid
from datetime import date, datetime, time as dtime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# code, name, English, prefix, share of arrivals, mean service minutes
SERVICES = [
    ("CT", "Chứng thực", "Certification", "A", 0.39, 3.0),
    ("HT", "Hộ tịch", "Civil status", "B", 0.20, 5.0),
    ("DD", "Đất đai", "Land", "C", 0.11, 9.0),
    ("KD", "Đăng ký kinh doanh", "Business registration", "D", 0.08, 8.0),
    ("LD", "Lao động - Thương binh và Xã hội", "Labour, invalids and social affairs", "E", 0.11, 6.0),
    ("BH", "Bảo hiểm xã hội", "Social insurance", "F", 0.11, 5.0),
]
COUNTERS = {1: ["CT"], 2: ["CT"], 3: ["CT"], 4: ["CT", "HT"], 5: ["HT"], 6: ["HT"], 7: ["DD"], 8: ["DD"],
            9: ["DD", "KD"], 10: ["KD"], 11: ["LD"], 12: ["LD", "BH"], 13: ["BH"], 14: ["CT", "BH"],
            15: ["DD", "KD"], 16: ["HT", "LD"]}
OFFICERS = [
    # username, full name, (p5, p4, p3, p2), rating propensity
    ("an.nv", "Nguyễn Văn An", (0.62, 0.30, 0.06, 0.02), 0.62),
    ("binh.tt", "Trần Thị Bình", (0.55, 0.35, 0.08, 0.02), 0.60),
    ("cuong.lh", "Lê Hoàng Cường", (0.40, 0.38, 0.15, 0.07), 0.55),
    ("dung.pt", "Phạm Thị Dung", (0.70, 0.25, 0.04, 0.01), 0.66),
    ("em.vv", "Võ Văn Em", (0.35, 0.40, 0.17, 0.08), 0.52),
    ("giang.dt", "Đặng Thu Giang", (0.58, 0.32, 0.07, 0.03), 0.60),
    ("hai.bq", "Bùi Quang Hải", (0.30, 0.40, 0.18, 0.12), 0.50),
    ("hoa.nt", "Ngô Thị Hoa", (0.65, 0.28, 0.05, 0.02), 0.64),
    ("khanh.dm", "Đỗ Minh Khánh", (0.50, 0.36, 0.10, 0.04), 0.58),
    ("lan.ht", "Hồ Thị Lan", (0.60, 0.30, 0.07, 0.03), 0.61),
    ("long.tv", "Trương Văn Long", (0.45, 0.35, 0.12, 0.08), 0.55),
    ("mai.lt", "Lý Thị Mai", (0.68, 0.27, 0.04, 0.01), 0.65),
    ("nam.pv", "Phan Văn Nam", (0.52, 0.34, 0.10, 0.04), 0.57),
    ("oanh.vt", "Vũ Thị Oanh", (0.57, 0.33, 0.07, 0.03), 0.59),
    ("thao.nt", "Nguyễn Thị Thảo", (0.48, 0.38, 0.10, 0.04), 0.56),
    ("tuan.lm", "Lâm Minh Tuấn", (0.42, 0.40, 0.12, 0.06), 0.54),
    ("phuc.nh", "Nguyễn Hữu Phúc", (0.80, 0.15, 0.04, 0.01), 0.70),  # substitute: few, glowing ratings
    ("quyen.tt", "Tạ Thị Quyên", (0.20, 0.30, 0.25, 0.25), 0.55),    # substitute: few, poor ratings
    ("son.lv", "Lê Văn Sơn", (0.75, 0.20, 0.04, 0.01), 0.60),        # newcomer, three weeks ago
]
REGULARS = 16          # officers 0..15 sit at counters 1..16
LEAVER, NEWCOMER, NEWCOMER_DAYS = 6, 18, 10  # Hải (counter 7) left ten days ago; Sơn took his place
SUBSTITUTES = (16, 17)  # cover some absences: few ratings each
# Arrivals per hour of a weekday, relative (index = local hour); closed 11:30-13:30 for issuing.
PROFILE = {7: 1.0, 8: 1.6, 9: 1.5, 10: 1.2, 11: 0.5, 13: 0.8, 14: 1.1, 15: 0.9, 16: 0.5}
OPEN_PERIODS = [(7.5, 11.5), (13.5, 17.0)]
SATURDAY_PERIODS = [(7.5, 11.5)]


def local_ts(day: date, hours: float) -> float:
    """Unix time of a local clock time (hours as a float) on a day."""
    h = int(hours)
    m = int(round((hours - h) * 60))
    return datetime.combine(day, dtime(h, m), TZ).timestamp()


def last_weekday(day: date) -> date:
    """The day itself, or the Friday before it on a weekend: "today" must be a working morning."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def tet_closed(day: date) -> bool:
    """The Tết holiday: about ten days around the lunar new year (late Jan - mid Feb)."""
    return (day.month == 1 and day.day >= 26) or (day.month == 2 and day.day <= 5)


def day_volume(day: date, per_day: int, rng: random.Random) -> float:
    weekday = day.weekday()
    factor = {0: 1.2, 1: 1.0, 2: 0.95, 3: 1.0, 4: 0.9, 5: 0.45}.get(weekday, 0)
    if day.month == 2 and day.day <= 20:
        factor *= 0.75  # after Tết
    if day.month in (7, 8):
        factor *= 1.08  # school enrolment: civil status papers
    return per_day * factor * rng.uniform(0.9, 1.1)


def arrivals(day: date, per_day: int, rng: random.Random) -> list[float]:
    """Arrival times (Unix) of one day: a Poisson process with a piecewise-constant rate."""
    periods = SATURDAY_PERIODS if day.weekday() == 5 else OPEN_PERIODS
    total_weight = 0.0
    slots = []
    for start, end in periods:
        t = start
        while t < end:
            nxt = min(end, math.floor(t) + 1.0)
            w = PROFILE.get(int(t), 0.3) * (nxt - t)
            slots.append((t, nxt, w))
            total_weight += w
            t = nxt
    volume = day_volume(day, per_day, rng)
    out = []
    for start, end, w in slots:
        rate = volume * w / total_weight / ((end - start) * 3600.0)  # per second
        t = local_ts(day, start)
        stop = local_ts(day, end)
        while True:
            t += rng.expovariate(rate)
            if t >= stop:
                break
            out.append(t)
    return out


class Ids:
    """Fast random UUIDs from a seeded generator (the engine's ids are UUIDs too)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def staffing(day: date, last: date, rng: random.Random) -> dict[int, int]:
    """Counter number -> officer (index into OFFICERS) on a day: regulars, absences, substitutes."""
    absent = {i for i in range(REGULARS) if rng.random() < 0.04}
    subs = list(SUBSTITUTES)
    staff = {}
    for number in COUNTERS:
        regular = number - 1
        if regular == LEAVER and (last - day).days < NEWCOMER_DAYS:
            staff[number] = NEWCOMER  # the newcomer took over counter 7 from the officer who left
        elif regular not in absent:
            staff[number] = regular
        elif subs and rng.random() < 0.12:
            staff[number] = subs.pop(rng.randrange(len(subs)))
    return staff


def simulate_day(day: date, per_day: int, rng: random.Random, ids: Ids, first: date, last: date,
                 until: float | None, out: dict) -> None:
    """Simulate one day; append rows to `out` (tickets, calls, ratings, sessions). `until`: stop
    the clock there (today), leaving tickets waiting and counters holding numbers."""
    day_s = day.isoformat()
    staff = staffing(day, last, rng)
    saturday = day.weekday() == 5
    open_at = local_ts(day, 7.5)
    close_issue = local_ts(day, 11.5 if saturday else 17.0)
    lunch = None if saturday else (local_ts(day, 11.5), local_ts(day, 13.5))

    shares = [s[4] for s in SERVICES]
    codes = [s[0] for s in SERVICES]
    mean_min = {s[0]: s[5] for s in SERVICES}
    prefix = {s[0]: s[3] for s in SERVICES}
    seq = {c: 0 for c in codes}
    tickets: dict[str, dict] = {}
    # per service: two heaps (priority, normal) of (issued_at, order, id)
    queues = {c: ([], []) for c in codes}
    order = 0
    for t in arrivals(day, per_day, rng):
        if until is not None and t > until:
            break
        service = rng.choices(codes, shares)[0]
        seq[service] += 1
        tid = ids()
        prio = rng.random() < 0.05
        tickets[tid] = {
            "id": tid, "day": day_s, "origin_service": service, "service": service, "seq": seq[service],
            "code": f"{prefix[service]}{seq[service]:03d}", "priority": int(prio), "state": "waiting",
            "issued_at": t, "device_id": f"kiosk-{1 + order % 3}", "waiting_ahead": None, "eta_minutes": None,
            "counter": None, "officer_id": None, "called_at": None, "first_called_at": None,
            "started_at": None, "finished_at": None, "no_show_at": None, "recalls": 0, "transfers": 0,
            "dossier_code": None, "cancel_reason": None,
        }
        order += 1
        heapq.heappush(queues[service][0 if prio else 1], (t, order, tid))

    # Each staffed counter: (free_at, number). Counters work through lunch only if people wait.
    free = [(open_at + rng.uniform(0, 300), n) for n in staff]
    heapq.heapify(free)
    officer_id = out["officer_ids"]
    day_end = local_ts(day, 18.5)
    stop = until if until is not None else day_end
    holding: dict[int, tuple[str, str]] = {}
    requeue: list[tuple[float, str]] = []  # (time, id): no-shows who come back
    rated_in_stint: set[str] = set()  # transferred tickets rated during their first stint
    while free:
        at, number = heapq.heappop(free)
        if at >= stop:
            continue
        if lunch and lunch[0] <= at < lunch[1] and not any(
                q[0] and q[0][0][0] <= at or q[1] and q[1][0][0] <= at for q in (queues[s] for s in COUNTERS[number])):
            heapq.heappush(free, (lunch[1] + rng.uniform(0, 240), number))
            continue
        while requeue and requeue[0][0] <= at:
            _, rid = heapq.heappop(requeue)
            row = tickets[rid]
            row["state"] = "waiting"
            row["counter"] = None
            heapq.heappush(queues[row["service"]][1], (row["issued_at"], 0, rid))
        best = None
        for kind in (0, 1):
            for s in COUNTERS[number]:
                heap = queues[s][kind]
                if heap and heap[0][0] <= at and (best is None or heap[0][0] < best[0]):
                    best = (heap[0][0], s, kind)
            if best:
                break
        if best is None:
            upcoming = [q[k][0][0] for s in COUNTERS[number] for q in (queues[s],) for k in (0, 1) if q[k]]
            if not upcoming:
                if at < close_issue:
                    heapq.heappush(free, (at + 60, number))
                continue
            heapq.heappush(free, (max(min(upcoming), at + 1), number))
            continue
        _, s, kind = best
        _, _, tid = heapq.heappop(queues[s][kind])
        row = tickets[tid]
        officer = officer_id[staff[number]]
        row.update(state="called", counter=number, officer_id=officer, called_at=at)
        if row["first_called_at"] is None:
            row["first_called_at"] = at
        out["calls"].append((at, tid, row["code"], number, row["service"], 0))
        walk = rng.uniform(10, 45)
        if rng.random() < 0.06:  # nobody comes: recall once, then no-show
            out["calls"].append((at + 45, tid, row["code"], number, row["service"], 1))
            row["recalls"] += 1
            if at + 100 > stop:
                holding[number] = (tid, "called")
                continue
            if rng.random() < 0.7:
                row.update(state="no_show", no_show_at=at + 100)
                if rng.random() < 0.3:
                    heapq.heappush(requeue, (at + rng.uniform(600, 2400), tid))
                heapq.heappush(free, (at + 110, number))
                continue
            walk += 60
        if at + walk > stop:
            holding[number] = (tid, "called")
            continue
        skip_start = rng.random() < 0.33
        if not skip_start:
            row["started_at"] = at + walk
        duration = rng.lognormvariate(math.log(mean_min[row["service"]] * 60) - 0.18, 0.6)
        finish = at + walk + max(40.0, duration)
        if finish > stop:
            row["state"] = "serving" if not skip_start else "called"
            holding[number] = (tid, row["state"])
            continue
        if rng.random() < 0.02 and len(COUNTERS[number]) >= 1:
            # transferred to another service: keeps its number and its place by issue time; the
            # stint ends here (the engine records it), and a third of these citizens rated it
            target = rng.choice([c for c in codes if c != row["service"]])
            begun = row["started_at"] or row["called_at"]
            out["transfers"].append((tid, day_s, finish, row["service"], target, number, officer, begun))
            if tid not in rated_in_stint and rng.random() < 0.33 and finish - begun > 30:
                pressed = rng.uniform(begun, finish - 1)
                out["ratings"].append((ids(), f"rate-{number}", number, tid, officer,
                                       rng.choices((5, 4, 3, 2), OFFICERS[staff[number]][2])[0], pressed,
                                       pressed + 0.05, day_s, "counted", "in_service", row["service"]))
                rated_in_stint.add(tid)
            row.update(state="waiting", service=target, counter=None, transfers=row["transfers"] + 1,
                       started_at=None)
            heapq.heappush(queues[target][0 if row["priority"] else 1], (row["issued_at"], 0, tid))
            heapq.heappush(free, (finish + rng.uniform(10, 40), number))
            continue
        row.update(state="done", finished_at=finish)
        if rng.random() < 0.85:  # the officer typed or scanned the dossier code (mã hồ sơ) at finish
            row["dossier_code"] = f"H29.{day_s[2:4]}{day_s[5:7]}{day_s[8:10]}.{row['code']}"
        if skip_start:
            row["started_at"] = row["called_at"]  # the engine does this at finish
        if tid not in rated_in_stint:  # one counted rating a ticket
            _rate(rng, ids, out, row, number, officer, staff[number], finish, stop)
        heapq.heappush(free, (finish + rng.uniform(3, 25), number))

    # Stray presses at idle terminals: unattributed (and a child playing with the buttons now and then)
    for number, who in staff.items():
        n = rng.choice((0, 0, 0, 1, 1, 2)) + (6 if rng.random() < 0.01 else 0)
        for _ in range(n):
            pressed = rng.uniform(open_at, min(stop, day_end))
            out["ratings"].append((ids(), f"rate-{number}", number, None, officer_id[who], rng.choice((5, 4, 3, 2)),
                                   pressed, pressed + 0.05, day_s, "unattributed", "none", None))
    if until is None and (day == first or rng.random() < 0.05):
        _after_midnight(day, rng, ids, out, staff, seq, prefix, tickets)
    for number, who in staff.items():
        start = open_at - rng.uniform(0, 900)
        if until is not None and start > until:
            continue
        end = None if until is not None else local_ts(day, 17.0) + rng.uniform(0, 1800)
        out["sessions"].append((number, officer_id[who], start, end))
    out["tickets"].extend(tickets.values())
    if until is not None:
        out["today_staff"] = {n: officer_id[w] for n, w in staff.items()}
        out["today_holding"] = holding


def _rate(rng, ids, out, row, number, officer, who, finish, stop) -> None:
    profile, propensity = OFFICERS[who][2], OFFICERS[who][3]
    if rng.random() >= propensity:
        return
    score = rng.choices((5, 4, 3, 2), profile)[0]
    if rng.random() < 0.1 and row["started_at"] and finish - row["started_at"] > 30:
        pressed, rule = rng.uniform(row["started_at"], finish - 1), "in_service"
    else:
        pressed, rule = finish + rng.uniform(3, 60), "finished"
    if pressed > stop:
        return
    day_s = datetime.fromtimestamp(pressed, TZ).date().isoformat()
    out["ratings"].append((ids(), f"rate-{number}", number, row["id"], officer, score, pressed,
                           pressed + 0.05, day_s, "counted", rule, row["service"]))
    if rng.random() < 0.05:  # pressed again: stored, not counted
        again = pressed + rng.uniform(1, 8)
        out["ratings"].append((ids(), f"rate-{number}", number, row["id"], officer, rng.choice((5, 4, 3, 2)),
                               again, again + 0.05, day_s, "duplicate", "finished", row["service"]))


def _after_midnight(day, rng, ids, out, staff, seq, prefix, tickets) -> None:
    """A late citizen (an evening session before a deadline): issued after 23:30, served across
    midnight, rated a minute after it: the press belongs to the ticket's day, at the next
    weekday's 0 h in the heat map."""
    number = rng.choice(sorted(staff))
    service = COUNTERS[number][0]
    seq[service] += 1
    tid, officer = ids(), out["officer_ids"][staff[number]]
    issued = local_ts(day, 23.5 + rng.uniform(0, 0.2))
    called = issued + rng.uniform(60, 300)
    finish = local_ts(day, 23.0) + 3600 + rng.uniform(30, 600)
    tickets[tid] = {
        "id": tid, "day": day.isoformat(), "origin_service": service, "service": service, "seq": seq[service],
        "code": f"{prefix[service]}{seq[service]:03d}", "priority": 0, "state": "done", "issued_at": issued,
        "device_id": "kiosk-1", "waiting_ahead": None, "eta_minutes": None, "counter": number,
        "officer_id": officer, "called_at": called, "first_called_at": called, "started_at": called,
        "finished_at": finish, "no_show_at": None, "recalls": 0, "transfers": 0, "dossier_code": None,
        "cancel_reason": None,
    }
    out["calls"].append((called, tid, tickets[tid]["code"], number, service, 0))
    pressed = finish + rng.uniform(5, 60)
    out["ratings"].append((ids(), f"rate-{number}", number, tid, officer, rng.choice((5, 4)), pressed,
                           pressed + 0.05, datetime.fromtimestamp(pressed, TZ).date().isoformat(), "counted",
                           "finished", service))


def load_catalog(instance: Path, now: float) -> dict:
    """A fresh database through create_app (so every migration set applies) and the catalog."""
    from server import create_app
    from server.engine import admin

    app = create_app({"INSTANCE_PATH": str(instance), "secret_key": "bench", "CLOCK": lambda: now})
    qms = app.extensions["qms"]

    def load(db, cfg, now):
        for i, (code, name, en, prefix, _share, _m) in enumerate(SERVICES):
            admin.add_service(db, cfg, now, code=code, name_vi=name, name_en=en, prefix=prefix, sort=i + 1)
        for number, services in COUNTERS.items():
            admin.add_counter(db, cfg, now, number=number, services=services)
        users = {}
        for i, (username, full, _p, _r) in enumerate(OFFICERS):
            users[i] = admin.add_user(db, cfg, now, username=username, full_name=full, role="officer",
                                      counter=i + 1 if i < REGULARS else None)["id"]
        boss = admin.add_user(db, cfg, now, username="truongbp", full_name="Võ Minh Khoa", role="supervisor",
                              api_token=True)
        admin.add_user(db, cfg, now, username="quantri", full_name="Quản trị", role="admin")
        for k in (1, 2, 3):
            admin.add_device(db, cfg, now, device_id=f"kiosk-{k}", roles=["ticket"], name=f"Máy lấy số {k}")
        for number in COUNTERS:
            admin.add_device(db, cfg, now, device_id=f"rate-{number}", roles=["rating"], counter=number,
                             name=f"Đánh giá quầy {number}")
        admin.add_device(db, cfg, now, device_id="tv-1", roles=["display"], name="TV phòng chờ")
        admin.set_setting(db, cfg, now, name="center_name", value="Trung tâm Phục vụ hành chính công phường Bến Thành")
        admin.set_setting(db, cfg, now, name="unit_name", value="UBND PHƯỜNG BẾN THÀNH")
        return {"officer_ids": users, "supervisor_token": boss["api_token"]}

    result = qms.write(load)
    path = qms.store.path
    app.extensions["qms"].close()
    result["path"] = path
    return result


def generate(out_dir: Path, *, days: int = 365, per_day: int = 1150, seed: int = 7,
             now: float | None = None, log=print) -> dict:
    """Write the history; returns {"path", "now", "supervisor_token", counts...}."""
    started = time.perf_counter()
    if now is None:
        now = local_ts(last_weekday(datetime.now(TZ).date()), 10.0)
    today = datetime.fromtimestamp(now, TZ).date()
    instance = Path(out_dir) / "instance"
    if (instance / "qms.db").exists():
        raise SystemExit(f"{instance / 'qms.db'} exists: give an empty folder")
    catalog = load_catalog(instance, now)
    rng = random.Random(seed)
    ids = Ids(rng)
    first = today - timedelta(days=days)
    out = {"tickets": [], "calls": [], "ratings": [], "sessions": [], "transfers": [],
           "officer_ids": catalog["officer_ids"]}
    d = first
    while d <= today:
        if d.weekday() < 6 and not tet_closed(d):
            simulate_day(d, per_day, rng, ids, first, today, now if d == today else None, out)
        d += timedelta(days=1)
    simulated = time.perf_counter()

    conn = sqlite3.connect(str(catalog["path"]), isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-400000")  # 400 MB: random-key index inserts stay in memory
    conn.execute("BEGIN IMMEDIATE")
    cols = list(out["tickets"][0].keys())
    conn.executemany(f"INSERT INTO tickets ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     map(operator.itemgetter(*cols), out["tickets"]))
    conn.executemany("INSERT INTO calls (at, ticket_id, code, counter, service, recall) VALUES (?, ?, ?, ?, ?, ?)",
                     sorted(out["calls"]))
    conn.executemany("""INSERT INTO ratings (id, device_id, counter, ticket_id, officer_id, score, pressed_at,
                        received_at, day, status, rule, service) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                     out["ratings"])
    conn.executemany("""INSERT INTO ticket_transfers (ticket_id, day, at, from_service, to_service, counter,
                        officer_id, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""", out["transfers"])
    conn.executemany("INSERT INTO counter_sessions (counter, user_id, started_at, ended_at) VALUES (?, ?, ?, ?)",
                     out["sessions"])
    # Today: officers signed in, numbers in hand, one counter paused, devices' last status.
    for number, user_id in out.get("today_staff", {}).items():
        conn.execute("UPDATE counters SET officer_id = ?, officer_since = ? WHERE number = ?",
                     [user_id, local_ts(today, 7.4), number])
    for number, (tid, _state) in out.get("today_holding", {}).items():
        conn.execute("UPDATE counters SET current_ticket = ? WHERE number = ?", [tid, number])
    conn.execute("UPDATE counters SET state = 'paused', state_since = ? WHERE number = 13 AND current_ticket IS NULL",
                 [now - 420])
    status = {"printer": "ok", "outbox": 0, "version": "0.1.0", "uptime_s": 9000}
    conn.execute("UPDATE devices SET online = 1, last_seen = ?, last_status = ?", [now - 5, json.dumps(status)])
    conn.execute("UPDATE devices SET last_status = ? WHERE id = 'kiosk-2'",
                 [json.dumps({**status, "printer": "paper_low", "outbox": 0})])
    conn.execute("UPDATE devices SET online = 0, last_seen = ?, last_status = ? WHERE id = 'rate-9'",
                 [now - 600, json.dumps({**status, "outbox": 3})])
    conn.execute("COMMIT")
    conn.close()
    written = time.perf_counter()
    n_ratings = len(out["ratings"])
    counted = sum(1 for r in out["ratings"] if r[9] == "counted")
    result = {"path": str(catalog["path"]), "instance": str(instance), "now": now,
              "supervisor_token": catalog["supervisor_token"], "tickets": len(out["tickets"]),
              "ratings": n_ratings, "ratings_counted": counted, "calls": len(out["calls"]),
              "simulate_s": round(simulated - started, 2), "write_s": round(written - simulated, 2)}
    (instance / "history.json").write_text(json.dumps(result, indent=2))
    log(f"history: {result['tickets']} tickets, {n_ratings} ratings ({counted} counted), {result['calls']} calls; "
        f"simulated in {result['simulate_s']} s, written in {result['write_s']} s -> {result['path']}")
    return result


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", type=Path)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--per-day", type=int, default=1150, help="arrivals on an ordinary weekday")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--now-hour", type=float, default=10.0, help="local clock time of 'now' on the last day")
    a = p.parse_args(argv)
    now = local_ts(last_weekday(datetime.now(TZ).date()), a.now_hour)
    generate(a.out_dir, days=a.days, per_day=a.per_day, seed=a.seed, now=now)


if __name__ == "__main__":
    main()
