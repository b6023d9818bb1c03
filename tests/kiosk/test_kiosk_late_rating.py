"""Hole 2 of issue 11: a rating whose first copy is held back in transit is stamped late.

The real agent talks to the real server on loopback through bench/faultproxy.py, which holds the
kiosk's bytes for a few seconds (a stalled Wi-Fi link, a stopped server). The stored press time
must be the press time within a second whatever the transit.
"""

from __future__ import annotations

import time

import pytest

from bench.faultproxy import UP, Proxy
from kiosk.agent import Agent
from tests.kiosk.kiosk_helpers import make_config, press, wait_for


@pytest.fixture
def proxy(live_server):
    p = Proxy(live_server.port).start()
    yield p
    p.close()


@pytest.fixture
def agent_via(tmp_path, live_server, proxy, pin_factory):
    made = []

    def start(device: str, extra: str = ""):
        config = make_config(tmp_path / device, server=f"http://127.0.0.1:{proxy.port}", device=device,
                             token=live_server.token(device), roles=("rating",),
                             server_extra=f"reconnect_max_s = 0.3\n{extra}")
        agent = Agent(config, pin_factory=pin_factory)
        agent.start()
        made.append(agent)
        assert agent.link.wait_connected(15)
        return agent, config

    yield start
    for agent in made:
        agent.stop()


def _stored(live_server, device):
    return list(live_server.store.read().query("SELECT * FROM ratings WHERE device_id = ?", [device]))


def _press_held(proxy, pin_factory, config, hold_s: float) -> float:
    """Press a rating button while the kiosk's bytes are held for `hold_s`; the true press time."""
    proxy.set(up="hold")
    pressed = time.time()
    press(pin_factory, config.rating.buttons[0].pin)
    assert proxy.wait_held(UP), "the rating never left the kiosk"
    time.sleep(hold_s)  # the fault itself: the link is stalled this long
    proxy.heal()
    return pressed


def test_a_copy_held_back_less_than_the_timeout_keeps_its_press_time(live_server, proxy, agent_via, pin_factory):
    agent, config = agent_via("rate-1")  # the call timeout (10 s) is longer than the stall
    pressed = _press_held(proxy, pin_factory, config, 3.0)
    wait_for(lambda: _stored(live_server, "rate-1") and agent.outbox.depth() == 0, timeout=30,
             message="the rating stored and acknowledged")
    [row] = _stored(live_server, "rate-1")
    assert row["received_at"] - pressed > 2.5  # the first copy really came late
    assert abs(row["pressed_at"] - pressed) <= 1.0, f"stamped {row['pressed_at'] - pressed:+.2f} s off"


def test_a_copy_held_back_past_the_timeout_is_corrected_by_the_resend(live_server, proxy, agent_via, pin_factory):
    agent, config = agent_via("rate-1", "call_timeout_s = 1.0")  # copies time out and are resent
    pressed = _press_held(proxy, pin_factory, config, 4.0)
    wait_for(lambda: _stored(live_server, "rate-1") and agent.outbox.depth() == 0, timeout=30,
             message="the rating stored and acknowledged")
    [row] = _stored(live_server, "rate-1")
    assert abs(row["pressed_at"] - pressed) <= 1.0, f"stamped {row['pressed_at'] - pressed:+.2f} s off"
