from tests.console.helpers import sign_in
def test_dump(client, center, day, engine):
    engine.setting("report_place", "Phường Bến Thành")
    engine.setting("unit_name", "UBND PHƯỜNG BẾN THÀNH")
    engine.setting("report_signer_name", "Nguyễn Văn An")
    engine.setting("report_signer_title", "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC")
    sign_in(client, center, "boss")
    r = client.get("/reports/print.pdf?period=month&date=2026-03-10")
    print(r.status_code, r.headers.get("Content-Type")); open("/tmp/i14.pdf", "wb").write(r.data)
