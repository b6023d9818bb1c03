"""The center's settings for the buttons reach a real agent over the real server: the scores its
rating buttons give and its lockouts follow /admin/rules at once, and are kept for the next start."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.agent import RATING, Agent
from tests.kiosk.kiosk_helpers import press, wait_for
from tests.kiosk.test_kiosk_live import rows, set_setting, start_agent, ticket_config  # noqa: F401


def scores(live_server) -> list[int]:
    return [r["score"] for r in rows(live_server, "SELECT score FROM ratings ORDER BY received_at, rowid")]


def test_rating_scores_and_lockouts_follow_the_center(tmp_path, live_server, start_agent, pin_factory):  # noqa: F811
    set_setting(live_server, "rating_lockout_s", 0)
    config = ticket_config(tmp_path, live_server, device="rate-1", roles=("rating",))
    assert [b.score for b in config.rating.buttons] == [5, 4, 3, 2]  # what the kiosk's own file says
    agent = start_agent(config)
    wait_for(lambda: agent.device_settings is not None, message="the settings in the status answer")
    assert agent.panel.lockouts[RATING].seconds == 0  # the center's, not the file's 3 s
    fourth = config.rating.buttons[3].pin

    # Changed while the terminal is connected: pushed to it at once, no restart.
    set_setting(live_server, "rating_scores", [5, 4, 3, 1])
    wait_for(lambda: agent.device_settings.rating_scores == (5, 4, 3, 1), message="the new scores pushed")
    press(pin_factory, fourth)
    wait_for(lambda: scores(live_server) == [1], message="the fourth button now gives 1")

    set_setting(live_server, "rating_scores", [5, 4, 3])
    wait_for(lambda: agent.device_settings.rating_scores == (5, 4, 3), message="three scores pushed")
    press(pin_factory, fourth)  # a button past the list gives nothing...
    press(pin_factory, config.rating.buttons[0].pin)  # ...the first still gives 5
    wait_for(lambda: len(scores(live_server)) == 2, message="the first button's rating")
    assert scores(live_server) == [1, 5]
    assert agent.outbox.depth() == 0

    set_setting(live_server, "rating_lockout_s", 12.5)
    wait_for(lambda: agent.device_settings.rating_lockout_s == 12.5, message="the lockout pushed")
    assert agent.panel.lockouts[RATING].seconds == 12.5
    kept = json.loads((Path(config.kiosk.data_dir) / "device_config.json").read_text())
    assert kept["rating_scores"] == [5, 4, 3] and kept["rating_lockout_s"] == 12.5

    # The next start, server or not, uses what the center last said.
    agent.stop()
    again = Agent(config, pin_factory=pin_factory)
    try:
        assert again.rating_score(config.rating.buttons[3]) is None
        assert again.rating_score(config.rating.buttons[0]) == 5
        assert again.device_settings.rating_lockout_s == 12.5
    finally:
        again.stop()
