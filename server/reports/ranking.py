"""A ranking of officers that is fair to those with few ratings: a Bayesian average.

An officer's raw satisfaction rate from 3 ratings (3 of 3 satisfied: 100 %) says little; ranking
him above a colleague with 95 % of 2,000 would be unfair to both. So each officer's rate is
pulled toward the center's rate as if he also had C ratings at the center's rate:

    score = (C × m + S) / (C + n) × 100

with n his ratings counted, S those of 5 or 4 ("hài lòng"), m the center's satisfaction share
over the same period and filters, and C the prior weight (setting `ranking_prior_weight`).
With many ratings the score is his own rate; with few it stays near the center's.
"""

from __future__ import annotations

FORMULA = "(C × m + S) / (C + n) × 100"


def bayes(satisfied: int, counted: int, center_share: float, weight: float) -> float:
    """The pulled satisfaction rate in percent (see the module's formula)."""
    return (weight * center_share + satisfied) / (weight + counted) * 100.0


def rank(rows: list[dict], *, weight: float, center_rate: float | None) -> list[dict]:
    """Officers' rows (with `satisfied` and `ratings_counted`) sorted best first, each given
    `bayes` (percent, 2 decimals) and `rank` (1, 2, ...; equal scores share a rank). Officers
    without a counted rating are listed last, unranked (`rank` None)."""
    share = (center_rate or 0.0) / 100.0
    rated, unrated = [], []
    for row in rows:
        if row.get("ratings_counted"):
            rated.append({**row, "bayes": round(bayes(row["satisfied"], row["ratings_counted"], share, weight), 2)})
        else:
            unrated.append({**row, "bayes": None, "rank": None})
    rated.sort(key=lambda r: (-r["bayes"], -r["ratings_counted"], r.get("name") or ""))
    previous, position = None, 0
    for i, row in enumerate(rated, start=1):
        if row["bayes"] != previous:
            position, previous = i, row["bayes"]
        row["rank"] = position
    return rated + sorted(unrated, key=lambda r: r.get("name") or "")
