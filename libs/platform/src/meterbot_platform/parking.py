"""Parking a message on `<topic>.dlq` with the reason in headers (DESIGN §2), so that parking itself
can never wedge a consumer (issue 17 item 1).

A record larger than the producer may send (the broker's 1 MiB default) is parked at once with a
truncated body and its original size; a park the broker refuses for any other reason than an outage
falls back to a headers-only entry; if even that is refused it is counted and logged, and the
consumer carries on. An outage is waited out (failures.through_outages): nothing is lost to it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from meterbot_contracts.topics import dlq_topic
from prometheus_client import Counter

from meterbot_platform.failures import ConsumerProgress, is_transient, through_outages
from meterbot_platform.metrics import DLQ_MESSAGES

log = logging.getLogger(__name__)
Record: TypeAlias = "ConsumerRecord[Any, Any]"
Park = Callable[[Record, str, str], Awaitable[None]]

# Well under the producer's max_request_size (1 MiB) with room for key and headers.
MAX_PARKED_BODY = 512 * 1024
PARK_FAILURES = Counter(
    "meterbot_dlq_park_failures_total",
    "Messages that could not be parked whole (parked headers-only, or not at all)",
    ["service", "topic", "outcome"],
)


def oversize_reason(record: Record) -> str | None:
    """'too_large' when the record's body cannot be republished as it is."""
    return "too_large" if len(record.value or b"") > MAX_PARKED_BODY else None


def parker(
    broker: KafkaBroker, service: str, group_id: str, progress: ConsumerProgress | None = None
) -> Park:
    async def publish(record: Record, body: bytes | None, headers: dict[str, str]) -> None:
        await broker.publish(body, dlq_topic(record.topic), key=record.key, headers=headers)

    async def park(record: Record, reason: str, detail: str) -> None:
        value: bytes = record.value or b""
        original = {k: bytes(v).decode(errors="replace") for k, v in record.headers or ()}
        headers = {
            **{k: v for k, v in original.items() if not k.startswith("x-")},  # type, message_id, ...
            "x-dlq-reason": reason,
            "x-dlq-detail": detail[:1000],
            "x-original-topic": record.topic,
            "x-original-partition": str(record.partition),
            "x-original-offset": str(record.offset),
            "x-original-size": str(len(value)),
            "x-consumer-group": group_id,
        }
        body = value
        if len(value) > MAX_PARKED_BODY:
            body = value[:MAX_PARKED_BODY]
            headers["x-dlq-truncated"] = "true"
        where = f"parking on {dlq_topic(record.topic)}"
        try:
            await through_outages(lambda: publish(record, body, headers), what=where, progress=progress)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.error("could not park a message whole (%s); parking its headers only", exc)
            headers["x-dlq-truncated"] = "true"
            try:
                await through_outages(lambda: publish(record, None, headers), what=where, progress=progress)
                PARK_FAILURES.labels(service, record.topic, "headers_only").inc()
            except Exception:
                PARK_FAILURES.labels(service, record.topic, "lost").inc()
                log.exception(
                    "could not park %s[%d]@%d at all; skipped",
                    record.topic,
                    record.partition,
                    record.offset,
                )
                return
        DLQ_MESSAGES.labels(service, record.topic, reason).inc()
        log.warning("parked a message on %s: %s %s", dlq_topic(record.topic), reason, detail[:200])

    return park
