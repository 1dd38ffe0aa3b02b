"""The broker docker-compose.yml ships (apache/kafka, KRaft, one node) as a testcontainer, so the
integration tests run on what production runs whenever a Docker engine answers. testcontainers'
own KafkaContainer only drives Confluent images."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

# Must equal docker-compose.yml's kafka image (tests/deploy/test_compose.py checks it).
KAFKA_IMAGE = "apache/kafka:3.9.1"
CLIENT_PORT = 9092  # advertised as the host's mapped port, known only once the container runs
START_SCRIPT = "/tmp/meterbot-start.sh"

# As in docker-compose.yml: KRaft single node, no topic auto-creation (the topic plan creates them).
BROKER_ENV = {
    "CLUSTER_ID": "R3Tw35SlQ_iPstfwEibvxw",
    "KAFKA_NODE_ID": "1",
    "KAFKA_PROCESS_ROLES": "broker,controller",
    "KAFKA_LISTENERS": "PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
    "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
    "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
}


@contextmanager
def apache_kafka(image: str = KAFKA_IMAGE, timeout: float = 120) -> Iterator[str]:
    """Start the broker; yield its bootstrap address on this host."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    container = DockerContainer(image).with_exposed_ports(CLIENT_PORT)
    for name, value in BROKER_ENV.items():
        container.with_env(name, value)
    # The image's own start command runs once the advertised address (the mapped port) is written.
    container.with_command(
        ["bash", "-c", f"while [ ! -f {START_SCRIPT} ]; do sleep 0.1; done; exec bash {START_SCRIPT}"]
    )
    with container:
        bootstrap = f"{container.get_container_host_ip()}:{container.get_exposed_port(CLIENT_PORT)}"
        script = (
            f"export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{bootstrap},BROKER://localhost:9093\n"
            "exec /etc/kafka/docker/run\n"
        )
        container.copy_into_container(script.encode(), START_SCRIPT)
        wait_for_logs(container, "Kafka Server started", timeout=timeout)
        yield bootstrap
