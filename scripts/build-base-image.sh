#!/usr/bin/env bash
# Builds localhost/gate-base:bookworm, the Debian base the tests build real images FROM (no
# registry is reachable here): bookworm minbase with python3, pip and ca-certificates, made
# with mmdebstrap and imported into buildah's overlay storage. The rootfs tarball is cached under
# build/base/ and the image in buildah's storage, so reruns take a second.
set -euo pipefail
cd "$(dirname "$0")/.."
IMG=localhost/gate-base:bookworm
B="buildah --storage-driver overlay"
# One builder at a time: test binaries that run at once all start by asking for the base.
mkdir -p build/base
exec 9>build/base/.lock
flock 9
if $B inspect --type image "$IMG" >/dev/null 2>&1; then
  exit 0
fi
mkdir -p build/base
tarball=build/base/bookworm-python.tar
if [ ! -s "$tarball" ]; then
  mmdebstrap --quiet --variant=minbase \
    --include=python3,python3-pip,python3-venv,ca-certificates \
    --aptopt='Acquire::Retries "3"' \
    bookworm "$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
fi
ctr=$($B from scratch)
$B add --quiet "$ctr" "$tarball" /
# The host's CA bundle, so that pip and npm inside builds trust what the host trusts (a
# TLS-inspecting proxy, where there is one).
ca=/etc/ssl/certs/ca-certificates.crt
if [ -s "$ca" ]; then
  $B copy --quiet "$ctr" "$ca" /etc/ssl/certs/host-ca-certificates.crt
  $B config --env PIP_CERT=/etc/ssl/certs/host-ca-certificates.crt \
    --env REQUESTS_CA_BUNDLE=/etc/ssl/certs/host-ca-certificates.crt \
    --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/host-ca-certificates.crt "$ctr"
fi
$B config --cmd '["/bin/sh"]' --env LANG=C.UTF-8 --created-by "mmdebstrap bookworm minbase + python3, pip" "$ctr"
$B commit --quiet "$ctr" "$IMG" >/dev/null
$B rm "$ctr" >/dev/null
echo "built $IMG" >&2
