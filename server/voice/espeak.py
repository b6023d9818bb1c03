"""Speech for pieces that have no recorded clip, from the espeak-ng command."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import VoiceError

TIMEOUT_S = 30


def available(espeak: str) -> bool:
    """Whether `espeak` names an executable (a path or a command on PATH)."""
    return shutil.which(espeak) is not None


def synthesize(text: str, *, espeak: str, voice: str, rate: int) -> bytes:
    """The WAV bytes espeak-ng makes for `text`; VoiceError if it cannot run or fails."""
    fd, out = tempfile.mkstemp(prefix="voice-", suffix=".wav")
    os.close(fd)
    # Text goes on stdin, so a piece starting with "-" cannot be taken for an option; -b 1 makes
    # espeak-ng read UTF-8 whatever the locale (CI and systemd run with LANG unset). No -z: it
    # clips the last syllable a little; the final pause it then leaves is trimmed off later.
    command = [espeak, "-v", voice, "-s", str(rate), "-b", "1", "-w", out, "--stdin"]
    try:
        proc = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S)
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip()
            raise VoiceError(f"espeak-ng lỗi (mã {proc.returncode}) khi đọc {text!r}: {detail}")
        data = Path(out).read_bytes()
    except OSError as exc:
        raise VoiceError(f"Không chạy được espeak-ng ({espeak!r}): {exc}") from exc
    except subprocess.TimeoutExpired:
        raise VoiceError(f"espeak-ng quá {TIMEOUT_S} s khi đọc {text!r}") from None
    finally:
        os.unlink(out)
    return data
