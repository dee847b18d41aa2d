#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests (which build real
# images with buildah/skopeo and run real scanners). Tools come from scripts/install-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets --quiet -- -D warnings
# Benches (harness = false) are left out: `--all-targets` would run them as tests.
cargo test --profile ci --lib --bins --tests 2>&1
# The bundled function's own tests, on the virtualenv scripts/tools/30-lambda.sh made.
build/function-venv/bin/python3 -m unittest discover -s function/tests
