# Shared by deploy/server/install.sh, deploy/kiosk/install.sh and deploy/display/install.sh:
# sourced, not run. Every step does its work only when something differs from what is wanted, so
# a second run of an install script changes nothing, and a run from newer code upgrades in place.
#
#   ROOT=DIR         install under DIR instead of / (paths inside units and configs stay the real
#                    ones: DIR is a root for `systemd-analyze verify --root` or an image)
#   --no-system      (QMS_NO_SYSTEM=1) no apt-get, no users, no chown, no systemctl, no udevadm: for
#                    tests and image builds
#   PYTHON=...       the Python the virtual environment is made from (default python3)
#
# Layout: /opt/qms/releases/ID (the code, ID a hash of its files, with its own .venv),
# /opt/qms/current -> releases/ID (what the units run), /opt/qms/previous -> the one before (for
# a rollback: docs/deploy.md).

set -euo pipefail

ROOT=${ROOT:-/}
ROOT=${ROOT%/}
QMS_NO_SYSTEM=${QMS_NO_SYSTEM:-0}
PYTHON=${PYTHON:-python3}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OPT=/opt/qms
CHANGED=0  # set to 1 by put/release when a file changed (a service then needs a restart)

for arg in "$@"; do
  [ "$arg" = "--no-system" ] && QMS_NO_SYSTEM=1
done

say() { printf '%s\n' "$*"; }
die() { printf 'Lỗi: %s\n' "$*" >&2; exit 1; }

# Run a command that changes the machine itself (packages, users, services), unless --no-system.
system() {
  if [ "$QMS_NO_SYSTEM" = 1 ]; then
    say "  (--no-system, bỏ qua: $*)"
    return 0
  fi
  "$@"
}

need_root() {
  [ "$QMS_NO_SYSTEM" = 1 ] || [ "$(id -u)" -eq 0 ] || die "chạy bằng quyền root: sudo $0"
}

# apt_install PKG...: install the Debian packages not installed yet.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Cài gói hệ thống: ${missing[*]}"
  system apt-get update -qq
  system env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# ensure_user NAME HOME [GROUP,...]: a system user and group, added to the groups that exist.
ensure_user() {
  local name=$1 home=$2 groups=${3:-} g
  if ! id "$name" >/dev/null 2>&1; then
    system adduser --system --group --home "$home" --no-create-home "$name" >/dev/null
  fi
  for g in ${groups//,/ }; do
    if getent group "$g" >/dev/null && ! id -nG "$name" 2>/dev/null | tr ' ' '\n' | grep -qx "$g"; then
      system usermod -aG "$g" "$name"
    fi
  done
}

# put SOURCE DEST MODE [OWNER:GROUP]: copy a file unless DEST already holds the same bytes.
put() {
  local src=$1 dest=$ROOT$2 mode=$3 owner=${4:-}
  if [ -f "$dest" ] && cmp -s "$src" "$dest"; then
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  install -m "$mode" "$src" "$dest"
  [ -n "$owner" ] && system chown "$owner" "$dest"
  say "  $2"
  CHANGED=1
}

# put_new SOURCE DEST MODE [OWNER:GROUP]: copy a file only if DEST does not exist (settings the
# technician may have edited are never overwritten).
put_new() {
  [ -e "$ROOT$2" ] || put "$@"
}

# The files of the code: what git tracks (and new files not ignored) in a clone, else the tree
# without the usual by-products.
_code_files() {
  if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$SRC" ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
      [ -f "$SRC/$f" ] && [ ! -L "$SRC/$f" ] && printf '%s\0' "$f"
    done
  else
    (cd "$SRC" && find . -type f \
      -not -path './.git/*' -not -path './.venv/*' -not -path './node_modules/*' -not -path './instance/*' \
      -not -path './test-artifacts/*' -not -path './kiosk-data/*' -not -name '*.pyc' -not -name '*.mo' \
      -printf '%P\0')
  fi | LC_ALL=C sort -z
}

# release: copy the code into /opt/qms/releases/ID (ID: a hash of its files) unless there, and
# point /opt/qms/current at it. Sets RELEASE (the folder, without ROOT).
release() {
  local id tmp
  id=$(cd "$SRC" && _code_files | xargs -0 sha256sum | sha256sum | cut -c1-12)
  RELEASE=$OPT/releases/$id
  if [ ! -d "$ROOT$RELEASE" ]; then
    say "Cài mã nguồn: $RELEASE"
    tmp=$ROOT$OPT/releases/.new-$id
    rm -rf "$tmp"
    mkdir -p "$tmp"
    (cd "$SRC" && _code_files | tar --null -T - -cf -) | tar -C "$tmp" -xf -
    mv "$tmp" "$ROOT$RELEASE"
  fi
}

# venv REQUIREMENTS [--system-site-packages]: the release's own virtual environment with the
# pinned requirements, made once (a stamp holds the requirements' hash). An upgrade whose
# requirements did not change copies the running release's instead of installing again (minutes
# on a Pi 3); each release keeps its own, so a rollback finds its packages as they were.
venv() {
  local req=$ROOT$RELEASE/$1 env=$ROOT$RELEASE/.venv want old
  shift
  want=$( (cat "$ROOT$RELEASE"/requirements*.txt; echo "$*") | sha256sum | cut -c1-64)
  if [ -f "$env/.qms-requirements" ] && [ "$(cat "$env/.qms-requirements")" = "$want" ]; then
    return 0
  fi
  rm -rf "$env"
  old=$ROOT$OPT/$(readlink "$ROOT$OPT/current" 2>/dev/null || echo none)/.venv
  if [ -f "$old/.qms-requirements" ] && [ "$(cat "$old/.qms-requirements")" = "$want" ]; then
    say "Môi trường Python: chép từ bản đang chạy (yêu cầu không đổi)"
    cp -a "$old" "$env"
    # Console scripts (pip, gunicorn) name their interpreter by its path: point them at the copy.
    for f in "$env"/bin/*; do
      if [ -f "$f" ] && [ ! -L "$f" ] && head -n1 "$f" | grep -q "^#!$old/bin/python"; then
        sed -i "1s|^#!$old/bin/|#!$env/bin/|" "$f"
      fi
    done
  else
    say "Tạo môi trường Python: $RELEASE/.venv (pip install -r $(basename "$req"))"
    "$PYTHON" -m venv "$@" "$env"
    "$env/bin/pip" install -q --disable-pip-version-check --no-warn-script-location -r "$req"
  fi
  # Compiled now, as root: the services' users cannot write into the release.
  "$env/bin/python" -m compileall -q -x '/\.venv/' "$ROOT$RELEASE" >/dev/null || true
  printf '%s\n' "$want" >"$env/.qms-requirements"
}

# switch: /opt/qms/current -> releases/ID (relative, so that it holds under ROOT too); the old
# target is kept as /opt/qms/previous. The new link replaces the old one in one rename.
switch() {
  local now want=releases/${RELEASE##*/}
  now=$(readlink "$ROOT$OPT/current" 2>/dev/null || true)
  if [ "$now" != "$want" ]; then
    [ -n "$now" ] && ln -sfn "$now" "$ROOT$OPT/previous"
    ln -sfn "$want" "$ROOT$OPT/current.new"
    mv -T "$ROOT$OPT/current.new" "$ROOT$OPT/current"
    say "  $OPT/current -> $want"
    CHANGED=1
  fi
}

# Keep the newest three releases besides current and previous (each holds a venv: ~150 MB).
prune_releases() {
  local keep current previous d
  current=$(readlink "$ROOT$OPT/current" 2>/dev/null || true)
  previous=$(readlink "$ROOT$OPT/previous" 2>/dev/null || true)
  keep=0
  for d in $(ls -1dt "$ROOT$OPT"/releases/*/ 2>/dev/null); do
    d=${d%/}
    case "releases/${d##*/}" in "$current" | "$previous") continue ;; esac
    keep=$((keep + 1))
    [ $keep -gt 3 ] && rm -rf "$d"
  done
  return 0
}

# enable UNIT: (re)load systemd, enable the unit, start it, or restart it when CHANGED.
enable() {
  system systemctl daemon-reload
  system systemctl enable --quiet "$1"
  if [ "$CHANGED" = 1 ]; then
    system systemctl restart "$1"
  else
    system systemctl start "$1"
  fi
}
