# Sourced by entrypoint.sh after it validated every input and defined
# build_qemu_args: runs the health server, makes sure there is a disk
# (downloading the snapshot if needed), waits for the LAN hub, starts QEMU as a
# child (verifying KVM), and turns SIGTERM into savevm + ACPI power-off.
# The stop functions run from a trap, which shellcheck reports as unreachable.
# Its inputs are entrypoint.sh's validated variables (hence SC2154).
# shellcheck disable=SC2317,SC2154
# shellcheck shell=bash

# --- run and supervise -----------------------------------------------------
command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-system-x86)"
command -v socat >/dev/null || die "socat not found (apt-get install socat)"
mkdir -p "$run_dir"
rm -f "$run_dir/vnc.sock" "$run_dir/qmp.sock" "$run_dir/status"
# Note: vvfat (LOCO_SHARED_DIR rw) keeps its write overlay in /var/tmp (QEMU
# 7.2 ignores TMPDIR there), so a read-only root filesystem needs a volume on it.

# What the health server cannot measure itself, kept in RUN_DIR (an emptyDir in
# a pod, which outlives container restarts): how often this container started
# and how its last QEMU ended.
restarts=$(cat "$run_dir/starts" 2>/dev/null || echo 0)
[[ "$restarts" =~ $NUM_RE ]] || restarts=0
echo $((restarts + 1)) >"$run_dir/starts"
last_exit=""
[[ -f "$run_dir/last-exit" ]] && last_exit="$(cat "$run_dir/last-exit")"
phase=preparing message="" note="" qemu_pid="" started_at="" boot_mode=""
publish() { # writes RUN_DIR/status for the health server (atomically)
  printf '%s\n' "phase=$phase" "message=${message//$'\n'/ }" "note=$note" "qemu_pid=$qemu_pid" \
    "started_at=$started_at" "boot_mode=$boot_mode" "restarts=$restarts" "$last_exit" \
    >"$run_dir/status.tmp"
  mv -f "$run_dir/status.tmp" "$run_dir/status"
}
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
publish

health_pid=""
if [[ -n "$health_listen" ]]; then
  command -v python3 >/dev/null || die "python3 not found (needed by the health server; LOCO_HEALTH_LISTEN= disables it)"
  health_server="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/health_server.py"
  LOCO_VNC="$vnc" LOCO_RUN_DIR="$run_dir" LOCO_HEALTH_LISTEN="$health_listen" python3 "$health_server" &
  health_pid=$!
fi
waiting_pid=""  # a background sleep or download the stop handler must end
cleanup() {
  local pid
  for pid in "$health_pid" "$waiting_pid"; do
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
  done
  return 0
}
trap cleanup EXIT

qmp() { # qmp COMMAND [ARGUMENTS-JSON]: one QMP command; prints its reply, fails without one
  local reply args="${2:-}"
  [[ -n "$args" ]] || args='{}'
  reply="$(printf '{"execute":"qmp_capabilities"}\n{"execute":"%s","arguments":%s}\n' "$1" "$args" \
    | timeout 5 socat -t 2 - "UNIX-CONNECT:$run_dir/qmp.sock" 2>/dev/null)" || return 1
  [[ "$reply" == *'"return"'*'"return"'* ]] && printf '%s\n' "$reply"
}
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
  if [[ -z "$qemu_pid" ]]; then  # signalled before QEMU started (e.g. while downloading)
    warn "stop requested before QEMU started"
    exit 143
  fi
  phase=stopping; publish
  if [[ "$save_on_stop" == true ]]; then save_state; fi
  warn "stop requested: ACPI power button, up to ${stop_timeout}s for the guest"
  if qmp system_powerdown >/dev/null && wait_exit "$stop_timeout"; then return 0; fi
  warn "guest did not power off; asking QEMU to quit"
  if qmp quit >/dev/null && wait_exit 5; then return 0; fi
  # QMP serves one client at a time: while another client holds the socket the
  # commands above cannot get through. SIGTERM still makes QEMU exit cleanly.
  warn "QEMU did not answer QMP; sending it SIGTERM"
  kill -TERM "$qemu_pid" 2>/dev/null || true
  if wait_exit 5; then return 0; fi
  warn "QEMU did not quit; killing it"
  kill -KILL "$qemu_pid" 2>/dev/null || true
  return 0
}
save_state() { # savevm RESUME_TAG, so the next start resumes here (-loadvm)
  local reply
  if ! $snapshots_possible; then
    warn "LOCO_SAVE_ON_STOP: skipped, QEMU cannot save snapshots with the read-write shared folder attached"
    return 0
  fi
  # HMP savevm answers "" on success and the error text otherwise.
  if reply="$(qmp human-monitor-command "{\"command-line\":\"savevm $resume_tag\"}")" \
    && [[ "$reply" == *'"return": ""'* || "$reply" == *'"return":""'* ]]; then
    warn "saved the running state as snapshot '$resume_tag'"
  else
    warn "savevm $resume_tag failed: ${reply:-no answer from QMP}"
  fi
  return 0
}
trap stop TERM INT

pause() { # pause SECONDS: a sleep the stop handler can interrupt
  sleep "$1" & waiting_pid=$!
  wait "$waiting_pid" || true
  waiting_pid=""
}

# --- the disk ----------------------------------------------------------------
# The Helm chart's init container normally prepares it. This covers what it
# could not: pulling the snapshot (no oras there, a network error), so a pod
# never crash-loops on a missing disk; the health server shows why it waits.
download_snapshot() { # into $disk; sets message on failure
  local ref="$registry:$snapshot_tag" tmp found args
  command -v oras >/dev/null || {
    message="no disk at $disk and cannot download snapshot $ref: oras is not installed in this image"
    return 1
  }
  tmp="$(mktemp -d "$(dirname "$disk")/.prepare-XXXXXX")" || { message="cannot write to $(dirname "$disk")"; return 1; }
  args=(pull "$ref" --output "$tmp")
  [[ -n "${LOCO_REGISTRY_CONFIG:-}" ]] && args+=(--registry-config "$LOCO_REGISTRY_CONFIG")
  phase=downloading message="downloading snapshot $ref"; publish
  warn "$message"
  oras "${args[@]}" >"$tmp.log" 2>&1 & waiting_pid=$!
  if ! wait "$waiting_pid"; then
    message="download of snapshot $ref failed: $(tail -n 3 "$tmp.log" | tr '\n' ' ')"
    rm -rf "$tmp" "$tmp.log"; return 1
  fi
  waiting_pid=""
  found=("$tmp"/*.qcow2)
  if [[ ${#found[@]} -ne 1 || ! -f "${found[0]}" ]]; then
    message="snapshot $ref must contain exactly one *.qcow2 file"
    rm -rf "$tmp" "$tmp.log"; return 1
  fi
  # rename(2) on one volume: never a half-written disk in place.
  mv -f "${found[0]}" "$disk" && echo "snapshot $ref" >"$(dirname "$disk")/.loco-disk-source"
  rm -rf "$tmp" "$tmp.log"
}
ensure_disk() { # true once $disk exists; sets message otherwise
  if [[ -n "$overlay_base" && ! -f "$disk" ]]; then
    qemu-img create -q -f qcow2 -b "$overlay_base" -F qcow2 "$disk" || { message="cannot create $disk"; return 1; }
  fi
  [[ -s "$disk" ]] && return 0
  if [[ -n "$snapshot_tag" && -n "$registry" ]]; then
    download_snapshot
  else
    message="no disk at $disk, and no snapshot to download (LOCO_SNAPSHOT_TAG and LOCO_SNAPSHOT_REGISTRY are needed)"
    return 1
  fi
}
until ensure_disk; do
  phase=waiting message="$message; retrying every ${retry_seconds}s"; publish
  warn "$message"
  pause "$retry_seconds"
done
if [[ -n "$shared_dir" && ! -d "$shared_dir" ]]; then
  die "LOCO_SHARED_DIR $shared_dir is not a directory"
fi

# --- the LAN hub ---------------------------------------------------------------
# With a TCP LAN (the chart's hub mode) QEMU starts even when the hub is not up
# yet, but its link then stays down (QEMU < 8 does not reconnect): wait for the
# hub first. A connect-and-close does not disturb QEMU's hub (measured).
hub=""
if [[ "$netdev" =~ (^|,)connect=([^,]+):([0-9]+)(,|$) ]]; then
  hub="${BASH_REMATCH[2]}:${BASH_REMATCH[3]}"
elif [[ "$netdev" =~ (^|,)addr\.host=([^,]+) ]]; then
  hub_host="${BASH_REMATCH[2]}"
  [[ "$netdev" =~ (^|,)addr\.port=([0-9]+) ]] && hub="$hub_host:${BASH_REMATCH[2]}"
fi
if [[ -n "$hub" ]] && (( lan_wait > 0 )); then
  deadline=$((SECONDS + lan_wait))
  until socat -u OPEN:/dev/null "TCP:$hub,connect-timeout=2" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      warn "LAN hub $hub not reachable after ${lan_wait}s; starting anyway (the NIC link stays down until QEMU restarts)"
      break
    fi
    phase=preparing message="waiting for the LAN hub $hub"; publish
    pause 2
  done
fi

# --- QEMU ----------------------------------------------------------------------
if [[ "$accel" == kvm* && ! ( -r /dev/kvm && -w /dev/kvm ) ]]; then
  warn "LOCO_ACCEL=$accel but /dev/kvm is not usable here; running on TCG"
  note="KVM requested but unusable here (no usable /dev/kvm); running on TCG"
  accel=tcg
fi
launch() {
  build_qemu_args
  warn "starting: ${qemu_args[*]}"
  # Not exec: this shell stays the parent to turn SIGTERM into an ACPI shutdown.
  "${qemu_args[@]}" &
  qemu_pid=$!
  started_at="$(now)" message=""
  $stopping || phase=running
  publish
}
launch

# KVM is verified, not trusted: on nested/paravirtual KVM the guest can start
# and then stop with "internal-error" (measured here: ~12 s into the demo boot).
# While the guest runs on KVM, poll QMP; on internal-error run it on TCG.
if [[ "$accel" == kvm* ]]; then
  failed=""
  while ! $stopping && alive; do
    if [[ "$(qmp query-status)" == *'"status": "internal-error"'* ]]; then
      failed="the guest stopped with internal-error"
      break
    fi
    pause 2
  done
  if [[ -n "$failed" ]] && ! $stopping; then
    warn "KVM does not run this guest ($failed); falling back to TCG"
    # The same words as the local runtime's note (LocalInstance.notes()).
    note="KVM requested but unusable here ($failed); running on TCG"
    kill -KILL "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
    accel=tcg
    launch
  fi
fi

rc=0
while :; do
  # A trapped signal interrupts `wait` (status 128+n) and runs the trap; then
  # wait again for QEMU's real exit status.
  signalled=false
  wait "$qemu_pid" && rc=0 || rc=$?
  $signalled || break
done
warn "QEMU exited with status $rc"
if (( rc > 128 )); then
  printf '%s\n' "last_exit_code=" "last_exit_signal=SIG$(kill -l $((rc - 128)))" "last_exit_at=$(now)"
else
  printf '%s\n' "last_exit_code=$rc" "last_exit_signal=" "last_exit_at=$(now)"
fi >"$run_dir/last-exit"
exit "$rc"
