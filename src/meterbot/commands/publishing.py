"""Publishing from the command line: where the broker is (explicit METERBOT_KAFKA_* settings, then a
running `meterbot up` stack), one bulk send of envelopes to a topic, and the exit code when publishing
cannot happen. Shared by `registry import` and `balances import`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TextIO

from meterbot_contracts.topics import dlq_topic
from meterbot_platform.broker import Outgoing, ensure_topics, running_producer, send_in_windows
from meterbot_platform.settings import KafkaSettings

from meterbot import state
from meterbot.commands import EXIT_NO_STACK, NO_STACK

IN_FLIGHT = 5000  # records sent before waiting for their acknowledgements


class NoBroker(Exception):
    """Nowhere to publish: no running stack and no METERBOT_KAFKA_BOOTSTRAP."""


def kafka_settings() -> KafkaSettings:
    """Explicit METERBOT_KAFKA_* settings win, then a running `meterbot up` stack."""
    env = state.settings_env()
    if "METERBOT_KAFKA_BOOTSTRAP" not in env:
        raise NoBroker(f"{NO_STACK} (or set METERBOT_KAFKA_BOOTSTRAP)")
    fields: dict[str, Any] = {
        name.removeprefix("METERBOT_").lower(): value
        for name, value in env.items()
        if name.startswith("METERBOT_KAFKA_")
    }
    return KafkaSettings(**fields)


async def publish_envelopes(
    kafka: KafkaSettings,
    topic: str,
    messages: Iterable[Outgoing],
    *,
    client_id: str,
    acknowledged: Callable[[int], object] = lambda n: None,
) -> None:
    """Every message to `topic` (created with its DLQ first when the settings say so); returns once the
    broker acknowledged all. The platform's bulk producer: FastStream's per-message path tripled the
    time of a 35,000-record import."""
    if kafka.kafka_create_topics:
        await ensure_topics(
            kafka.kafka_bootstrap,
            (topic, dlq_topic(topic)),
            partitions=kafka.kafka_partitions,
            replication_factor=kafka.kafka_replication_factor,
        )
    async with running_producer(kafka, client_id) as producer:
        await send_in_windows(producer, messages, window=IN_FLIGHT, acknowledged=acknowledged)


async def publish_or_exit_code(
    command: str,
    publish: Callable[[KafkaSettings], Awaitable[None]],
    kafka: KafkaSettings | None,
    err: TextIO,
) -> int | None:
    """Run `publish` with `kafka` (None: kafka_settings()); None once done, otherwise EXIT_NO_STACK
    after telling `err` why (`command` names the subcommand, e.g. "registry import")."""
    try:
        settings = kafka or kafka_settings()
    except NoBroker as exc:
        err.write(f"meterbot {command}: {exc}\n")
        return EXIT_NO_STACK
    try:
        await publish(settings)
    except Exception as exc:
        err.write(
            f"meterbot {command}: publishing to Kafka at {settings.kafka_bootstrap} failed "
            f"({type(exc).__name__}: {exc}); is the stack running? start it with `meterbot up`\n"
        )
        return EXIT_NO_STACK
    return None
