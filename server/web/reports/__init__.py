"""Reports for supervisors and leaders: `/reports`, the print page, charts, exports, `/api/reports`."""

from __future__ import annotations

from .routes import register  # noqa: F401
