#!/bin/sh
# prepare-disk: puts the instance disk at $LOCO_DISK before the emulator starts.
# Runs as an init container in the emulator image (needs sh, coreutils; qemu-img
# for overlays; oras for snapshot pulls).
#
# Order:
#   1. a disk already in the volume        -> keep it (game state survives restarts)
#   2. snapshot.tag set                    -> pull REGISTRY:TAG with oras
#   3. the image's built-in disk           -> copy it, or create a qcow2 overlay on it
#   4. nothing usable                      -> leave the volume empty
# An explicitly requested snapshot is chosen over the built-in disk: otherwise a
# tag would be ignored by every image that ships a disk.
#
# It never blocks a pod the emulator can still start (the storage-strategy fix):
# when the snapshot cannot be pulled here (no oras in the image, no registry,
# network error) it exits 0 and the emulator, which gets the same
# LOCO_SNAPSHOT_* variables, downloads it itself and reports that on /health.
# It fails only for what no later step can repair: an unwritable volume, or a
# failed copy of the built-in disk (for example a full volume).
set -u

disk=${LOCO_DISK:?LOCO_DISK must be set}
dir=$(dirname "$disk")
tag=${LOCO_SNAPSHOT_TAG:-}
registry=${LOCO_SNAPSHOT_REGISTRY:-}
policy=${LOCO_SNAPSHOT_PULL_POLICY:-IfNotPresent}
builtin=${LOCO_BUILTIN_DISK:-}
mode=${LOCO_BUILTIN_DISK_MODE:-copy}
marker=$dir/.loco-disk-source

log() { echo "prepare-disk: $*"; }
defer() {
  log "$*; the emulator will handle it"
  exit 0
}
installed() {
  # rename(2) within one volume: a crash never leaves a half-written disk that
  # step 1 would keep forever.
  mv -f "$1" "$disk" && echo "$2" >"$marker" && log "disk ready: $2"
  exit $?
}

mkdir -p "$dir" 2>/dev/null
if [ ! -w "$dir" ]; then
  log "ERROR: $dir is not writable by uid $(id -u). In hostpath mode the kubelet creates" \
    "directories as root: set volumePermissions.enabled=true or create the directory" \
    "on the node owned by the pod's user (see the chart README)."
  exit 1
fi
rm -rf "$dir"/.prepare-* # leftovers of an interrupted run

# 1. Existing disk. pullPolicy Always with a tag asks for a fresh snapshot instead.
if [ -s "$disk" ]; then
  if [ -n "$tag" ] && [ "$policy" = "Always" ]; then
    log "snapshot.pullPolicy=Always: replacing $disk with $registry:$tag"
  else
    log "keeping existing disk $disk ($(cat "$marker" 2>/dev/null || echo 'source unknown'))"
    exit 0
  fi
fi

# 2. Snapshot from the OCI registry.
if [ -n "$tag" ]; then
  [ -n "$registry" ] || defer "snapshot.tag=$tag is set but snapshot.registry is empty"
  command -v oras >/dev/null 2>&1 || defer "no oras in this image, cannot pull $registry:$tag here"
  tmp=$(mktemp -d "$dir/.prepare-XXXXXX") || exit 1
  set -- pull "$registry:$tag" --output "$tmp"
  if [ -n "${LOCO_REGISTRY_CONFIG:-}" ]; then
    set -- "$@" --registry-config "$LOCO_REGISTRY_CONFIG"
  fi
  log "pulling $registry:$tag"
  if ! oras "$@"; then
    rm -rf "$tmp"
    defer "pull of $registry:$tag failed"
  fi
  found=$(find "$tmp" -type f -name '*.qcow2')
  if [ -z "$found" ] || [ "$(printf '%s\n' "$found" | wc -l)" -ne 1 ]; then
    rm -rf "$tmp"
    defer "$registry:$tag must contain exactly one *.qcow2 file"
  fi
  mv -f "$found" "$dir/.prepare-disk.qcow2" && rm -rf "$tmp"
  installed "$dir/.prepare-disk.qcow2" "snapshot $registry:$tag"
fi

# 3. The image's built-in disk.
if [ -n "$builtin" ] && [ -f "$builtin" ]; then
  new=$dir/.prepare-disk.qcow2
  if [ "$mode" = "overlay" ] && command -v qemu-img >/dev/null 2>&1; then
    # Tiny file; reads fall through to the image's copy, writes stay here.
    qemu-img create -q -f qcow2 -F qcow2 -b "$builtin" "$new" || { rm -f "$new"; exit 1; }
    installed "$new" "builtin-overlay $builtin"
  fi
  log "copying built-in disk $builtin"
  cp "$builtin" "$new" || { rm -f "$new"; log "ERROR: copying $builtin failed"; exit 1; }
  installed "$new" "builtin-copy $builtin"
fi

# 4. Nothing to prepare from.
defer "no disk in the volume, no snapshot.tag and no built-in disk at ${builtin:-<unset>}"
