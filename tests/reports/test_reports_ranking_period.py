"""The Bayesian ranking of officers and the parsing of periods and filters."""

from __future__ import annotations

from datetime import date

import pytest

from server.errors import BadRequest
from server.reports import ranking
from server.reports.period import Filters, of, parse, parse_filters

TODAY = date(2026, 3, 12)


def officer(name, satisfied, counted):
    return {"name": name, "satisfied": satisfied, "ratings_counted": counted}


def test_few_ratings_are_pulled_toward_the_center():
    # Center at 80 %, C = 20. "Ba" has 3 of 3 (100 % raw), "An" 95 of 100 (95 % raw).
    rows = ranking.rank([officer("Ba", 3, 3), officer("An", 95, 100), officer("Cư", 0, 0)], weight=20, center_rate=80.0)
    assert [r["name"] for r in rows] == ["An", "Ba", "Cư"]
    assert rows[0]["bayes"] == round((20 * 0.8 + 95) / 120 * 100, 2) == 92.5
    assert rows[1]["bayes"] == round((20 * 0.8 + 3) / 23 * 100, 2) == 82.61
    assert rows[2]["rank"] is None and rows[2]["bayes"] is None  # no rating: not ranked
    assert [r["rank"] for r in rows[:2]] == [1, 2]


def test_many_ratings_keep_their_own_rate_and_weight_zero_is_the_raw_rate():
    big = ranking.rank([officer("X", 900, 1000)], weight=20, center_rate=50.0)[0]
    assert abs(big["bayes"] - 90.0) < 1.0
    raw = ranking.rank([officer("Y", 1, 4)], weight=0, center_rate=90.0)[0]
    assert raw["bayes"] == 25.0


def test_equal_scores_share_a_rank():
    rows = ranking.rank([officer("A", 8, 10), officer("B", 8, 10), officer("C", 1, 10)], weight=10, center_rate=70.0)
    assert [r["rank"] for r in rows] == [1, 1, 3]


@pytest.mark.parametrize("args, start, end, label", [
    ({}, date(2026, 3, 1), date(2026, 3, 31), "Tháng 03/2026"),
    ({"period": "day", "date": "2026-02-28"}, date(2026, 2, 28), date(2026, 2, 28), "Ngày 28/02/2026"),
    ({"period": "week", "date": "2026-03-12"}, date(2026, 3, 9), date(2026, 3, 15), "Tuần 11/2026 (09/03 – 15/03/2026)"),
    ({"period": "quarter", "date": "2026-11-20"}, date(2026, 10, 1), date(2026, 12, 31), "Quý IV/2026"),
    ({"period": "year", "date": "2024-06-01"}, date(2024, 1, 1), date(2024, 12, 31), "Năm 2024"),
    ({"period": "range", "from": "2026-01-15", "to": "2026-02-14"}, date(2026, 1, 15), date(2026, 2, 14),
     "Từ 15/01/2026 đến 14/02/2026"),
])
def test_periods(args, start, end, label):
    p = parse(args, TODAY)
    assert (p.start, p.end, p.label("vi")) == (start, end, label)


def test_shifting_a_period():
    assert of("month", date(2026, 12, 5)).shift(1).start == date(2027, 1, 1)
    assert of("quarter", date(2026, 2, 5)).shift(-1).start == date(2025, 10, 1)
    assert of("week", date(2026, 3, 12)).shift(-1).start == date(2026, 3, 2)
    assert parse({"period": "range", "from": "2026-01-01", "to": "2026-01-10"}, TODAY).shift(1).start == date(2026, 1, 11)


@pytest.mark.parametrize("args, words", [
    ({"period": "fortnight"}, "period"),
    ({"period": "day", "date": "12/03/2026"}, "'date'"),
    ({"period": "day", "date": "2026-02-30"}, "'date'"),
    ({"period": "range", "from": "2026-01-01"}, "'to'"),
    ({"period": "range", "from": "2026-02-01", "to": "2026-01-01"}, "'from'"),
    ({"period": "range", "from": "2020-01-01", "to": "2026-01-01"}, "tối đa"),
])
def test_bad_periods_name_what_is_wrong(args, words):
    with pytest.raises(BadRequest) as err:
        parse(args, TODAY)
    assert words in str(err.value)


def test_filters_are_checked_against_the_catalog(qms, officers):
    db = qms.store.read()
    assert parse_filters({"service": "A", "counter": "3", "officer": "officer2"}, db) == \
        Filters("A", 3, officers["officer2"])
    assert parse_filters({"officer": str(officers["officer1"])}, db).officer == officers["officer1"]
    for args, words in (({"service": "ZZ"}, "ZZ"), ({"counter": "x"}, "counter"), ({"counter": "99"}, "99"),
                        ({"officer": "nobody"}, "nobody")):
        with pytest.raises(BadRequest) as err:
            parse_filters(args, db)
        assert words in str(err.value)
