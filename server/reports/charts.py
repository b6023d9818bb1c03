"""The report's charts, drawn on the server as SVG with pygal: no script, no font or file from
the internet (pygal's default tooltips load a script from a CDN: `js=[]` turns that off)."""

from __future__ import annotations

import re

import pygal
from pygal.style import Style

from .tables import SCORE_LABELS, SCORE_LABELS_EN

STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1b1b1b", foreground_strong="#1b1b1b",
    foreground_subtle="#c9d2de", font_family="'Be Vietnam Pro', 'DejaVu Sans', sans-serif",
    colors=("#0b4f9c", "#2e7d32", "#f9a825", "#c62828", "#6a1b9a", "#00838f"),
    title_font_size=15, label_font_size=11, major_label_font_size=11, legend_font_size=12,
    value_font_size=10, tooltip_font_size=11,
)
LEVEL_COLOURS = {5: "#2e7d32", 4: "#7cb342", 3: "#9e9e9e", 2: "#ef6c00", 1: "#c62828"}
NAMES = ("flow", "satisfaction", "levels", "ranking", "waits")
TITLES = {
    "flow": ("Số phiếu đã cấp và đã phục vụ", "Tickets issued and served"),
    "satisfaction": ("Tỷ lệ hài lòng (%)", "Satisfaction rate (%)"),
    "levels": ("Đánh giá được tính theo mức", "Ratings counted by level"),
    "ranking": ("Xếp hạng cán bộ: điểm xếp hạng (%) và số đánh giá", "Officers: Bayesian score (%) and ratings"),
    "waits": ("Thời gian chờ theo lĩnh vực (phút)", "Waiting time by service (minutes)"),
}
SECTIONS = {"flow": ("series",), "satisfaction": ("series",), "levels": (), "ranking": ("ranking",),
            "waits": ("services", "p90")}


def _opts(lang: str, name: str, **extra) -> dict:
    opts = dict(style=STYLE, js=[], width=900, height=380, explicit_size=False, title=TITLES[name][lang == "en"],
                legend_at_bottom=True, print_values=False, show_y_guides=True, truncate_label=40,
                no_data_text="Không có dữ liệu" if lang != "en" else "No data")
    opts.update(extra)
    return opts


def _num(v: float | None, lang: str, digits: int = 1) -> str:
    if v is None:
        return "—"
    s = f"{v:,.{digits}f}"
    return s.replace(",", " ").replace(".", ",").replace(" ", ".") if lang != "en" else s


def flow(report: dict, lang: str) -> str:
    rows = report["series"]["rows"]
    chart = pygal.Bar(**_opts(lang, "flow", x_label_rotation=-45 if len(rows) > 14 else 0,
                              show_minor_x_labels=len(rows) <= 31, value_formatter=lambda v: _num(v, lang, 0)))
    chart.x_labels = [r["label"] for r in rows]
    if len(rows) > 31:
        chart.x_labels_major = [r["label"] for r in rows[::4]]
    chart.add("Đã cấp số" if lang != "en" else "Issued", [r["issued"] for r in rows])
    chart.add("Đã phục vụ" if lang != "en" else "Served", [r["served"] for r in rows])
    return chart.render(is_unicode=True)


def satisfaction(report: dict, lang: str) -> str:
    rows = report["series"]["rows"]
    values = [r["satisfaction_rate"] for r in rows]
    low = min([v for v in values if v is not None], default=0)
    chart = pygal.Line(**_opts(lang, "satisfaction", range=(max(0, int(low // 10 * 10) - 10), 100),
                               x_label_rotation=-45 if len(rows) > 14 else 0, show_minor_x_labels=len(rows) <= 31,
                               value_formatter=lambda v: _num(v, lang) + " %", allow_interruptions=True))
    chart.x_labels = [r["label"] for r in rows]
    chart.add("Tỷ lệ hài lòng (%)" if lang != "en" else "Satisfaction rate (%)", values)
    return chart.render(is_unicode=True)


def levels(report: dict, lang: str) -> str:
    s = report["summary"]
    labels = SCORE_LABELS_EN if lang == "en" else SCORE_LABELS
    chart = pygal.HorizontalBar(**_opts(lang, "levels", print_values=True, show_legend=False,
                                        value_formatter=lambda v: _num(v, lang, 0)))
    scores = (1, 2, 3, 4, 5)  # pygal draws the first label at the bottom: 5 on top
    chart.x_labels = [f"{score} – {labels[score]}" for score in scores]
    chart.add("", [{"value": s["ratings"][str(score)], "color": LEVEL_COLOURS[score]} for score in scores])
    return chart.render(is_unicode=True)


def ranking(report: dict, lang: str) -> str:
    rows = [r for r in report["ranking"]["rows"] if r["rank"] is not None][:25]
    centre = report["ranking"]["center_rate"]
    title = TITLES["ranking"][lang == "en"] + f" — {'tỷ lệ chung' if lang != 'en' else 'center'} {_num(centre, lang)} %"
    chart = pygal.HorizontalBar(**_opts(lang, "ranking", title=title, height=max(260, 70 + 26 * len(rows)),
                                        print_values=True, show_legend=False, range=(0, 100),
                                        value_formatter=lambda v: _num(v, lang) + " %"))
    rows = list(reversed(rows))  # pygal draws the first label at the bottom: best at the top
    chart.x_labels = [f"{r['rank']}. {r['name']} (n={_num(r['ratings_counted'], lang, 0)})" for r in rows]
    chart.add("Điểm xếp hạng (%)" if lang != "en" else "Ranking score (%)", [r["bayes"] for r in rows])
    return chart.render(is_unicode=True)


def waits(report: dict, lang: str) -> str:
    rows = list(reversed([r for r in report["services"] if r["code"]]))  # first service on top
    unit = " ph" if lang != "en" else " min"
    chart = pygal.HorizontalBar(**_opts(lang, "waits", height=max(260, 90 + 44 * len(rows)), print_values=True,
                                        value_formatter=lambda v: _num(v, lang) + unit))
    chart.x_labels = [(r["name_en"] if lang == "en" else r["name"]) for r in rows]
    chart.add("Chờ trung bình" if lang != "en" else "Mean wait",
              [None if r["avg_wait_s"] is None else r["avg_wait_s"] / 60 for r in rows])
    chart.add("Chờ: 90 % không quá" if lang != "en" else "Wait, 90th percentile",
              [None if r.get("p90_wait_s") is None else r["p90_wait_s"] / 60 for r in rows])
    return chart.render(is_unicode=True)


_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)


def render(name: str, report: dict, lang: str = "vi") -> str:
    """One chart of a report as an SVG document, without pygal's inline configuration script
    (it only feeds the interactive tooltips, whose script we do not load)."""
    svg = {"flow": flow, "satisfaction": satisfaction, "levels": levels, "ranking": ranking, "waits": waits}[name](report, lang)
    return _SCRIPT.sub("", svg)
