#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests (which build real
# images with buildah/skopeo and run real scanners), then the bundled function's own tests.
# Tools come from scripts/install-tools.sh, pinned in scripts/tools/pins.env; their folders go
# first on PATH so that nothing else of the same name, at another version, is run instead.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/build/tools/bin:$PWD/build/tools/venv/bin:$PATH"
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
# Benches (harness = false) are left out: `--all-targets` would run them as tests.
# --no-fail-fast: one failing test binary must not hide the others.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --profile ci --lib --bins --tests --no-fail-fast 2>&1 | tee "$log" || status=$?
# The bundled function's own tests, on the virtualenv scripts/tools/30-lambda.sh made.
build/function-venv/bin/python3 -m unittest discover -s function/tests 2>&1 | tee -a "$log" || status=$?
# One line for the whole run: every `test result:` line of cargo, and unittest's `Ran N`.
awk '
  /^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1); if ($(i) ~ /^ignored;?$/) s += $(i-1) }; bins++ }
  /^Ran [0-9]+ tests? in/ { py = $2 }
  /^FAILED \((failures|errors)=/ { n = $0; gsub(/[^0-9 ]/, " ", n); split(n, a, " "); for (k in a) pyf += a[k] }
  END {
    printf "summary: %d test binaries and the function suite\n", bins
    printf "%d passed, %d failed, %d skipped\n", p + py - pyf, f + pyf, s
  }' "$log"
exit "$status"
