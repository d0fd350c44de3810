#!/bin/sh
# prepare-disk: puts the instance disk at $LOCO_DISK before the emulator starts.
# Runs as an init container in the emulator image (needs sh, coreutils; qemu-img
# for overlays). It never pulls: snapshots are pulled by the emulator agent with
# the portal's OCI client (no oras binary anywhere), which reports progress and
# failures on /health and applies snapshot.fallback.
#
# Order:
#   1. a disk already in the volume        -> keep it (game state survives restarts)
#   2. snapshot.tag set                    -> leave the volume to the agent's pull
#   3. the image's built-in disk           -> copy it, or create a qcow2 overlay on it
#   4. nothing usable                      -> leave the volume empty
# An explicitly requested snapshot is chosen over the built-in disk: otherwise a
# tag would be ignored by every image that ships a disk.
#
# It never blocks a pod the emulator can still start; it fails only for what no
# later step can repair: an unwritable volume, or a failed copy of the built-in
# disk (for example a full volume).
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

# 1. Existing disk. pullPolicy Always with a tag asks for a fresh snapshot: the
# marker no longer names the snapshot, so the agent pulls again and keeps this
# disk as the previous generation (and boots it if the pull fails under the
# builtin fallback).
if [ -s "$disk" ]; then
  if [ -n "$tag" ] && [ "$policy" = "Always" ]; then
    was=$(cat "$marker" 2>/dev/null || echo 'source unknown')
    echo "stale (snapshot.pullPolicy=Always): $was" >"$marker"
    defer "snapshot.pullPolicy=Always: $disk is to be replaced by ${registry:-<no registry>}:$tag"
  fi
  log "keeping existing disk $disk ($(cat "$marker" 2>/dev/null || echo 'source unknown'))"
  exit 0
fi

# 2. Snapshot from the OCI registry: the agent pulls it.
if [ -n "$tag" ]; then
  [ -n "$registry" ] || defer "snapshot.tag=$tag is set but snapshot.registry is empty"
  defer "snapshot ${registry}:${tag} is pulled by the emulator agent"
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
