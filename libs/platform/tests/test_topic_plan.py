"""The topic plan: one source of truth for every topic, its partitions, replication and retention."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from meterbot_contracts.topics import ALL_TOPICS, ALL_TOPICS_WITH_DLQ, BILLING_REGISTRY_V1, dlq_topic
from meterbot_platform.settings import KafkaSettings
from meterbot_platform.topic_plan import (
    COMMAND_RETENTION_MS,
    apply_topic_plan,
    strimzi_topics,
    topic_plan,
)

pytestmark = pytest.mark.unit


def test_plan_names_every_topic_and_its_dlq_once() -> None:
    names = [t.name for t in topic_plan()]
    assert sorted(names) == sorted(ALL_TOPICS_WITH_DLQ)
    assert len(names) == len(set(names))


def test_production_defaults_replicate_and_never_auto_create(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("METERBOT_KAFKA_CREATE_TOPICS", "METERBOT_KAFKA_REPLICATION_FACTOR"):
        monkeypatch.delenv(name, raising=False)
    settings = KafkaSettings()
    assert settings.kafka_create_topics is False
    plan = topic_plan(settings.kafka_partitions, settings.kafka_replication_factor)
    for topic in plan:
        assert topic.replication_factor == 3, topic.name
        assert topic.config["min.insync.replicas"] == "2", topic.name


def test_commands_are_kept_a_week_and_state_is_compacted() -> None:
    plan = {t.name: t for t in topic_plan()}
    assert plan["meterbot.readings.commands"].config["retention.ms"] == str(COMMAND_RETENTION_MS)
    assert COMMAND_RETENTION_MS == 7 * 86_400_000
    for name in ("meterbot.identity.commands", "meterbot.accounts.commands", "meterbot.readings.commands"):
        assert plan[name].config["cleanup.policy"] == "delete"
    assert plan[BILLING_REGISTRY_V1].config["cleanup.policy"] == "compact"
    assert plan["meterbot.readings.events"].config["retention.ms"] == "-1"  # read models rebuild from it


def test_commands_with_personal_data_and_their_dead_letters_are_kept_a_day() -> None:
    plan = {t.name: t for t in topic_plan()}
    for name in ("meterbot.identity.commands", "meterbot.accounts.commands"):
        for topic in (name, dlq_topic(name)):
            assert plan[topic].config["retention.ms"] == str(86_400_000)
            assert plan[topic].config["segment.ms"] == str(3_600_000)  # old segments really go
    assert "segment.ms" not in plan[dlq_topic("meterbot.readings.commands")].config


def test_dlq_twins_have_one_partition_and_main_topics_the_setting() -> None:
    plan = {t.name: t for t in topic_plan(partitions=6, replication_factor=1)}
    for name in ALL_TOPICS:
        assert plan[name].partitions == 6
        assert plan[dlq_topic(name)].partitions == 1
        assert plan[name].config["min.insync.replicas"] == "1"  # a single broker


def test_strimzi_resources_follow_the_plan() -> None:
    plan = topic_plan()
    resources = strimzi_topics(plan)
    assert [r["spec"]["topicName"] for r in resources] == [t.name for t in plan]
    assert all(r["metadata"]["labels"] == {"strimzi.io/cluster": "meterbot"} for r in resources)


@pytest.mark.integration
async def test_apply_creates_missing_topics_with_their_configs(
    kafka_settings: KafkaSettings, topic_suffix: str
) -> None:
    plan = [
        dataclasses.replace(t, name=f"{t.name}.{topic_suffix}")
        for t in topic_plan(partitions=2, replication_factor=1)
    ]
    bootstrap = kafka_settings.kafka_bootstrap
    assert sorted(await apply_topic_plan(bootstrap, plan)) == sorted(t.name for t in plan)
    assert await apply_topic_plan(bootstrap, plan) == []  # applying again keeps them
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = {d["topic"]: d for d in await admin.describe_topics([t.name for t in plan])}
        for spec in plan:
            assert len(described[spec.name]["partitions"]) == spec.partitions
    finally:
        await admin.close()


def test_asyncapi_states_the_public_topics_as_planned() -> None:
    import yaml

    doc = yaml.safe_load((Path(__file__).resolve().parents[3] / "docs" / "asyncapi.yaml").read_text("utf-8"))
    plan = {t.name: t for t in topic_plan()}
    for channel in doc["channels"].values():
        binding = channel["bindings"]["kafka"]
        topic = plan[binding["topic"]]
        assert (binding["partitions"], binding["replicas"]) == (topic.partitions, topic.replication_factor)
        config = binding["topicConfiguration"]
        assert config["cleanup.policy"] == [topic.config["cleanup.policy"]]
        assert str(config.get("retention.ms", "")) == topic.config.get("retention.ms", "")
