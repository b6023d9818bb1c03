#!/usr/bin/env bash
# Install, or upgrade in place, the kiosk agent on a Raspberry Pi (Raspberry Pi OS bookworm,
# 64-bit): a ticket kiosk, a rating terminal or a counter keypad. Run as root from a copy of the
# project:
#
#   sudo deploy/kiosk/install.sh                      # asks for the device's setup code
#   sudo deploy/kiosk/install.sh --setup '{"server": "...", "device": "rate-1", "token": "..."}'
#   sudo deploy/kiosk/install.sh --device rate-1 --token TOKEN [--role rating] [--server URL]
#   ... [--no-system]
#
# The setup code is what the QR code on the server's device page holds (/admin/devices: scan it
# with a USB scanner into the prompt, or type the token). The server is found on the LAN by mDNS;
# --server writes a fixed address instead. It installs lgpio and libusb, the code into
# /opt/qms/releases/ID with its own virtual environment, the system user `kiosk`, the udev rule
# for the USB printer, /etc/kiosk/kiosk.toml (the buttons of its role) and /etc/kiosk/token, and
# the systemd unit `kiosk`. A second run changes nothing (the token and the config, once written,
# are kept); a run from newer code upgrades and restarts. See docs/deploy.md.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"

SETUP="" DEVICE="" TOKEN="" ROLE="" SERVER=""
while [ $# -gt 0 ]; do
  case "$1" in
    --setup) SETUP=${2:?--setup needs the JSON of the QR code}; shift 2 ;;
    --device) DEVICE=${2:?--device needs an id}; shift 2 ;;
    --token) TOKEN=${2:?--token needs the token}; shift 2 ;;
    --role) ROLE=${2:?--role needs ticket, rating or counter}; shift 2 ;;
    --server) SERVER=${2:?--server needs http://HOST:PORT}; shift 2 ;;
    --no-system) shift ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) die "không hiểu tham số: $1 (xem --help)" ;;
  esac
done
need_root
CONF=/etc/kiosk

# Ask only for what is not there yet: a kiosk that has its token keeps it.
if [ ! -s "$ROOT$CONF/token" ] && [ -z "$SETUP" ] && [ -z "$TOKEN" ]; then
  [ -t 0 ] || die "chưa có mã thiết bị: cho --setup JSON (mã QR ở trang Thiết bị của máy chủ) hoặc --device ID --token MÃ"
  read -r -p "Quét mã QR thiết lập (ở /admin/devices) hoặc dán mã thiết bị: " SETUP
fi
if [ -n "$SETUP" ]; then
  if [[ "$SETUP" == "{"* ]]; then
    parsed=$("$PYTHON" -c 'import json, sys
d = json.loads(sys.argv[1])
print(d["device"]); print(d["token"]); print(d.get("server", ""))' "$SETUP") || die "mã thiết lập không đọc được (cần JSON có device và token)"
    DEVICE=${DEVICE:-$(sed -n 1p <<<"$parsed")}
    TOKEN=$(sed -n 2p <<<"$parsed")
  else
    TOKEN=$SETUP
  fi
fi
if [ ! -e "$ROOT$CONF/kiosk.toml" ] && [ -z "$DEVICE" ]; then
  [ -t 0 ] || die "cho --device ID (mã thiết bị trên máy chủ, ví dụ kiosk-1)"
  read -r -p "Mã thiết bị trên máy chủ (ví dụ kiosk-1, rate-1): " DEVICE
fi
case "$ROLE" in "" | ticket | rating | counter) ;; *) die "--role phải là ticket, rating hoặc counter" ;; esac
if [ -z "$ROLE" ]; then
  case "$DEVICE" in rate-* | rating-*) ROLE=rating ;; pad-* | counter-*) ROLE=counter ;; *) ROLE=ticket ;; esac
fi

say "== Thiết bị QMS (kiosk): cài đặt vào ${ROOT:-/} =="
pkgs=(python3 python3-venv libusb-1.0-0)
# gpiozero's lgpio pin factory comes from Raspberry Pi OS's own archive.
if apt-cache show python3-lgpio >/dev/null 2>&1 || dpkg-query -W python3-lgpio >/dev/null 2>&1; then
  pkgs+=(python3-lgpio)
else
  say "  (không có gói python3-lgpio: đây không phải Raspberry Pi OS; nút bấm và đèn cần nó)"
fi
apt_install "${pkgs[@]}"
for g in gpio lp dialout; do getent group "$g" >/dev/null || system groupadd --system "$g"; done
ensure_user kiosk /var/lib/kiosk gpio,lp,dialout
release
# --system-site-packages: the venv sees the apt python3-lgpio.
venv requirements-kiosk.txt --system-site-packages
switch
prune_releases

# /etc/kiosk: root's, readable by the kiosk's group only (it holds the token).
mkdir -p "$ROOT$CONF"
chmod 750 "$ROOT$CONF"
system chgrp kiosk "$ROOT$CONF"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if [ -n "$TOKEN" ]; then
  printf '%s\n' "$TOKEN" >"$tmp"
  put "$tmp" "$CONF/token" 0640 root:kiosk
fi
if [ ! -e "$ROOT$CONF/kiosk.toml" ]; then
  (cd "$ROOT$RELEASE" && .venv/bin/python - "$DEVICE" "$ROLE" "$SERVER" >"$tmp") <<'EOF'
import re
import sys

from kiosk.demo_config import demo_config_text

device, role, server = sys.argv[1:4]
text = demo_config_text(server=server or "http://unused", device=device, token="unused", roles=[role],
                        data_dir="/var/lib/kiosk")
text = text.replace("written by `python -m kiosk write-demo-config`", "written by deploy/kiosk/install.sh")
if not server:
    text = text.replace('url = "http://unused"\n', "# url: none, the server is found on the LAN by mDNS\n")
text = text.replace('token = "unused"', 'token_file = "token"')
# A USB thermal printer (ids from `lsusb`; docs/deploy.md lists printers known to work).
text = re.sub(r'kind = "png"', 'kind = "usb"\nusb_vendor = 0x0416\nusb_product = 0x5011', text)
sys.stdout.write(text)
EOF
  put "$tmp" "$CONF/kiosk.toml" 0640 root:kiosk
  say "  Nút bấm, đèn và máy in: xem và sửa $CONF/kiosk.toml (docs/deploy.md)"
fi
(cd "$ROOT$RELEASE" && .venv/bin/python -m kiosk --config "$ROOT$CONF/kiosk.toml" --check) ||
  die "sửa $CONF/kiosk.toml theo dòng báo lỗi ở trên, rồi chạy lại"

put "$here/99-kiosk-printer.rules" /etc/udev/rules.d/99-kiosk-printer.rules 0644
system udevadm control --reload
put "$here/kiosk.service" /etc/systemd/system/kiosk.service 0644
enable kiosk
say "Xong. Nhật ký: journalctl -u kiosk -f"
