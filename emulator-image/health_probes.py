"""What the health server measures, each probe on its own: the entrypoint's
status file, /proc, QMP on a fresh connection, and the VNC listener's greeting.
Python standard library only.
"""
import json
import os
import socket


def read_status(path):
    """The entrypoint's key=value file; {} while it does not exist yet."""
    try:
        with open(path, encoding="utf-8") as f:
            return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    except FileNotFoundError:
        return {}


def pid_alive(pid):
    """True for a live, non-zombie process."""
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, ValueError, IndexError):
        return False


def qmp_session(path, commands, timeout):
    """Runs QMP commands on a fresh connection; returns their 'return' values."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        reader = s.makefile("r", encoding="utf-8")

        def reply():
            while True:
                line = reader.readline()
                if not line:
                    raise ConnectionError("QMP closed the connection")
                msg = json.loads(line)
                if "return" in msg or "error" in msg:
                    if "error" in msg:
                        raise RuntimeError(msg["error"].get("desc", "QMP error"))
                    return msg["return"]
                # the greeting and asynchronous events are skipped

        results = []
        for name, args in [("qmp_capabilities", None)] + commands:
            s.sendall((json.dumps({"execute": name, "arguments": args or {}}) + "\n").encode())
            results.append(reply())
        return results[1:]


def vnc_target(spec, run_dir):
    """LOCO_VNC ('unix:PATH' or 'HOST:DISPLAY') -> (family, address) to connect to."""
    if spec.startswith("unix:"):
        return socket.AF_UNIX, spec[5:]
    host, display = spec.rsplit(":", 1)
    host = host.strip("[]")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, 5900 + int(display))


def vnc_answers(target, timeout):
    """Connects and reads the RFB version greeting, then hangs up (other viewers are unaffected)."""
    family, address = target
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(address)
            return s.recv(12).startswith(b"RFB ")
    except OSError:
        return False


def read_process(pid):
    """QEMU's CPU time and resident memory from /proc (measured, Linux only)."""
    try:
        with open(f"/proc/{int(pid)}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{int(pid)}/status", encoding="ascii") as f:
            rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
        return {"cpu": (int(fields[11]) + int(fields[12])) / ticks, "rss": rss}
    except (OSError, ValueError, IndexError, StopIteration):
        return {}
