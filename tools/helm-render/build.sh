#!/bin/sh
# Builds helm-render into ${LOCO_CACHE_DIR:-<repo>/.cache}/bin/helm-render.
# GOPATH mode against Debian's packaged sources (golang-go,
# golang-github-masterminds-sprig-dev, golang-k8s-sigs-yaml-dev): module mode
# would need the Go proxy, which this project does not use.
# Idempotent: does nothing when the binary is newer than every source file.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${LOCO_CACHE_DIR:-$repo/.cache}
out=$cache/bin/helm-render
gopath=${LOCO_GOPATH:-/usr/share/gocode}

if [ -x "$out" ] && [ -z "$(find "$here" -name '*.go' -newer "$out" | head -n 1)" ] \
   && [ ! "$here/build.sh" -nt "$out" ]; then
  echo "helm-render: up to date ($out)"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "helm-render: 'go' not found; install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev" >&2
  exit 1
fi
for pkg in github.com/Masterminds/sprig sigs.k8s.io/yaml; do
  if [ ! -d "$gopath/src/$pkg" ]; then
    echo "helm-render: $gopath/src/$pkg missing; apt-get install golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev" >&2
    exit 1
  fi
done

mkdir -p "$cache/bin" "$cache/go-build"
# GOPATH mode compiles the package in its directory; build to a temp name and
# rename so a concurrent reader never sees a half-written binary.
cd "$here"
GO111MODULE=off GOPATH="$gopath" GOCACHE="$cache/go-build" GOFLAGS= \
  go build -o "$out.tmp.$$" .
mv -f "$out.tmp.$$" "$out"
echo "helm-render: built $out"
