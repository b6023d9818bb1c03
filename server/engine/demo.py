"""A demo center: a ward's one-stop center with four fields, four counters, officers and kiosks."""

from __future__ import annotations

from . import admin

HOURS = [{"days": [1, 2, 3, 4, 5], "from": "07:00", "to": "11:30"},
         {"days": [1, 2, 3, 4, 5], "from": "13:00", "to": "17:00"},
         {"days": [6], "from": "07:30", "to": "11:30"}]

SERVICES = [
    dict(code="DD", name_vi="Đất đai", name_en="Land", prefix="A", sort=1),
    dict(code="HT", name_vi="Hộ tịch", name_en="Civil status", prefix="B", sort=2),
    dict(code="KD", name_vi="Đăng ký kinh doanh", name_en="Business registration", prefix="C", sort=3),
    dict(code="LD", name_vi="Lao động - Thương binh và Xã hội", name_en="Labour, invalids and social affairs",
         prefix="D", sort=4),
]
COUNTERS = [(1, ["DD"]), (2, ["HT"]), (3, ["KD", "DD"]), (4, ["LD", "HT"])]
OFFICERS = [("canbo1", "Nguyễn Văn An"), ("canbo2", "Trần Thị Bình"), ("canbo3", "Lê Hoàng Cường"),
            ("canbo4", "Phạm Thị Dung")]


def load(db, cfg, now: float, *, always_open: bool = True) -> dict:
    """Load the demo center; returns the one-time passwords and device tokens."""
    for s in SERVICES:
        admin.add_service(db, cfg, now, **s, hours=None if always_open else HOURS)
    for number, services in COUNTERS:
        admin.add_counter(db, cfg, now, number=number, services=services)
    users = [admin.add_user(db, cfg, now, username=u, full_name=n, role="officer", counter=i + 1, api_token=True)
             for i, (u, n) in enumerate(OFFICERS)]
    users.append(admin.add_user(db, cfg, now, username="truongbp", full_name="Võ Minh Khoa", role="supervisor",
                                api_token=True))
    users.append(admin.add_user(db, cfg, now, username="quantri", full_name="Quản trị", role="admin"))
    devices = [admin.add_device(db, cfg, now, device_id="kiosk-1", roles=["ticket"], name="Máy lấy số sảnh chính")]
    for number, _ in COUNTERS:
        devices.append(admin.add_device(db, cfg, now, device_id=f"rate-{number}", roles=["rating"], counter=number,
                                        name=f"Đánh giá quầy {number}"))
    devices.append(admin.add_device(db, cfg, now, device_id="tv-1", roles=["display"], name="TV phòng chờ"))
    admin.set_setting(db, cfg, now, name="center_name", value="Trung tâm Phục vụ hành chính công phường Bến Thành")
    admin.set_setting(db, cfg, now, name="unit_name", value="UBND PHƯỜNG BẾN THÀNH")
    return {"users": users, "devices": devices}
