"""Security headers on every response (docs/security.md, "Headers").

Pages run under a Content-Security-Policy with no inline script, no inline style and no framing:
scripts, styles, fonts, audio and images come from the server itself; the display plays call
audio it fetched as a `blob:`; sockets go to the page's own host (Chromium takes `'self'` for
ws:/wss: to the same host, some other browsers need it spelled out, so it is). JSON data blocks
(`<script type="application/json">`) are not scripts and need no exception.

The report charts are SVG images that carry their own `<style>`: an SVG response gets a policy of
its own that allows those styles and nothing else (no script, no load), which is stricter than the
pages' for everything that matters if someone opens the chart by itself.
"""

from __future__ import annotations

from flask import request

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "media-src 'self' blob:; connect-src 'self' {sockets}; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def policy(mimetype: str | None, host: str) -> str:
    """The Content-Security-Policy of a response of this type served for this Host."""
    if mimetype == "image/svg+xml":
        return SVG_POLICY
    # The Host the browser asked for (as given, through a proxy too): sockets to it only.
    host = "".join(ch for ch in host if ch.isalnum() or ch in ".-:[]") or "localhost"
    return PAGE_POLICY.format(sockets=f"ws://{host} wss://{host}")


def register(app) -> None:
    @app.after_request
    def _security_headers(response):
        headers = response.headers
        for name, value in FIXED.items():
            headers.setdefault(name, value)
        headers["Content-Security-Policy"] = policy(response.mimetype, request.host)
        return response
