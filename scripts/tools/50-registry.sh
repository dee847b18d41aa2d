#!/usr/bin/env bash
# Image sources (tests/source_*.rs): Debian's docker-registry (the CNCF distribution registry)
# with htpasswd from apache2-utils, podman for the Engine API socket, openssl for the test CA.
# moto (the Lambda and ECR API emulator) comes from 60-python.sh.
. "$(dirname "$0")/lib.sh"
apt_install docker-registry apache2-utils podman openssl
