#!/usr/bin/env bash
# Set up a Raspberry Pi (Raspberry Pi OS bookworm 64-bit, with desktop and auto-login) as a
# waiting-room display. Run as root from a copy of the project:
#
#   sudo deploy/display/install.sh                          # the server is found by mDNS
#   sudo deploy/display/install.sh http://192.168.1.10:8080 # or a fixed address
#   sudo deploy/display/install.sh '' 'voice=1'             # the display that speaks
#   ... [--no-system]
#
# It installs Chromium, curl, avahi (to find the server), the launcher /usr/local/bin/qms-display.sh,
# the config /etc/qms-display.conf (kept once written; an address or query given here is set in
# it), turns screen blanking off, and enables the systemd user unit qms-display for every desktop
# user (systemctl --global). A second run changes nothing. See docs/display.md and docs/deploy.md.
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib.sh
. "$here/../lib.sh"

args=()
for a in "$@"; do
  case "$a" in
    --no-system) ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done
server=${args[0]:-}
query=${args[1]:-}
[ -z "$server" ] || [[ "$server" =~ ^https?://[^/[:space:]]+$ ]] || die "địa chỉ máy chủ phải như http://192.168.1.10:8080, không phải $server"
need_root

say "== Màn hình chờ QMS: cài đặt vào ${ROOT:-/} =="
apt_install chromium curl x11-xserver-utils avahi-daemon avahi-utils
put "$here/qms-display.sh" /usr/local/bin/qms-display.sh 0755
put_new "$here/qms-display.conf.example" /etc/qms-display.conf 0644
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
cp "$ROOT/etc/qms-display.conf" "$conf"
# set NAME VALUE: NAME=VALUE in the config (sed's replacement text escaped: a query holds '&').
set_conf() {
  local v=${2//\\/\\\\}
  v=${v//&/\\&}
  v=${v//|/\\|}
  sed -i "s|^$1=.*|$1=$v|" "$conf"
}
[ ${#args[@]} -ge 1 ] && set_conf QMS_SERVER "$server"
[ ${#args[@]} -ge 2 ] && set_conf QMS_DISPLAY_QUERY "'${query//\'/}'"
put "$conf" /etc/qms-display.conf 0644

# Screen blanking off for the desktop (X11 and Wayland) where raspi-config offers it.
if command -v raspi-config >/dev/null; then
  system raspi-config nonint do_blanking 1 || true
fi
put "$here/qms-display.service" /etc/systemd/user/qms-display.service 0644
system systemctl --global enable qms-display.service
say "Xong. Khởi động lại Pi (sudo reboot); nhật ký: journalctl --user -u qms-display"
