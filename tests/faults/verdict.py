"""What must hold after the faults, counted from the stores and the topics themselves:
every acknowledged command answered exactly once; every accepted reading once in billing-export
(its events and the public topic) and in the gateway's view; no good message on a dead-letter topic."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from meterbot_contracts import Envelope
from meterbot_contracts.topics import ALL_TOPICS, BILLING_READINGS_V1, dlq_topic
from meterbot_testing.readings_load import ANSWERS, Ledger, fetch

BAD_KEY = b"fault-oversize"  # the records the suite means to be parked


async def _behind(
    consumer: AIOKafkaConsumer, parts: list[TopicPartition], ends: dict[TopicPartition, int]
) -> bool:
    return any([await consumer.position(tp) < ends[tp] for tp in parts])


@dataclass
class DeadLetterWatch:
    """Reads every .dlq topic all along (a broker that dies takes its dead letters with it)."""

    bootstrap: Callable[[], str]
    seen: dict[tuple[str, int, int, str], tuple[bytes, dict[str, str]]] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            address = self.bootstrap()
            try:
                await self.read_all(address, follow=True)
            except Exception:
                await asyncio.sleep(1)

    async def read_all(self, address: str, *, follow: bool = False) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=address, enable_auto_commit=False, request_timeout_ms=5000
        )
        await consumer.start()
        try:
            await consumer.topics()
            parts = [
                TopicPartition(dlq_topic(t), p)
                for t in ALL_TOPICS
                for p in consumer.partitions_for_topic(dlq_topic(t)) or ()
            ]
            consumer.assign(parts)
            await consumer.seek_to_beginning(*parts)
            ends = await consumer.end_offsets(parts)
            while follow or await _behind(consumer, parts, ends):
                if follow and self.bootstrap() != address:
                    return
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    for r in records:
                        headers = {k: bytes(v).decode(errors="replace") for k, v in r.headers or ()}
                        self.seen[(r.topic, r.partition, r.offset, address)] = (r.key or b"", headers)
        finally:
            await consumer.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task

    def good_ones(self) -> list[tuple[str, dict[str, str]]]:
        """Dead letters that are not the suite's deliberately bad records."""
        return [(place[0], headers) for place, (key, headers) in self.seen.items() if key != BAD_KEY]


async def public_topic(address: str) -> Counter[str]:
    """reading id -> how many distinct messages on meterbot.billing.readings.v1 carry it."""
    consumer = AIOKafkaConsumer(bootstrap_servers=address, enable_auto_commit=False)
    await consumer.start()
    try:
        await consumer.topics()
        parts = [
            TopicPartition(BILLING_READINGS_V1, p)
            for p in consumer.partitions_for_topic(BILLING_READINGS_V1) or ()
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        messages: dict[str, str] = {}
        while await _behind(consumer, parts, ends):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for r in records:
                    envelope = Envelope.from_bytes(r.value or b"")
                    if envelope.payload.get("status") == "accepted":
                        messages[str(envelope.message_id)] = str(envelope.payload["reading_id"])
        return Counter(messages.values())
    finally:
        await consumer.stop()


@dataclass
class Counts:
    commands: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # command id -> answer events
    accepted: set[str] = field(default_factory=set)
    billing: Counter[str] = field(default_factory=Counter)  # reading id -> BillingReading events
    gateway: set[str] = field(default_factory=set)
    public: Counter[str] = field(default_factory=Counter)
    good_dead_letters: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    bad_dead_letters: int = 0

    def unanswered(self, ledger: Ledger) -> list[str]:
        return [str(k) for k in ledger.sent if self.answers[str(k)] == 0]

    def problems(self, ledger: Ledger) -> dict[str, Any]:
        return {
            "unanswered commands": self.unanswered(ledger)[:10],
            "commands answered more than once": [k for k, n in self.answers.items() if n > 1][:10],
            "accepted but not in billing-export": sorted(self.accepted - set(self.billing))[:10],
            "in billing-export more than once": [k for k, n in self.billing.items() if n > 1][:10],
            "accepted but not in the gateway's view": sorted(self.accepted - self.gateway)[:10],
            "accepted but not on the public topic": sorted(self.accepted - set(self.public))[:10],
            "on the public topic as several messages": [k for k, n in self.public.items() if n > 1][:10],
            "good messages dead-lettered": self.good_dead_letters[:10],
        }

    def summary(self, ledger: Ledger) -> str:
        return (
            f"commands acknowledged {len(ledger.sent)}, answered {sum(1 for k in ledger.sent if self.answers[str(k)])}"
            f" (more than once: {sum(1 for n in self.answers.values() if n > 1)}),"
            f" readings accepted {len(self.accepted)}, in billing-export {len(self.accepted & set(self.billing))},"
            f" in the gateway's view {len(self.accepted & self.gateway)},"
            f" on the public topic {len(self.accepted & set(self.public))};"
            f" dead letters: {self.bad_dead_letters} meant, {len(self.good_dead_letters)} good"
        )


async def count(ledger: Ledger, dsn: Callable[[str], str], address: str, watch: DeadLetterWatch) -> Counts:
    counts = Counts(commands=len(ledger.sent))
    ids = [str(k) for k in ledger.sent]
    for database in ("readings", "accounts"):
        rows = await fetch(
            dsn(database),
            "SELECT metadata->>'causation_id' AS cause, type, data->>'reading_id' AS reading FROM events"
            " WHERE type = ANY($1::text[]) AND metadata->>'causation_id' = ANY($2::text[])",
            list(ANSWERS),
            ids,
        )
        for row in rows:
            counts.answers[row["cause"]] += 1
            if row["type"] == "ReadingAccepted":
                counts.accepted.add(row["reading"])
    billing = await fetch(
        dsn("billing_export"),
        "SELECT data->>'reading_id' AS reading FROM events WHERE type = 'BillingReading'"
        " AND data->>'status' = 'accepted'",
    )
    counts.billing.update(r["reading"] for r in billing)
    gateway = await fetch(dsn("gateway"), "SELECT reading_id::text AS reading FROM rm_readings")
    counts.gateway = {r["reading"] for r in gateway}
    counts.public = await public_topic(address)
    await watch.read_all(address)
    counts.good_dead_letters = watch.good_ones()
    counts.bad_dead_letters = len(watch.seen) - len(counts.good_dead_letters)
    return counts


async def settled(
    ledger: Ledger,
    dsn: Callable[[str], str],
    address: Callable[[], str],
    watch: DeadLetterWatch,
    patience: float,
) -> Counts:
    """Count until nothing is missing any more, or patience runs out (then the last count)."""
    deadline = time.monotonic() + patience
    while True:
        counts = await count(ledger, dsn, address(), watch)
        if not any(counts.problems(ledger).values()) or time.monotonic() > deadline:
            return counts
        await asyncio.sleep(2)
