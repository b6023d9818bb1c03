"""Signing in and out, for every person: `/login`, `/logout`."""

from __future__ import annotations

from .routes import register  # noqa: F401
