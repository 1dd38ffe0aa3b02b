"""Kafka topic names (fixed: DESIGN §3). Keys are noted beside each."""

IDENTITY_COMMANDS = "meterbot.identity.commands"  # key: chat id
ACCOUNTS_COMMANDS = "meterbot.accounts.commands"  # key: account number
READINGS_COMMANDS = "meterbot.readings.commands"  # key: meter id
BILLING_READINGS_V1 = "meterbot.billing.readings.v1"  # key: account number (public, outbound)
BILLING_REGISTRY_V1 = "meterbot.billing.registry.v1"  # key: account number (public, inbound)
BILLING_BALANCES_V1 = "meterbot.billing.balances.v1"  # key: account number (public, inbound)

SERVICES = ("identity", "accounts", "readings", "billing-export", "telegram-gateway")


def events_topic(service: str) -> str:
    """`meterbot.<service>.events`: one service's domain events, keyed by stream id."""
    return f"meterbot.{service}.events"


def dlq_topic(topic: str) -> str:
    """Where malformed or unknown messages of `topic` are parked, reason in headers."""
    return f"{topic}.dlq"


IDENTITY_EVENTS = events_topic("identity")
ACCOUNTS_EVENTS = events_topic("accounts")
READINGS_EVENTS = events_topic("readings")
BILLING_EXPORT_EVENTS = events_topic("billing-export")
GATEWAY_EVENTS = events_topic("telegram-gateway")

ALL_TOPICS = (
    IDENTITY_COMMANDS,
    ACCOUNTS_COMMANDS,
    READINGS_COMMANDS,
    IDENTITY_EVENTS,
    ACCOUNTS_EVENTS,
    READINGS_EVENTS,
    BILLING_EXPORT_EVENTS,
    GATEWAY_EVENTS,
    BILLING_READINGS_V1,
    BILLING_REGISTRY_V1,
    BILLING_BALANCES_V1,
)
ALL_TOPICS_WITH_DLQ = ALL_TOPICS + tuple(dlq_topic(t) for t in ALL_TOPICS)
