"""`make run`: the whole demo system in one terminal.

Creates the demo center on first start (its secrets kept in `<instance>/demo-secrets.json`, mode
0600, so later starts can print the logins again), starts the server (gunicorn) and two simulated
kiosks (a ticket kiosk and the rating terminal of counter 1) as child processes, and routes the
terminal's keys to the kiosk whose button they stand for. Ctrl-C or `q` stops everything.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

TICKET_KIOSK, RATING_KIOSK, RATING_COUNTER = "kiosk-1", "rate-1", 1


def _load_or_create(instance: Path) -> dict:
    from . import create_app
    from .engine import demo

    path = instance / "demo-secrets.json"
    app = create_app({"INSTANCE_PATH": str(instance), "async_mode": "threading"})
    qms = app.extensions["qms"]
    try:
        if qms.store.read()["services"].count == 0:
            secrets_ = qms.write(demo.load)
            path.write_text(json.dumps(secrets_, ensure_ascii=False, indent=2))
            path.chmod(0o600)
        elif not path.exists():
            raise click.ClickException(f"{instance} has a center but no demo-secrets.json: use another --instance")
        services = [(s["code"], s["name_vi"]) for s in qms.store.read().query(
            "SELECT code, name_vi FROM services WHERE active = 1 ORDER BY sort, code")]
    finally:
        qms.close()
    return {**json.loads(path.read_text()), "services": services}


def _kiosk_configs(instance: Path, url: str, secrets_: dict) -> dict[str, Path]:
    from kiosk.demo_config import demo_config_text

    tokens = {d["id"]: d["token"] for d in secrets_["devices"]}
    folder = instance / "kiosks"
    folder.mkdir(exist_ok=True)
    out = {}
    for device, roles in ((TICKET_KIOSK, ["ticket"]), (RATING_KIOSK, ["rating"])):
        path = folder / f"{device}.toml"
        path.write_text(demo_config_text(server=url, device=device, token=tokens[device], roles=roles,
                                         services=secrets_["services"], data_dir=str(folder / device)))
        path.chmod(0o600)
        out[device] = path
    return out


def _wait_healthy(url: str, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def _banner(url: str, secrets_: dict, instance: Path) -> str:
    users = {u["username"]: u for u in secrets_["users"]}
    lines = ["", "=" * 72, "Hệ thống đang chạy — the demo system is running", "",
             f"  Màn hình chờ (TV)      {url}/display",
             f"  Quầy (cán bộ)          {url}/counter",
             f"  Bảng theo dõi          {url}/board",
             f"  Báo cáo                {url}/reports", "",
             "  Tài khoản demo (demo logins):"]
    for name, u in users.items():
        lines.append(f"    {name:10} {u['role']:10} mật khẩu/password: {u['password']}")
    lines += ["", f"  Phiếu in ra (ticket PNGs): {instance / 'kiosks' / TICKET_KIOSK / 'tickets'}",
              f"  Nhật ký máy chủ (server log): {instance / 'server.log'}", "=" * 72]
    return "\n".join(lines)


def _route_keys(children: dict[str, subprocess.Popen], keymaps: dict[str, set[str]]) -> None:
    """Read single keys from the terminal and send each to the kiosk that owns it."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while all(p.poll() is None for p in children.values()):
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            char = os.read(fd, 1).decode("utf-8", "replace").lower()
            if char in ("q", "\x03", "\x04", ""):
                return
            for device, keys in keymaps.items():
                if char in keys and children[device].stdin:
                    children[device].stdin.write(char + "\n")
                    children[device].stdin.flush()
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@click.command("demo-run")
@click.option("--instance", default="instance/demo", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo_run(instance, host, port):
    """Start the demo: server, demo center and two simulated kiosks."""
    from kiosk.config import load_config
    from kiosk.simulate import keymap

    instance_path = Path(instance).resolve()
    instance_path.mkdir(parents=True, exist_ok=True)
    secrets_ = _load_or_create(instance_path)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{local}:{port}"
    configs = _kiosk_configs(instance_path, url, secrets_)
    env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "PYTHONUNBUFFERED": "1"}
    log = (instance_path / "server.log").open("ab")
    children: dict[str, subprocess.Popen] = {}
    children["server"] = subprocess.Popen(
        [sys.executable, "-m", "server", "run", "--instance", str(instance_path), "--host", host, "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        if not _wait_healthy(url):
            raise click.ClickException(f"the server did not start; see {instance_path / 'server.log'}")
        keymaps = {}
        for device, path in configs.items():
            klog = (instance_path / "kiosks" / f"{device}.log").open("ab")
            children[device] = subprocess.Popen(
                [sys.executable, "-m", "kiosk", "--simulate", "--config", str(path)],
                stdin=subprocess.PIPE, stdout=klog, stderr=subprocess.STDOUT, env=env, text=True)
            keymaps[device] = {k.key for k in keymap(load_config(path))}
        click.echo(_banner(url, secrets_, instance_path))
        help_lines = []
        for device, path in configs.items():
            for k in keymap(load_config(path)):
                help_lines.append(f"  {k.key}  {device}: {k.help}")
        click.echo("Phím = nút bấm (keys = buttons):\n" + "\n".join(help_lines) + "\n  q  thoát / quit")
        if sys.stdin.isatty():
            _route_keys(children, keymaps)
        else:
            children["server"].wait()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in children.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        click.echo("Đã dừng. Stopped.")
