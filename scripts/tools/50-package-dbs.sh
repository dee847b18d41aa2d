#!/usr/bin/env bash
# The package managers whose own readings the inventory tests compare with: rpm and rpmbuild
# (an rpmdb made with rpm --root), db5.3_load (the Berkeley DB form of it) and sqlite3 (its
# header blobs). dpkg-deb/dpkg-query come with Debian itself, npm with Node.
. "$(dirname "$0")/lib.sh"
apt_install rpm db5.3-util sqlite3
