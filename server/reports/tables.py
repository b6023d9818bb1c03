"""The tables of a report, defined once: what the page shows, and what CSV and Excel export.

Each column has a kind that says how its raw value is shown: `int`, `pct` (percent, one
decimal), `avg` (a mean count, one decimal), `min` (seconds shown as minutes, one decimal),
`score` (a mean score 1-5), `text`, `day` (an ISO day or month, "2026-03-01" or "2026-03": shown
01/03/2026 or 03/2026 on pages, exported as it is); `auto` takes the kind from the row (the summary's values).
Every rate sits beside the count it is computed from (ratings counted, tickets served...).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SCORE_LABELS = {5: "Rất hài lòng", 4: "Hài lòng", 3: "Bình thường", 2: "Không hài lòng", 1: "Rất không hài lòng"}
SCORE_LABELS_EN = {5: "Very satisfied", 4: "Satisfied", 3: "Neutral", 2: "Dissatisfied", 1: "Very dissatisfied"}


@dataclass(frozen=True)
class Column:
    key: str
    vi: str
    en: str
    kind: str = "int"

    def header(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


@dataclass
class Table:
    name: str
    vi: str
    en: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    def title(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi

    def html_rows(self, lang: str = "vi") -> list[list[tuple[str, bool]]]:
        """The rows as the page shows them: (text, is a number) per cell, formatted in one go
        (a year's page has ~1,500 cells: a template macro per cell would cost more than the SQL)."""
        return [[(text(*value(row, col, lang), lang), value(row, col, lang)[1] not in ("text", "day")) for col in self.columns]
                for row in self.rows]


def _levels(prefix: str = "") -> list[Column]:
    return [Column(f"{prefix}r{s}", f"{s} – {SCORE_LABELS[s]}", f"{s} – {SCORE_LABELS_EN[s]}") for s in (5, 4, 3, 2, 1)]


RATING_COLS = [
    *_levels(),
    Column("ratings_counted", "Đánh giá được tính", "Ratings counted"),
    Column("satisfaction_rate", "Tỷ lệ hài lòng (%)", "Satisfaction rate (%)", "pct"),
    Column("response_rate", "Tỷ lệ phản hồi (%)", "Response rate (%)", "pct"),
    Column("duplicates", "Bấm trùng (không tính)", "Repeated presses (not counted)"),
    Column("unattributed", "Bấm không gắn phiếu (không tính)", "Presses not linked to a ticket (not counted)"),
]
WORK_COLS = [
    Column("served", "Đã phục vụ", "Served"),
    Column("no_show", "Vắng mặt", "No-shows"),
    Column("no_show_rate", "Tỷ lệ vắng mặt (%)", "No-show rate (%)", "pct"),
    Column("avg_service_s", "Thời gian phục vụ TB (phút)", "Mean service time (min)", "min"),
]


def _flat(row: dict) -> dict:
    """A figures row with its ratings by level flattened to r5..r1."""
    out = {k: v for k, v in row.items() if k != "ratings"}
    for s in (5, 4, 3, 2, 1):
        out[f"r{s}"] = row.get("ratings", {}).get(str(s), 0)
    return out


def summary_rows(s: dict) -> list[dict]:
    """The KPIs as (indicator, value, basis) rows: every rate with the count it rests on."""
    def row(vi, en, value, kind, basis=None, basis_vi="", basis_en=""):
        return {"indicator": vi, "indicator_en": en, "value": value, "kind": kind, "basis": basis,
                "basis_label": basis_vi, "basis_label_en": basis_en}

    called = s["served"] + s["no_show"]
    rows = [
        row("Số phiếu đã cấp", "Tickets issued", s["issued"], "int"),
        row("Số đã phục vụ", "Tickets served", s["served"], "int"),
        row("Số vắng mặt", "No-shows", s["no_show"], "int"),
        row("Tỷ lệ vắng mặt (%)", "No-show rate (%)", s["no_show_rate"], "pct", called, "số đã gọi", "tickets called"),
        row("Thời gian chờ trung bình (phút)", "Mean wait (min)", s["avg_wait_s"], "min", s["waits_counted"],
            "số đã gọi", "tickets called"),
        row("Thời gian chờ – 90 % công dân không quá (phút)", "Wait, 90th percentile (min)", s.get("p90_wait_s"), "min",
            s["waits_counted"], "số đã gọi", "tickets called"),
        row("Thời gian phục vụ trung bình (phút)", "Mean service time (min)", s["avg_service_s"], "min", s["served"],
            "số đã phục vụ", "tickets served"),
    ]
    for score in (5, 4, 3, 2, 1):
        rows.append(row(f"Đánh giá mức {score} – {SCORE_LABELS[score]}", f"Ratings {score} – {SCORE_LABELS_EN[score]}",
                        s["ratings"][str(score)], "int"))
    rows += [
        row("Tổng số đánh giá được tính", "Ratings counted", s["ratings_counted"], "int"),
        row("Tỷ lệ hài lòng (%)", "Satisfaction rate (%)", s["satisfaction_rate"], "pct", s["ratings_counted"],
            "đánh giá được tính", "ratings counted"),
        row("Tỷ lệ phản hồi (%)", "Response rate (%)", s["response_rate"], "pct", s["served"] + s["handed"],
            "lượt phục vụ", "stints served"),
        row("Bấm trùng (lưu riêng, không tính)", "Repeated presses (kept apart, not counted)", s["duplicates"], "int"),
        row("Bấm không gắn với phiếu (lưu riêng, không tính)", "Presses not linked to a ticket (kept apart)",
            s["unattributed"], "int"),
    ]
    return rows


def build(report: dict) -> dict[str, Table]:
    """Every table of a report (those whose section the report holds)."""
    out: dict[str, Table] = {}
    out["summary"] = Table("summary", "Chỉ tiêu chung", "Key figures", [
        Column("indicator", "Chỉ tiêu", "Indicator", "text"), Column("value", "Giá trị", "Value", "auto"),
        Column("basis", "Trên tổng số", "Out of", "int"), Column("basis_label", "Cơ sở", "Basis", "text"),
    ], summary_rows(report["summary"]))
    if "services" in report:
        out["services"] = Table("services", "Theo lĩnh vực", "By service", [
            Column("name", "Lĩnh vực", "Service", "text"), Column("issued", "Đã cấp số", "Issued"),
            Column("transferred", "Có chuyển lĩnh vực", "Transferred"),
            *WORK_COLS,
            Column("avg_wait_s", "Chờ TB (phút)", "Mean wait (min)", "min"),
            Column("p90_wait_s", "Chờ 90 % (phút)", "Wait p90 (min)", "min"),
            *RATING_COLS,
        ], [_flat(r) for r in report["services"]])
    if "officers" in report:
        out["officers"] = Table("officers", "Theo cán bộ", "By officer", [
            Column("name", "Cán bộ", "Officer", "text"), *WORK_COLS, *RATING_COLS,
            Column("mean_score", "Điểm TB (1–5)", "Mean score (1–5)", "score"),
        ], [_flat(r) for r in report["officers"]])
    if "counters" in report:
        out["counters"] = Table("counters", "Theo quầy", "By counter", [
            Column("name", "Quầy", "Counter", "text"), *WORK_COLS, *RATING_COLS,
        ], [_flat(r) for r in report["counters"]])
    if "ranking" in report:
        rk = report["ranking"]
        out["ranking"] = Table("ranking", "Xếp hạng cán bộ (công bằng với người ít lượt đánh giá)", "Officers' ranking (Bayesian average)", [
            Column("rank", "Hạng", "Rank"), Column("name", "Cán bộ", "Officer", "text"),
            Column("bayes", "Điểm xếp hạng (%)", "Ranking score (%)", "pct"),
            Column("satisfaction_rate", "Tỷ lệ hài lòng (%)", "Satisfaction rate (%)", "pct"),
            Column("satisfied", "Số hài lòng (5 + 4)", "Satisfied (5 + 4)"),
            Column("ratings_counted", "Đánh giá được tính", "Ratings counted"),
            Column("mean_score", "Điểm TB (1–5)", "Mean score (1–5)", "score"),
        ], [_flat(r) for r in rk["rows"]])
    if "series" in report:
        unit = report["series"]["unit"]
        label = {"day": ("Ngày", "Day"), "week": ("Tuần (từ thứ Hai)", "Week (from Monday)"),
                 "month": ("Tháng", "Month")}[unit]
        out["series"] = Table("series", "Theo thời gian", "Over time", [
            Column("key", label[0], label[1], "day"), Column("issued", "Đã cấp số", "Issued"),
            Column("served", "Đã phục vụ", "Served"), Column("no_show", "Vắng mặt", "No-shows"),
            Column("avg_wait_s", "Chờ TB (phút)", "Mean wait (min)", "min"),
            Column("ratings_counted", "Đánh giá được tính", "Ratings counted"),
            Column("satisfaction_rate", "Tỷ lệ hài lòng (%)", "Satisfaction rate (%)", "pct"),
        ], report["series"]["rows"])
    if "heat" in report:
        h = report["heat"]
        hour_cols = [Column(f"h{hour}", f"{hour}h", f"{hour}h") for hour in h["hours"]]
        day_col = Column("weekday", "Thứ", "Weekday", "text")

        def grid(key: str, kind: str) -> list[dict]:
            rows = []
            for wd in range(7):
                row = {"weekday": h["weekdays"][wd], "weekday_en": h["weekdays_en"][wd], "days": h["days"][wd]}
                for i, hour in enumerate(h["hours"]):
                    row[f"h{hour}"] = h[key][wd][i]
                rows.append(row)
            return rows

        out["heat_arrivals"] = Table("heat_arrivals", "Lượt lấy số theo giờ và thứ (tổng)",
                                     "Arrivals by hour and weekday (total)",
                                     [day_col, Column("days", "Số ngày", "Days"), *hour_cols], grid("arrivals", "int"))
        out["heat_satisfaction"] = Table(
            "heat_satisfaction", "Tỷ lệ hài lòng (%) theo giờ và thứ", "Satisfaction rate (%) by hour and weekday",
            [day_col, *[Column(c.key, c.vi, c.en, "pct") for c in hour_cols]], grid("satisfaction", "pct"))
        out["heat_rated"] = Table("heat_rated", "Số đánh giá được tính theo giờ và thứ",
                                  "Ratings counted by hour and weekday", [day_col, *hour_cols], grid("rated", "int"))
    return out


def value(row: dict, col: Column, lang: str = "vi") -> tuple:
    """(raw value, kind) of a cell: text in the asked language when the row has it (`name_en`),
    and the row's own kind for a column of mixed kinds (the summary's values)."""
    kind = row.get("kind", "int") if col.kind == "auto" else col.kind
    raw = row.get(col.key)
    if lang == "en" and col.kind == "text" and row.get(f"{col.key}_en") is not None:
        raw = row[f"{col.key}_en"]
    return raw, kind


def cell(value, kind: str):
    """A raw value as exported: minutes from seconds, rates and scores rounded; None stays empty."""
    if value is None:
        return None
    if kind == "min":
        return round(value / 60.0, 1)
    if kind in ("pct", "avg"):
        return round(value, 1)
    if kind == "score":
        return round(value, 2)
    return value


def text(value, kind: str, lang: str = "vi") -> str:
    """A value as the page shows it: "—" for nothing, a decimal comma in Vietnamese."""
    v = cell(value, kind)
    if v is None:
        return "—"
    if kind == "day":
        parts = str(v).split("-")
        return "/".join(reversed(parts))
    if isinstance(v, float):
        s = f"{v:,.1f}" if kind in ("min", "pct", "avg") else f"{v:,.2f}"
    elif isinstance(v, int):
        s = f"{v:,}"
    else:
        return str(v)
    if lang != "en":  # 1,234.5 -> 1.234,5
        s = s.replace(",", " ").replace(".", ",").replace(" ", ".")
    return s
