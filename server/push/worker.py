"""The background task of the push: every `province_push_interval_s`, queue new ratings, send
those due, record each outcome. Network waits go through `services.runtime.blocking`, so the
same code runs on threads or gevent; every write is an engine function."""

from __future__ import annotations

import logging

from ..engine import province
from ..reports import dossiers
from . import adapter as adapters

log = logging.getLogger(__name__)


def run(services) -> None:
    """Until the app closes."""
    while not services.closed:
        interval = max(0.05, float(services.setting("province_push_interval_s")))
        try:
            if services.setting("province_push_url"):
                push_round(services, interval)
        except Exception:
            if services.closed:
                return
            log.exception("push to the province failed")
        slept = 0.0
        while slept < interval and not services.closed:
            services.runtime.sleep(min(0.5, interval))
            slept += min(0.5, interval)


def push_round(services, interval: float) -> int:
    """One round: returns how many ratings were delivered."""
    services.write(province.enqueue)
    due = province.due(services.store.read(), services.now())
    if not due:
        return 0
    cfg = services.cfg()
    levels = dossiers.three_levels(services.setting("rating_three_levels"))
    sender = adapters.make(services.setting("province_push_adapter"), services.setting("province_push_url"),
                           token=services.setting("province_push_token"),
                           timeout=float(services.setting("province_push_timeout_s")))
    sent = 0
    for rating_id in due:
        if services.closed:
            break
        record = dossiers.push_record(services.store.read(), cfg, rating_id, levels=levels,
                                      unit=services.setting("unit_name"))
        if record is None:  # no longer counted (an admin's correction): nothing to send
            services.write(province.delivered, rating_id=rating_id, answer="not sent: no longer counted")
            continue
        try:
            answer = services.runtime.blocking(sender.send, record)
        except adapters.PushFailed as exc:
            services.write(province.failed, rating_id=rating_id, error=str(exc), base_s=interval)
            continue
        services.write(province.delivered, rating_id=rating_id, answer=answer)
        sent += 1
    return sent
