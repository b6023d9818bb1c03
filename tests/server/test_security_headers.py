"""Security headers on every response (server/web/common/headers.py, docs/security.md): every
route, method and status, pages and JSON, static files, errors; the SVG charts' own policy; no
template left with an inline script, event handler attribute or style attribute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.console.helpers import sign_in

ROOT = Path(__file__).resolve().parents[2]
HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
SAMPLE = {"int": "1", "path": "qms.js", "default": "x"}


def assert_secured(response, what: str) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (what, name, response.status_code)
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert directives.get("frame-ancestors") == "'none'", (what, csp)
    if response.mimetype == "image/svg+xml":
        assert directives.get("default-src") == "'none'" and "script-src" not in directives, (what, csp)
        return
    assert directives.get("script-src") == "'self'", (what, csp)
    assert "unsafe" not in csp, (what, csp)
    assert directives.get("object-src") == "'none'" and directives.get("base-uri") == "'none'", (what, csp)
    assert "media-src" in directives and "connect-src" in directives and "font-src" in directives, (what, csp)


def _urls(app) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        url = rule.rule
        for arg in rule.arguments:
            converter = type(rule._converters[arg]).__name__.replace("Converter", "").lower()
            value = SAMPLE.get(converter, "x")
            if arg == "name" and "chart" in rule.rule:
                value = "flow"
            url = re.sub(r"<(?:[^:>]+:)?%s>" % re.escape(arg), value, url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return out


@pytest.mark.parametrize("who", [None, "boss", "officer1"])
def test_every_route_answers_with_the_security_headers(app, client, center, who):
    if who:
        assert sign_in(client, center, who).status_code == 302
    urls = _urls(app)
    assert ("GET", "/display") in urls and ("GET", "/reports/chart/flow.svg") in urls and len(urls) > 25
    for method, url in urls:
        if url in ("/logout",):
            continue  # tried last: it ends the session
        response = client.open(url, method=method)
        assert_secured(response, f"{method} {url}")
    # Errors, too: unknown page and API path, wrong method, too large.
    for method, url, kw in (("GET", "/nowhere", {}), ("GET", "/api/nowhere", {}), ("DELETE", "/healthz", {}),
                            ("POST", "/api/tickets", {"data": b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)}),
                            ("POST", "/logout", {})):
        response = client.open(url, method=method, **kw)
        assert_secured(response, f"{method} {url}")


def test_the_charts_get_a_policy_that_allows_their_styles_only(client, center):
    sign_in(client, center, "boss")
    response = client.get("/reports/chart/flow.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert "<script" not in response.get_data(as_text=True)


def test_sockets_are_allowed_to_the_pages_own_host_only(client):
    csp = client.get("/login", headers={"Host": "qms.center.lan:8443"}).headers["Content-Security-Policy"]
    assert "connect-src 'self' ws://qms.center.lan:8443 wss://qms.center.lan:8443;" in csp
    csp = client.get("/login", headers={"Host": "evil.example; script-src *"}).headers["Content-Security-Policy"]
    assert "script-src *" not in csp and csp.count("script-src") == 1


TEMPLATES = sorted((ROOT / "server").rglob("templates/**/*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "server")))
def test_no_template_has_inline_script_handler_or_style(path):
    text = path.read_text(encoding="utf-8")
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script in {path.name}: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), f"event handler attribute in {path.name}"
    assert not re.search(r"\sstyle\s*=", text), f"style attribute in {path.name}"
    assert "<style" not in text, f"style element in {path.name}"


def test_the_heat_map_shades_are_in_the_stylesheet():
    from server.web.reports.routes import heat_css

    css = (ROOT / "server/web/reports/static/reports.css").read_text(encoding="utf-8")
    assert heat_css() in css, "reports.css: paste server.web.reports.routes.heat_css() again"
