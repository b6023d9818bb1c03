"""The landing page `/`: links to every surface."""

from __future__ import annotations

from flask import Blueprint, render_template_string

PAGE = """<!doctype html><html lang="vi"><meta charset="utf-8">
<title>{{ center }}</title>
<h1>{{ center }}</h1>
<ul>
<li><a href="/display">Màn hình chờ (TV)</a></li>
<li><a href="/counter">Quầy — cán bộ một cửa</a></li>
<li><a href="/board">Bảng theo dõi</a></li>
<li><a href="/reports">Báo cáo</a></li>
<li><a href="/healthz">Trạng thái máy chủ</a></li>
</ul></html>"""


def register(app, socketio, services, csrf) -> None:
    bp = Blueprint("home", __name__)

    @bp.get("/")
    def home():
        return render_template_string(PAGE, center=services.setting("center_name"))

    app.register_blueprint(bp)
