#!/usr/bin/env bash
# Builds the bundled function here, with no registry: the Debian base (scripts/
# build-base-image.sh), the Lambda-like Python base (function/base), then function/Dockerfile
# and function/Dockerfile.naive, exported as docker-archive and OCI archives under build/function/.
# FUNCTION_OUT (a directory; "-" for no archives) and FUNCTION_TAG (an image name) move the
# archives and the two tags elsewhere, so a test can build its own pair without touching
# build/function's.
set -euo pipefail
cd "$(dirname "$0")/.."
B="buildah --storage-driver overlay"
out="${FUNCTION_OUT:-build/function}"
tag="${FUNCTION_TAG:-localhost/gate-function}"
[ "$out" = - ] || mkdir -p "$out"
bash scripts/build-base-image.sh
# --layers everywhere: an unchanged step is a cache hit, so reruns take seconds.
ctx=$(mktemp -d)
cp function/base/Dockerfile function/base/lambda-entrypoint.sh "$ctx/"
cp "$(command -v aws-lambda-rie)" "$ctx/aws-lambda-rie"
$B bud --quiet --layers --isolation chroot -t localhost/gate-lambda-python:local "$ctx" >/dev/null
rm -rf "$ctx"
$B bud --quiet --layers --isolation chroot --build-arg BASE_IMAGE=localhost/gate-lambda-python:local \
  -t "$tag:optimized" -f function/Dockerfile function >/dev/null
$B bud --quiet --layers --isolation chroot --build-arg BASE_IMAGE=localhost/gate-lambda-python:local \
  --build-arg 'INSTALL_TOOLS=apt-get update && apt-get install -y --no-install-recommends gcc make libc6-dev' \
  -t "$tag:naive" -f function/Dockerfile.naive function >/dev/null
[ "$out" = - ] && { echo "$tag:optimized $tag:naive" >&2; exit 0; }
for v in optimized naive; do
  rm -f "$out/$v.tar" "$out/$v-oci.tar"
  $B push --quiet "$tag:$v" "docker-archive:$out/$v.tar:gate-function:$v"
  $B push --quiet "$tag:$v" "oci-archive:$out/$v-oci.tar:gate-function:$v"
done
echo "$out/optimized.tar $out/naive.tar (and -oci.tar)" >&2
