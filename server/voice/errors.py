"""Errors of the voice package, in the project's scheme: a wire `code` and a builtin base."""

from ..errors import BadRequest, QmsError


class VoiceError(QmsError, RuntimeError):
    """The call audio cannot be made: a clip is missing and espeak-ng is unusable, or a clip is unreadable."""

    code, http_status = "voice_unavailable", 503

    def default_message(self):
        return "Không tạo được âm thanh gọi số"


class VoiceInputError(BadRequest):
    """A ticket code, counter, template or option that cannot be read aloud (a ValueError)."""
