"""The voice studio's record in the database: who recorded which clip, when (the audit log).
The clip itself is a file in the clip folder (server/voice/studio.py)."""

from __future__ import annotations

from sqlite_utils import Database

from . import audit
from .config import EngineConfig


def clip_recorded(db: Database, cfg: EngineConfig, now: float, *, name: str, seconds: float, actor: str) -> None:
    audit.record(db, now, actor, "voice.clip", name, seconds=seconds)
