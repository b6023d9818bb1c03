"""The waiting-room display surface: the `/display` page, its client files and the call audio.

- `GET /display` the TV page (query: `services=A,B` or `room=NAME` to limit it, `mute=1`,
  `voice=1`, `lang=en`); it is driven live by the `/display` Socket.IO namespace.
- `GET /display/static/<file>` the page's own JS and CSS, served from the `display/` folder.
- `GET /display/call.wav?code=A005&counter=3` the WAV of a call (chime, then the sentence said
  `voice_repeat` times), made by `server.voice.CallAudio` and cached on disk; `&once=1` the brief
  form (short chime, "Mời số … đến quầy …" once, at most 5 s) a display says while others wait.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
from pathlib import Path

from flask import Blueprint, render_template, request, send_file, send_from_directory
from flask_babel import force_locale, gettext as _

from ... import wire
from ...engine import views
from ...errors import BadRequest, NotFound
from ...i18n import LANGUAGES
from ...voice import CallAudio
from ...voice.clips import clips_folder
from ...voice.errors import VoiceInputError
from ...voice.numbers import DEFAULT_STYLE, MODES, NumberStyle, style_from_text

log = logging.getLogger(__name__)

# The page's own script and style live in the top-level display/ folder (docs/development.md).
CLIENT_DIR = Path(__file__).resolve().parents[3] / "display"
VOICE_DISPLAYS = ("all", "flagged")
# A call's audio is served only for a call made at that counter within this window: the route is
# public, and rendering an arbitrary code would let anyone on the LAN keep espeak-ng busy.
CALL_AUDIO_WINDOW_S = 24 * 3600
MAX_CODE_LEN = 12


def call_audio(app, qms, style: NumberStyle = DEFAULT_STYLE) -> CallAudio:
    """The app's call-audio maker: clips from `voice_clips` (default <instance>/voice/clips),
    cache in <instance>/voice/cache, numbers read in the center's `voice_number_style`."""
    instance = Path(app.instance_path)
    return CallAudio(clips_folder(instance, qms.setting("voice_clips")), instance / "voice" / "cache", style=style)


def voice_style(qms) -> NumberStyle:
    try:
        return style_from_text(qms.setting("voice_number_style"))
    except VoiceInputError as exc:
        log.warning("voice_number_style không hợp lệ (%s); dùng 'tư,linh,nghìn'", exc)
        return DEFAULT_STYLE


def voice_mode(qms) -> str:
    mode = qms.setting("voice_mode")
    if mode not in MODES:
        log.warning("voice_mode=%r không hợp lệ; dùng 'number'", mode)
        return "number"
    return mode


def voice_repeat(qms) -> int:
    try:
        return min(max(int(qms.setting("voice_repeat")), 1), 5)
    except (TypeError, ValueError):
        log.warning("voice_repeat=%r không hợp lệ; dùng 2", qms.setting("voice_repeat"))
        return 2


def voice_displays(qms) -> str:
    value = qms.setting("voice_displays")
    return value if value in VOICE_DISPLAYS else "all"


def page_strings() -> dict:
    """The words the page's script shows, in the request's language."""
    return {
        "call": _("MỜI SỐ"), "counter": _("QUẦY"), "recall": _("GỌI LẠI"), "priority": _("ƯU TIÊN"),
        "paused": _("TẠM NGHỈ"), "no_officer": _("CHƯA CÓ CÁN BỘ"),
        "voice_on": _("tiếng: bật"), "voice_off": _("tiếng: tắt"), "voice_queue": _("chờ nói"), "idle": _("Xin mời quý khách lấy số thứ tự và chờ gọi số"),
        "no_calls": _("Chưa có số nào được gọi"), "no_counters": _("Không có quầy nào cho màn hình này"),
        "services": _("Lĩnh vực"), "unknown_services": _("Không có lĩnh vực"),
        "room": _("Phòng"),
        "tap_for_sound": _("Chạm vào màn hình để bật âm thanh"),
        "weekdays": [_("Chủ nhật"), _("Thứ Hai"), _("Thứ Ba"), _("Thứ Tư"), _("Thứ Năm"), _("Thứ Sáu"),
                     _("Thứ Bảy")],
    }


def _call_params() -> tuple[str, int]:
    code = (request.args.get("code") or "").strip().upper()
    counter = (request.args.get("counter") or "").strip()
    if not code:
        raise BadRequest("Thiếu tham số code (mã số thứ tự, ví dụ A005)")
    if len(code) > MAX_CODE_LEN:
        raise BadRequest(f"code dài quá {MAX_CODE_LEN} ký tự")
    if not wire.is_number(counter) or len(counter) > 4:
        raise BadRequest(f"counter phải là số quầy (1-4 chữ số), không phải {counter[:20]!r}")
    return code, int(counter)


def blueprint(app, qms) -> Blueprint:
    bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates")
    makers: dict[NumberStyle, CallAudio] = {}  # one per number style the setting has had (a few)

    def audio_for(style: NumberStyle) -> CallAudio:
        if style not in makers:
            makers[style] = call_audio(app, qms, style)
        return makers[style]

    @bp.get("")
    def page():
        # The TV's browser says English (a Pi image's default); the display speaks the center's
        # language unless the URL asks otherwise.
        lang = request.args.get("lang")
        lang = lang if lang in LANGUAGES else app.config.get("QMS_LANGUAGE", "vi")
        with force_locale(lang):
            return render_template(
                "display/display.html", center_name=qms.setting("center_name"),
                unit_name=qms.setting("unit_name"),
                config={"lang": lang, "strings": page_strings(), "voice_displays": voice_displays(qms),
                        "spotlight_seconds": qms.setting("spotlight_seconds")})

    @bp.get("/static/<path:filename>")
    def client_file(filename: str):
        return send_from_directory(CLIENT_DIR, filename, max_age=0)

    @bp.get("/call.wav")
    def call_wav():
        code, counter = _call_params()
        if not views.was_called(qms.store.read(), code, counter, since=qms.now() - CALL_AUDIO_WINDOW_S):
            raise NotFound(f"Không có lượt gọi số {code} đến quầy {counter} trong 24 giờ qua")
        # espeak-ng runs as a subprocess the first time a phrase is said: off the event loop.
        once = request.args.get("once", "0")
        if once not in ("0", "1"):
            raise BadRequest(f"once phải là 0 hoặc 1, không phải {once[:20]!r}")
        audio = audio_for(voice_style(qms))
        data = qms.runtime.blocking(functools.partial(audio.wav_for_call, code, counter, repeat=voice_repeat(qms),
                                                      mode=voice_mode(qms), brief=once == "1"))
        # The URL does not say the repeat or mode (settings), so the browser revalidates by ETag.
        response = send_file(io.BytesIO(data), mimetype="audio/wav", max_age=0, conditional=True,
                             etag=hashlib.sha256(data).hexdigest()[:32], download_name=f"{code}-{counter}.wav")
        response.headers["Cache-Control"] = "no-cache"
        return response

    return bp


def register(app, socketio, services, csrf) -> None:
    app.register_blueprint(blueprint(app, services))
