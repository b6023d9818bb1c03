"""The report as an administrative document (Nghị định 30/2020/NĐ-CP): the print page and the A4 PDF
from the same template, on the hand-made day. The PDF's text holds every required element, each
line of the national heading on one line, and its totals are the report page's."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader

from server.reports.vietnamese import date_text, datetime_text, number_text, place_date
from tests.console.helpers import sign_in

MONTH = "period=month&date=2026-03-10"


@pytest.fixture
def signed(client, center, day, engine):
    engine.setting("unit_name", "UBND PHƯỜNG BẾN THÀNH")
    engine.setting("report_place", "Phường Bến Thành")
    engine.setting("report_signer_title", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC")
    engine.setting("report_signer_name", "Nguyễn Văn An")
    engine.setting("report_addressee", "Ủy ban nhân dân phường Bến Thành")
    engine.setting("report_recipients", "Như trên;\nVăn phòng UBND phường;\nLưu: VT.")
    engine.setting("report_doc_prefix", "BC-TTPVHCC")
    engine.setting("report_doc_first_number", 12)
    sign_in(client, center, "boss")
    return client


def pdf_of(client, query: str) -> PdfReader:
    r = client.get(f"/reports/print.pdf?{query}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(r.data))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def fonts_of(reader: PdfReader) -> dict[str, bool]:
    """{font name: embedded?} over every page."""
    out = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            desc = font.get("/FontDescriptor")
            if desc is None and "/DescendantFonts" in font:
                desc = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = desc.get_object() if desc is not None else {}
            out[str(font["/BaseFont"])] = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return out


def test_the_pdf_holds_every_element_of_the_document(signed):
    reader = pdf_of(signed, MONTH)
    text = text_of(reader)
    lines = [re.sub(r"\s+", " ", line) for line in text.splitlines()]
    # The national name and the motto each on one line (never wrapped onto two).
    assert any("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in line for line in lines), lines[:6]
    assert any("Độc lập - Tự do - Hạnh phúc" in line for line in lines), lines[:6]
    flat = re.sub(r"\s+", " ", text)
    for element in ("UBND PHƯỜNG BẾN THÀNH", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
                    "Số: 12/BC-TTPVHCC",                                   # the first number of the year, from settings
                    "Phường Bến Thành, ngày 12 tháng 3 năm 2026",          # the day it is made (the clock: 12/03/2026)
                    "BÁO CÁO", "Tháng 03/2026", "từ ngày 01/03/2026 đến ngày 31/03/2026",
                    "Kính gửi: Ủy ban nhân dân phường Bến Thành",
                    "Nơi nhận:", "Như trên;", "Văn phòng UBND phường;", "Lưu: VT.",
                    "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn An",
                    "Phụ lục", "CÁCH XẾP HẠNG CÁN BỘ", "điểm"):
        assert element in flat, element
    assert "Bayes" not in flat and "2026-03" not in flat  # no jargon, no ISO dates
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    fonts = fonts_of(reader)
    assert fonts and all(fonts.values()), fonts                               # every font embedded


def test_the_pdfs_totals_are_the_report_pages(signed, center):
    api = signed.get(f"/api/reports?{MONTH}", headers={"Authorization": f"Bearer {center['users']['boss']['api_token']}"})
    s = api.get_json()["summary"]
    page = signed.get(f"/reports?{MONTH}").get_data(as_text=True)
    flat = re.sub(r"\s+", " ", text_of(pdf_of(signed, MONTH)))
    shown = {
        "issued": f"Số phiếu số thứ tự đã cấp {number_text(s['issued'])}",
        "served": f"Số lượt công dân đã được phục vụ xong {number_text(s['served'])}",
        "counted": f"Tổng số lượt đánh giá được tính {number_text(s['ratings_counted'])}",
        "rate": f"Tỷ lệ hài lòng (%): {number_text(s['satisfaction_rate'], 1)} %",
    }
    for key, words in shown.items():
        assert words in flat, (key, words)
    # ... and the report page shows the same figures the same way.
    assert f"{number_text(s['satisfied'])} / {number_text(s['ratings_counted'])} đánh giá được tính" in page
    assert number_text(s["satisfaction_rate"], 1) == "75,0" and "75,0" in page


def test_the_number_follows_the_year_and_a_report_keeps_its_number(signed):
    assert "Số: 12/BC-TTPVHCC" in signed.get(f"/reports/print?{MONTH}").get_data(as_text=True)
    assert "Số: 13/BC-TTPVHCC" in signed.get("/reports/print?period=quarter&date=2026-03-10").get_data(as_text=True)
    assert "Số: 12/BC-TTPVHCC" in signed.get(f"/reports/print?{MONTH}").get_data(as_text=True)  # printed again
    assert "Số: 12/BC-TTPVHCC" in re.sub(r"\s+", " ", text_of(pdf_of(signed, MONTH)))


@pytest.mark.parametrize("query, title", [
    ("period=month&date=2026-03-10", "Tháng 03/2026"),
    ("period=quarter&date=2026-03-10", "Quý I/2026"),
    ("period=half&date=2026-03-10", "6 tháng đầu năm 2026"),
    ("period=half&date=2026-09-10", "6 tháng cuối năm 2026"),
    ("period=year&date=2026-03-10", "Năm 2026"),
])
def test_monthly_quarterly_half_yearly_and_yearly(signed, query, title):
    html = signed.get(f"/reports/print?{query}").get_data(as_text=True)
    assert title in html and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html


def test_the_pdf_needs_a_supervisor(client, center, day):
    assert client.get(f"/reports/print.pdf?{MONTH}").status_code == 302  # to /login
    sign_in(client, center, "officer1")
    assert client.get(f"/reports/print.pdf?{MONTH}").status_code == 403


def test_a_bad_period_is_named_not_a_500(signed):
    r = signed.get("/reports/print.pdf?period=month&date=31/03/2026")
    assert r.status_code == 400 and "date" in r.get_data(as_text=True)


@pytest.mark.parametrize("value, expected", [
    (date(2026, 11, 30), "Phường Bến Thành, ngày 30 tháng 11 năm 2026"),
    (date(2026, 3, 5), "Phường Bến Thành, ngày 05 tháng 3 năm 2026"),     # a day below 10: a zero
    (date(2026, 2, 14), "Phường Bến Thành, ngày 14 tháng 02 năm 2026"),   # months 1 and 2: a zero
    ("2026-01-09", "Phường Bến Thành, ngày 09 tháng 01 năm 2026"),
])
def test_place_and_date_line(value, expected):
    assert place_date("Phường Bến Thành", value) == expected


def test_vietnamese_dates_and_numbers():
    assert date_text("2026-11-01") == "01/11/2026" and date_text(None) == "—"
    assert datetime_text("2026-03-12T08:05:00+07:00") == "08:05 12/03/2026"
    assert number_text(1234) == "1.234" and number_text(1234.5, 1) == "1.234,5" and number_text(None) == "—"
