#!/usr/bin/env bash
# Loco Portal emulator entrypoint: runs ONE QEMU PC for one cluster instance.
#
#   entrypoint.sh                    start QEMU (as a child) and supervise it
#   entrypoint.sh --print-qemu-args  print the QEMU argument vector, one per
#                                    line (program name first), and exit
#
# Every input is an environment variable (see README.md for the contract).
# The QEMU command line must stay identical to the one the local runtime in
# TypeScript builds; the tests compare the two. Keep the order.

# The stop functions run from a trap, which shellcheck reports as unreachable.
# shellcheck disable=SC2317
set -euo pipefail

readonly QEMU=qemu-system-x86_64
# Where the image keeps its optional built-in disk (the Helm chart's
# emulator.builtinDisk.path default).
readonly BUILTIN_DISK=/opt/loco/disk/base.qcow2
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
  -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}"; exit 0 ;;
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

# One argument per line, used verbatim (never word-split); blank lines ignored.
extra=()
if [[ -n "${LOCO_EXTRA_ARGS:-}" ]]; then
  while IFS= read -r line; do
    [[ -n "$line" ]] && extra+=("$line")
  done <<<"$LOCO_EXTRA_ARGS"
fi

# --- snapshot --------------------------------------------------------------
has_snapshot() { # has_snapshot DISK TAG: is TAG in `qemu-img snapshot -l`?
  local listing
  [[ -f "$1" ]] || return 1
  # -U: read even if another process holds the image lock.
  listing="$(qemu-img snapshot -l -U "$1" 2>/dev/null)" || return 1
  # Rows: "ID  TAG  VM SIZE  DATE  VM CLOCK  ICOUNT" after two header lines.
  awk -v tag="$2" 'NR > 2 && $2 == tag { found = 1 } END { exit !found }' <<<"$listing"
}
loadvm=()
if [[ -n "$snapshot_tag" ]]; then
  if has_snapshot "$disk" "$snapshot_tag"; then
    loadvm=(-loadvm "$snapshot_tag")
  else
    warn "snapshot '$snapshot_tag' not found in $disk; cold boot"
  fi
fi

# --- the command line (same order as the TypeScript builder) ----------------
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
  -vnc "unix:$run_dir/vnc.sock"
  -qmp "unix:$run_dir/qmp.sock,server=on,wait=off"
  "${nic[@]}"
  -smbios "type=11,value=loco.env=$env_name,value=loco.name=$name,value=loco.index=$index,value=loco.count=$count"
  -rtc base=utc
  "${loadvm[@]}"
  "${extra[@]}"
)

if $print_only; then
  printf '%s\n' "${qemu_args[@]}"
  exit 0
fi

# --- run and supervise -----------------------------------------------------
command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-system-x86)"
command -v socat >/dev/null || die "socat not found (apt-get install socat)"
mkdir -p "$run_dir"
rm -f "$run_dir/vnc.sock" "$run_dir/qmp.sock"
if [[ -n "$overlay_base" && ! -f "$disk" ]]; then
  qemu-img create -q -f qcow2 -b "$overlay_base" -F qcow2 "$disk"
fi
[[ -f "$disk" ]] || die "disk not found: $disk"

qmp() { # qmp COMMAND: send one QMP command; fails if QEMU does not answer
  local reply
  reply="$(printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$1" \
    | timeout 5 socat -t 2 - "UNIX-CONNECT:$run_dir/qmp.sock" 2>/dev/null)" || return 1
  [[ "$reply" == *'"return"'*'"return"'* ]]
}
qemu_pid=""
alive() { [[ -n "$qemu_pid" ]] && kill -0 "$qemu_pid" 2>/dev/null; }
wait_exit() { # wait_exit SECONDS: true once QEMU has exited
  local deadline=$((SECONDS + $1))
  while alive; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

# SIGTERM handler. Every path ends in an explicit `return 0`: a bare `return`
# in a trap handler returns the status of the interrupted `wait` (143), and
# with set -e bash then exits on the spot.
stopping=false
stop() {
  signalled=true
  $stopping && return 0
  stopping=true
  [[ -n "$qemu_pid" ]] || exit 143   # signalled before QEMU even started
  warn "stop requested: ACPI power button, up to ${stop_timeout}s for the guest"
  if qmp system_powerdown && wait_exit "$stop_timeout"; then return 0; fi
  warn "guest did not power off; asking QEMU to quit"
  if qmp quit && wait_exit 5; then return 0; fi
  # QMP serves one client at a time: while another client holds the socket the
  # commands above cannot get through. SIGTERM still makes QEMU exit cleanly.
  warn "QEMU did not answer QMP; sending it SIGTERM"
  kill -TERM "$qemu_pid" 2>/dev/null || true
  if wait_exit 5; then return 0; fi
  warn "QEMU did not quit; killing it"
  kill -KILL "$qemu_pid" 2>/dev/null || true
  return 0
}
trap stop TERM INT

warn "starting: ${qemu_args[*]}"
# Not exec: this shell stays the parent to turn SIGTERM into an ACPI shutdown.
"${qemu_args[@]}" &
qemu_pid=$!

rc=0
while :; do
  # A trapped signal interrupts `wait` (status 128+n) and runs the trap; then
  # wait again for QEMU's real exit status.
  signalled=false
  wait "$qemu_pid" && rc=0 || rc=$?
  $signalled || break
done
warn "QEMU exited with status $rc"
exit "$rc"
