"""docker-compose.yml: valid against the Compose Specification schema (vendored) and wired as designed;
its kafka-init applies the topic plan (meterbot_platform.topic_plan), the one source of topics."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from deploy_testlib import (
    COMMAND_EVENT_PARTITIONS,
    DEPLOY,
    GATEWAY_SETTINGS,
    REPO,
    REQUIRED_SECRETS,
    SERVICES,
    SETTINGS,
    load_yaml,
)

pytestmark = pytest.mark.deploy

SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_vendored_schema_is_unchanged() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256, (
        "tests/deploy/schemas/compose-spec.json changed: update it as tests/deploy/schemas/README.md says"
    )


def test_compose_file_matches_compose_specification(compose: dict[str, Any]) -> None:
    errors = sorted(validator().iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_schema_catches_a_mistake(compose: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["identity"]["depends_on"] = {"kafka": {"condition": "service_ready"}}
    assert list(validator().iter_errors(broken))


def test_stack_has_every_part(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        *SERVICES, "kafka", "kafka-init", "postgres", "prometheus", "alertmanager", "grafana"
    }  # fmt: skip


@pytest.mark.parametrize("service", SERVICES)
def test_meterbot_service(compose: dict[str, Any], service: str) -> None:
    svc = compose["services"][service]
    assert svc["build"] == {
        "context": ".",
        "dockerfile": "deploy/docker/Dockerfile",
        "args": {"SERVICE": service},
    }
    env = svc["environment"]
    assert set(SETTINGS) <= set(env)
    assert env["METERBOT_KAFKA_IDEMPOTENT"] == "true"
    assert env["METERBOT_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert (
        env["METERBOT_POSTGRES_DSN"].startswith("postgresql://")
        and "@postgres:5432/" in env["METERBOT_POSTGRES_DSN"]
    )
    assert env["METERBOT_HTTP_PORT"] == "8080"
    if service == "telegram-gateway":
        assert set(GATEWAY_SETTINGS) <= set(env)
        # required from the environment, never a value in the file
        assert env["METERBOT_TELEGRAM_TOKEN"].startswith("${METERBOT_TELEGRAM_TOKEN:?")
    else:
        assert not set(GATEWAY_SETTINGS) & set(env)
    # Each secret only where it is used, required from the environment (.env), never a value here.
    for name, owner in REQUIRED_SECRETS.items():
        if service == owner:
            assert env[name].startswith("${" + name + ":?set " + name), env[name]
        else:
            assert name not in env
    assert svc["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
        "kafka-init": {"condition": "service_completed_successfully"},
    }
    test = svc["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python" and "http://127.0.0.1:8080/readyz" in test[-1]
    assert svc["read_only"] is True


def test_kafka_is_single_node_kraft(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_NODE_ID"] == 1
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert "PLAINTEXT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_kafka_init_applies_the_topic_plan(compose: dict[str, Any]) -> None:
    init = compose["services"]["kafka-init"]
    assert init["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    assert init["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert init["command"] == ["python", "-m", "meterbot_platform.topic_plan", "apply"]
    env = init["environment"]
    assert env["METERBOT_KAFKA_BOOTSTRAP"] == "kafka:9092"
    assert env["METERBOT_KAFKA_PARTITIONS"] == str(COMMAND_EVENT_PARTITIONS)
    assert env["METERBOT_KAFKA_REPLICATION_FACTOR"] == "1"  # one broker
    # no second, hand-kept list of topics
    assert not (DEPLOY / "docker" / "kafka-create-topics.sh").exists()


@pytest.mark.parametrize("service", SERVICES)
def test_services_never_create_topics(compose: dict[str, Any], service: str) -> None:
    env = compose["services"][service]["environment"]
    assert str(env.get("METERBOT_KAFKA_CREATE_TOPICS", "false")).lower() == "false"


def test_prometheus_notifies_alertmanager_which_has_a_webhook_receiver(compose: dict[str, Any]) -> None:
    alertmanager = compose["services"]["alertmanager"]
    assert alertmanager["image"].startswith("prom/alertmanager:v")
    assert "./deploy/alertmanager:/etc/alertmanager:ro" in alertmanager["volumes"]
    config = load_yaml(DEPLOY / "prometheus" / "prometheus.yml")
    [target] = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert target == "alertmanager:9093"
    am = load_yaml(DEPLOY / "alertmanager" / "alertmanager.yml")
    receivers = {r["name"]: r for r in am["receivers"]}
    assert receivers[am["route"]["receiver"]]["webhook_configs"][0]["url"].startswith("http")


def test_alertmanager_config_is_valid(tmp_path: Path) -> None:
    from deploy_testlib import check_run, require_tool

    amtool = require_tool("amtool", "`apt-get install -y prometheus-alertmanager` (Debian)")
    out = check_run([amtool, "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml")])
    assert "SUCCESS" in out


def test_postgres(compose: dict[str, Any]) -> None:
    pg = compose["services"]["postgres"]
    assert pg["image"] == "postgres:16"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["environment"]["POSTGRES_USER"] == "meterbot"


def test_monitoring_mounts_exist(compose: dict[str, Any]) -> None:
    for name in ("prometheus", "grafana"):
        for volume in compose["services"][name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name}: {source} does not exist"
    assert compose["services"]["prometheus"]["image"].startswith("prom/prometheus:")
    assert compose["services"]["grafana"]["image"].startswith("grafana/grafana:")
    assert "--config.file=/etc/prometheus/prometheus.yml" in compose["services"]["prometheus"]["command"]


def test_no_secret_values_in_compose() -> None:
    text = (REPO / "docker-compose.yml").read_text(encoding="utf-8")
    for name in ("METERBOT_TELEGRAM_TOKEN", *REQUIRED_SECRETS):
        for line in text.splitlines():
            if f"{name}:" in line and not line.lstrip().startswith("#"):
                assert "${" + name + ":?" in line, line


def test_env_example_names_every_required_variable_and_holds_no_value() -> None:
    """compose reads the secrets from .env (never committed); .env.example says which, empty."""
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    assignments = dict(
        line.split("=", 1) for line in example.splitlines() if line.strip() and not line.startswith("#")
    )
    assert {"METERBOT_TELEGRAM_TOKEN", *REQUIRED_SECRETS} <= set(assignments)
    assert not any(assignments.values()), "the example must not carry a value"
    assert ".env" in (REPO / ".gitignore").read_text(encoding="utf-8").split()


def test_tests_run_on_the_broker_compose_ships(compose: dict[str, Any]) -> None:
    from meterbot_testing.apache_kafka import BROKER_ENV, KAFKA_IMAGE

    kafka = compose["services"]["kafka"]
    assert kafka["image"] == KAFKA_IMAGE
    for name in (
        "KAFKA_PROCESS_ROLES",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    ):
        assert BROKER_ENV[name] == str(kafka["environment"][name]), name
