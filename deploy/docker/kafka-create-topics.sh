#!/usr/bin/env bash
# Creates meterbot's Kafka topics (DESIGN §3) on KAFKA_BOOTSTRAP; run once by docker-compose's kafka-init
# service (auto topic creation is off on the broker). Safe to run again: existing topics are kept.
#   KAFKA_BOOTSTRAP     broker address (default kafka:9092)
#   TOPIC_PARTITIONS    partitions of each commands/events/public topic (default 6, as in production)
#   DLQ_PARTITIONS      partitions of each .dlq twin (default 1: dead letters are rare and unordered)
#   REPLICATION_FACTOR  default 1 (single broker)
#   KAFKA_TOPICS_SH     path of kafka-topics.sh (default /opt/kafka/bin/kafka-topics.sh, as in apache/kafka)
set -euo pipefail

KAFKA_BOOTSTRAP="${KAFKA_BOOTSTRAP:-kafka:9092}"
TOPIC_PARTITIONS="${TOPIC_PARTITIONS:-6}"
DLQ_PARTITIONS="${DLQ_PARTITIONS:-1}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-1}"
KAFKA_TOPICS="${KAFKA_TOPICS_SH:-/opt/kafka/bin/kafka-topics.sh}"

TOPICS=(
  meterbot.identity.commands
  meterbot.accounts.commands
  meterbot.readings.commands
  meterbot.identity.events
  meterbot.accounts.events
  meterbot.readings.events
  meterbot.billing-export.events
  meterbot.telegram-gateway.events
  meterbot.billing.readings.v1
  meterbot.billing.registry.v1
)

create() {  # topic partitions
  "$KAFKA_TOPICS" --bootstrap-server "$KAFKA_BOOTSTRAP" --create --if-not-exists \
    --topic "$1" --partitions "$2" --replication-factor "$REPLICATION_FACTOR"
}

# Each kafka-topics.sh call starts a JVM: run four at a time, and fail if any failed.
specs=()
for topic in "${TOPICS[@]}"; do
  specs+=("$topic:$TOPIC_PARTITIONS" "$topic.dlq:$DLQ_PARTITIONS")
done
failed=0
pids=()
for spec in "${specs[@]}"; do
  create "${spec%%:*}" "${spec##*:}" & pids+=($!)
  if [ "${#pids[@]}" -ge 4 ]; then
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    pids=()
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
if [ "$failed" -ne 0 ]; then
  echo "kafka-init: creating topics failed" >&2
  exit 1
fi

"$KAFKA_TOPICS" --bootstrap-server "$KAFKA_BOOTSTRAP" --list
echo "kafka-init: ${#TOPICS[@]} topics and their .dlq twins are ready"
