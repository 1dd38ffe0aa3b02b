"""Prometheus metrics every service shares. Labels never hold personal data (no chat ids,
phones, account numbers): only service names, message types, outcomes and reasons."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS_HANDLED = Counter(
    "meterbot_commands_handled_total",
    "Messages handled by a consumer, by type and outcome (accepted|rejected|duplicate|error)",
    ["service", "type", "outcome"],
)
HANDLER_DURATION = Histogram(
    "meterbot_handler_duration_seconds",
    "Time to handle one message, inbox to commit",
    ["service", "type"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_UNPUBLISHED = Gauge(
    "meterbot_outbox_unpublished_events", "Events committed but not yet published", ["service"]
)
OUTBOX_OLDEST_AGE = Gauge(
    "meterbot_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest event not yet published (0 when none)",
    ["service"],
)
OUTBOX_PUBLISHED = Counter(
    "meterbot_outbox_published_total", "Events the outbox relay published", ["service"]
)
EVENTS_HORIZON_HELD = Gauge(
    "meterbot_events_horizon_held_seconds",
    "How long the oldest transaction still running in the service's database has held back the"
    " outbox relay and projections (0 when none)",
    ["service"],
)
PROJECTION_LAG = Gauge(
    "meterbot_projection_lag_events", "Events not yet applied to a projection", ["service", "projection"]
)
CONSUMER_LAG = Gauge(
    "meterbot_consumer_lag_messages",
    "Messages on the topic not yet consumed by the group",
    ["service", "topic", "group"],
)
DLQ_MESSAGES = Counter(
    "meterbot_dlq_messages_total", "Messages parked on a dead-letter topic", ["service", "topic", "reason"]
)
