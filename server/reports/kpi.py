"""Every figure of the reports and the board, defined once, from counts to rates.

Definitions (also stated on the report page and in docs/reports.md):
- issued: tickets taken, except those whose printing failed (cancelled);
- served: tickets finished ("done"); no-show: tickets whose citizen did not come when called
  (a no-show put back in the queue and then served counts as served);
- no-show rate = no-shows / (served + no-shows) × 100: of the citizens called, how many were away;
- wait = first call − issue time; average over called tickets; the 90th percentile is the
  nearest rank over waits in whole seconds (the smallest wait that 90 % of waits do not exceed);
- dossiers: finished tickets with a dossier code (mã hồ sơ), the dossiers received at counters;
- handed: stints ended by a transfer to another service (the officer served the citizen, then
  sent her on); served + handed = the stints at counters, the citizens an officer served;
- service time = end − start of a stint at a counter (the call when "start serving" was skipped;
  the end is the finish or the transfer), over stints;
- ratings by level count only `counted` presses; duplicates and unattributed presses are apart;
- "Tỷ lệ hài lòng (%)" = (Rất hài lòng + Hài lòng) / ratings counted × 100;
- response rate = ratings counted / (served + handed) × 100: a rating belongs to the stint the
  citizen pressed in, so it never exceeds 100 %.
A rate with nothing to divide by is None (shown "—"), never 0.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import repeat
from typing import Iterable, Sequence

SCORES = (5, 4, 3, 2, 1)
TICKET_FIELDS = ("issued", "served", "no_show", "cancelled", "unserved", "transferred", "priority",
                 "wait_n", "wait_sum", "svc_n", "svc_sum", "handed", "dossiers")
RATING_FIELDS = ("s1", "s2", "s3", "s4", "s5", "duplicate", "unattributed")


def percent(part: float, whole: float) -> float | None:
    """part / whole × 100, to two decimals; None when whole is 0."""
    if not whole:
        return None
    return round(part * 100.0 / whole, 2)


def mean(total: float, n: int) -> float | None:
    return round(total / n, 1) if n else None


def satisfaction_rate(levels: dict) -> float | None:
    """Tỷ lệ hài lòng (%): (count of 5 + count of 4) / ratings counted × 100."""
    counted = sum(levels.get(s, 0) for s in SCORES)
    return percent(levels.get(5, 0) + levels.get(4, 0), counted)


def percentile(runs: Sequence[Sequence[int]], q: float = 0.9) -> float | None:
    """Nearest-rank percentile of integer values given as sorted runs: the smallest value v such
    that at least q of all values are <= v. None for no values.

    A year holds ~300,000 waits in ~6,000 runs (one per day, service, counter and officer);
    rather than merging them, search the value: count the values <= v in every run by bisection,
    and halve the interval of v until it is one value wide."""
    runs = [r for r in runs if len(r)]
    n = sum(len(r) for r in runs)
    if n == 0:
        return None
    rank = max(1, math.ceil(q * n - 1e-9))
    lo, hi = min(r[0] for r in runs), max(r[-1] for r in runs)
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(map(bisect_right, runs, repeat(mid))) >= rank:
            hi = mid
        else:
            lo = mid + 1
    return float(lo)


def mean_score(levels: dict) -> float | None:
    counted = sum(levels.get(s, 0) for s in SCORES)
    if not counted:
        return None
    return round(sum(s * levels.get(s, 0) for s in SCORES) / counted, 3)


def figures(t: dict | None, r: dict | None, waits: Sequence[Sequence[int]] | None = None) -> dict:
    """All the figures of one row of a report from summed roll-up fields.

    `t` holds the ticket sums (TICKET_FIELDS), `r` the rating sums (RATING_FIELDS), `waits` the
    waits in whole seconds as sorted runs (for the 90th percentile; omitted where not shown)."""
    t = {k: (t or {}).get(k) or 0 for k in TICKET_FIELDS}
    r = {k: (r or {}).get(k) or 0 for k in RATING_FIELDS}
    levels = {s: int(r[f"s{s}"]) for s in SCORES}
    counted = sum(levels.values())
    out = {
        "issued": int(t["issued"]), "served": int(t["served"]), "no_show": int(t["no_show"]),
        "cancelled": int(t["cancelled"]), "unserved": int(t["unserved"]),
        "transferred": int(t["transferred"]), "handed": int(t["handed"]), "dossiers": int(t["dossiers"]), "priority": int(t["priority"]),
        "no_show_rate": percent(t["no_show"], t["served"] + t["no_show"]),
        "avg_wait_s": mean(t["wait_sum"], t["wait_n"]), "waits_counted": int(t["wait_n"]),
        "avg_service_s": mean(t["svc_sum"], t["svc_n"]),
        "ratings": {str(s): levels[s] for s in SCORES}, "ratings_counted": counted,
        "satisfied": levels[5] + levels[4],
        "duplicates": int(r["duplicate"]), "unattributed": int(r["unattributed"]),
        "satisfaction_rate": satisfaction_rate(levels),
        "response_rate": percent(counted, t["served"] + t["handed"]),
        "mean_score": mean_score(levels),
    }
    if waits is not None:
        out["p90_wait_s"] = percentile(waits, 0.9)
    return out


def add(into: dict, row: dict, fields: Iterable[str]) -> dict:
    """Add a row's fields into running sums."""
    for k in fields:
        into[k] = into.get(k, 0) + (row.get(k) or 0)
    return into
