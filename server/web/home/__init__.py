"""The landing page `/`."""

from __future__ import annotations

from .routes import register  # noqa: F401
