#!/usr/bin/env bash
# Build the real OPA server once and cache it outside the repository, for the OPA backend
# tests (tests/test_opa_engine.py). Prints the binary's path on success.
#
#   bash tests/tools/build_opa.sh            # -> ~/.cache/callgate/opa/v1.22.3/opa
#   OPA_VERSION=v1.22.3 CALLGATE_CACHE=/somewhere bash tests/tools/build_opa.sh
#
# OPA is a Go module (github.com/open-policy-agent/opa); it needs a Go toolchain new enough
# for its go.mod and the Go module proxy (GOPROXY, default proxy.golang.org). Exit status 3
# means "cannot be built here" with the reason on stderr; the tests then use the stand-in
# (tests/opa_standin.py). Nothing is downloaded but Debian's golang-go and Go modules.
set -euo pipefail
VERSION=${OPA_VERSION:-v1.22.3}
MIN_GO=${OPA_MIN_GO:-1.23}
CACHE_DIR=${CALLGATE_CACHE:-$HOME/.cache/callgate}/opa/$VERSION
BIN=$CACHE_DIR/opa
PROXY=${GOPROXY:-https://proxy.golang.org}
PROXY=${PROXY%%,*}

say() { echo "build_opa: $*" >&2; }
unavailable() { say "real OPA unavailable: $*"; exit 3; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

if [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi

# 1. The Go module proxy must answer for this OPA version.
if ! out=$(curl -sS -m 20 -o /dev/null -w '%{http_code}' "$PROXY/github.com/open-policy-agent/opa/@v/$VERSION.info" 2>&1); then
  unavailable "the Go module proxy $PROXY cannot be reached: $out"
fi
[ "$out" = 200 ] || unavailable "the Go module proxy $PROXY answered HTTP $out for github.com/open-policy-agent/opa@$VERSION"

# 2. A Go toolchain >= MIN_GO: the one on PATH, else Debian's golang-go if new enough.
go_version() { go env GOVERSION 2>/dev/null | sed 's/^go//'; }
if ! command -v go >/dev/null 2>&1; then
  candidate=$(apt-cache policy golang-go 2>/dev/null | awk '/Candidate:/ {print $2}' | sed 's/^[0-9]*://; s/~.*//')
  [ -n "$candidate" ] && [ "$candidate" != "(none)" ] || unavailable "no go on PATH and no golang-go package known to apt (run apt-get update)"
  version_ge "$candidate" "$MIN_GO" || unavailable "no go on PATH; Debian's golang-go is $candidate, OPA $VERSION needs Go >= $MIN_GO"
  [ "$(id -u)" = 0 ] || unavailable "no go on PATH; installing golang-go needs root"
  say "installing Debian's golang-go $candidate"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2
fi
have=$(go_version)
version_ge "$have" "$MIN_GO" || unavailable "go $have on PATH; OPA $VERSION needs Go >= $MIN_GO"

# 3. Build into the cache (module cache and build cache under it too: nothing in the repository).
mkdir -p "$CACHE_DIR"
say "building github.com/open-policy-agent/opa@$VERSION with go $have (a few minutes on 2 cores)"
GOPROXY=$PROXY GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 \
  GOMODCACHE=${CALLGATE_CACHE:-$HOME/.cache/callgate}/go-mod GOCACHE=${CALLGATE_CACHE:-$HOME/.cache/callgate}/go-build \
  GOBIN=$CACHE_DIR go install "github.com/open-policy-agent/opa@$VERSION" >&2 \
  || unavailable "go install github.com/open-policy-agent/opa@$VERSION failed (see above)"
"$BIN" version >&2
echo "$BIN"
