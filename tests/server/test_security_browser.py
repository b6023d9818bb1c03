"""Every page works in headless Chromium under the Content-Security-Policy, and none reports a
violation: login, the console, the board, the reports (charts, filters, print page) and the
waiting-room display, which plays a call's audio (fetched, then played from a blob: URL)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser_fixtures import sound_browser  # noqa: F401  (fixture)
from tests.display.helpers import Center, open_display, record_all_clips

WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

# Recorded before any page script runs: every violation the page reports.
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""




class Watched:
    """A browser context whose pages record CSP violations (events and console messages)."""

    def __init__(self, browser, **kw):
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, **kw)
        self.context.set_default_timeout(WAIT_MS)
        self.context.add_init_script(WATCH)
        self.console: list[str] = []

    def page(self):
        page = self.context.new_page()
        page.on("console", lambda m: "Content Security Policy" in m.text and self.console.append(m.text))
        page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))
        return page

    def violations(self, page) -> list[str]:
        return page.evaluate("window.__csp") + self.console

    def close(self):
        self.context.close()


def sign_in(watched, server, username: str, next_path: str):
    page = watched.page()
    page.goto(f"{server.url}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", server.center["users"][username]["password"])
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))
    return page


def test_pages_work_under_the_policy_without_violations(sound_browser, live_server):
    center = Center(live_server)
    record_all_clips(live_server.tmp_path / "instance" / "voice" / "clips")
    center.set("voice_repeat", 1)
    watched = Watched(sound_browser)
    try:
        # Login page, then the board: its socket (connect-src) brings the live counters.
        login = watched.page()
        response = login.goto(f"{live_server.url}/login")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(login.locator("input[name=username]")).to_be_visible()
        assert watched.violations(login) == []

        board = sign_in(watched, live_server, "boss", "/board")
        expect(board.locator("#link")).to_have_class(re.compile(r"\bonline\b"))
        expect(board.locator("#counter-1 .code")).to_have_text("—")

        # Reports: the charts load as images, the period filter's script shows the date fields.
        center.issue("A")
        center.call_next(1)
        reports = watched.page()
        reports.goto(f"{live_server.url}/reports")
        charts = reports.locator("figure.chart img")
        expect(charts.first).to_be_visible()
        charts.first.scroll_into_view_if_needed()
        reports.wait_for_function("() => [...document.querySelectorAll('figure.chart img')]"
                                  ".every(i => i.complete && i.naturalWidth > 0)")
        reports.select_option("#period", "range")
        expect(reports.locator("#filters .range").first).to_be_visible()
        expect(reports.locator("table.heat td[class*=heat-]").first).to_be_attached()
        printed = watched.page()
        printed.goto(f"{live_server.url}/reports/print")
        printed.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
        expect(printed.locator("#print-button")).to_be_visible()

        # The console: its socket brings the counter's view; a key press calls the next number.
        officer = Watched(sound_browser)
        console = sign_in(officer, live_server, "officer2", "/counter")
        expect(console.locator("#link")).to_have_class(re.compile("online"))
        center.issue("B")
        console.click("[data-action=next]")
        expect(console.locator("body")).to_contain_text("B001")

        # The display: snapshot over its socket, the call's audio fetched and played from a blob:.
        display = open_display(sound_browser, live_server, "")
        display.context.add_init_script(WATCH)
        display.reload()
        display.wait_for_function("() => window.qmsDisplay && window.qmsDisplay.state.snapshots > 0")
        assert display.evaluate("window.qmsDisplay.speaks()") is True
        center.issue("A")
        code = center.call_next(3)
        display.wait_for_function("() => window.qmsDisplay.audioLog.some(e => e.end !== null)", timeout=30_000)
        log = display.evaluate("window.qmsDisplay.audioLog")
        assert [(e["code"], e["error"]) for e in log] == [(code, None)]
        fonts = display.evaluate("""async () => { await document.fonts.ready;
            return [...document.fonts].filter(f => f.family.includes('Be Vietnam Pro') && f.status === 'loaded').length; }""")
        assert fonts > 0  # font-src 'self'

        for page in (login, board, reports, printed):
            assert watched.violations(page) == [], page.url
        assert officer.violations(console) == []
        assert display.evaluate("window.__csp") == []
        officer.close()
        display.context.close()
    finally:
        watched.close()
