"""Fixtures for the console tests: the server tests' fast `app` (a copy of a template database
holding the test center) and helpers to sign in through the real form, CSRF token included."""

from __future__ import annotations

import pytest

from tests.console.helpers import sign_in
from tests.server.conftest import Engine


@pytest.fixture
def engine(qms, clock):
    return Engine(qms, clock)


@pytest.fixture
def login(client, center):
    """login("officer1") signs the test client in and returns the response."""

    def do(username: str, **kw):
        response = sign_in(client, center, username, **kw)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do
