#!/usr/bin/env bash
# Image sources (tests/source_*.rs): Debian's docker-registry (the CNCF distribution registry)
# with htpasswd from apache2-utils, podman for the Engine API socket, openssl for the test CA.
# moto (the Lambda and ECR API emulator) comes from 50-aws.sh. Idempotent.
set -euo pipefail
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v podman >/dev/null || need+=(podman)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
