"""`make run`: the whole demo system in one terminal.

Creates the demo center on first start (its secrets kept in `<instance>/demo-secrets.json`, mode
0600, so later starts can print the logins again), starts the server and simulated agents as child
processes (the ticket kiosk and a rating terminal per counter), serves a page of their buttons
(`buttons.py`), and routes the terminal's keys to the ticket kiosk. Ctrl-C, `q`, SIGTERM or
SIGHUP stop everything it started; the children also get SIGTERM should it die unannounced.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import click

TICKET_KIOSK = "kiosk-1"


def _load_or_create(instance: Path) -> dict:
    from .. import create_app
    from ..engine import demo

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
    """A config per simulated device: the ticket kiosk and every counter's rating terminal."""
    from kiosk.demo_config import demo_config_text

    folder = instance / "kiosks"
    folder.mkdir(exist_ok=True)
    out = {}
    for d in secrets_["devices"]:
        roles = [r for r in d["roles"] if r in ("ticket", "rating")]
        if not roles:
            continue  # the TV is a browser page, not an agent
        path = folder / f"{d['id']}.toml"
        path.write_text(demo_config_text(server=url, device=d["id"], token=d["token"], roles=roles,
                                         services=secrets_["services"], data_dir=str(folder / d["id"])))
        path.chmod(0o600)
        out[d["id"]] = path
    return out


def _wait_healthy(url: str, seconds: float = 60, stop: threading.Event | None = None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not (stop and stop.is_set()):
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def _banner(url: str, buttons_url: str, secrets_: dict, instance: Path) -> str:
    users = {u["username"]: u for u in secrets_["users"]}
    lines = ["", "=" * 72, "Hệ thống đang chạy — the demo system is running", "",
             f"  Nút bấm mô phỏng       {buttons_url}   (simulated kiosk buttons: start here)",
             f"  Màn hình chờ (TV)      {url}/display",
             f"  Quầy (cán bộ)          {url}/counter",
             f"  Bảng theo dõi          {url}/board",
             f"  Báo cáo                {url}/reports",
             f"  Quản trị               {url}/admin", "",
             "  Tài khoản demo (demo logins):"]
    for name, u in users.items():
        lines.append(f"    {name:10} {u['role']:10} mật khẩu/password: {u['password']}")
    lines += ["", f"  Phiếu in ra (ticket PNGs): {instance / 'kiosks' / TICKET_KIOSK / 'tickets'}",
              f"  Nhật ký máy chủ (server log): {instance / 'server.log'}",
              "  Dừng: Ctrl-C, q, hoặc SIGTERM (stop: Ctrl-C, q or SIGTERM)", "=" * 72]
    return "\n".join(lines)


def _panels(configs: dict[str, Path], children: dict[str, subprocess.Popen], devices: list[dict]) -> list:
    """The buttons page's panels: one per simulated agent, its keys as the simulator maps them."""
    from kiosk.config import load_config
    from kiosk.simulate import keymap

    from .buttons import Panel

    def sender(proc: subprocess.Popen):
        def send(key: str) -> None:
            proc.stdin.write(key + "\n")
            proc.stdin.flush()
        return send

    panels = []
    for device, path in configs.items():
        config = load_config(path)
        keys = []
        for k in keymap(config):
            kind, _, what = k.names[0].partition(":")
            if kind == "rating":
                score = int(what)
                label = next(b.label for b in config.rating.buttons if b.score == score)
                keys.append((k.key, f"{score} · {label}", "good" if score >= 4 else "fair" if score == 3 else "poor"))
            elif kind == "ticket":
                label = next(b.label for b in config.ticket.buttons if b.service.lower() == what)
                keys.append((k.key, label, ""))
            else:
                keys.append((k.key, "Ưu tiên (rồi bấm lĩnh vực)", "priority"))
        counter = next((d.get("counter") for d in devices if d["id"] == device), None)
        title = f"Máy đánh giá quầy {counter}" if config.rating else f"Máy lấy số ({device})"
        panels.append(Panel(device=device, title=title, kind="rating" if config.rating else "ticket",
                            keys=keys, send=sender(children[device]), agent_log=path.with_suffix(".log")))
    return panels


def _route_keys(children: dict[str, subprocess.Popen], keymaps: dict[str, set[str]], stop: threading.Event) -> None:
    """Read single keys from the terminal and send each to the kiosk that owns it."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        while not stop.is_set() and all(p.poll() is None for p in children.values()):
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


def _die_with_parent() -> None:
    """In a child, before exec: SIGTERM it when `make run` dies, even by SIGKILL (Linux only)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _stop(children: dict[str, subprocess.Popen]) -> None:
    """SIGTERM every child, kiosks first (they flush their outboxes to the server), then wait."""
    for name in [n for n in children if n != "server"] + ["server"]:
        proc = children.get(name)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in children.values():
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@click.command("demo-run")
@click.option("--instance", default="instance/demo", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--buttons-port", default=None, type=int, help="Port of the simulated buttons page [default: port + 1].")
def demo_run(instance, host, port, buttons_port):
    """Start the demo: server, demo center, a simulated ticket kiosk and a rating terminal per
    counter, and a page of their buttons. Ctrl-C, q or SIGTERM stops everything it started."""
    from kiosk.config import load_config
    from kiosk.simulate import keymap

    from .buttons import Buttons, serve

    stop = threading.Event()
    # SIGTERM (and a closed terminal's SIGHUP) end the demo like Ctrl-C: children are stopped,
    # never left running. GNU make passes its own SIGTERM on to this process.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    instance_path = Path(instance).resolve()
    instance_path.mkdir(parents=True, exist_ok=True)
    secrets_ = _load_or_create(instance_path)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{local}:{port}"
    buttons_port = port + 1 if buttons_port is None else buttons_port
    configs = _kiosk_configs(instance_path, url, secrets_)
    env = {**os.environ, "GPIOZERO_PIN_FACTORY": "mock", "PYTHONUNBUFFERED": "1"}
    log = (instance_path / "server.log").open("ab")
    children: dict[str, subprocess.Popen] = {}
    httpd = None
    try:
        children["server"] = subprocess.Popen(
            [sys.executable, "-m", "server", "run", "--instance", str(instance_path), "--host", host,
             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent)
        if not _wait_healthy(url, stop=stop):
            if stop.is_set():
                return
            raise click.ClickException(f"the server did not start; see {instance_path / 'server.log'}")
        keymaps = {}
        for device, path in configs.items():
            klog = (instance_path / "kiosks" / f"{device}.log").open("ab")
            children[device] = subprocess.Popen(
                [sys.executable, "-m", "kiosk", "--simulate", "--config", str(path)],
                stdin=subprocess.PIPE, stdout=klog, stderr=subprocess.STDOUT, env=env, text=True,
                preexec_fn=_die_with_parent)
            keymaps[device] = {k.key for k in keymap(load_config(path))}
        buttons = Buttons(_panels(configs, children, secrets_["devices"]), instance_path / "kiosks" / TICKET_KIOSK / "tickets",
                          {"Màn hình chờ": url + "/display", "Quầy": url + "/counter", "Bảng theo dõi": url + "/board",
                           "Báo cáo": url + "/reports"})
        httpd = serve(buttons, host, buttons_port)
        click.echo(_banner(url, f"http://{local}:{buttons_port}/", secrets_, instance_path))
        if sys.stdin.isatty():
            ticket_keys = ", ".join(f"{k.key} {k.help}" for k in keymap(load_config(configs[TICKET_KIOSK])))
            click.echo(f"Phím (keys): {ticket_keys}; q thoát (quit). Đánh giá: dùng trang nút bấm (rating: use the page).")
            keymaps = {TICKET_KIOSK: keymaps[TICKET_KIOSK]}  # several terminals share the rating keys
            _route_keys(children, keymaps, stop)
        else:
            while not stop.is_set() and children["server"].poll() is None:
                stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if httpd is not None:
            httpd.shutdown()
        _stop(children)
        click.echo("Đã dừng. Stopped.")
