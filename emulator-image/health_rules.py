"""The health state rules of Loco Portal, a line-by-line port of
plugins/loco-node/src/health/deriveInstanceHealth.ts (facts -> state + reasons).
tests/emulator-image/health-parity.test.ts runs both over one table of cases
and requires identical answers: change both together.
"""
import math
from datetime import datetime, timezone

STARTUP_GRACE_MS = 90_000
STALE_SCREEN_MS = 180_000
STATES = ("starting", "healthy", "degraded", "unhealthy", "stopped")
FAILED_QMP_STATES = {"internal-error", "guest-panicked", "shutdown", "io-error"}


def iso(ms):
    """Like JavaScript's Date.toISOString(): UTC, milliseconds, 'Z'."""
    text = datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def parse_iso(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000


def js_round(x):
    """JavaScript's Math.round (halves go up); Python's round() goes to even."""
    return math.floor(x + 0.5)


def describe_exit(code, signal):
    if signal:
        return f"signal {signal}"
    return "unknown status" if code is None else f"code {code}"


def derive(facts, now_ms, intended_running=True, waiting=None, notes=()):
    """Facts -> (state, reasons), exactly as deriveInstanceHealth does.

    waiting: why a wanted instance has no QEMU yet (e.g. downloading its disk);
    notes: measured remarks appended to the reasons (e.g. a KVM fallback).
    """
    state, reasons = _derive(facts, now_ms, intended_running, waiting)
    return state, reasons + list(notes)


def _derive(facts, now_ms, intended_running, waiting):
    if not facts["processAlive"]:
        if not intended_running:
            return "stopped", ["stopped"]
        if waiting:
            return "starting", [waiting]
        ex = facts.get("lastExit")
        if ex:
            return "unhealthy", [f"emulator exited ({describe_exit(ex['code'], ex['signal'])}) at {ex['at']}"]
        return "unhealthy", ["emulator process is not running"]
    status = facts["qmpStatus"]
    if status and status in FAILED_QMP_STATES:
        return "unhealthy", [f"QEMU reports {status}"]
    since_start = now_ms - parse_iso(facts["startedAt"]) if facts["startedAt"] else 0
    in_grace = since_start < STARTUP_GRACE_MS
    if status is None or facts["vncReachable"] is None:
        if in_grace:
            return "starting", ["emulator starting, not measured yet"]
        return "unhealthy", ["emulator does not answer QMP"]
    if facts["vncReachable"] is False:
        return ("starting" if in_grace else "unhealthy"), ["VNC endpoint refuses connections"]
    if status != "running":
        return "degraded", [f"QEMU is {status}"]
    if facts["lastScreenChangeAt"] is None:
        if in_grace:
            return "starting", ["booting: screen has not changed yet"]
        return "degraded", [f"screen unchanged since start {js_round(since_start / 1000)} s ago"]
    still_for = now_ms - parse_iso(facts["lastScreenChangeAt"])
    if still_for > STALE_SCREEN_MS:
        return "degraded", [f"screen unchanged for {js_round(still_for / 1000)} s"]
    return "healthy", ["running, screen updating"]
