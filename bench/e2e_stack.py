"""The stack under test for bench/e2e.py: a `meterbot up` of its own (own METERBOT_HOME, free ports)
or one already running, and what /proc says about its processes (RSS, CPU time)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Stack:
    home: Path
    state: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    ready_after_s: float | None = None  # `meterbot up` start -> stack.json written (every /readyz ok)

    @classmethod
    def start(cls, home: Path, extra_env: dict[str, str], timeout: float = 600) -> Stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")}
        env.update({"METERBOT_HOME": str(home), **extra_env})
        home.mkdir(parents=True, exist_ok=True)
        log = open(home / "up.log", "wb")  # noqa: SIM115 - the child keeps it open
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "meterbot", "up", "--port-base", "0"],
            env=env,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        stack = cls(home, proc=proc, env=env)
        path = home / "stack.json"
        while not path.exists():
            if proc.poll() is not None:
                raise SystemExit(f"meterbot up exited with {proc.returncode}:\n{stack.log_tail()}")
            if time.perf_counter() - started > timeout:
                stack.stop()
                raise SystemExit(f"meterbot up not ready after {timeout} s:\n{stack.log_tail()}")
            time.sleep(0.05)
        stack.ready_after_s = time.perf_counter() - started
        stack.state = json.loads(path.read_text())
        return stack

    @classmethod
    def attach(cls, home: Path) -> Stack:
        home = home.expanduser()
        path = home / "stack.json"
        if not path.exists():
            raise SystemExit(f"no running stack: {path} is missing (start `meterbot up` or drop --attach)")
        env = {**os.environ, "METERBOT_HOME": str(home)}
        return cls(home, state=json.loads(path.read_text()), env=env)

    def log_tail(self, chars: int = 3000) -> str:
        path = self.home / "up.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    @property
    def bootstrap(self) -> str:
        return str(self.state["kafka_bootstrap"])

    @property
    def server_dsn(self) -> str:
        return str(self.state["postgres_dsn"])

    def dsn(self, database: str) -> str:
        return self.server_dsn.rsplit("/", 1)[0] + f"/{database}"

    def services(self) -> dict[str, int]:
        return {name: int(info["pid"]) for name, info in self.state["services"].items()}

    def all_pids(self) -> list[int]:
        """The supervisor and every process below it (services, PostgreSQL, broker, Bot API server)."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        roots = [int(self.state["supervisor_pid"])]
        found: list[int] = []
        while roots:
            pid = roots.pop()
            found.append(pid)
            roots.extend(children.get(pid, ()))
        return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def idle_cpu_share(pids: list[int], seconds: float) -> tuple[float, dict[int, float]]:
    """Share of one core the processes used over `seconds` of wall time, and each one's share."""
    before = {pid: cpu_seconds(pid) for pid in pids}
    time.sleep(seconds)
    each = {pid: (cpu_seconds(pid) - before[pid]) / seconds for pid in pids}
    return sum(each.values()), each


def process_name(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [c.decode(errors="replace") for c in cmd if c]
    if words and words[0].startswith("postgres"):  # its backends retitle themselves per connection
        return "postgres"
    if "-m" in words:
        return words[words.index("-m") + 1]
    return Path(words[0]).name if words else "?"
