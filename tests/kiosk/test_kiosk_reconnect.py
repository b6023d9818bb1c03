"""Issue 11: a reconnect after a dropped link is one clean attempt, not a misleading
"cannot reach the server ... (Already connected)" warning and a back-off step.

The real agent and the real server on loopback, the link cut by bench/faultproxy.py."""

from __future__ import annotations

import logging

import pytest

from bench.faultproxy import Proxy
from kiosk.agent import Agent
from kiosk.link import default_client_factory
from tests.kiosk.kiosk_helpers import make_config, wait_for


@pytest.fixture
def proxy(live_server):
    p = Proxy(live_server.port).start()
    yield p
    p.close()


class CountingFactory:
    """python-socketio clients whose connect() calls are counted (every attempt of the link)."""

    def __init__(self):
        self.attempts = 0
        self.errors: list[str] = []

    def __call__(self):
        client = default_client_factory()
        connect = client.connect

        def counted(*args, **kwargs):
            self.attempts += 1
            try:
                return connect(*args, **kwargs)
            except Exception as exc:
                self.errors.append(str(exc))
                raise

        client.connect = counted
        return client


def test_a_cut_link_reconnects_at_the_first_attempt_without_a_warning(
        tmp_path, live_server, proxy, pin_factory, caplog):
    caplog.set_level(logging.INFO, logger="kiosk")
    config = make_config(tmp_path, server=f"http://127.0.0.1:{proxy.port}", device="rate-1",
                         token=live_server.token("rate-1"), roles=("rating",), server_extra="reconnect_max_s = 5")
    factory = CountingFactory()
    agent = Agent(config, pin_factory=pin_factory, client_factory=factory)
    agent.start()
    try:
        for cut in range(1, 4):
            assert agent.link.wait_connected(15)
            wait_for(lambda: proxy.connections == cut, message=f"connection {cut} through the proxy")
            proxy.cut()
            wait_for(lambda: agent.link.connected and proxy.connections == cut + 1, timeout=30,
                     message=f"reconnected after cut {cut}")
        warnings = [r.getMessage() for r in caplog.records if r.name == "kiosk.link" and r.levelno >= logging.WARNING
                    and "cannot reach" in r.getMessage()]
        assert warnings == [] and factory.errors == []
        assert factory.attempts == 4  # the first connection and one per cut, no failed attempt between
    finally:
        agent.stop()
