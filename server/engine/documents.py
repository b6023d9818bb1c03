"""Numbers of official reports (Số/ký hiệu, Nghị định 30/2020/NĐ-CP): in sequence within the year
they are given, starting at the setting `report_doc_first_number`; a report printed again keeps
its number."""

from __future__ import annotations

from sqlite_utils import Database

from . import sql
from .config import EngineConfig


def number(db: Database, cfg: EngineConfig, now: float, *, report: str, first: int = 1) -> int:
    """The number of the report named `report` (its period and filters), given now if it has none."""
    row = sql.first(db, "SELECT seq FROM report_numbers WHERE report = ?", [report])
    if row is not None:
        return row["seq"]
    year = int(cfg.day(now)[:4])
    top = sql.first(db, "SELECT max(seq) AS m FROM report_numbers WHERE year = ?", [year])["m"]
    seq = max(int(first), (top or 0) + 1)
    db.execute("INSERT INTO report_numbers (report, year, seq, issued_at) VALUES (?, ?, ?, ?)",
               [report, year, seq, now])
    return seq
