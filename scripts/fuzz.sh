#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/*) for SECONDS each (default 600) with the
# nightly toolchain and cargo-fuzz, one after another, with the limits the issue sets: no
# input over 1 s, no RSS over 512 MB. Leak detection is off: LeakSanitizer reports the 64
# bytes glibc keeps per thread for thread-local destructors (__cxa_thread_atexit_impl) of the
# scan's worker threads, which is not a leak of ours. New inputs that grow coverage land in
# fuzz/corpus/<target>; crashes in fuzz/artifacts/<target>. Afterwards
# `scripts/fuzz.sh --minimize` shrinks the corpora before they are committed (they replay
# as ordinary tests in tests/fuzz_corpus.rs).
#
#   scripts/fuzz.sh                 # all targets, 600 s each
#   scripts/fuzz.sh 60 layer render # these targets, 60 s each
#   JOBS=2 scripts/fuzz.sh 600      # two fuzzing processes per target
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install --quiet --locked cargo-fuzz@0.13.2
if [ "${1:-}" = "--minimize" ]; then
  shift
  targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=($(cargo +nightly fuzz list --fuzz-dir fuzz))
  for t in "${targets[@]}"; do
    cargo +nightly fuzz cmin --fuzz-dir fuzz "$t" -- -rss_limit_mb=512 -timeout=1
  done
  exit 0
fi
secs=${1:-600}
shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=($(cargo +nightly fuzz list --fuzz-dir fuzz))
jobs=()
[ "${JOBS:-1}" -gt 1 ] && jobs=(-jobs="$JOBS" -workers="$JOBS")
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== $t: ${secs}s" >&2
  cargo +nightly fuzz run --fuzz-dir fuzz "$t" -- \
    -max_total_time="$secs" -timeout=1 -rss_limit_mb=512 -max_len=65536 -detect_leaks=0 \
    "${jobs[@]}" -print_final_stats=1 2>&1 | tail -n 15
done
