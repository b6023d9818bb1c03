"""Fixtures for the board tests: the server tests' fast app (a copy of a template database
holding the test center), with the alert ticker slowed down so that only what a test does
(a commit, or an explicit check) raises or closes an alert."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import make_app
from tests.server.conftest import Engine, center_template  # noqa: F401  (fixture)


@pytest.fixture
def app(tmp_path, clock, center_template):  # noqa: F811
    template, center = center_template
    instance = tmp_path / "instance"
    instance.mkdir()
    shutil.copyfile(template, instance / "qms.db")
    app = make_app(tmp_path, CLOCK=clock, alert_check_s=3600)
    app.test_center = center
    yield app
    app.extensions["qms_close"]()


@pytest.fixture
def engine(qms, clock):
    return Engine(qms, clock)
