"""Fixtures of the admin tests: the server tests' `engine` (table dumps) and an admin signed in
through the real form (CSRF token included)."""

from __future__ import annotations

import re

import pytest

from server.engine import admin
from tests.server.conftest import Engine

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def engine(qms, clock):
    return Engine(qms, clock)


@pytest.fixture
def admin_user(qms):
    """A new admin `chief` with his one-time password."""
    return qms.write(admin.create_user, username="chief", role="admin", full_name="Quản trị viên", actor="test")


def csrf(client, path: str) -> str:
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


@pytest.fixture
def signed_in(client, admin_user):
    """The test client signed in as the admin `chief`; `post(path, **form)` posts a form with CSRF."""
    r = client.post("/login", data={"username": "chief", "password": admin_user["password"],
                                    "csrf_token": csrf(client, "/login")})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]

    class Client:
        raw = client

        @staticmethod
        def get(path, **kw):
            return client.get(path, **kw)

        @staticmethod
        def post(path, data=None, **kw):
            data = dict(data or {})
            data.setdefault("csrf_token", csrf(client, "/admin/center"))
            return client.post(path, data=data, **kw)

    return Client


from tests.browser_fixtures import browser  # noqa: E402, F401  (fixture for this folder's browser tests)
