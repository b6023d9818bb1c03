"""The first start: no default password; `python -m server run` on a database with no
administrator gives a one-time link to create the first one (issue: administration)."""

from __future__ import annotations

import re

from server.engine import admin
from server.web.setup.routes import link
from tests.console.helpers import sign_in


def csrf(client, path: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_a_one_time_link_creates_the_first_administrator(app, client, qms):
    url = link(qms, "http://127.0.0.1:5000")
    assert url and url.startswith("http://127.0.0.1:5000/setup/")
    path = url.split("5000", 1)[1]
    assert client.get(path).status_code == 200
    token = csrf(client, path)
    refused = client.post(path, data={"csrf_token": token, "username": "chief", "full_name": "Trưởng",
                                      "password": "short", "repeat": "short"})
    assert refused.status_code == 400 and "ít nhất 10 ký tự" in refused.get_data(as_text=True)
    assert not qms.store.read().execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0]
    done = client.post(path, data={"csrf_token": token, "username": "chief", "full_name": "Trưởng bộ phận",
                                   "password": "mot-mat-khau-dai", "repeat": "mot-mat-khau-dai"})
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    assert client.get(path).status_code == 404  # used up
    assert link(qms, "http://127.0.0.1:5000") is None  # an administrator exists: no more links
    center = {"users": {"chief": {"username": "chief", "password": "mot-mat-khau-dai"}}}
    other = app.test_client()
    assert sign_in(other, center, "chief", next="/admin").status_code == 302
    assert other.get("/admin/center").status_code == 200


def test_a_new_link_voids_the_old_one_and_a_made_up_one_opens_nothing(qms, client):
    first = link(qms, "http://x").split("http://x", 1)[1]
    second = link(qms, "http://x").split("http://x", 1)[1]
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    assert client.get("/setup/not-a-real-token-123").status_code == 404
    assert client.post("/setup/not-a-real-token-123", data={}).status_code in (403, 404)  # no CSRF token, no link


def test_run_prints_the_link_only_while_there_is_no_administrator(tmp_path):
    from tests.conftest import app_with_center

    app = app_with_center(tmp_path)  # the test center has no administrator
    qms = app.extensions["qms"]
    try:
        assert link(qms, "http://h:1")
        qms.write(admin.add_user, username="root", role="admin", password="x" * 12)
        assert link(qms, "http://h:1") is None
    finally:
        qms.close()
