#!/usr/bin/env bash
# Loco Portal emulator entrypoint: runs ONE QEMU PC for one cluster instance.
#
#   entrypoint.sh                    start the health server, make sure there
#                                    is a disk (downloading the snapshot if
#                                    needed), start QEMU as a child, supervise it
#   entrypoint.sh --print-qemu-args  print the QEMU argument vector, one per
#                                    line (program name first), and exit
#
# Every input is an environment variable (see README.md for the contract).
# The QEMU command line must stay identical to the one the local runtime in
# TypeScript builds, except for what only the image has (LOCO_VNC, LOCO_SOUND,
# LOCO_SHARED_DIR); tests/emulator-image/entrypoint.test.ts compares the two
# and names each difference. Keep the order.

set -euo pipefail

readonly QEMU=qemu-system-x86_64
# Where the image keeps its optional built-in disk (the Helm chart's
# emulator.builtinDisk.path, passed as LOCO_BUILTIN_DISK).
readonly BUILTIN_DISK="${LOCO_BUILTIN_DISK:-/opt/loco/disk/base.qcow2}"
readonly NAME_RE='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
# Canonical decimal: no sign, no leading zeros (bash reads 010 as octal).
readonly NUM_RE='^(0|[1-9][0-9]{0,8})$'
readonly OCTET='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'

die() { printf 'loco-entrypoint: error: %s\n' "$*" >&2; exit 2; }
warn() { printf 'loco-entrypoint: %s\n' "$*" >&2; }

print_only=false
case "${1:-}" in
  "") ;;
  --print-qemu-args) print_only=true ;;
  -h | --help) sed -n '2,14p' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) die "unknown argument: $1 (only --print-qemu-args is accepted)" ;;
esac

# --- inputs ----------------------------------------------------------------
name_var() { # name_var VAR VALUE
  [[ ${#2} -le 63 && "$2" =~ $NAME_RE ]] || die "$1 must match $NAME_RE (at most 63 characters), got '$2'"
}
number_var() { # number_var VAR VALUE MIN MAX
  [[ "$2" =~ $NUM_RE ]] || die "$1 must be a decimal number, got '$2'"
  (( $2 >= $3 && $2 <= $4 )) || die "$1 must be between $3 and $4, got $2"
}
path_var() { # path_var VAR VALUE
  [[ -n "$2" ]] || die "$1 must not be empty"
  # QEMU splits option values at commas; control characters have no business in paths.
  [[ "$2" != *,* && "$2" != *[[:cntrl:]]* ]] || die "$1 must not contain commas or control characters, got '$2'"
}

env_name="${LOCO_ENV:-}"
[[ -n "$env_name" ]] || die "LOCO_ENV is required"
name_var LOCO_ENV "$env_name"

count="${LOCO_INSTANCE_COUNT:-1}"
# The guest uses 10.77.0.(10+index): at most 245 instances fit in the /24.
number_var LOCO_INSTANCE_COUNT "$count" 1 245
index="${LOCO_INSTANCE_INDEX:-0}"
number_var LOCO_INSTANCE_INDEX "$index" 0 $((count - 1))

name="${LOCO_INSTANCE_NAME:-$env_name-$index}"
name_var LOCO_INSTANCE_NAME "$name"

memory="${LOCO_MEMORY_MB:-128}"
number_var LOCO_MEMORY_MB "$memory" 16 1048576

vga="${LOCO_VGA:-std}"
[[ "$vga" =~ ^(std|cirrus|vmware|qxl|virtio|none)$ ]] || die "LOCO_VGA must be one of std cirrus vmware qxl virtio none, got '$vga'"

# tcg is the default: on nested/paravirtual KVM the guest can hang or die at
# once (measured here: stuck in SeaBIOS while query-status says "running").
accel="${LOCO_ACCEL:-tcg}"
[[ "$accel" =~ ^(tcg|kvm)(:(tcg|kvm))?$ ]] || die "LOCO_ACCEL must be tcg, kvm or kvm:tcg, got '$accel'"

stop_timeout="${LOCO_STOP_TIMEOUT:-20}"
number_var LOCO_STOP_TIMEOUT "$stop_timeout" 0 3600

run_dir="${LOCO_RUN_DIR:-/run/loco}"
path_var LOCO_RUN_DIR "$run_dir"
# sockaddr_un.sun_path holds 107 bytes plus the terminating NUL.
(( ${#run_dir} + 9 <= 107 )) || die "LOCO_RUN_DIR is too long for a unix socket path: '$run_dir'"

# Where QEMU serves VNC. The local runtime's unix socket by default; the image
# sets 0.0.0.0:1 (TCP 5901) because in a pod the viewer is another pod.
vnc="${LOCO_VNC:-unix:$run_dir/vnc.sock}"
if [[ ! "$vnc" =~ ^unix:/[^,[:space:][:cntrl:]]+$ ]]; then
  if [[ ! "$vnc" =~ ^([0-9.]+|\[[0-9a-fA-F:]+\])?:(0|[1-9][0-9]{0,4})$ ]] || (( BASH_REMATCH[2] > 59635 )); then
    die "LOCO_VNC must be unix:/PATH or [HOST]:DISPLAY (TCP port 5900+DISPLAY), got '$vnc'"
  fi
fi

# A sound card, audible through QEMU's VNC audio extension (no host sound system).
sound="${LOCO_SOUND:-none}"
declare -A SOUND_DEVICES=([sb16]=sb16 [ac97]=AC97 [es1370]=ES1370)
[[ "$sound" == none || -n "${SOUND_DEVICES[$sound]:-}" ]] || die "LOCO_SOUND must be one of none sb16 ac97 es1370, got '$sound'"

# The hybrid storage mode's shared folder, shown to the guest as a FAT drive.
shared_dir="${LOCO_SHARED_DIR:-}"
shared_mode="${LOCO_SHARED_DIR_MODE:-rw}"
[[ "$shared_mode" =~ ^(rw|ro)$ ]] || die "LOCO_SHARED_DIR_MODE must be rw or ro, got '$shared_mode'"
if [[ -n "$shared_dir" ]]; then
  path_var LOCO_SHARED_DIR "$shared_dir"
  # vvfat reads "fat:[OPTION:]...PATH": a colon in the path would be taken for an option.
  [[ "$shared_dir" == /* && "$shared_dir" != *:* ]] || die "LOCO_SHARED_DIR must be an absolute path without ':', got '$shared_dir'"
fi

save_on_stop="${LOCO_SAVE_ON_STOP:-false}"
[[ "$save_on_stop" =~ ^(true|false)$ ]] || die "LOCO_SAVE_ON_STOP must be true or false, got '$save_on_stop'"

# The image sets 0.0.0.0:8080; unset or empty (a plain local run): no health server.
health_listen="${LOCO_HEALTH_LISTEN:-}"
[[ -z "$health_listen" || "$health_listen" =~ ^([0-9.]+|\[[0-9a-fA-F:]+\]):[0-9]{1,5}$ ]] \
  || die "LOCO_HEALTH_LISTEN must be HOST:PORT (empty = no health server), got '$health_listen'"
retry_seconds="${LOCO_RETRY_SECONDS:-30}"
number_var LOCO_RETRY_SECONDS "$retry_seconds" 1 3600
lan_wait="${LOCO_LAN_WAIT_SECONDS:-120}"
number_var LOCO_LAN_WAIT_SECONDS "$lan_wait" 0 3600

# Without LOCO_DISK the image's built-in demo disk is used through a
# per-container overlay, so the base image is never written.
overlay_base=""
if [[ -n "${LOCO_DISK:-}" ]]; then
  disk="$LOCO_DISK"
elif [[ -f "$BUILTIN_DISK" ]]; then
  disk="$run_dir/disk.qcow2"
  overlay_base="$BUILTIN_DISK"
else
  die "LOCO_DISK is required (this image has no built-in demo disk)"
fi
path_var LOCO_DISK "$disk"

# Identity-derived values, the same rules as the TypeScript runtime
# (plugins/loco-node/src/local/lanAddress.ts), from h = sha256(ENV as UTF-8):
#   MAC   52:54:00:h[0]:II:ii   II:ii = instance index, 16 bits big-endian;
#         unique per index within an environment; 52:54:00 is QEMU's prefix
#   LAN   group 239.77.h[0].h[1] (h[1] = 0 becomes 1),
#         port 20000 + (h[2]*256 + h[3]) % 20000: one segment per environment
env_hash="$(printf '%s' "$env_name" | sha256sum)"
h() { printf '%d' "0x${env_hash:$(($1 * 2)):2}"; }
mac="$(printf '52:54:00:%02x:%02x:%02x' "$(h 0)" $((index >> 8)) $((index & 255)))"
default_group="239.77.$(h 0).$(( $(h 1) == 0 ? 1 : $(h 1) ))"
default_port=$(( 20000 + ($(h 2) * 256 + $(h 3)) % 20000 ))

group="${LOCO_LAN_GROUP:-$default_group}"
[[ "$group" =~ ^(22[4-9]|23[0-9])\.$OCTET\.$OCTET\.$OCTET$ ]] || die "LOCO_LAN_GROUP must be an IPv4 multicast address (224.0.0.0-239.255.255.255), got '$group'"
port="${LOCO_LAN_PORT:-$default_port}"
number_var LOCO_LAN_PORT "$port" 1024 65535
# Unset: the local multicast LAN. Set but empty: no network card at all (the
# Helm chart's lan.enabled=false).
netdev="${LOCO_NETDEV-socket,id=lan0,mcast=$group:$port,localaddr=127.0.0.1}"
nic=()
if [[ -n "$netdev" ]]; then
  # The NIC refers to netdev=lan0, so the backend must carry that id.
  [[ "$netdev" =~ ^[a-z-]+,(.*,)?id=lan0(,.*)?$ && "$netdev" != *[[:space:][:cntrl:]]* ]] \
    || die "LOCO_NETDEV must look like TYPE,...,id=lan0,... without spaces, got '$netdev'"
  nic=(-netdev "$netdev" -device "ne2k_pci,netdev=lan0,mac=$mac,romfile=")
fi

snapshot_tag="${LOCO_SNAPSHOT_TAG:-}"
if [[ -n "$snapshot_tag" ]]; then
  [[ ${#snapshot_tag} -le 64 && "$snapshot_tag" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] \
    || die "LOCO_SNAPSHOT_TAG must match ^[A-Za-z0-9][A-Za-z0-9._-]*$ (at most 64 characters), got '$snapshot_tag'"
fi

registry="${LOCO_SNAPSHOT_REGISTRY:-}"
if [[ -n "$registry" ]]; then
  [[ ${#registry} -le 255 && "$registry" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$ ]] \
    || die "LOCO_SNAPSHOT_REGISTRY must be an OCI repository such as ghcr.io/org/snapshots, got '$registry'"
fi
# The internal snapshot (qemu-img snapshot -l) to resume from, and to save on
# stop: the snapshot tag, or "loco-stop" when only LOCO_SAVE_ON_STOP asks for one.
resume_tag="$snapshot_tag"
[[ -z "$resume_tag" && "$save_on_stop" == true ]] && resume_tag=loco-stop

# One argument per line, used verbatim (never word-split); blank lines ignored.
extra=()
if [[ -n "${LOCO_EXTRA_ARGS:-}" ]]; then
  while IFS= read -r line; do
    [[ -n "$line" ]] && extra+=("$line")
  done <<<"$LOCO_EXTRA_ARGS"
fi

# --- the command line (same order as the TypeScript builder) ----------------
has_snapshot() { # has_snapshot DISK TAG: is TAG in `qemu-img snapshot -l`?
  local listing
  [[ -f "$1" ]] || return 1
  # -U: read even if another process holds the image lock.
  listing="$(qemu-img snapshot -l -U "$1" 2>/dev/null)" || return 1
  # Rows: "ID  TAG  VM SIZE  DATE  VM CLOCK  ICOUNT" after two header lines.
  awk -v tag="$2" 'NR > 2 && $2 == tag { found = 1 } END { exit !found }' <<<"$listing"
}

# QEMU refuses internal snapshots (-loadvm, savevm) while a writable drive that
# cannot hold them is attached, and the rw shared folder (vvfat) is one.
snapshots_possible=true
[[ -n "$shared_dir" && "$shared_mode" == rw ]] && snapshots_possible=false

build_qemu_args() { # sets qemu_args and boot_mode; the disk may not exist yet
  local loadvm=() sound_args=() shared_args=() vnc_arg="$vnc"
  boot_mode=cold
  if [[ -n "$resume_tag" ]]; then
    if ! $snapshots_possible; then
      warn "LOCO_SHARED_DIR is read-write: QEMU cannot load snapshot '$resume_tag' with it attached; cold boot"
    elif has_snapshot "$disk" "$resume_tag"; then
      loadvm=(-loadvm "$resume_tag")
      boot_mode=snapshot
    elif [[ -n "$snapshot_tag" ]]; then
      warn "snapshot '$snapshot_tag' not found in $disk; cold boot"
    fi
  fi
  if [[ "$sound" != none ]]; then
    sound_args=(-audiodev "none,id=snd0" -device "${SOUND_DEVICES[$sound]},audiodev=snd0")
    # VNC clients hear the card through QEMU's VNC audio extension.
    vnc_arg="$vnc,audiodev=snd0"
  fi
  if [[ -n "$shared_dir" ]]; then
    # Primary slave. rw: an IDE disk (FAT16, at most ~500 MB of files); ro: a
    # CD-ROM, because an IDE disk cannot be read-only.
    if [[ "$shared_mode" == rw ]]; then
      shared_args=(-drive "file=fat:rw:$shared_dir,format=raw,if=ide,index=1")
    else
      shared_args=(-drive "file=fat:$shared_dir,format=raw,if=ide,index=1,media=cdrom")
    fi
  fi
  qemu_args=(
    "$QEMU"
    -name "$name"
    -machine "pc,accel=$accel"
    -m "$memory"
    -smp 1
    -drive "file=$disk,format=qcow2,if=ide,index=0,media=disk"
    -boot c
    -vga "$vga"
    -display none
    -vnc "$vnc_arg"
    -qmp "unix:$run_dir/qmp.sock,server=on,wait=off"
    "${nic[@]}"
    -smbios "type=11,value=loco.env=$env_name,value=loco.name=$name,value=loco.index=$index,value=loco.count=$count"
    -rtc base=utc
    "${loadvm[@]}"
    "${sound_args[@]}"
    "${shared_args[@]}"
    "${extra[@]}"
  )
}

if $print_only; then
  build_qemu_args
  printf '%s\n' "${qemu_args[@]}"
  exit 0
fi

# --- run and supervise (supervise.sh: health server, disk, LAN hub, QEMU, stop)
# shellcheck source=supervise.sh source-path=SCRIPTDIR
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/supervise.sh"
