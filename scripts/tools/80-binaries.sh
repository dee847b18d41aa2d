#!/usr/bin/env bash
# The compiled binaries the inventory tests read (tests/packages_binaries.rs, benches/image.rs):
# cargo-auditable (crates.io, pinned) and Debian's Go build them from tests/data/binaries/ into
# build/binaries/, and buildah puts them in an image. Offline: Go with GOPROXY=off and a
# `replace` onto Debian's sources; cargo with --locked. Each output is rebuilt only when its
# sources are newer than it, so a warm CI spends a second here.
. "$(dirname "$0")/lib.sh"
apt_install golang-go golang-github-google-uuid-dev binutils buildah
# cargo-auditable has no version flag of its own (`--version` goes to cargo): cargo install's
# record says which version is there.
if [ ! -x "$bin/cargo-auditable" ] ||
   ! grep -q "^\"cargo-auditable $CARGO_AUDITABLE " "$tools/.crates.toml" 2>/dev/null; then
  cargo install --quiet --locked --force cargo-auditable --version "=$CARGO_AUDITABLE" --root "$tools"
fi
export PATH="$bin:$PATH"
src="$root/tests/data/binaries"
out="$root/build/binaries"
mkdir -p "$out"
# Whether $1 is missing or older than any file under the source directory $2.
stale() { [ ! -s "$1" ] || [ -n "$(find "$2" -newer "$1" -type f -print -quit)" ]; }

# Rust: with the dependency tree (.dep-v0), and the same program stripped, built without it.
# The 30 MB copy for the bench is the same binary with 30 MB of incompressible bytes after its
# last section (an ELF reader never looks there; the scan reads every byte of it).
if stale "$out/rust-auditable" "$src/rust"; then
  tgt="$out/target"
  (cd "$src/rust" && CARGO_TARGET_DIR="$tgt" cargo auditable build --quiet --release --locked)
  cp "$tgt/release/gate-rust-fixture" "$out/rust-auditable"
  (cd "$src/rust" && CARGO_TARGET_DIR="$tgt/plain" cargo build --quiet --release --locked)
  strip -o "$out/rust-stripped" "$tgt/plain/release/gate-rust-fixture"
  { cat "$out/rust-auditable"; head -c 30000000 /dev/urandom; } >"$out/rust-big"
  chmod 755 "$out/rust-big"
fi
# tests/security_rustsec.rs builds tests/data/binaries/rust-os offline (cargo auditable): its
# crates (atty, time, smallvec, libc) go into the cargo cache here, for this machine's target.
(cd "$src/rust-os" && cargo fetch --quiet --locked --target "$(rustc -vV | sed -n 's/^host: //p')")
# Go: Debian's toolchain, no proxy, uuid from /usr/share/gocode.
if stale "$out/go-uuid" "$src/go"; then
  work=$(mktemp -d)
  cp "$src/go/go.mod" "$src/go/main.go" "$work/"
  (cd "$work" && GOPROXY=off GOFLAGS=-mod=mod GOPATH="$work/gopath" GOCACHE="$work/cache" \
    CGO_ENABLED=0 go build -o "$out/go-uuid" . )
  { cat "$out/go-uuid"; head -c 18000000 /dev/urandom; } >"$out/go-big"
  chmod 755 "$out/go-big"
  rm -rf "$work"
fi
# The image: both binaries (and the stripped one, and a non-Rust, non-Go ELF) in a scratch
# image, as a Lambda `provided.al2023` function would ship them; and the bench's big one.
image() { # NAME FILE:DEST...
  local name=$1 tar="$out/$1.tar"; shift
  local newer=0 f
  for f in "$@"; do [ "$out/${f%%:*}" -nt "$tar" ] && newer=1; done
  [ -s "$tar" ] && [ $newer = 0 ] && return 0
  local B="buildah --storage-driver vfs --root $out/storage --runroot $out/run"
  local c
  c=$($B from --quiet scratch)
  for f in "$@"; do $B copy --quiet --chmod 755 "$c" "$out/${f%%:*}" "${f#*:}" >/dev/null; done
  $B config --entrypoint '["/var/runtime/bootstrap"]' "$c"
  rm -f "$tar.tmp"
  $B commit --quiet "$c" "docker-archive:$tar.tmp:gate-binaries/$name:latest" >/dev/null
  $B rm "$c" >/dev/null
  mv "$tar.tmp" "$tar"
}
cp -p /usr/bin/true "$out/elf-other" 2>/dev/null || true
image binaries rust-auditable:/var/runtime/bootstrap go-uuid:/opt/go/uuid \
  rust-stripped:/opt/rust/stripped elf-other:/opt/other/true
image binaries-big rust-big:/var/runtime/bootstrap go-big:/opt/go/big
