module example.com/gatefixture

go 1.19

require github.com/google/uuid v1.3.0

// No module proxy is reachable: Debian's golang-github-google-uuid-dev sources stand in
// (scripts/tools/80-binaries.sh builds with GOPROXY=off), so `go version -m` shows the `=>`.
replace github.com/google/uuid => /usr/share/gocode/src/github.com/google/uuid
