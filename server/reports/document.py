"""The official report as a PDF: the print page's HTML laid out by WeasyPrint on A4, its fonts
embedded. Every resource (style sheets, fonts, charts) comes from `resolve`, never the network:
the center's LAN has no internet, and a report must not depend on it."""

from __future__ import annotations

from typing import Callable
from urllib.parse import urlsplit

BASE = "http://qms.local/"  # the document's base URL: only `resolve` answers it


def pdf(html: str, resolve: Callable[[str], tuple[bytes, str] | None]) -> bytes:
    """The PDF of `html`. `resolve(path_and_query)` gives (body, mime type) or None (left out)."""
    from weasyprint import HTML  # imported on use: it loads Pango, ~0.3 s
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class Local(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if not url.startswith(BASE):
                raise ValueError(f"not fetched: {url[:80]}")
            found = resolve(parts.path + (f"?{parts.query}" if parts.query else ""))
            if found is None:
                raise ValueError(f"no such resource: {parts.path[:80]}")
            body, mime = found
            return URLFetcherResponse(url, body, {"Content-Type": mime})

    return HTML(string=html, base_url=BASE, url_fetcher=Local()).write_pdf()
