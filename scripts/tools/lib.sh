# Sourced by the installers in this folder: where pinned tools go and how each kind is checked.
# Nothing is installed because a command of the same name exists: a machine may come with
# another version of it, earlier on PATH. Each installer asks for the version it pins.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=/dev/null
. "$root/scripts/tools/pins.env"
tools="$root/build/tools"
bin="$tools/bin"
mkdir -p "$bin"

# Debian packages not yet installed (by dpkg's word, not by a command on PATH).
apt_install() {
  local need=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# The stamp beside a tool that reports no version of its own ("dev"): which pin put it there.
stamp_is() { [ -f "$bin/.$1.version" ] && [ "$(cat "$bin/.$1.version")" = "$2" ]; }
stamp() { echo "$2" >"$bin/.$1.version"; }
