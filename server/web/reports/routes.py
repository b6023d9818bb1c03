"""Reports: `/reports` (the page), `/reports/print` (the monthly report to print, in
Vietnamese), `/reports/chart/<name>.svg`, `/reports/export/<table>.csv|.xlsx`, and the same
figures as JSON under `/api/reports` and `/api/reports/<section>` (a supervisor's session or API
token), so that a province can pull them. The figures themselves are computed in server/reports.
"""

from __future__ import annotations

import functools
from datetime import date
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import get_locale

from ...engine import documents
from ...errors import NotFound, QmsError
from ...reports import charts, document, dossiers, export, queries, ranking, tables, vietnamese
from ...reports.period import parse, parse_filters
from ..common.pages import gate
from ..common.principal import current_principal

ROLES = ("supervisor", "admin")
DOCUMENT_KINDS = ("month", "quarter", "half", "year")  # the official report's periods
SECTIONS = ("summary", "services", "officers", "counters", "series", "heat", "ranking")
EXPORTABLE = ("summary", "services", "officers", "counters", "ranking", "series", "heat_arrivals",
              "heat_satisfaction", "heat_rated")
# What each table needs computed ("all" needs everything).
TABLE_SECTIONS = {"summary": ("p90",), "services": ("services", "p90"), "officers": ("officers",),
                  "counters": ("counters",), "ranking": ("ranking",), "series": ("series",),
                  **{name: ("heat",) for name in ("heat_arrivals", "heat_satisfaction", "heat_rated")}}


def _lang() -> str:
    return "en" if str(get_locale()) == "en" else "vi"


class _Page:
    """The request's period, filters and helpers, checked once."""

    def __init__(self, qms):
        self.qms = qms
        self.cfg = qms.cfg()
        self.now = qms.now()
        self.today = date.fromisoformat(self.cfg.day(self.now))
        self.period = parse(request.args, self.today)
        self.filters = parse_filters(request.args, qms.store.read())

    def args(self, **extra) -> dict:
        out = {**self.period.as_args(), **self.filters.as_args()}
        if request.args.get("lang") in ("vi", "en"):
            out["lang"] = request.args["lang"]
        out.update({k: v for k, v in extra.items() if v is not None})
        return out

    def report(self, sections=queries.ALL) -> dict:
        # A year's report takes 100 ms or more: off the event loop, so acknowledgements go on.
        return self.qms.runtime.blocking(functools.partial(
            queries.report, self.qms.store, self.cfg, self.now, self.period, self.filters,
            prior_weight=float(self.qms.setting("ranking_prior_weight")), sections=sections))


HEAT_STEPS = 10  # shades of the arrivals' blue; the rates' red and green have HEAT_STEPS // 2 each


def _heat_class(value, top, kind: str, centre=None) -> str:
    """The class that colours a heat-map cell (reports.css; no style attribute, for the CSP):
    arrivals in blue by share of the busiest hour (`heat-a0`..`heat-a10`); a rate red below the
    period's rate and green above it (`heat-m5`..`heat-p5`), full colour at 10 points away."""
    if value is None:
        return "heat-none"
    if kind == "pct":
        t = max(-1.0, min(1.0, (value - (centre if centre is not None else value)) / 10.0))
        step = round(t * (HEAT_STEPS // 2))
        return f"heat-{'m' if step < 0 else 'p'}{abs(step)}"
    t = 0 if not top else max(0.0, min(1.0, value / top))
    return f"heat-a{round(t * HEAT_STEPS)}"


def heat_css() -> str:
    """The rules of reports.css for `_heat_class` (tests check the file holds them)."""
    lines = ["table.heat td.heat-none { background: #f3f5f8; }"]
    for i in range(HEAT_STEPS + 1):
        lines.append(f"table.heat td.heat-a{i} {{ background: rgba(11,79,156,{0.08 + 0.8 * i / HEAT_STEPS:.2f}); }}")
    near = (241, 243, 245)
    for sign, far in (("m", (198, 40, 40)), ("p", (46, 125, 50))):
        for i in range(HEAT_STEPS // 2 + 1):
            t = i / (HEAT_STEPS // 2)
            rgb = ",".join(str(int(a + (b - a) * t)) for a, b in zip(near, far))
            lines.append(f"table.heat td.heat-{sign}{i} {{ background: rgb({rgb}); }}")
    return "\n".join(lines) + "\n"


def _grid_max(grid) -> float:
    return max((v for row in grid for v in row if v is not None), default=0)


def register(app, socketio, qms, csrf) -> None:
    """Attach /reports and /api/reports."""
    bp = Blueprint("reports", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/static/reports")

    @bp.context_processor
    def _helpers():
        return {"cell_text": tables.text, "cell_value": tables.value, "heat_class": _heat_class,
                "grid_max": _grid_max}

    bp.add_app_template_filter(vietnamese.date_text, "vn_date")
    bp.add_app_template_filter(vietnamese.datetime_text, "vn_datetime")

    def api_caller():
        """A supervisor or admin by session or API token; the JSON error otherwise."""
        return current_principal().require_role(*ROLES)

    def catalog_options() -> dict:
        return queries.options(qms.store.read())

    def page_error(exc: QmsError):
        return render_template("reports/error.html", message=str(exc)), exc.http_status

    def page_or_refusal():
        """(the page's parameters, None), or (None, the response refusing them)."""
        _who, refused = gate(*ROLES)
        if refused is not None:
            return None, refused
        try:
            return _Page(qms), None
        except QmsError as exc:
            return None, page_error(exc)

    @bp.get("/reports")
    def page():
        p, refusal = page_or_refusal()
        if refusal is not None:
            return refusal
        report = p.report()
        lang = _lang()
        base = p.args()
        nav = {"prev": urlencode({**base, **p.period.shift(-1).as_args()}),
               "next": urlencode({**base, **p.period.shift(1).as_args()})}
        return render_template(
            "reports/report.html", r=report, t=tables.build(report), p=p, lang=lang,
            query=urlencode(base), nav=nav, options=(options := catalog_options()),
            filters_text=_filters_text(report, options, lang), formula=ranking.FORMULA,
            print_query=urlencode({**p.filters.as_args(),  # the document of this period, or of its month
                                   "period": p.period.kind if p.period.kind in DOCUMENT_KINDS else "month",
                                   "date": p.period.start.isoformat()}))

    def official(p: _Page, *, pdf: bool) -> tuple[str, dict]:
        """(the document's HTML, its report): the print page and the PDF from one template."""
        report = p.report()
        args = {**p.args(), "lang": "vi"}  # the printed report and its charts are in Vietnamese
        number = qms.write(documents.number, report=urlencode(sorted({**p.period.as_args(), **p.filters.as_args()}.items())),
                           first=int(qms.setting("report_doc_first_number")))
        html = render_template(
            "reports/print.html", r=report, p=p, query=urlencode(args), pdf=pdf,
            unit_name=qms.setting("unit_name"), filters_text=_filters_text(report, catalog_options()),
            doc={"number": f"{number:02d}", "prefix": qms.setting("report_doc_prefix"),
                 "date_line": vietnamese.place_date(qms.setting("report_place"), p.cfg.day(p.now)),
                 "addressee": qms.setting("report_addressee"),
                 "recipients": [line.strip() for line in qms.setting("report_recipients").splitlines() if line.strip()],
                 "signer_title": qms.setting("report_signer_title").splitlines(),
                 "signer_name": qms.setting("report_signer_name")})
        return html, report

    @bp.get("/reports/print")
    def print_page():
        p, refusal = page_or_refusal()
        if refusal is not None:
            return refusal
        return official(p, pdf=False)[0]

    @bp.get("/reports/print.pdf")
    def print_pdf():
        p, refusal = page_or_refusal()
        if refusal is not None:
            return refusal
        html, report = official(p, pdf=True)

        def resolve(path: str):
            """The document's style sheets, fonts and charts, from here, never the network."""
            return _resource(app, path, lambda name: charts.render(name, report, "vi"))

        body = qms.runtime.blocking(functools.partial(document.pdf, html, resolve))
        stem = f"bao-cao-{p.period.start.isoformat()}_{p.period.end.isoformat()}"
        return Response(body, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'})

    @bp.get("/reports/dossiers")
    def dossiers_page():
        p, refusal = page_or_refusal()
        if refusal is not None:
            return refusal
        q = (request.args.get("q") or "").strip()
        db = qms.store.read()
        try:
            found = dossiers.search(db, p.cfg, q) if q else None
        except QmsError as exc:
            return page_error(exc)
        listing = dossiers.received(db, p.cfg, p.period, p.filters)
        return render_template("reports/dossiers.html", p=p, q=q, found=found, listing=listing, lang=_lang(),
                               query=urlencode(p.args()), period_label=p.period.label(_lang()))

    @bp.get("/api/dossiers")
    def api_dossiers():
        api_caller()
        cfg = qms.cfg()
        return jsonify({"ok": True, **dossiers.search(qms.store.read(), cfg, request.args.get("q") or "")})

    @bp.get("/reports/ratings.<fmt>")
    def export_ratings(fmt: str):
        api_caller()
        if fmt not in ("csv", "xlsx"):
            raise NotFound(f"Định dạng '{fmt}' không hỗ trợ; dùng csv hoặc xlsx")
        p = _Page(qms)
        rows = dossiers.rating_rows(qms.store.read(), p.cfg, p.period, p.filters,
                                    levels=dossiers.three_levels(qms.setting("rating_three_levels")))
        table = dossiers.rating_table(rows)
        stem = f"danh-gia-{p.period.start.isoformat()}_{p.period.end.isoformat()}"
        if fmt == "csv":
            return Response(export.csv_bytes(table, _lang()), mimetype="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
        heading = [qms.cfg().center_name, p.period.label(_lang())]
        return Response(export.xlsx_bytes([table], heading, _lang()),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})

    @bp.get("/reports/chart/<name>.svg")
    def chart(name: str):
        api_caller()
        if name not in charts.NAMES:
            raise NotFound(f"Không có biểu đồ '{name}'; có: {', '.join(charts.NAMES)}")
        p = _Page(qms)
        report = p.report(sections=charts.SECTIONS[name])
        return Response(charts.render(name, report, _lang()), mimetype="image/svg+xml",
                        headers={"Cache-Control": "private, max-age=60"})

    @bp.get("/reports/export/<name>.<fmt>")
    def export_table(name: str, fmt: str):
        api_caller()
        if fmt not in ("csv", "xlsx"):
            raise NotFound(f"Định dạng '{fmt}' không hỗ trợ; dùng csv hoặc xlsx")
        if name not in EXPORTABLE and not (name == "all" and fmt == "xlsx"):
            raise NotFound(f"Không có bảng '{name}'; có: {', '.join(EXPORTABLE)}"
                           + (" (và 'all' cho Excel)" if fmt == "xlsx" else ""))
        p = _Page(qms)
        report = p.report(sections=TABLE_SECTIONS.get(name, queries.ALL))
        lang = _lang()
        built = tables.build(report)
        stem = f"bao-cao-{p.period.start.isoformat()}_{p.period.end.isoformat()}-{name}"
        if fmt == "csv":
            return Response(export.csv_bytes(built[name], lang), mimetype="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
        chosen = [built[n] for n in EXPORTABLE if n in built] if name == "all" else [built[name]]
        heading = [report["center_name"], report["period"]["label_en" if lang == "en" else "label"]]
        if report["filters"]:
            heading.append(_filters_text(report, catalog_options(), lang))
        return Response(export.xlsx_bytes(chosen, heading, lang),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})

    @bp.get("/api/reports")
    def api_report():
        api_caller()
        return jsonify({"ok": True, **_Page(qms).report()})

    @bp.get("/api/reports/<section>")
    def api_section(section: str):
        api_caller()
        if section not in SECTIONS:
            raise NotFound(f"Không có mục '{section}'; có: {', '.join(SECTIONS)}")
        p = _Page(qms)
        wanted = {"summary": ("p90",), "services": ("services", "p90"), "ranking": ("ranking",)}.get(section, (section,))
        report = p.report(sections=wanted)
        return jsonify({"ok": True, "period": report["period"], "filters": report["filters"],
                        "generated_at": report["generated_at"], section: report[section]})

    app.register_blueprint(bp)


def _filters_text(report: dict, options: dict, lang: str = "vi") -> str:
    """The filters of a report in words: "Lĩnh vực: Hộ tịch; Quầy 3"."""
    f = report["filters"]
    parts = []
    if "service" in f:
        svc = next((s for s in options["services"] if s["code"] == f["service"]), None)
        name = (svc["name_en"] if lang == "en" else svc["name_vi"]) if svc else f["service"]
        parts.append(("Service: " if lang == "en" else "Lĩnh vực: ") + name)
    if "counter" in f:
        parts.append(("Counter " if lang == "en" else "Quầy ") + str(f["counter"]))
    if "officer" in f:
        user = next((u for u in options["officers"] if u["id"] == f["officer"]), None)
        parts.append(("Officer: " if lang == "en" else "Cán bộ: ") + ((user["full_name"] or user["username"]) if user else str(f["officer"])))
    return "; ".join(parts)



def _resource(app, path: str, chart) -> tuple[bytes, str] | None:
    """A resource the PDF asks for by path: the shared static files, this package's static files,
    or a chart (`chart(name)` gives its SVG)."""
    import mimetypes
    from pathlib import Path

    path = path.split("?", 1)[0]
    if path.startswith("/reports/chart/") and path.endswith(".svg"):
        name = path[len("/reports/chart/"):-4]
        return (chart(name).encode("utf-8"), "image/svg+xml") if name in charts.NAMES else None
    for prefix, folder in (("/static/reports/", Path(__file__).parent / "static"),
                           ("/static/", Path(app.static_folder))):
        if path.startswith(prefix):
            file = (folder / path[len(prefix):]).resolve()
            if folder.resolve() in file.parents and file.is_file():
                return file.read_bytes(), mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return None
    return None
