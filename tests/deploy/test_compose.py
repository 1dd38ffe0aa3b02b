"""docker-compose.yml: valid against the Compose Specification schema (vendored) and wired as designed;
deploy/docker/kafka-create-topics.sh creates every topic."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from deploy_testlib import (
    COMMAND_EVENT_PARTITIONS,
    DEPLOY,
    GATEWAY_SETTINGS,
    REPO,
    SERVICES,
    SETTINGS,
    TOPICS,
    run,
)

pytestmark = pytest.mark.deploy

SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SCHEMA_SHA256 = "d549057ebc2925f39f62799eab0db7b9e2c18b35b6c00595199116da3ed10e64"
TOPICS_SCRIPT = DEPLOY / "docker" / "kafka-create-topics.sh"


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
        *SERVICES, "kafka", "kafka-init", "postgres", "prometheus", "grafana"
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


def test_kafka_init_runs_the_topic_script(compose: dict[str, Any]) -> None:
    init = compose["services"]["kafka-init"]
    assert init["image"] == compose["services"]["kafka"]["image"]
    assert init["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    [mount] = init["volumes"]
    source, target, mode = mount.split(":")
    assert (REPO / source).resolve() == TOPICS_SCRIPT and mode == "ro"
    assert init["entrypoint"] == ["bash", target]
    assert str(init["environment"]["TOPIC_PARTITIONS"]) == str(COMMAND_EVENT_PARTITIONS)
    assert "/opt/kafka/bin/kafka-topics.sh" in TOPICS_SCRIPT.read_text(encoding="utf-8")


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
    for line in text.splitlines():
        if "METERBOT_TELEGRAM_TOKEN:" in line and not line.lstrip().startswith("#"):
            assert "${METERBOT_TELEGRAM_TOKEN:?" in line, line


# --------------------------------------------------------------------------- kafka-create-topics.sh


def fake_kafka_topics(tmp_path: Path, fail_on: str = "") -> tuple[Path, Path]:
    calls = tmp_path / "calls"
    script = tmp_path / "kafka-topics.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> "{calls}"\n'
        f'case " $* " in *" --topic {fail_on} "*) [ -n "{fail_on}" ] && exit 1 ;; esac\n'
        "exit 0\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, calls


def run_topics_script(fake: Path) -> Any:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "KAFKA_TOPICS_SH": str(fake)}
    return run(["bash", str(TOPICS_SCRIPT)], env=env)


def created(calls: Path) -> dict[str, int]:
    out = {}
    for line in calls.read_text(encoding="utf-8").splitlines():
        args = line.split()
        if "--create" in args:
            assert "--if-not-exists" in args  # re-running the stack must not fail
            assert args[args.index("--bootstrap-server") + 1] == "kafka:9092"
            out[args[args.index("--topic") + 1]] = int(args[args.index("--partitions") + 1])
    return out


def test_topic_script_creates_every_topic_and_dlq(tmp_path: Path) -> None:
    fake, calls = fake_kafka_topics(tmp_path)
    proc = run_topics_script(fake)
    assert proc.returncode == 0, proc.stderr
    topics = created(calls)
    for topic in TOPICS:
        assert topics.get(topic) == COMMAND_EVENT_PARTITIONS, topic
        assert topic + ".dlq" in topics, topic + ".dlq"
    try:  # the contracts library, where present, must not know a topic the script does not create
        from meterbot_contracts.topics import ALL_TOPICS_WITH_DLQ
    except ImportError:
        pass
    else:
        assert set(ALL_TOPICS_WITH_DLQ) <= set(topics), set(ALL_TOPICS_WITH_DLQ) - set(topics)


def test_topic_script_fails_when_a_topic_cannot_be_created(tmp_path: Path) -> None:
    fake, _calls = fake_kafka_topics(tmp_path, fail_on="meterbot.readings.events")
    proc = run_topics_script(fake)
    assert proc.returncode != 0
    assert "failed" in proc.stderr
