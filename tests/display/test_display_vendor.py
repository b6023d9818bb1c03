"""The vendored front-end files (server/static/vendor/, committed) match the npm pins, and
`python -m server.vendor` copies exactly the pinned versions."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from server import vendor

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "server" / "static" / "vendor"


def test_committed_files_match_package_json_and_lock():
    pins = json.loads((ROOT / "package.json").read_text())["dependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pins.values()), pins  # exact versions
    for name, version in pins.items():
        assert lock[f"node_modules/{name}"]["version"] == version
    assert json.loads((VENDOR / "VERSIONS.json").read_text()) == pins
    assert pins["socket.io-client"].startswith("4.")
    head = (VENDOR / "socket.io.min.js").read_text()[:200]
    assert f"Socket.IO v{pins['socket.io-client']}" in head


def test_fonts_css_names_only_files_that_are_there():
    css = (VENDOR / "fonts.css").read_text()
    urls = re.findall(r"url\(([^)]+)\)", css)
    assert len(urls) == 8  # weights 400, 600, 700, 800 x subsets vietnamese, latin
    for url in urls:
        assert not url.startswith(("http:", "https:", "/")), url  # relative: no CDN, any prefix
        data = (VENDOR / url).read_bytes()
        assert data[:4] == b"wOF2", url
    for weight in (400, 600, 700, 800):
        assert f"font-weight: {weight};" in css
    assert "U+1EA0-1EF9" in css  # the Vietnamese letters with tone marks


def fake_node_modules(root: Path, sio: str = "4.8.4", font: str = "5.3.0") -> None:
    (root / "package.json").write_text(json.dumps(
        {"dependencies": {"socket.io-client": "4.8.4", "@fontsource/be-vietnam-pro": "5.3.0"}}))
    s = root / "node_modules" / "socket.io-client"
    (s / "dist").mkdir(parents=True)
    (s / "package.json").write_text(json.dumps({"version": sio}))
    (s / "dist" / "socket.io.min.js").write_text("/* io */")
    (s / "LICENSE").write_text("MIT")
    f = root / "node_modules" / "@fontsource" / "be-vietnam-pro"
    (f / "files").mkdir(parents=True)
    (f / "package.json").write_text(json.dumps({"version": font}))
    (f / "LICENSE").write_text("OFL")
    for weight in vendor.FONT_WEIGHTS:
        for subset in ("vietnamese", "latin", "latin-ext", "cyrillic"):
            (f / "files" / vendor.font_file(weight, subset)).write_bytes(b"wOF2" + subset.encode())


def test_vendor_copies_the_pinned_files(tmp_path):
    fake_node_modules(tmp_path)
    dest = tmp_path / "out"
    (dest / "fonts").mkdir(parents=True)
    (dest / "fonts" / "old-font.woff2").write_bytes(b"stale")
    vendor.vendor(tmp_path, dest)
    assert (dest / "socket.io.min.js").read_text() == "/* io */"
    fonts = sorted(p.name for p in (dest / "fonts").iterdir())
    assert fonts == sorted([vendor.font_file(w, s) for w in vendor.FONT_WEIGHTS for s in ("vietnamese", "latin")]
                           + ["LICENSE"])
    assert (dest / "fonts.css").read_text() == vendor.fonts_css(
        {"socket.io-client": "4.8.4", "@fontsource/be-vietnam-pro": "5.3.0"})


@pytest.mark.parametrize("sio, font", [("4.8.3", "5.3.0"), ("4.8.4", "5.2.0")])
def test_vendor_refuses_another_version(tmp_path, sio, font):
    fake_node_modules(tmp_path, sio, font)
    with pytest.raises(vendor.VendorError, match="pins"):
        vendor.vendor(tmp_path, tmp_path / "out")


def test_vendor_without_node_modules_says_run_npm_ci(tmp_path, capsys):
    shutil.copy(ROOT / "package.json", tmp_path / "package.json")
    assert vendor.main(["--root", str(tmp_path)]) == 1
    assert "npm ci" in capsys.readouterr().err
