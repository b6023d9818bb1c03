"""The push of counted ratings with a dossier code to the province's one-stop software.

The engine keeps a durable outbox (`server/engine/province.py`, table `province_outbox`); a
background task (`worker.run`, started with the server's other background work) queues new
ratings, sends each through an adapter (`adapter.py`) and records the outcome: delivered once
the province acknowledges it, otherwise retried with a back-off. A province integrator writes
only the mapping: a subclass of `adapter.JsonAdapter` overriding `body()`, named in the setting
`province_push_adapter` ("package.module:Class"). docs/reports.md, "Push to the province".
"""

from __future__ import annotations


def register(services) -> None:
    """Start the push with the server's background work (never in a CLI-built app)."""
    from . import worker

    services.on_start(lambda: worker.run(services))
