#!/usr/bin/env bash
# The package managers whose own readings the inventory tests compare with: rpm and rpmbuild
# (an rpmdb made with rpm --root), db5.3_load (the Berkeley DB form of it) and sqlite3 (its
# header blobs). dpkg-deb/dpkg-query come with Debian itself, npm with Node.
set -euo pipefail
need=()
command -v rpmbuild >/dev/null || need+=(rpm)
command -v db5.3_load >/dev/null || need+=(db5.3-util)
command -v sqlite3 >/dev/null || need+=(sqlite3)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
