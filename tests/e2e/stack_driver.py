"""Drives a real `meterbot up` stack from tests: start it, run CLI commands against it, query its
databases, stop it. Kafka is read and written through meterbot_testing.bus, like every other tier."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
from meterbot_platform.db import database_dsn


class StackProcess:
    """`python -m meterbot up` with its own METERBOT_HOME (own embedded PostgreSQL and broker)."""

    def __init__(
        self, home: Path, extra_env: dict[str, str] | None = None, args: tuple[str, ...] = ()
    ) -> None:
        self.home = home
        self.args = args
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")}
        self.env.update({"METERBOT_HOME": str(home), **(extra_env or {})})
        self.proc: subprocess.Popen[bytes] | None = None
        self.state: dict[str, Any] = {}

    def start(self, timeout: float = 180) -> dict[str, Any]:
        log = open(self.home / "up.log", "wb")  # noqa: SIM115 - closed by the child's exit
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "meterbot", "up", "--port-base", "0", *self.args],
            env=self.env,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        path = self.home / "stack.json"
        deadline = time.monotonic() + timeout
        while not path.exists():
            if self.proc.poll() is not None:
                raise RuntimeError(f"meterbot up exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"stack not up after {timeout}s:\n{self.log_tail()}")
            time.sleep(0.2)
        self.state = json.loads(path.read_text())
        return self.state

    def log_tail(self, chars: int = 4000) -> str:
        path = self.home / "up.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def service_pid(self, name: str) -> int:
        return int(self.state["services"][name]["pid"])

    @property
    def bootstrap(self) -> str:
        return str(self.state["kafka_bootstrap"])

    def dsn(self, database: str) -> str:
        return database_dsn(self.state["postgres_dsn"], database)

    def cli(
        self, *args: str, stdin: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """A `meterbot` CLI command, as typed in another terminal (finds the stack by METERBOT_HOME)."""
        return subprocess.run(
            [sys.executable, "-m", "meterbot", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


async def fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()
