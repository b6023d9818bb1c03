"""Finding the center's recorded clips: one WAV per piece, named after what it says."""

import os
from dataclasses import dataclass
from pathlib import Path

from .phrases import CLIP_SUFFIX, piece_key


@dataclass(frozen=True)
class Clip:
    path: Path
    size: int
    mtime_ns: int


def clips_folder(instance_path, setting) -> Path:
    """The center's clip folder: the `voice_clips` setting, or <instance>/voice/clips (made, so
    the center sees where its recordings go; a read-only instance leaves it to espeak-ng)."""
    if setting:
        return Path(setting)
    folder = Path(instance_path) / "voice" / "clips"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    return folder


def find_clips(clips_dir: Path | None) -> dict[str, Clip]:
    """The clips in the folder by piece key, matching file names in NFC and case-insensitively;
    a folder that does not exist (yet) has no clips."""
    try:
        entries = sorted(os.scandir(clips_dir), key=lambda e: e.name) if clips_dir is not None else []
    except (FileNotFoundError, NotADirectoryError):
        return {}
    found = {}
    # Sorted so that, should two files normalise to one name ("mười.wav" in NFC and in NFD, as
    # copied from a Mac), the choice is the same on every call.
    for entry in entries:
        if not entry.name.lower().endswith(CLIP_SUFFIX) or not entry.is_file():
            continue
        key = piece_key(entry.name[:-len(CLIP_SUFFIX)])
        if key and key not in found:
            stat = entry.stat()
            found[key] = Clip(Path(entry.path), stat.st_size, stat.st_mtime_ns)
    return found
