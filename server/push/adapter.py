"""Adapters to a province's one-stop software. The record each gets (`reports.dossiers.push_record`):

    {"rating_id", "time" (ISO 8601 with offset), "dossier_code", "score" (1-5), "score_label",
     "level3" (Rất hài lòng / Hài lòng / Không hài lòng), "counter", "officer_id", "officer",
     "service", "service_name", "ticket", "channel", "device_id", "reasons", "center", "unit"}

`JsonAdapter` POSTs `body(record)` as JSON to the configured URL with the header
`Idempotency-Key: <rating id>` (the rating id is also in the body): the receiver must store a
rating once however often it comes, since a lost answer makes us send it again. Any 2xx, or 409
(already have it), is a delivery; anything else, a timeout or no connection is retried later.
"""

from __future__ import annotations

import importlib

import requests


class PushFailed(Exception):
    """This try did not deliver: retry later."""


class JsonAdapter:
    """The default adapter; a province's own is a subclass overriding `body()`."""

    def __init__(self, url: str, *, token: str = "", timeout: float = 10.0):
        self.url, self.token, self.timeout = url, token, timeout
        self.session = requests.Session()

    def body(self, record: dict) -> dict:
        """The JSON the province expects, from our record: the mapping an integrator writes."""
        return record

    def send(self, record: dict) -> str:
        """Deliver one rating; returns the province's answer (short), raises PushFailed."""
        headers = {"Idempotency-Key": record["rating_id"], "User-Agent": "qms-push/1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            r = self.session.post(self.url, json=self.body(record), headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise PushFailed(f"{type(exc).__name__}: {str(exc)[:200]}") from None
        if 200 <= r.status_code < 300 or r.status_code == 409:
            return f"{r.status_code} {r.text[:200]}"
        raise PushFailed(f"HTTP {r.status_code}: {r.text[:200]}")


def make(spec: str, url: str, *, token: str = "", timeout: float = 10.0) -> JsonAdapter:
    """The adapter named "package.module:Class" ('' or 'json': JsonAdapter)."""
    if spec in ("", "json"):
        return JsonAdapter(url, token=token, timeout=timeout)
    module, _, name = spec.partition(":")
    cls = getattr(importlib.import_module(module), name)
    return cls(url, token=token, timeout=timeout)
