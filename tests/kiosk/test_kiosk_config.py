"""The config stops the kiosk at start with the key and line to fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config, parse_config
from kiosk.demo_config import demo_config_text

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "kiosk" / "kiosk.example.toml"

GOOD = """\
[kiosk]
roles = ["ticket", "rating"]
status_led = 4

[server]
url = "http://10.0.0.1:5000"
device = "kiosk-1"
token = "s3cret"

[printer]
kind = "usb"
usb_vendor = 0x0416
usb_product = 0x5011

[ticket]
[[ticket.buttons]]
pin = 5
service = "A"
label = "Đất đai"

[[ticket.buttons]]
pin = 6
service = "B"

[rating]
[[rating.buttons]]
pin = 22
score = 5
[[rating.buttons]]
pin = 23
score = 4
"""


def error_of(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_config(text, file="k.toml")
    return info.value


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)


def test_good_config_is_read_with_defaults(tmp_path):
    config = parse_config(GOOD, file="k.toml", base=tmp_path)
    assert config.kiosk.roles == ("ticket", "rating")
    assert config.kiosk.data_dir == tmp_path / "data"
    assert config.server.token == "s3cret" and config.server.ticket_timeout_s == 3.0
    assert config.printer.kind == "usb" and config.printer.usb_vendor == 0x0416 and config.printer.width_px == 576
    assert [b.label for b in config.ticket.buttons] == ["Đất đai", "B"]  # label defaults to the code
    assert config.ticket.lockout_s == 1.5 and config.rating.lockout_s == 3.0
    assert [b.label for b in config.rating.buttons] == ["Rất hài lòng", "Hài lòng"]
    assert "s3cret" not in repr(config.server)


def test_example_config_is_valid(tmp_path):
    token = tmp_path / "token"
    token.write_text("abc\n")
    text = EXAMPLE.read_text(encoding="utf-8").replace('"/etc/kiosk/token"', f'"{token}"')
    config = parse_config(text, file=str(EXAMPLE))
    assert config.server.token == "abc"
    assert config.ticket.priority.window_s == 10
    assert [b.priority for b in config.ticket.buttons] == [False, False, True]


def test_unknown_key_names_the_line():
    text = GOOD.replace('usb_product = 0x5011', 'usb_product = 0x5011\npaper_width = 80')
    exc = error_of(text)
    assert exc.line == line_of(text, "paper_width")
    assert "printer.paper_width" in str(exc) and "unknown key" in str(exc) and "paper_mm" in str(exc)
    assert str(exc).startswith(f"k.toml, line {exc.line}: ")


def test_unknown_key_in_an_array_element():
    text = GOOD.replace('pin = 6\n', 'pin = 6\ncolour = "red"\n')
    exc = error_of(text)
    assert exc.key == "ticket.buttons[2].colour"
    assert exc.line == line_of(text, "colour")


def test_pin_used_twice_names_both():
    text = GOOD.replace("pin = 23", "pin = 5")
    exc = error_of(text)
    assert exc.key == "rating.buttons[2].pin"
    assert exc.line == line_of(text, "pin = 5", occurrence=2)
    assert "GPIO 5 is already used by ticket.buttons[1].pin" in str(exc)
    assert f"(line {line_of(text, 'pin = 5')})" in str(exc)


def test_led_pin_clashing_with_a_button():
    exc = error_of(GOOD.replace("status_led = 4", "status_led = 22"))
    assert "GPIO 22 is already used by kiosk.status_led" in str(exc)


def test_missing_token():
    text = GOOD.replace('token = "s3cret"\n', "")
    exc = error_of(text)
    assert exc.key == "server.token" and "missing token" in str(exc)
    assert exc.line == line_of(text, "[server]")


def test_empty_token():
    assert "missing token" in str(error_of(GOOD.replace('"s3cret"', '"  "')))


def test_token_file(tmp_path):
    (tmp_path / "tok").write_text("from-file\n")
    config = parse_config(GOOD.replace('token = "s3cret"', 'token_file = "tok"'), base=tmp_path)
    assert config.server.token == "from-file"
    exc = error_of(GOOD.replace('token = "s3cret"', 'token_file = "/nonexistent/tok"'))
    assert exc.key == "server.token_file" and "cannot read" in str(exc)


@pytest.mark.parametrize("width", [57, 0, 110])
def test_bad_paper_width(width):
    text = GOOD.replace('kind = "usb"', f'kind = "usb"\npaper_mm = {width}')
    exc = error_of(text)
    assert exc.key == "printer.paper_mm" and "58 or 80" in str(exc)
    assert exc.line == line_of(text, "paper_mm")


def test_58mm_paper_is_384_dots():
    config = parse_config(GOOD.replace('kind = "usb"', 'kind = "usb"\npaper_mm = 58'))
    assert config.printer.width_px == 384


@pytest.mark.parametrize(
    "old, new, key, words",
    [
        ("pin = 5", "pin = 40", "ticket.buttons[1].pin", "0 to 27"),
        ("pin = 5", 'pin = "5"', "ticket.buttons[1].pin", "BCM"),
        ('kind = "usb"', 'kind = "laser"', "printer.kind", "one of"),
        ("usb_product = 0x5011\n", "", "printer.usb_product", "needs usb_vendor, usb_product"),
        ("score = 4", "score = 9", "rating.buttons[2].score", "1 to 5"),
        ("score = 4", "score = 5", "rating.buttons[2].score", "already given"),
        ('url = "http://10.0.0.1:5000"', 'url = "10.0.0.1:5000"', "server.url", "http://HOST:PORT"),
        ('roles = ["ticket", "rating"]', 'roles = ["ticket"]', "rating", "not in kiosk.roles"),
        ('roles = ["ticket", "rating"]', 'roles = ["ticket", "rating", "counter"]', "kiosk.roles", "no [counter]"),
        ('roles = ["ticket", "rating"]', 'roles = ["tickets"]', "kiosk.roles", "distinct roles"),
        ('device = "kiosk-1"\n', "", "server.device", "missing"),
    ],
)
def test_mistakes_are_named(old, new, key, words):
    exc = error_of(GOOD.replace(old, new))
    assert exc.key == key
    assert words in str(exc)
    assert exc.line is not None


def test_ticket_role_needs_a_printer():
    text = GOOD.replace('[printer]\nkind = "usb"\nusb_vendor = 0x0416\nusb_product = 0x5011\n', "")
    exc = error_of(text)
    assert exc.key == "printer.kind" and "needs a printer" in str(exc)


def test_toml_syntax_error_has_its_line():
    text = GOOD.replace('label = "Đất đai"', 'label = "Đất đai')
    exc = error_of(text)
    assert exc.line == line_of(text, 'label = "Đất đai')
    assert "not valid TOML" in str(exc)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "nope.toml")


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_demo_config_round_trips(tmp_path):
    text = demo_config_text(server="http://h:1", device="d", token="t", roles=["ticket", "rating", "counter"],
                            services=[("A", "Đất đai"), ("C", "Chứng thực \"x\"")])
    config = parse_config(text)
    assert [b.service for b in config.ticket.buttons] == ["A", "C"]
    assert config.ticket.buttons[1].label == 'Chứng thực "x"'
    assert [b.action for b in config.counter.buttons] == ["next", "recall", "finish", "no-show"]


def test_cli_check_prints_the_error_and_exits_2(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text(GOOD.replace("pin = 23", "pin = 6"), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(path), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{path}, line {line_of(path.read_text(), 'pin = 6', 2)}: rating.buttons[2].pin: GPIO 6" in done.stderr
    path.write_text(GOOD, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(path), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_cli_writes_demo_config(tmp_path):
    out = tmp_path / "demo" / "rate.toml"
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "write-demo-config", "--server", "http://127.0.0.1:5000", "--device", "rate-1",
         "--token", "tok", "--role", "rating", "--data-dir", str(tmp_path / "d"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    config = load_config(out)
    assert config.kiosk.roles == ("rating",) and config.server.device == "rate-1"
    assert config.kiosk.data_dir == (tmp_path / "d").resolve()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
