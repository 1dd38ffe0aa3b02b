"""Measurement: what FastStream's parts cost on the consumer path: its Prometheus middleware
(broker.make_broker) and its decoding of a poll (consumer.py bypasses it with `_undecoded`).

Fills a 6-partition topic on a local tansu broker with N envelopes, then consumes them with the
platform's consumer (subscribe_batch, a handler that only counts: no database) in three setups,
in turn, each round in a consumer group of its own: as the services run (middleware on, decoding
bypassed), without the middleware, and with FastStream's own decoding as well as the middleware. Times from the
first record handled to the last (the group join is not counted) and the process CPU in that span.
Two poll sizes: full polls (500 records, a registry import or a backlog) and one record per poll (the
worst case for a per-poll cost: a resident's command at a time).

    .venv/bin/python bench/consumer_faststream.py [--records 50000] [--single 3000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

from meterbot_contracts import Envelope, new_envelope
from meterbot_contracts.all import default_registry
from meterbot_contracts.identity import ResidentErasureRequested
from meterbot_localstack import LocalBroker
from meterbot_platform import consumer as platform_consumer
from meterbot_platform.broker import ensure_topics, make_broker, running_producer, send_in_windows
from meterbot_platform.consumer import BatchResult, ConsumerOptions, subscribe_batch
from meterbot_platform.logs import configure_logging
from meterbot_platform.settings import KafkaSettings

PARTITIONS = 6
SETUPS = {  # name: (Prometheus middleware, FastStream decodes the poll)
    "as run (middleware on, decoding bypassed)": (True, False),
    "middleware off": (False, False),
    "FastStream decoding (middleware on)": (True, True),
}


async def fill(settings: KafkaSettings, topic: str, records: int) -> None:
    await ensure_topics(settings.kafka_bootstrap, [topic], partitions=PARTITIONS)
    messages = (
        (topic, str(n % 300), new_envelope(ResidentErasureRequested(chat_id=n))) for n in range(records)
    )
    async with running_producer(settings, "bench-fill") as producer:
        await send_in_windows(producer, messages, window=5000)


async def consume(
    settings: KafkaSettings, topic: str, records: int, *, prometheus: bool, decode: bool, max_records: int
) -> tuple[float, float]:
    """(seconds, CPU seconds) from the first record handled to the last."""
    done = asyncio.Event()
    seen = 0
    first: tuple[float, float] | None = None

    async def count(items: list[tuple[Envelope, Any]]) -> BatchResult:
        nonlocal seen, first
        if first is None:
            first = (time.perf_counter(), time.process_time())
        seen += len(items)
        if seen >= records:
            done.set()
        return BatchResult(applied=[e.message_id for e, _ in items])

    broker = make_broker(settings, "bench", prometheus=prometheus)
    bypass = platform_consumer._undecoded
    if decode:  # what subscribe_groups passes as the decoder: None is FastStream's own
        platform_consumer._undecoded = None  # type: ignore[assignment]
    subscribe_batch(
        broker,
        topic,
        service="bench",
        group_id=f"bench-{uuid.uuid4().hex[:8]}",
        registry=default_registry,
        handled=[ResidentErasureRequested],
        handler=count,
        options=ConsumerOptions(fetch_max_wait_ms=10, idle_fetch_max_wait_ms=10),
        max_records=max_records,
    )
    platform_consumer._undecoded = bypass
    await broker.start()
    try:
        await asyncio.wait_for(done.wait(), 600)
        assert first is not None
        return time.perf_counter() - first[0], time.process_time() - first[1]
    finally:
        await broker.stop()


async def bench(args: argparse.Namespace) -> None:
    configure_logging("bench", "INFO")  # as a service logs (FastStream's per-poll lines off)
    with LocalBroker() as local:
        settings = KafkaSettings(kafka_bootstrap=local.bootstrap, kafka_idempotent=False)
        for label, records, max_records in (
            ("full polls (500)", args.records, 500),
            ("one record a poll", args.single, 1),
        ):
            topic = f"meterbot.bench.prometheus.{max_records}"
            await fill(settings, topic, records)
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in SETUPS}
            for _ in range(args.rounds):
                for name, (prometheus, decode) in SETUPS.items():
                    results[name].append(
                        await consume(
                            settings,
                            topic,
                            records,
                            prometheus=prometheus,
                            decode=decode,
                            max_records=max_records,
                        )
                    )
            print(f"{label}: {records} records, {args.rounds} rounds each, medians")
            for name, runs in results.items():
                wall = statistics.median(r[0] for r in runs)
                cpu = statistics.median(r[1] for r in runs)
                print(
                    f"  {name:42s} {records / wall:8.0f} records/s, {cpu / records * 1e6:6.1f} us CPU a record"
                )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--single", type=int, default=3_000, help="records for the one-record polls")
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(bench(parser.parse_args()))


if __name__ == "__main__":
    main()
