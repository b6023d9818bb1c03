#!/usr/bin/env bash
# Debian packages the project needs: espeak-ng (the display's voice fallback) for running,
# plus, for testing: chromium (browser tests), sox, poppler-utils (the report PDF), faketime and
# fuse3 (bench/faults.py: kiosk clocks years off, the power-loss file system), systemd
# (systemd-analyze verify) and python3-venv (tests/deploy/test_install.py).
# Installs only what is missing.
# Usage: deploy/system-deps.sh [run|test]
set -euo pipefail
want=(espeak-ng fonts-dejavu-core fonts-liberation2 libpango-1.0-0 libpangoft2-1.0-0)  # pango, Liberation Serif: the report PDF (WeasyPrint)
if [ "${1:-run}" = "test" ]; then
  want+=(chromium sox systemd python3-venv poppler-utils faketime fuse3)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "warning: no apt-get; please install: ${missing[*]}" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "warning: not root and no sudo; please install: ${missing[*]}" >&2; exit 0; fi
fi
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
