#!/usr/bin/env python3
"""Loco emulator health server: measures one QEMU and serves the result.

    health_server.py                serve (configured by LOCO_* variables, below)
    health_server.py --derive       read [{facts, now, intendedRunning}] JSON on
                                    stdin, print [{state, reasons, checkedAt}]
                                    (the parity test against the TypeScript rules)

GET /health   InstanceHealth JSON (plugins/loco-common/src/health.ts); 503 only
              when restarting the container would help (liveness)
GET /ready    200 while the state is healthy or degraded (readiness)
GET /metrics  Prometheus text, measured values only

A sampler thread measures every LOCO_HEALTH_INTERVAL seconds: QMP query-status,
query-kvm and a screendump hash (a fresh QMP connection each time, because QMP
serves one client at a time and the entrypoint needs it on SIGTERM), and a
connect to the VNC listener that reads its "RFB " greeting. The entrypoint
publishes what only it knows (QEMU's pid, start time, boot mode, restarts, last
exit, why no QEMU is running) in RUN_DIR/status, one key=value per line.
Python standard library only (Debian's python3 without extras).
"""
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from health_probes import (
    pid_alive,
    qmp_session,
    read_process,
    read_status,
    vnc_answers,
    vnc_target,
)
from health_rules import STATES, derive, iso, parse_iso


class Monitor:
    def __init__(self, env):
        self.run_dir = env.get("LOCO_RUN_DIR", "/run/loco")
        self.vnc = vnc_target(env.get("LOCO_VNC") or f"unix:{self.run_dir}/vnc.sock", self.run_dir)
        self.interval = float(env.get("LOCO_HEALTH_INTERVAL", "2"))
        self.labels = {
            "environment": env.get("LOCO_ENV", ""),
            "instance": env.get("LOCO_INSTANCE_INDEX", "0"),
        }
        self.lock = threading.Lock()
        self.facts = self._empty_facts({})
        self.status = {}
        self.started_key = None
        self.screen_hash = None
        self.samples = 0
        self.probe_seconds = None
        self.process = {}

    @staticmethod
    def _empty_facts(status):
        last_exit = None
        if status.get("last_exit_at"):
            code = status.get("last_exit_code")
            last_exit = {
                "code": int(code) if code not in (None, "") else None,
                "signal": status.get("last_exit_signal") or None,
                "at": status["last_exit_at"],
            }
        return {
            "processAlive": False,
            "qmpStatus": None,
            "vncReachable": None,
            "lastScreenChangeAt": None,
            "startedAt": None,
            "bootMode": None,
            "accelerator": None,
            "restarts": int(status.get("restarts") or 0),
            "lastExit": last_exit,
        }

    def sample(self):
        began = time.monotonic()
        status = read_status(os.path.join(self.run_dir, "status"))
        facts = self._empty_facts(status)
        pid = status.get("qemu_pid")
        alive = bool(pid) and pid_alive(pid)
        screen_changed_at = self.facts["lastScreenChangeAt"]
        if (pid, status.get("started_at")) != self.started_key:  # a new QEMU: forget the old screen
            self.started_key, self.screen_hash, screen_changed_at = (pid, status.get("started_at")), None, None
        process = {}
        if alive:
            facts.update(processAlive=True, startedAt=status.get("started_at") or None,
                         bootMode=status.get("boot_mode") or None)
            dump = os.path.join(self.run_dir, "health-screen.ppm")
            try:
                run_state, kvm, _ = qmp_session(
                    os.path.join(self.run_dir, "qmp.sock"),
                    [("query-status", None), ("query-kvm", None), ("screendump", {"filename": dump})],
                    timeout=5)
                facts["qmpStatus"] = run_state["status"]
                facts["accelerator"] = "kvm" if kvm.get("enabled") else "tcg"
                with open(dump, "rb") as f:
                    digest = hashlib.sha1(f.read()).hexdigest()
                if self.screen_hash is not None and digest != self.screen_hash:
                    screen_changed_at = iso(time.time() * 1000)
                self.screen_hash = digest
            except (OSError, ValueError, RuntimeError, KeyError):
                pass  # busy (another QMP client) or not up yet: leave it unknown
            finally:
                try:
                    os.unlink(dump)
                except OSError:
                    pass
            facts["vncReachable"] = vnc_answers(self.vnc, timeout=3)
            process = read_process(pid)
        facts["lastScreenChangeAt"] = screen_changed_at if alive else None
        with self.lock:
            self.facts, self.status, self.process = facts, status, process
            self.samples += 1
            self.probe_seconds = time.monotonic() - began

    def loop(self):
        while True:
            try:
                self.sample()
            except Exception as error:  # never let the sampler die silently
                print(f"health: sample failed: {error!r}", file=sys.stderr, flush=True)
            time.sleep(self.interval)

    def health(self):
        with self.lock:
            facts, status = dict(self.facts), dict(self.status)
        now = time.time() * 1000
        phase = status.get("phase", "preparing")
        message = status.get("message") or None
        # While the entrypoint prepares the disk the instance is "starting"
        # (deriveInstanceHealth's `waiting`); after a failure it stays
        # "unhealthy" by the rules, and the failure is appended as a note.
        waiting = (message or "preparing the disk") if phase in ("preparing", "downloading") else None
        notes = [n for n in (message if phase == "waiting" else None, status.get("note")) if n]
        state, reasons = derive(facts, now, True, waiting, notes)
        # Liveness: a restart helps only once QEMU runs and fails; while the
        # entrypoint waits for a disk it keeps retrying on its own.
        restart_helps = state == "unhealthy" and phase == "running"
        body = {"state": state, "reasons": reasons, "facts": facts, "checkedAt": iso(now)}
        return body, restart_helps

    def metrics(self):
        """Prometheus text format 0.0.4. A value that was not measured is left out, never guessed."""
        body, _ = self.health()
        facts = body["facts"]
        with self.lock:
            samples, probe, process = self.samples, self.probe_seconds, dict(self.process)
        labels = ",".join(f'{k}="{v}"' for k, v in self.labels.items())
        out = []

        def metric(name, kind, help_text, values):
            values = [(extra, v) for extra, v in values if v is not None]
            if not values:
                return
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
            for extra, value in values:
                out.append(f"{name}{{{labels}{extra}}} {float(value)!r}" if isinstance(value, float)
                           else f"{name}{{{labels}{extra}}} {int(value)}")

        def seconds(text):
            return parse_iso(text) / 1000 if text else None

        def flag(value):
            return None if value is None else int(bool(value))

        metric("loco_emulator_up", "gauge", "1 while the QEMU process is alive.",
               [("", int(facts["processAlive"]))])
        metric("loco_emulator_state", "gauge", "1 for the current health state.",
               [(f',state="{s}"', int(s == body["state"])) for s in STATES])
        metric("loco_emulator_qmp_running", "gauge", "1 when QMP query-status says running.",
               [("", flag(None if facts["qmpStatus"] is None else facts["qmpStatus"] == "running"))])
        metric("loco_emulator_vnc_reachable", "gauge", "1 when the VNC listener greeted the last probe.",
               [("", flag(facts["vncReachable"]))])
        metric("loco_emulator_kvm", "gauge", "1 when QEMU runs the guest with KVM (query-kvm).",
               [("", flag(None if facts["accelerator"] is None else facts["accelerator"] == "kvm"))])
        metric("loco_emulator_restarts_total", "counter", "Emulator container starts before this one.",
               [("", facts["restarts"])])
        metric("loco_emulator_start_time_seconds", "gauge", "When the running QEMU started (Unix time).",
               [("", seconds(facts["startedAt"]))])
        metric("loco_emulator_last_screen_change_time_seconds", "gauge",
               "When the screendump hash last changed (Unix time).", [("", seconds(facts["lastScreenChangeAt"]))])
        metric("loco_emulator_cpu_seconds_total", "counter", "CPU time of the QEMU process.",
               [("", process.get("cpu"))])
        metric("loco_emulator_resident_memory_bytes", "gauge", "Resident memory of the QEMU process.",
               [("", process.get("rss"))])
        metric("loco_emulator_health_samples_total", "counter", "Measurements taken by the health server.",
               [("", samples)])
        metric("loco_emulator_health_sample_duration_seconds", "gauge", "Duration of the last measurement.",
               [("", probe)])
        return "\n".join(out) + "\n"


class Handler(BaseHTTPRequestHandler):
    monitor = None  # set by serve()
    server_version = "loco-health"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        path = self.path.split("?", 1)[0]
        if path == "/health":
            body, restart_helps = self.monitor.health()
            self.reply(503 if restart_helps else 200, "application/json", json.dumps(body))
        elif path == "/ready":
            body, _ = self.monitor.health()
            ready = body["state"] in ("healthy", "degraded")
            self.reply(200 if ready else 503, "text/plain", f"{body['state']}\n")
        elif path == "/metrics":
            self.reply(200, "text/plain; version=0.0.4; charset=utf-8", self.monitor.metrics())
        else:
            self.reply(404, "text/plain", "not found\n")

    def reply(self, code, content_type, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass  # probes every few seconds would drown QEMU's own messages


def serve(env):
    host, port = env.get("LOCO_HEALTH_LISTEN", "0.0.0.0:8080").rsplit(":", 1)
    monitor = Monitor(env)
    Handler.monitor = monitor
    server = ThreadingHTTPServer((host.strip("[]"), int(port)), Handler)
    server.daemon_threads = True
    threading.Thread(target=monitor.loop, name="sampler", daemon=True).start()
    print(f"health: serving on {host}:{port}", file=sys.stderr, flush=True)
    server.serve_forever()


def derive_table():
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        now = parse_iso(case["now"])
        state, reasons = derive(case["facts"], now, case.get("intendedRunning", True),
                                case.get("waiting"), case.get("notes") or ())
        results.append({"state": state, "reasons": reasons, "checkedAt": iso(now)})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1:] == ["--derive"]:
        derive_table()
    elif not sys.argv[1:]:
        serve(os.environ)
    else:
        sys.exit(f"usage: {sys.argv[0]} [--derive]")
