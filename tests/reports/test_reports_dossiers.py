"""The dossier code (mã hồ sơ) put to use, on a small day made through the engine whose answers are
known: search by code, the dossiers received per officer and per day, one row per rating in CSV
and Excel.

Day D = 2026-03-10 (test center: counter 1 serves A with officer1, counter 2 serves B with officer2):
  A001 issued 09:00, called 09:05 at counter 1, finished 09:10 with HS-2026-0001, rated 5 at 09:10:20
  A002 issued 09:01, called 09:12 at counter 1, finished 09:20 with HS-2026-0002, rated 2 at 09:20:10,
       pressed again (4) at 09:20:15: a repeated press, kept apart
  B001 issued 09:02, called 09:06 at counter 2, finished 09:16 with hs-2026-0003 (lower case), not rated
  B002 issued 09:03, called 09:17 at counter 2, finished 09:20 without a code, rated 5 at 09:20:30
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests.console.helpers import sign_in
from tests.reports.conftest import D, at
from tests.reports.test_reports_formats import ISO, visible_text

DAY = "period=day&date=2026-03-10"


@pytest.fixture
def dossier_day(qms, engine, clock):
    def to(hh, mm, ss=0):
        clock.t = at(D, hh, mm, ss)

    to(9, 0); engine.issue("A")
    to(9, 1); engine.issue("A")
    to(9, 2); engine.issue("B")
    to(9, 3); engine.issue("B")
    to(9, 5); engine.act(1, "next")
    to(9, 6); engine.act(2, "next")
    to(9, 10); engine.act(1, "finish", dossier_code="HS-2026-0001")
    to(9, 10, 20); assert engine.rate(1, 5)["status"] == "counted"
    to(9, 12); engine.act(1, "next")
    to(9, 16); engine.act(2, "finish", dossier_code="hs-2026-0003")
    to(9, 17); engine.act(2, "next")
    to(9, 20); engine.act(1, "finish", dossier_code="HS-2026-0002")
    engine.act(2, "finish")
    to(9, 20, 10); assert engine.rate(1, 2)["status"] == "counted"
    to(9, 20, 15); assert engine.rate(1, 4)["status"] == "duplicate"
    to(9, 20, 30); assert engine.rate(2, 5)["status"] == "counted"
    to(10, 0)
    return D


def bearer(center):
    return {"Authorization": f"Bearer {center['users']['boss']['api_token']}"}


def test_search_by_dossier_code(client, center, dossier_day):
    found = client.get("/api/dossiers?q=HS-2026-0001", headers=bearer(center)).get_json()
    assert found["ok"] and [t["ticket"] for t in found["tickets"]] == ["A001"]
    a001 = found["tickets"][0]
    assert (a001["officer"], a001["counter"], a001["service"], a001["wait_s"], a001["service_s"]) == \
        ("Cán bộ 1", 1, "A", 300, 300)
    assert a001["issued_at"] == "2026-03-10T09:00:00+07:00"                      # ISO in the JSON
    assert [(r["score"], r["status"]) for r in a001["ratings"]] == [(5, "counted")]
    two = client.get("/api/dossiers?q=hs-2026-0002", headers=bearer(center)).get_json()["tickets"]
    assert [(r["score"], r["status"]) for r in two[0]["ratings"]] == [(2, "counted"), (4, "duplicate")]
    # A prefix, in any case: newest first.
    prefix = client.get("/api/dossiers?q=hs-2026", headers=bearer(center)).get_json()["tickets"]
    assert [t["ticket"] for t in prefix] == ["B001", "A002", "A001"]
    assert client.get("/api/dossiers?q=%25", headers=bearer(center)).get_json()["tickets"] == []  # "%" is a letter


@pytest.mark.parametrize("q, words", [("", "mã hồ sơ"), ("x" * 65, "64")])
def test_a_bad_search_is_named(client, center, dossier_day, q, words):
    r = client.get(f"/api/dossiers?q={q}", headers=bearer(center))
    body = r.get_json()
    assert r.status_code == 400 and body["ok"] is False and body["error"] == "bad_request" and words in body["message"]


def test_the_search_needs_a_supervisor(client, center, dossier_day):
    assert client.get("/api/dossiers?q=HS").status_code == 401
    r = client.get("/api/dossiers?q=HS", headers={"Authorization": f"Bearer {center['users']['officer1']['api_token']}"})
    assert r.status_code == 403


def test_dossiers_received_per_officer_and_day(client, center, dossier_day):
    sign_in(client, center, "boss")
    html = client.get(f"/reports/dossiers?{DAY}").get_data(as_text=True)
    officer1 = html[html.index("Cán bộ 1: 2"):html.index("Cán bộ 2: 1")]
    assert "HS-2026-0001" in officer1 and "HS-2026-0002" in officer1 and "hs-2026-0003" not in officer1
    assert "10/03/2026: 2" in officer1 and "8,0" in officer1        # mean wait (300 + 660) / 2 s = 8,0 min
    assert "1 / 2" in officer1                                        # 1 satisfied of 2 rated
    assert "5 – Rất hài lòng" in officer1 and "2 – Không hài lòng" in officer1
    officer2 = html[html.index("Cán bộ 2: 1"):]
    assert "hs-2026-0003" in officer2 and "4,0" in officer2           # B001 waited 240 s
    assert not ISO.findall(visible_text(html))                       # dd/mm/yyyy on the page
    found = client.get(f"/reports/dossiers?{DAY}&q=HS-2026-0002").get_data(as_text=True)
    assert 'data-ticket="A002"' in found and "bấm trùng" in found


def test_one_row_per_rating_in_csv_and_excel(client, center, dossier_day, engine):
    # A province that maps 2 otherwise (the mapping names every score, each to one of the 3 levels).
    engine.setting("rating_three_levels", "5=Rất hài lòng;4=Hài lòng;3=Hài lòng;2=Hài lòng;1=Không hài lòng")
    sign_in(client, center, "boss")
    r = client.get(f"/reports/ratings.csv?{DAY}")
    assert r.status_code == 200 and r.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:12] == ["Thời điểm đánh giá", "Quầy", "Cán bộ", "Lĩnh vực", "Số thứ tự", "Mã hồ sơ",
                           "Kênh đánh giá", "Thiết bị", "Điểm (1–5)", "Mức đánh giá", "Mức (3 mức)", "Lý do"]
    assert [row[:12] for row in body] == [
        ["2026-03-10T09:10:20+07:00", "1", "Cán bộ 1", "Đất đai", "A001", "HS-2026-0001",
         "Thiết bị đánh giá tại quầy", "rate-1", "5", "Rất hài lòng", "Rất hài lòng", ""],
        ["2026-03-10T09:20:10+07:00", "1", "Cán bộ 1", "Đất đai", "A002", "HS-2026-0002",
         "Thiết bị đánh giá tại quầy", "rate-1", "2", "Không hài lòng", "Hài lòng", ""],
        ["2026-03-10T09:20:30+07:00", "2", "Cán bộ 2", "Hộ tịch", "B002", "",
         "Thiết bị đánh giá tại quầy", "rate-2", "5", "Rất hài lòng", "Rất hài lòng", ""],
    ]
    x = client.get(f"/reports/ratings.xlsx?{DAY}")
    ws = load_workbook(io.BytesIO(x.data)).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    data = [v for v in values if v and v[0] and str(v[0]).startswith("2026-03-10T")]
    assert [(v[4], v[5], v[8], v[10]) for v in data] == [("A001", "HS-2026-0001", 5, "Rất hài lòng"),
                                                         ("A002", "HS-2026-0002", 2, "Hài lòng"),
                                                         ("B002", None, 5, "Rất hài lòng")]
    filtered = client.get(f"/reports/ratings.csv?{DAY}&officer=officer2").data.decode("utf-8-sig").splitlines()
    assert len(filtered) == 2 and "B002" in filtered[1]
