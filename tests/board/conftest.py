"""Fixtures for the board tests: the server tests' fast app (a copy of a template database
holding the test center), with the alert ticker slowed down so that only what a test does
(a commit, or an explicit check) raises or closes an alert."""

from __future__ import annotations

import pytest

from tests.conftest import app_with_center
from tests.server.conftest import Engine


@pytest.fixture
def app(tmp_path, clock):
    app = app_with_center(tmp_path, CLOCK=clock, alert_check_s=3600)
    yield app
    app.extensions["qms"].close()


@pytest.fixture
def engine(qms, clock):
    return Engine(qms, clock)
