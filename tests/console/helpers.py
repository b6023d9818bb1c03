"""Helpers of the console tests: sign in through the real form, CSRF token included."""

from __future__ import annotations

import re

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of a page's form (the session's token)."""
    html = client.get(path).get_data(as_text=True)
    found = CSRF.search(html) or META.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, center, username: str, password: str | None = None, next: str | None = None,
            address: str | None = None, **extra):
    """Post the sign-in form as a browser would (from `address`, default the test client's
    127.0.0.1); returns the response (not followed)."""
    data = {"username": username, "password": password or center["users"][username]["password"],
            "csrf_token": csrf_token(client)}
    if next is not None:
        data["next"] = next
    data.update(extra)
    kw = {"environ_base": {"REMOTE_ADDR": address}} if address else {}
    return client.post("/login", data=data, **kw)
