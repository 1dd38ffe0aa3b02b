"""readings' own Prometheus metrics. Labels hold no personal data: meter types and reasons only."""

from __future__ import annotations

from prometheus_client import Counter

READINGS_ACCEPTED = Counter(
    "meterbot_readings_accepted_total", "Readings accepted, by meter type", ["service", "meter_type"]
)
READINGS_REJECTED = Counter(
    "meterbot_readings_rejected_total", "Readings refused, by reason", ["service", "reason"]
)
WITHDRAWALS = Counter(
    "meterbot_readings_withdrawals_total",
    "Withdrawal requests, by outcome (withdrawn or the refusal reason)",
    ["service", "outcome"],
)
