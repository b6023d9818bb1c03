"""The shared front-end module, server/static/qms.js (window.QMS), and the rules the page scripts
keep with it: no HTML built from data, no private copies of what QMS gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_fixtures import browser  # noqa: F401
from tests.display.helpers import open_display

ROOT = Path(__file__).resolve().parents[2]
PAGE_SCRIPTS = sorted([ROOT / "display" / "display.js"]
                      + [p for p in (ROOT / "server").rglob("*.js") if "vendor" not in p.parts])
WEB = ROOT / "server" / "web"
TEMPLATES = {WEB / "display/templates/display/display.html": "display.js",
             WEB / "counter/templates/console/console.html": "console.js",
             WEB / "board/templates/board/board.html": "board.js",
             WEB / "reports/templates/reports/report.html": "reports.js",
             WEB / "reports/templates/reports/print.html": "reports.js"}


def _code(path: Path) -> str:
    """The script without its comments (a comment may name what the code must not do)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", text)


def test_the_page_scripts_are_found():
    names = {p.name for p in PAGE_SCRIPTS}
    assert {"qms.js", "display.js", "console.js", "board.js"} <= names


@pytest.mark.parametrize("path", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_no_page_script_builds_html_from_text(path):
    code = _code(path)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "createContextualFragment"):
        assert sink not in code, f"{path.name} uses {sink}: build elements with QMS.el (textContent)"


@pytest.mark.parametrize("path", [p for p in PAGE_SCRIPTS if p.name != "qms.js"], ids=lambda p: p.name)
def test_page_scripts_use_qms_and_keep_no_copies_of_it(path):
    code = _code(path)
    assert "QMS." in code
    for private in (r"function \$\(", r"function fmt\(", r"function esc\(", r"function uuid4\(", r"\bio\(",
                    r"toLocaleString\(", r"toLocaleTimeString\(", r"getElementById\(\"[\w-]+\"\)\.textContent\)"):
        assert not re.search(private, code), f"{path.name} keeps its own {private}"


@pytest.mark.parametrize("template, script", TEMPLATES.items(), ids=lambda t: getattr(t, "name", t))
def test_templates_load_qms_before_the_page_script(template, script):
    text = template.read_text(encoding="utf-8")
    assert "filename='qms.js'" in text
    assert text.index("filename='qms.js'") < text.index(f"filename='{script}'")


def test_formats_messages_versions_and_dom(browser, live_server):  # noqa: F811
    page = open_display(browser, live_server, "mute=1")
    got = page.evaluate("""() => {
        const vi = QMS.locale('vi'), en = QMS.locale('en');
        const t = Date.parse('2026-03-12T08:05:09+07:00');
        const v = QMS.Versions();
        const steps = [v.accept({boot: 'a', seq: 5}), v.accept({boot: 'a', seq: 4}), v.accept({boot: 'a', seq: 5}),
                       v.accept({boot: 'b', seq: 1}), v.covers({boot: 'b', seq: 1}), v.covers({boot: 'b', seq: 2})];
        v.reset();
        steps.push(v.accept({boot: 'b', seq: 0}));
        const li = QMS.el('li', {cls: 'x', data: {id: 7}}, ['<b>A001</b>', QMS.el('span', null, '→ 3')]);
        const clock = QMS.ServerClock();
        clock.syncIso(new Date(Date.now() + 3600e3).toISOString().replace('Z', '+00:00'));
        return {
            vi: [vi.num(1234567.891, 2), vi.num(0.5, 1), vi.num(-1234), vi.pct(83.333), vi.num(null),
                 vi.date(t, 420), vi.time(t, 420), vi.time(t, 'Asia/Ho_Chi_Minh', true), vi.duration(3725), vi.mmss(75)],
            en: [en.num(1234567.891, 2), en.pct(83.333), en.date(t, 420), en.time(t, 'Asia/Ho_Chi_Minh')],
            fmt: [QMS.fmt('Quầy {n}: {code}', {n: 3, code: 'A001'}), QMS.fmt('{who} lúc {at}', {at: '08:05'})],
            versions: steps,
            li: [li.outerHTML, li.children.length],
            offsetMin: Math.round(clock.offset / 60000), zone: clock.zone,
            uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(QMS.uuid4()),
        };
    }""")
    assert got["vi"] == ["1.234.567,89", "0,5", "-1.234", "83,3 %", "—", "12/03/2026", "08:05", "08:05:09",
                         "1:02:05", "01:15"]
    assert got["en"] == ["1,234,567.89", "83.3 %", "12 Mar 2026", "08:05"]
    assert got["fmt"] == ["Quầy 3: A001", "— lúc 08:05"]
    # applied, older dropped, equal applied, new boot applied, covered, not covered, after reset applied
    assert got["versions"] == [True, False, True, True, True, False, True]
    assert got["li"] == ['<li class="x" data-id="7">&lt;b&gt;A001&lt;/b&gt;<span>→ 3</span></li>', 1]
    assert got["offsetMin"] == 60 and got["zone"] == 0
    assert got["uuid"] is True
    page.context.close()
