#!/usr/bin/env bash
# nginx, wrk and oha for `cargo bench --bench perf_load`: gate perf beside wrk and oha against
# a local nginx on loopback. nginx and wrk from Debian's packages, oha from crates.io (Debian
# has none). Idempotent: what is already installed is skipped. Not part of
# scripts/install-tools.sh: the test suite needs none of these, and CI would spend minutes
# building oha.
set -euo pipefail
need_nginx=0 need_wrk=0
command -v nginx >/dev/null || need_nginx=1
command -v wrk >/dev/null || need_wrk=1
if [ $need_nginx = 1 ] || [ $need_wrk = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  pkgs=()
  if [ $need_nginx = 1 ]; then
    # nginx-light where the release still has it (bookworm); plain nginx after that.
    if apt-cache show nginx-light >/dev/null 2>&1; then pkgs+=(nginx-light); else pkgs+=(nginx); fi
  fi
  [ $need_wrk = 0 ] || pkgs+=(wrk)
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
if ! oha --version >/dev/null 2>&1; then
  # --locked: the versions oha was released with. Into ~/.cargo/bin, which is on PATH with cargo.
  cargo install oha --locked --quiet
fi
