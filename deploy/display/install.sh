#!/usr/bin/env bash
# Set up a Raspberry Pi (Raspberry Pi OS with desktop, auto-login user) as a waiting-room display.
# Run as that user with sudo rights:  deploy/display/install.sh http://192.168.1.10:8080 [QUERY]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=${1:?usage: install.sh SERVER_URL [DISPLAY_QUERY]}
query=${2:-}

sudo apt-get update -qq
sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium curl x11-xserver-utils

sudo install -m 0755 "$here/qms-display.sh" /usr/local/bin/qms-display.sh
if [ ! -e /etc/qms-display.conf ]; then
  sudo install -m 0644 "$here/qms-display.conf.example" /etc/qms-display.conf
fi
sudo sed -i "s|^QMS_SERVER=.*|QMS_SERVER=$server|; s|^QMS_DISPLAY_QUERY=.*|QMS_DISPLAY_QUERY=$query|" /etc/qms-display.conf

# Screen blanking off for the desktop (X11 and Wayland) where raspi-config offers it.
if command -v raspi-config >/dev/null; then
  sudo raspi-config nonint do_blanking 1 || true
fi

mkdir -p "$HOME/.config/systemd/user"
install -m 0644 "$here/qms-display.service" "$HOME/.config/systemd/user/qms-display.service"
systemctl --user daemon-reload
systemctl --user enable qms-display.service
echo "Installed. Reboot, or: systemctl --user start qms-display.service"
