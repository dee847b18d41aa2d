#!/usr/bin/env bash
# Installs every tool the test suite runs for real (buildah, skopeo, Trivy, cargo-audit, …).
# Each family keeps its own installer in scripts/tools/; each is idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
for s in scripts/tools/[0-9]*.sh; do
  [ -e "$s" ] || continue
  echo "== $s" >&2
  bash "$s"
done
