#!/usr/bin/env bash
# Install, or upgrade in place, the center's server on a Raspberry Pi (Raspberry Pi OS bookworm,
# 64-bit) or any Debian 12 machine. Run as root from a copy of the project:
#
#   sudo deploy/server/install.sh [--port 8080] [--no-system]
#
# It installs the system packages (espeak-ng and fonts for the display's voice, avahi), the code
# into /opt/qms/releases/ID with its own virtual environment of the pinned requirements, the
# system user `qms`, the database in /var/lib/qms (created, or migrated on an upgrade), the
# systemd unit qms-server (gevent, restart on failure, logs in the journal), the `qms` command
# (python -m server as the service's user on this instance), and prints the one-time link that
# creates the first administrator. A second run changes nothing; a run from newer code upgrades
# and restarts; the data, tokens and settings in /var/lib/qms are always kept. See docs/deploy.md.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"

PORT=8080
DATA=/var/lib/qms
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT=${2:?--port needs a number}; shift 2 ;;
    --no-system) shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "không hiểu tham số: $1 (xem --help)" ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ ]] || die "--port phải là một số, không phải $PORT"
need_root

say "== Máy chủ QMS: cài đặt vào ${ROOT:-/} =="
apt_install python3 python3-venv espeak-ng fonts-dejavu-core sqlite3 avahi-daemon curl
ensure_user qms "$DATA"
release
venv requirements.txt
(cd "$ROOT$RELEASE" && .venv/bin/python -c "from server.i18n import compile_catalogs; compile_catalogs()")
switch
prune_releases

# The instance: the database, its backups, the secret key, config.toml if the technician writes
# one. Only the service's user reads and writes it.
mkdir -p "$ROOT$DATA"
chmod 750 "$ROOT$DATA"
system chown qms:qms "$ROOT$DATA"
as_qms() {
  if [ "$QMS_NO_SYSTEM" = 1 ]; then "$@"; else runuser -u qms -- "$@"; fi
}
# Created, or migrated to this release's schema. On an upgrade the server is stopped first and
# the database copied as it was (a rollback to the previous release restores it: docs/deploy.md).
if [ "$CHANGED" = 1 ] && [ -e "$ROOT$DATA/qms.db" ]; then
  system systemctl stop qms-server 2>/dev/null || true
  kept=$DATA/backups/before-${RELEASE##*/}-$(date +%Y%m%d-%H%M%S).db
  (cd "$ROOT$RELEASE" && as_qms .venv/bin/python -c 'import sys; from pathlib import Path; from server import backup
backup.copy(Path(sys.argv[1]), Path(sys.argv[2]))' "$ROOT$DATA/qms.db" "$ROOT$kept")
  say "  Bản sao cơ sở dữ liệu trước khi nâng cấp: $kept"
fi
(cd "$ROOT$RELEASE" && as_qms .venv/bin/python -m server init --instance "$ROOT$DATA" >/dev/null)

unit=$(mktemp)
trap 'rm -f "$unit"' EXIT
sed "s/--port 8080/--port $PORT/" "$here/qms-server.service" >"$unit"
put "$unit" /etc/systemd/system/qms-server.service 0644
cat >"$unit" <<EOF
#!/bin/sh
# python -m server on this center's instance, as the service's user: sudo qms doctor, sudo qms user add ...
cd $OPT/current && exec runuser -u qms -- env QMS_INSTANCE=$DATA QMS_URL=http://127.0.0.1:$PORT .venv/bin/python -m server "\$@"
EOF
put "$unit" /usr/local/bin/qms 0755
enable qms-server

address=$(hostname -I 2>/dev/null | awk '{print $1}')
url="http://${address:-127.0.0.1}:$PORT"
if [ "$QMS_NO_SYSTEM" != 1 ]; then
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/healthz" && break
    sleep 1
  done
fi
say "Máy chủ: $url/ (kiểm tra: sudo qms doctor; nhật ký: journalctl -u qms-server)"
# The one-time link, while there is no administrator (a new one each run: earlier ones stop working).
if first=$(cd "$ROOT$RELEASE" && as_qms .venv/bin/python -m server setup-link --instance "$ROOT$DATA" --url "$url"); then
  say "Chưa có quản trị viên. Mở liên kết này (dùng một lần, trong 24 giờ) để tạo tài khoản quản trị đầu tiên:"
  say "  $first"
else
  say "$first"
fi
