"""The Vietnamese voice of the waiting-room display: number words, the call sentence, call audio.

Flask-free; the server wires `CallAudio.wav_for_call` into a route.
"""

from .audio import CallAudio
from .errors import VoiceError, VoiceInputError
from .numbers import LETTER_NAMES, NumberStyle, code_pieces, code_words, digits_words, number_words
from .phrases import DEFAULT_TEMPLATE, call_pieces, call_words, required_clips

__all__ = [
    "CallAudio", "DEFAULT_TEMPLATE", "LETTER_NAMES", "NumberStyle", "VoiceError", "VoiceInputError",
    "call_pieces", "call_words", "code_pieces", "code_words", "digits_words", "number_words",
    "required_clips",
]
