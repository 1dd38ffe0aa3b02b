"""Drives a real `meterbot up` stack from tests: start it, import a registry, send commands over
Kafka, wait for events, run CLI commands against it, stop it and check nothing is left."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from meterbot_contracts import Envelope, new_envelope
from meterbot_contracts.registry import Message
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


class Bus:
    """Publishes commands and waits for the events they cause, matched by correlation id."""

    def __init__(self, bootstrap: str, topics: list[str]) -> None:
        self.bootstrap, self.topics = bootstrap, topics
        self.seen: list[Envelope] = []
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> Bus:
        self._producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap)
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer:
            await self._consumer.stop()
        if self._producer:
            await self._producer.stop()

    async def _read(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            try:
                envelope = Envelope.from_bytes(record.value or b"")
            except ValueError:
                continue
            async with self._changed:
                self.seen.append(envelope)
                self._changed.notify_all()

    async def send(self, topic: str, message: Message, key: str | int) -> Envelope:
        assert self._producer is not None
        envelope = new_envelope(message)
        await self._producer.send_and_wait(topic, envelope.to_bytes(), key=str(key).encode())
        return envelope

    async def answer(self, command: Envelope, timeout: float = 20) -> Envelope:
        """The event `command` caused directly (later events of the chain share its correlation id)."""
        return await self.wait(lambda e: e.causation_id == str(command.message_id), timeout)

    async def wait(self, match: Callable[[Envelope], bool], timeout: float = 20) -> Envelope:
        async with self._changed:
            found = await asyncio.wait_for(
                self._changed.wait_for(lambda: next((e for e in self.seen if match(e)), None)), timeout
            )
        assert found is not None
        return found


async def wait_for_value(query: Callable[[], Awaitable[Any]], expected: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await query()
        if value == expected:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r}, expected {expected!r}")
        await asyncio.sleep(0.1)


async def fetchval(dsn: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()
