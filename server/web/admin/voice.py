"""`/admin/voice`, the voice studio: every clip a call needs, recorded in the browser
(MediaRecorder), stored trimmed and loudness-normalised, with the coverage report of what is
still missing (server/voice/studio.py). Recorded clips take precedence over espeak-ng, word by
word, at the next call (the call audio's cache is keyed on the clip files).

- `GET /admin/voice` the page (`?format=json`: the coverage report alone).
- `POST /admin/voice/clip` form fields `name` (a required clip's file name) and `audio` (the
  recording: WAV, or the PCM WebM of MediaRecorder); answers JSON, the one error shape on refusal.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from ...engine import studio as studio_log
from ...errors import BadRequest
from ...voice import CallAudio, studio
from ...voice.clips import clips_folder
from ...voice.errors import VoiceInputError
from ...voice.numbers import DEFAULT_STYLE, style_from_text
from ...voice.pcm import RATE
from .routes import admin_only


def register(app, socketio, qms, csrf) -> None:
    # Its script is served with the admin pages' own static files (/static/admin/).
    bp = Blueprint("admin_voice", __name__, template_folder="templates")

    def folder() -> Path:
        return clips_folder(app.instance_path, qms.setting("voice_clips"))

    def required() -> list[str]:
        # The list a call can need, from the same sentences and number style as the calls.
        try:
            style = style_from_text(qms.setting("voice_number_style"))
        except VoiceInputError:
            style = DEFAULT_STYLE  # as the display does (it logs the bad setting)
        return CallAudio(None, Path(app.instance_path) / "voice" / "cache", cache_max_bytes=None,
                         style=style).required()

    @bp.get("/admin/voice")
    @admin_only
    def page(who):
        report = studio.coverage(required(), folder())
        if request.args.get("format") == "json":
            return jsonify({"ok": True, **report})
        strings = {"record": _("Ghi âm"), "stop": _("Dừng"), "saving": _("Đang lưu…"), "saved": _("Đã lưu"),
                   "recorded": _("Đã ghi"), "missing": _("Còn thiếu"), "no_mic": _("Không mở được micro")}
        response = make_response(render_template(
            "admin/voice.html", center_name=qms.setting("center_name"), tab="voice", error=None, v={},
            report=report, folder=str(folder()),
            config={"csrf": generate_csrf(), "strings": strings}))
        # The one page that may use the microphone (every other keeps microphone=(), headers.py).
        response.headers["Permissions-Policy"] = "camera=(), microphone=(self), geolocation=(), payment=(), usb=()"
        return response

    @bp.post("/admin/voice/clip")
    @admin_only
    def save_clip(who):
        # A refusal (QmsError) answers in the one JSON error shape (server/web/common/errors.py).
        name = (request.form.get("name") or "").strip()
        if name not in required():
            raise BadRequest(f"'{name[:60]}' không phải một clip mà câu gọi cần")
        upload = request.files.get("audio")
        if upload is None:
            raise BadRequest("Thiếu tệp ghi âm (trường audio)")
        samples = studio.prepare(studio.decode_upload(upload.read(studio.MAX_BYTES + 1)))
        studio.save(folder(), name, samples)
        qms.write(studio_log.clip_recorded, name=name, seconds=round(len(samples) / RATE, 2),
                  actor=f"user:{who.row['username']}")
        report = studio.coverage(required(), folder())
        return jsonify({"ok": True, "name": name, "seconds": round(len(samples) / RATE, 2),
                        "recorded": report["recorded"], "total": report["total"], "percent": report["percent"]})

    app.register_blueprint(bp)
