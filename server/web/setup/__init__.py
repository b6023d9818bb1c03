"""The first start: `/setup/<token>`, the one-time link `python -m server run` prints on a
database with no administrator, to create the first one (there is no default password)."""

from __future__ import annotations

from .routes import register  # noqa: F401
