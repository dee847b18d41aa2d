#!/usr/bin/env bash
# buildah and skopeo build the test images; mmdebstrap makes their Debian root; busybox-static
# gives them a shell; GNU time measures peak memory in the hostile-input tests.
. "$(dirname "$0")/lib.sh"
apt_install buildah skopeo mmdebstrap busybox-static time
