"""The Kafka topic plan: the one place that says which topics exist and how (partitions, replication,
retention, cleanup policy). Everything that creates topics reads it: `meterbot topics apply`, the
compose `kafka-init` service and the k8s Job (`python -m meterbot_platform.topic_plan apply`), the
Strimzi `KafkaTopic` resources (`... strimzi`, checked by tests/deploy), `meterbot up`.
Services never create topics in production (METERBOT_KAFKA_CREATE_TOPICS is off by default)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from meterbot_contracts.topics import (
    ACCOUNTS_COMMANDS,
    BILLING_BALANCES_V1,
    BILLING_READINGS_V1,
    BILLING_REGISTRY_V1,
    IDENTITY_COMMANDS,
    READINGS_COMMANDS,
    SERVICES,
    dlq_topic,
    events_topic,
)

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000
# Commands are worthless once handled: keep them a week, enough to redeliver after an outage.
COMMAND_RETENTION_MS = 7 * DAY_MS
# identity's and accounts' commands carry a shared phone and name, a typed surname, in the clear
# (README, threat model): a day, they and their dead letters; small segments so old ones really go.
PERSONAL_RETENTION_MS = DAY_MS
PERSONAL_SEGMENT_MS = 3600 * 1000
PERSONAL_TOPICS = (IDENTITY_COMMANDS, ACCOUNTS_COMMANDS)
# Events topics are the feed every read model (the bot's, billing-export) rebuilds from: kept for ever.
EVENT_RETENTION_MS = -1
# The public readings feed: a billing system that was down for a whole period can still catch up.
PUBLIC_READINGS_RETENTION_MS = 90 * DAY_MS
# Dead letters wait for an operator: two weeks to look, fix and replay.
DLQ_RETENTION_MS = 14 * DAY_MS
DLQ_PARTITIONS = 1  # dead letters are rare and unordered


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)  # Kafka topic configs, e.g. retention.ms


def _config(
    replication_factor: int,
    *,
    retention_ms: int | None = None,
    compact: bool = False,
    segment_ms: int | None = None,
) -> dict[str, str]:
    config = {
        "cleanup.policy": "compact" if compact else "delete",
        # acks=all then survives one broker down; on a single broker 1 is all there is
        "min.insync.replicas": str(min(2, replication_factor)),
    }
    if retention_ms is not None:
        config["retention.ms"] = str(retention_ms)
    if segment_ms is not None:
        config["segment.ms"] = str(segment_ms)
    return config


def topic_plan(partitions: int = 6, replication_factor: int = 3) -> tuple[TopicSpec, ...]:
    """Every topic of DESIGN §3 and its `.dlq` twin. `partitions` bounds the replicas of each
    consuming service (a group gives each partition to one consumer): the autoscalers' maximum."""

    def spec(name: str, **config: Any) -> TopicSpec:
        return TopicSpec(name, partitions, replication_factor, _config(replication_factor, **config))

    main = [
        *(
            spec(t, retention_ms=PERSONAL_RETENTION_MS, segment_ms=PERSONAL_SEGMENT_MS)
            for t in PERSONAL_TOPICS
        ),
        spec(READINGS_COMMANDS, retention_ms=COMMAND_RETENTION_MS),
        *(spec(events_topic(s), retention_ms=EVENT_RETENTION_MS) for s in SERVICES),
        spec(BILLING_READINGS_V1, retention_ms=PUBLIC_READINGS_RETENTION_MS),
        # State: the latest registry record per account number is all that matters.
        spec(BILLING_REGISTRY_V1, compact=True),
        # State too: the latest balance per account number (an older as-of never wins anyway).
        spec(BILLING_BALANCES_V1, compact=True),
    ]
    dlqs = [
        TopicSpec(
            dlq_topic(t.name),
            DLQ_PARTITIONS,
            replication_factor,
            _config(replication_factor, retention_ms=DLQ_RETENTION_MS)
            if t.name not in PERSONAL_TOPICS
            else dict(t.config),
        )
        for t in main
    ]
    return (*main, *dlqs)


async def apply_topic_plan(
    bootstrap: str, plan: Sequence[TopicSpec], client_options: Mapping[str, Any] | None = None
) -> list[str]:
    """Create the topics of `plan` that are missing (with their configs); existing ones are kept as
    they are (a partition count is never changed behind the operators' back). Returns those created."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, client_id="meterbot-topics", **dict(client_options or {})
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in plan if t.name not in existing]
        if missing:
            new = [
                NewTopic(t.name, t.partitions, t.replication_factor, topic_configs=dict(t.config))
                for t in missing
            ]
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass  # a concurrent starter created them
        return [t.name for t in missing]
    finally:
        await admin.close()


def strimzi_topics(plan: Sequence[TopicSpec], cluster: str = "meterbot") -> list[dict[str, Any]]:
    """The plan as Strimzi KafkaTopic resources (the topic operator then owns the topics)."""
    return [
        {
            "apiVersion": "kafka.strimzi.io/v1beta2",
            "kind": "KafkaTopic",
            "metadata": {"name": t.name, "labels": {"strimzi.io/cluster": cluster}},
            "spec": {
                "topicName": t.name,
                "partitions": t.partitions,
                "replicas": t.replication_factor,
                "config": dict(t.config),
            },
        }
        for t in plan
    ]


def settings_plan() -> tuple[tuple[TopicSpec, ...], str, dict[str, Any]]:
    """The plan, bootstrap and client options from METERBOT_KAFKA_* settings."""
    from meterbot_platform.kafka_security import client_options
    from meterbot_platform.settings import KafkaSettings

    settings = KafkaSettings()
    plan = topic_plan(settings.kafka_partitions, settings.kafka_replication_factor)
    return plan, settings.kafka_bootstrap, client_options(settings)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meterbot_platform.topic_plan", description=__doc__)
    parser.add_argument("action", choices=("apply", "show", "strimzi"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    plan, bootstrap, options = settings_plan()
    if args.action == "show":
        for t in plan:
            config = " ".join(f"{k}={v}" for k, v in sorted(t.config.items()))
            print(f"{t.name} partitions={t.partitions} replicas={t.replication_factor} {config}")
    elif args.action == "strimzi":
        # JSON is YAML: kustomize reads these documents as they are.
        for doc in strimzi_topics(plan):
            print("---")
            print(json.dumps(doc, indent=2))
    else:
        created = asyncio.run(_apply_with_retry(bootstrap, plan, options))
        print(f"topic plan applied on {bootstrap}: {len(created)} created, {len(plan) - len(created)} kept")
    return 0


async def _apply_with_retry(
    bootstrap: str, plan: Sequence[TopicSpec], options: Mapping[str, Any], attempts: int = 60
) -> list[str]:
    """A Job/compose one-shot may start before the brokers answer: wait for them, loudly."""
    for attempt in range(1, attempts + 1):
        try:
            return await apply_topic_plan(bootstrap, plan, options)
        except Exception as exc:
            if attempt == attempts:
                raise
            log.warning("Kafka not reachable yet (%s); retry %d/%d", exc, attempt, attempts)
            await asyncio.sleep(2)
    raise AssertionError("unreachable")


if __name__ == "__main__":
    sys.exit(main())
