"""What the engine needs to know of the settings, read once per operation."""

from __future__ import annotations

import json

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from ..errors import BadRequest


@dataclass(frozen=True)
class EngineConfig:
    tz: ZoneInfo
    priority_policy: str = "strict"
    rating_window_s: float = 120.0
    default_service_minutes: float = 6.0
    estimate_sample: int = 20
    center_name: str = ""
    unit_name: str = ""
    track_url: str = ""
    # What the waiting-room display is told with every snapshot.
    recent_calls: int = 8
    notice_text: str = ""
    spotlight_seconds: float = 15
    voice_repeat: int = 2
    voice_displays: str = "all"
    # When the center takes citizens at all (each service may narrow it further).
    center_hours: str | None = None  # JSON of opening-hours periods, as a service's `hours`
    closed_days: tuple = ()  # ((ISO date, name), ...)

    @classmethod
    def from_settings(cls, get: Callable[[str], Any]) -> "EngineConfig":
        """Build from a settings getter (`name -> value`)."""
        policy = str(get("priority_policy"))
        parse_policy(policy)
        return cls(
            tz=ZoneInfo(get("timezone")),
            priority_policy=policy,
            rating_window_s=float(get("rating_window_s")),
            default_service_minutes=float(get("default_service_minutes")),
            estimate_sample=int(get("estimate_sample")),
            center_name=get("center_name"),
            unit_name=get("unit_name"),
            track_url=get("track_url") or "",
            recent_calls=int(get("recent_calls")),
            notice_text=get("notice_text") or "",
            spotlight_seconds=get("spotlight_seconds"),
            voice_repeat=get("voice_repeat"),
            voice_displays=get("voice_displays"),
            center_hours=json.dumps(get("center_hours")) if get("center_hours") else None,
            closed_days=tuple((d["date"], d.get("name", "")) for d in get("closed_days") or ()),
        )

    def local(self, ts: float) -> datetime:
        """A Unix time as an aware datetime in the center's time zone."""
        return datetime.fromtimestamp(ts, timezone.utc).astimezone(self.tz)

    def day(self, ts: float) -> str:
        """The local date (YYYY-MM-DD) of a Unix time: tickets' sequences reset when it changes."""
        return self.local(ts).date().isoformat()

    def iso(self, ts: float | None) -> str | None:
        """ISO 8601 with the center's offset, to the second, or None."""
        return None if ts is None else self.local(ts).isoformat(timespec="seconds")


def parse_policy(policy: str) -> tuple[str, int]:
    """('strict', 0) or ('interleave', N); raises BadRequest for anything else."""
    if policy == "strict":
        return "strict", 0
    if policy.startswith("interleave:"):
        try:
            n = int(policy.split(":", 1)[1])
        except ValueError:
            n = 0
        if n >= 1:
            return "interleave", n
    raise BadRequest(f"priority_policy phải là 'strict' hoặc 'interleave:N' (N ≥ 1), không phải {policy!r}")
