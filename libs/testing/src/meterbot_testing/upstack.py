"""A `meterbot up` stack under test: start it, kill its parts with SIGKILL, Ctrl-C and start it
again, and wait until it has recovered (every process replaced and every /readyz answering)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from meterbot_platform.db import database_dsn


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().rsplit(") ", 1)[1][0] != "Z"


class UpStack:
    """`python -m meterbot up` with its own METERBOT_HOME and free ports."""

    def __init__(self, home: Path, args: tuple[str, ...] = ()) -> None:
        self.home, self.args = home, args
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")}
        self.env["METERBOT_HOME"] = str(home)
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}
        self.starts = 0

    def start(self, timeout: float = 240) -> None:
        self.starts += 1
        log = open(self.home / f"up-{self.starts}.log", "wb")  # noqa: SIM115 - the child holds it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "meterbot", "up", "--port-base", "0", *self.args],
            env=self.env,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.wait_recovered(timeout, after_start=True)

    def read_state(self) -> dict[str, Any]:
        path = self.home / "stack.json"
        if path.exists():
            try:
                self.state = json.loads(path.read_text())
            except ValueError:
                pass  # being replaced right now
        return self.state

    def wait_recovered(
        self, timeout: float = 240, *, gone: int | None = None, after_start: bool = False
    ) -> float:
        """Until every process in stack.json is alive (and not `gone`) and every service is ready.
        Returns how long that took."""
        started = time.monotonic()
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"meterbot up exited with {self.proc.returncode}:\n{self.log_tail()}")
            state = self.read_state() if (self.home / "stack.json").exists() or not after_start else {}
            pids = [int(s["pid"]) for s in state.get("services", {}).values()]
            pids += [int(v) for k, v in state.get("extras", {}).items() if k.endswith("_pid")]
            if (
                state
                and gone not in pids
                and all(_alive(p) for p in pids)
                and all(_ready(s["url"]) for s in state["services"].values())
            ):
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise AssertionError(f"not recovered after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.3)

    def kill(self, what: str) -> int:
        """SIGKILL a service (its name in stack.json) or "postgres" / "broker"; returns the pid."""
        state = self.read_state()
        pid = int(
            state["extras"][f"{what}_pid"]
            if what in ("postgres", "broker")
            else state["services"][what]["pid"]
        )
        os.kill(pid, signal.SIGKILL)
        return pid

    def interrupt(self, timeout: float = 90) -> int:
        """Ctrl-C: SIGINT to the foreground process group, as a terminal sends it."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"meterbot up did not stop in {timeout}s:\n{self.log_tail()}") from None

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.interrupt()

    @property
    def bootstrap(self) -> str:
        return str(self.read_state()["kafka_bootstrap"])

    def dsn(self, database: str) -> str:
        return database_dsn(self.read_state()["postgres_dsn"], database)

    def log_tail(self, chars: int = 3000) -> str:
        path = self.home / f"up-{self.starts}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def log_text(self) -> str:
        return "".join(
            (self.home / f"up-{n}.log").read_text(errors="replace") for n in range(1, self.starts + 1)
        )
