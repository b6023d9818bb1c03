#!/usr/bin/env bash
# Start the waiting-room display: wait for the server, keep the screen on, run Chromium in kiosk
# mode on http://SERVER/display. Run by qms-display.service in the desktop session of the Pi's
# auto-login user; systemd starts it again when Chromium exits or crashes.
set -u
CONF=${QMS_DISPLAY_CONF:-/etc/qms-display.conf}
# shellcheck disable=SC1090
[ -r "$CONF" ] && . "$CONF"
SERVER=${QMS_SERVER:-}
QUERY=${QMS_DISPLAY_QUERY:-}
PROFILE=${XDG_RUNTIME_DIR:-/tmp}/qms-display-profile

# 0. No address configured: find the server on the LAN by its mDNS announcement (`_qms._tcp`,
#    server/discovery.py) through the Pi's avahi-daemon. avahi-browse -p prints resolved services as
#    "=;IFACE;IPv4;NAME;TYPE;DOMAIN;HOST;ADDRESS;PORT;TXT".
discover() {
  avahi-browse -rpt _qms._tcp 2>/dev/null | awk -F';' '$1 == "=" && $3 == "IPv4" { print "http://" $8 ":" $9; exit }'
}
while [ -z "$SERVER" ]; do
  SERVER=$(discover)
  [ -n "$SERVER" ] && break
  echo "qms-display: looking for the server on the LAN (mDNS _qms._tcp)"
  sleep 3
done
URL="$SERVER/display${QUERY:+?$QUERY}"

# 1. The server may boot after the TV: Chromium would show its error page and never retry, so wait.
#    (Once the page is up it reconnects by itself and shows "MẤT KẾT NỐI" while the server is away.)
until curl -fsS -o /dev/null --max-time 3 "$SERVER/healthz"; do
  echo "qms-display: waiting for $SERVER/healthz"
  sleep 3
done

# 2. No screen blanking, no power saving (X11; on Wayland see docs/display.md: raspi-config).
if [ -n "${DISPLAY:-}" ] && command -v xset >/dev/null; then
  xset s off || true
  xset s noblank || true
  xset -dpms || true
fi
if [ -n "${QMS_ROTATE:-}" ] && [ -n "${DISPLAY:-}" ] && command -v xrandr >/dev/null; then
  xrandr -o "$QMS_ROTATE" || true
fi

# 3. A fresh profile each start: no "restore pages?" bubble after a power cut, nothing cached stale.
rm -rf "$PROFILE"
CHROMIUM=$(command -v chromium || command -v chromium-browser)
exec "$CHROMIUM" \
  --kiosk "$URL" \
  --user-data-dir="$PROFILE" \
  --autoplay-policy=no-user-gesture-required \
  --noerrdialogs --disable-infobars --disable-session-crashed-bubble --hide-crash-restore-bubble \
  --no-first-run --disable-translate --disable-features=Translate,TranslateUI \
  --disable-pinch --overscroll-history-navigation=0 \
  --check-for-update-interval=31536000 --disable-component-update \
  --password-store=basic --lang=vi \
  --ozone-platform-hint=auto
