"""Steady load of readings through the real broker, sent the way the gateway sends them: a command
counts once the broker acknowledged it; commands still unanswered are sent again as they were
(same message id) after the stack recovers, as the gateway re-sends its pending commands at start."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaProducer
from meterbot_contracts import Envelope, Message, new_envelope
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, READINGS_COMMANDS
from meterbot_platform.broker import envelope_headers

from meterbot_testing.upstack import UpStack

log = logging.getLogger(__name__)

SURNAME = "Тестов"
ANSWERS = ("ReadingAccepted", "ReadingRejected", "AccountLinked", "AccountLinkRefused")


@dataclass(frozen=True)
class Meter:
    account: str
    meter_id: str
    chat_id: int


def registry_csv(accounts: int, meters_per_account: int) -> tuple[str, list[Meter]]:
    header = (
        "account_number,surname,address,meter_id,meter_type,serial_number,verified_until,"
        "last_value,last_value_date"
    )
    rows, meters = [header], []
    for a in range(accounts):
        account = f"9{a:05d}"
        for m in range(meters_per_account):
            meter_id = f"f{a:05d}-{m}"
            rows.append(
                f"{account},{SURNAME},ул. Тестовая {a},{meter_id},cold_water,S{a}-{m},2099-12-31,0,2025-01-01"
            )
            meters.append(Meter(account, meter_id, 800_000 + a))
    return "\n".join(rows) + "\n", meters


@dataclass
class Ledger:
    """Every command the broker acknowledged, by message id, with where it went."""

    sent: dict[UUID, tuple[str, str, Envelope]] = field(default_factory=dict)
    answered: set[UUID] = field(default_factory=set)

    @property
    def unanswered(self) -> list[tuple[str, str, Envelope]]:
        return [v for k, v in self.sent.items() if k not in self.answered]


class Sender:
    """A producer that survives broker restarts and a new broker address (Ctrl-C and start)."""

    def __init__(self, bootstrap: Callable[[], str]) -> None:
        self._bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._address = ""

    async def _ready(self) -> AIOKafkaProducer:
        address = self._bootstrap()
        if self._producer is None or address != self._address:
            await self.close()
            producer = AIOKafkaProducer(
                bootstrap_servers=address, acks="all", max_request_size=8 << 20, request_timeout_ms=5000
            )
            await producer.start()
            self._producer, self._address = producer, address
        return self._producer

    async def send(self, topic: str, key: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        """Until the broker acknowledged it (a failed try may still have landed: a duplicate)."""
        while True:
            try:
                producer = await self._ready()
                await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
                return
            except Exception as exc:
                log.info("send to %s failed, retrying: %s", topic, exc)
                await self.close()
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None


class Load:
    def __init__(self, sender: Sender, meters: list[Meter], rate: float) -> None:
        self.sender, self.meters, self.rate = sender, meters, rate
        self.ledger = Ledger()
        self._values: dict[str, int] = {}

    async def command(self, topic: str, key: str, message: Message) -> Envelope:
        envelope = new_envelope(message)
        await self.sender.send(topic, key, envelope.to_bytes(), envelope_headers(envelope))
        self.ledger.sent[envelope.message_id] = (topic, key, envelope)
        return envelope

    async def link_all(self) -> None:
        for account in sorted({(m.account, m.chat_id) for m in self.meters}):
            number, chat = account
            await self.command(
                ACCOUNTS_COMMANDS,
                number,
                AccountLinkRequested(chat_id=chat, account_number=number, surname=SURNAME),
            )

    async def run(self, stop: asyncio.Event, limit: int | None = None) -> None:
        """One ReadingSubmitted every 1/rate s, meters in turn, each meter's value one higher;
        until `stop` is set or `limit` were sent."""
        n = 0
        while not stop.is_set() and (limit is None or n < limit):
            meter = self.meters[n % len(self.meters)]
            n += 1
            value = self._values[meter.meter_id] = self._values.get(meter.meter_id, 0) + 1
            reading = ReadingSubmitted(
                chat_id=meter.chat_id,
                account_number=meter.account,
                meter_id=meter.meter_id,
                raw_value=str(value),
            )
            await self.command(READINGS_COMMANDS, meter.meter_id, reading)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / self.rate)

    async def resend_unanswered(self, dsn: Callable[[str], str]) -> int:
        """What the gateway does at start: publish every unanswered command again, as it was."""
        await self.refresh_answers(dsn)
        again = self.ledger.unanswered
        for topic, key, envelope in again:
            await self.sender.send(topic, key, envelope.to_bytes(), envelope_headers(envelope))
        return len(again)

    async def refresh_answers(self, dsn: Callable[[str], str]) -> None:
        for database in ("readings", "accounts"):
            rows = await fetch(
                dsn(database),
                "SELECT DISTINCT metadata->>'causation_id' AS cause FROM events WHERE type = ANY($1::text[])",
                list(ANSWERS),
            )
            self.ledger.answered.update(UUID(r["cause"]) for r in rows if r["cause"])


async def fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def burst(load: Load, n: int, dsn: Callable[[str], str], timeout: float = 300) -> float:
    """Send `n` readings at once (meters in turn) and wait until each is answered; returns the
    handled rate in readings a second, first send to last answer."""
    started = time.perf_counter()
    before = set(load.ledger.sent)
    load.rate = 1e9  # no pause between sends
    await load.run(asyncio.Event(), limit=n)
    ids = set(load.ledger.sent) - before
    deadline = time.monotonic() + timeout
    while ids - load.ledger.answered:
        assert time.monotonic() < deadline, f"{len(ids - load.ledger.answered)} of {len(ids)} unanswered"
        await load.refresh_answers(dsn)
        await asyncio.sleep(0.2)
    return len(ids) / (time.perf_counter() - started)


async def prepare(stack: UpStack, sender: Sender, workdir: Path, accounts: int, per_account: int) -> Load:
    """A registry of `accounts` x `per_account` meters imported and every account linked to its
    chat, as readings sees it: readings sent now can be accepted."""
    csv_text, meters = registry_csv(accounts, per_account)
    (workdir / "registry.csv").write_text(csv_text, encoding="utf-8")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "meterbot", "registry", "import", str(workdir / "registry.csv")],
        env=stack.env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    load = Load(sender, meters, rate=1000)
    await load.link_all()
    deadline = time.monotonic() + 120
    while (await fetch(stack.dsn("readings"), "SELECT count(*) AS n FROM chat_links"))[0]["n"] < accounts:
        assert time.monotonic() < deadline, "the links did not reach readings"
        await asyncio.sleep(0.2)
    return load
