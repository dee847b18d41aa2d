#!/usr/bin/env bash
# buildah and skopeo build the test images; busybox-static gives them a shell.
set -euo pipefail
need=()
for t in buildah skopeo mmdebstrap; do command -v "$t" >/dev/null || need+=("$t"); done
[ -x /bin/busybox ] || need+=(busybox-static)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
