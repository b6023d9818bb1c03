"""The center's settings for this device's buttons, sent by the server (`device_config`,
docs/protocol.md): lockouts and the score of each rating button. They override the kiosk's own
file, and are kept in `data_dir/device_config.json` so that a kiosk started while the server is
unreachable behaves as the center last said."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger("kiosk.device_config")

FILE = "device_config.json"


@dataclass(frozen=True)
class DeviceSettings:
    rating_scores: tuple[int, ...]
    ticket_lockout_s: float
    rating_lockout_s: float
    keypad_lockout_s: float


def parse(payload: object) -> DeviceSettings:
    """The settings in a `device_config` payload; ValueError naming what is wrong."""
    if not isinstance(payload, dict):
        raise ValueError("device_config is not an object")
    scores = payload.get("rating_scores")
    if not isinstance(scores, list) or not scores or len(set(scores)) != len(scores) or not all(
            isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 5 for s in scores):
        raise ValueError(f"rating_scores must be distinct scores 1-5, not {scores!r}")
    lockouts = {}
    for name in ("ticket_lockout_s", "rating_lockout_s", "keypad_lockout_s"):
        value = payload.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 60:
            raise ValueError(f"{name} must be a number of seconds 0-60, not {value!r}")
        lockouts[name] = float(value)
    return DeviceSettings(rating_scores=tuple(scores), **lockouts)


def load(data_dir: str | Path) -> DeviceSettings | None:
    """The settings kept from the last `device_config`, or None (none yet, or unreadable)."""
    path = Path(data_dir) / FILE
    try:
        return parse(json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return None


def save(data_dir: str | Path, settings: DeviceSettings) -> None:
    """Keep the settings for the next start (whole file or nothing)."""
    path = Path(data_dir) / FILE
    part = path.with_name(path.name + ".part")
    data = {**asdict(settings), "rating_scores": list(settings.rating_scores)}
    path.parent.mkdir(parents=True, exist_ok=True)
    part.write_text(json.dumps(data))
    os.replace(part, path)
