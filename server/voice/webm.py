"""The PCM samples of a WebM file as Chromium's MediaRecorder writes it with
`audio/webm;codecs=pcm` (track codec A_PCM/FLOAT/IEEE or A_PCM/INT/LIT).

Only what that needs of Matroska/EBML: the track's rate, channels and codec, and the frames of
its SimpleBlocks and Blocks. A recorder writes live, so the Segment and Clusters have the
"unknown" size: master elements are entered, never skipped by size.
"""

from __future__ import annotations

import struct

from .errors import VoiceInputError

MASTERS = {0x18538067, 0x1F43B675, 0x1654AE6B, 0xAE, 0xE1, 0xA0}  # Segment Cluster Tracks TrackEntry Audio BlockGroup
EBML = 0x1A45DFA3
CODEC_ID, RATE_ID, CHANNELS_ID, DEPTH_ID = 0x86, 0xB5, 0x9F, 0x6264
SIMPLE_BLOCK, BLOCK = 0xA3, 0xA1


def _vint(data: bytes, pos: int, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, new position, all-ones: the unknown size) of an EBML variable-length integer."""
    if pos >= len(data):
        raise VoiceInputError("WebM bị cắt cụt")
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or pos + length > len(data):
        raise VoiceInputError("WebM hỏng: số nguyên EBML không hợp lệ")
    value = first if keep_marker else first & (0xFF >> length)
    for b in data[pos + 1:pos + length]:
        value = (value << 8) | b
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, pos + length, unknown


def decode(data: bytes) -> tuple[list[float], int, int]:
    """(interleaved samples in -1..1, rate, channels) of a MediaRecorder PCM WebM."""
    if len(data) < 4 or struct.unpack(">I", data[:4])[0] != EBML:
        raise VoiceInputError("Không phải tệp WebM")
    codec, rate, channels, depth = None, 48000.0, 1, 32
    frames: list[bytes] = []
    pos = 0
    while pos < len(data):
        eid, pos, _ = _vint(data, pos, keep_marker=True)
        size, pos, unknown = _vint(data, pos, keep_marker=False)
        if eid in MASTERS:
            continue  # enter it
        if unknown or pos + size > len(data):
            if eid in (SIMPLE_BLOCK, BLOCK) and pos < len(data):
                size = len(data) - pos  # the last block of a recording stopped mid-write
            else:
                break
        body = data[pos:pos + size]
        pos += size
        if eid == EBML:
            continue
        if eid == CODEC_ID:
            codec = body.decode("ascii", "replace")
        elif eid == RATE_ID:
            rate = struct.unpack(">f" if size == 4 else ">d", body)[0]
        elif eid == CHANNELS_ID:
            channels = int.from_bytes(body, "big")
        elif eid == DEPTH_ID:
            depth = int.from_bytes(body, "big")
        elif eid in (SIMPLE_BLOCK, BLOCK):
            _track, at, _ = _vint(body, 0, keep_marker=False)
            frames.append(body[at + 3:])  # timecode (2 bytes) and flags (1), then the frame
    if codec not in ("A_PCM/FLOAT/IEEE", "A_PCM/INT/LIT"):
        raise VoiceInputError(f"WebM với codec {codec!r}: cần ghi âm dạng PCM (audio/webm;codecs=pcm)")
    raw = b"".join(frames)
    if codec == "A_PCM/FLOAT/IEEE" and depth == 32:
        n = len(raw) // 4
        samples = list(struct.unpack(f"<{n}f", raw[:n * 4]))
    elif codec == "A_PCM/INT/LIT" and depth == 16:
        n = len(raw) // 2
        samples = [s / 32768 for s in struct.unpack(f"<{n}h", raw[:n * 2])]
    else:
        raise VoiceInputError(f"WebM PCM {depth} bit chưa được hỗ trợ")
    return samples, int(round(rate)), max(1, channels)
