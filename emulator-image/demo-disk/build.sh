#!/usr/bin/env bash
# Build the free Loco Portal demo base disk (qcow2, ~10 MB) from Debian packages only.
#
#   demo-disk/build.sh OUTPUT.qcow2
#
# Contents: the Debian kernel that linux-image-amd64 depends on (downloaded with
# `apt-get download`, never installed), a busybox-static initramfs whose /init is
# guest/init, and syslinux on a small FAT "superfloppy" (no partition table:
# SeaBIOS boots the FAT boot sector directly).
# Downloads and the few files taken from the kernel package are cached under
# ${LOCO_CACHE_DIR:-<repo>/.cache}/demo-disk; a second run needs no network.
set -euo pipefail

self="${BASH_SOURCE[0]}"
[[ "$self" == */* ]] || self="./$self"
here="$(cd "${self%/*}" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
cache_dir="${LOCO_CACHE_DIR:-$repo_root/.cache}/demo-disk"

die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'build.sh: %s\n' "$*" >&2; }

[[ $# -eq 1 && -n "$1" ]] || die "usage: $0 OUTPUT.qcow2"
output="$1"
[[ "$output" == *.qcow2 ]] || die "output must end in .qcow2: $output"

# --- required tools --------------------------------------------------------
# Only bash builtins here: this must work with half the tools missing.
missing=()
add_missing() {
  [[ " ${missing[*]} " == *" $1 "* ]] || missing+=("$1")
}
need() { # need COMMAND APT-PACKAGE
  command -v "$1" >/dev/null 2>&1 || add_missing "$2"
}
need apt-get apt
need apt-cache apt
need dpkg-deb dpkg
need mkfs.fat dosfstools
need mcopy mtools
need syslinux syslinux
need cpio cpio
need gzip gzip
need xz xz-utils
need qemu-img qemu-utils
need flock util-linux
# busybox must be the static build: it runs inside the guest with no libc.
busybox_bin=/bin/busybox
bb_status="$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" || bb_status=""
[[ -x "$busybox_bin" && "$bb_status" == "install ok installed" ]] || add_missing busybox-static
if [[ ${#missing[@]} -gt 0 ]]; then
  die "missing tools; install them with: apt-get install -y --no-install-recommends ${missing[*]}"
fi

mkdir -p "$cache_dir"
# Tests may build in parallel: one build at a time per cache dir.
exec 9>"$cache_dir/.lock"
flock 9

# --- kernel package --------------------------------------------------------
# The metapackage linux-image-amd64 depends on exactly one versioned image
# package, pinned with (= VERSION). One apt-cache call (~1.4 s) gives both.
meta_record() {
  apt-cache show --no-all-versions linux-image-amd64 2>/dev/null || true
}
record="$(meta_record)"
if [[ -z "$record" ]]; then
  log "apt knows no linux-image-amd64 yet; running apt-get update once"
  apt-get update -qq || die "apt-get update failed (are you root, is the Debian mirror reachable?)"
  record="$(meta_record)"
fi
depends_re='^Depends:.*(linux-image-[0-9][^ ,]*-amd64) \(= ([^)]+)\)'
kpkg="" kver=""
while IFS= read -r line; do
  if [[ "$line" =~ $depends_re ]]; then
    kpkg="${BASH_REMATCH[1]}" kver="${BASH_REMATCH[2]}"
    break
  fi
done <<<"$record"
[[ -n "$kpkg" && -n "$kver" ]] || die "could not resolve the kernel package linux-image-amd64 depends on"

deb_dir="$cache_dir/debs"
mkdir -p "$deb_dir"
deb="$(find "$deb_dir" -maxdepth 1 -name "${kpkg}_${kver//:/%3a}_*.deb" -print -quit)"
if [[ -z "$deb" ]]; then
  log "downloading $kpkg $kver (about 70 MB, cached afterwards)"
  # apt-get download writes into the current directory; as root it warns that
  # the _apt user cannot write there, which is harmless.
  (cd "$deb_dir" && apt-get download -q "$kpkg=$kver" 2>&1 | grep -v 'unsandboxed as root' >&2) || true
  deb="$(find "$deb_dir" -maxdepth 1 -name "${kpkg}_${kver//:/%3a}_*.deb" -print -quit)"
  [[ -n "$deb" ]] || die "apt-get download $kpkg=$kver failed"
fi

# Only the kernel image and five modules are needed; the full package unpacks to
# 400 MB, so take just those members out of the package's data tarball.
kuname="${kpkg#linux-image-}"
kdir="$cache_dir/kernel-$kuname-$kver"
modules=(
  drivers/net/ethernet/8390/8390      # NE2000 core, dependency of ne2k-pci
  drivers/net/ethernet/8390/ne2k-pci  # the NIC QEMU emulates (-device ne2k_pci)
  drivers/input/evdev                 # /dev/input/event* for acpid
  drivers/acpi/button                 # ACPI power button -> input event
  drivers/input/misc/pcspkr           # PC speaker: the console bell plays the demo's tones
)
# A module added to the list above re-extracts a cached kernel directory.
kernel_complete() {
  [[ -f "$kdir/.complete" ]] || return 1
  local m
  for m in "${modules[@]}"; do
    compgen -G "$kdir/lib/modules/$kuname/kernel/$m.ko*" >/dev/null || return 1
  done
}
if ! kernel_complete; then
  log "extracting kernel and modules from $(basename "$deb")"
  rm -rf "$kdir" "$kdir.tmp"
  mkdir -p "$kdir.tmp"
  members=("./boot/vmlinuz-$kuname")
  for m in "${modules[@]}"; do
    members+=("./lib/modules/$kuname/kernel/$m.ko*")
  done
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir.tmp" --wildcards "${members[@]}"
  mv "$kdir.tmp" "$kdir"
  touch "$kdir/.complete"
fi

# --- initramfs -------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/loco-demo-disk.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/initramfs"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,tmp,root,etc,lib/modules,usr/bin,usr/sbin}

cp "$busybox_bin" "$root/bin/busybox"
# /init creates the other applet links itself (busybox --install -s): faster
# than 400 ln calls here.
ln -s busybox "$root/bin/sh"

for m in "${modules[@]}"; do
  src="$kdir/lib/modules/$kuname/kernel/$m"
  dst="$root/lib/modules/$(basename "$m").ko"
  # busybox insmod cannot read compressed modules, so unpack them here.
  if [[ -f "$src.ko" ]]; then cp "$src.ko" "$dst"
  elif [[ -f "$src.ko.xz" ]]; then xz -dc "$src.ko.xz" >"$dst"
  elif [[ -f "$src.ko.gz" ]]; then gzip -dc "$src.ko.gz" >"$dst"
  else die "module $m not found in $kpkg"
  fi
done

cp "$here/guest/init" "$root/init"
mkdir -p "$root/loco"
cp "$here/guest/banner.txt" "$here/guest/header" "$here/guest/lan" "$here/guest/identity.sh" "$root/loco/"
cp "$here/guest/profile" "$root/etc/profile"
cp "$here/guest/tone" "$root/bin/tone"
# busybox acpid runs <conf dir>/<event>/<code> for the power button event.
mkdir -p "$root/etc/acpi/PWRF"
cp "$here/guest/power-button" "$root/etc/acpi/PWRF/00000080"
chmod 0755 "$root/init" "$root/bin/tone" "$root/loco/header" "$root/loco/lan" "$root/etc/acpi/PWRF/00000080"

# Fixed timestamps: the same inputs give the same initramfs bytes.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) \
  | gzip -9n >"$work/initrd.gz"

# --- bootable FAT disk -----------------------------------------------------
vmlinuz="$kdir/boot/vmlinuz-$kuname"
# Size = kernel + initramfs + ~2 MiB for syslinux and FAT overhead, rounded to MiB.
bytes=$(( $(stat -c %s "$vmlinuz") + $(stat -c %s "$work/initrd.gz") + 2 * 1024 * 1024 ))
mib=$(( (bytes + 1048575) / 1048576 ))
raw="$work/disk.img"
truncate -s "${mib}M" "$raw"
# Fixed volume id and label keep the output stable between runs.
mkfs.fat -n LOCODEMO -i 10c0de00 "$raw" >/dev/null
syslinux --install "$raw"
mcopy -i "$raw" "$vmlinuz" ::/vmlinuz
mcopy -i "$raw" "$work/initrd.gz" ::/initrd.gz
mcopy -i "$raw" "$here/syslinux.cfg" ::/syslinux.cfg

mkdir -p "$(dirname "$output")"
tmp_out="$(dirname "$output")/.$(basename "$output").tmp.$$"
qemu-img convert -q -f raw -O qcow2 "$raw" "$tmp_out"
mv -f "$tmp_out" "$output"

log "kernel $kpkg $kver, FAT ${mib} MiB, initramfs $(stat -c %s "$work/initrd.gz") bytes"
printf 'demo disk: %s (%s bytes)\n' "$(cd "$(dirname "$output")" && pwd)/$(basename "$output")" "$(stat -c %s "$output")"
