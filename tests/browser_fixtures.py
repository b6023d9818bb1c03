"""Shared browser fixture: Playwright driving Debian's chromium (never `playwright install`).

Use it from a test module with `from tests.browser_fixtures import browser  # noqa: F401`;
the browser is started once per module. Screenshots go to `test-artifacts/` (git-ignored).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def chromium_path() -> str:
    """Debian's chromium; fails (never skips) without it: `make setup` installs it with apt."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not path:
        pytest.fail("chromium is not installed: run `make setup` (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the whole test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def sound_browser():
    """Chromium allowed to play sound without a click, as on the waiting-room TV."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), headless=True,
                              args=ARGS + ["--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()


def artifact(name: str) -> Path:
    """A path under test-artifacts/ for a screenshot or trace."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
