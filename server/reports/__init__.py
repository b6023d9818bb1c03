"""Reports: the figures a center's leader reports upward, computed without Flask.

- `period`: the period asked for (day, week, month, quarter, half-year, year, from-to) and the filters.
- `rollup`: daily roll-ups of tickets and ratings (its own migration set), so a year reads
  thousands of rows, not half a million; today is rolled up on the fly with the same SQL.
- `kpi`: the definitions of every figure (one place), from counts to rates.
- `queries`: the report for a period and filters: summary, per officer/counter/service, series,
  heat map; also today's figures for the live board.
- `ranking`: the fair ranking of officers (Bayesian average).
- `tables`, `export`, `charts`: the tables as shown, exported (CSV, Excel) and drawn (SVG).
- `vietnamese`: dates and numbers as Vietnamese readers expect them (01/11/2026, 1.234,5).
- `document`: the official report's PDF (WeasyPrint), from the print page's HTML.
- `dossiers`: dossier codes (mã hồ sơ): search, dossiers received, one row per rating, the
  record pushed to the province (`server/push`).
"""
