"""identity's own Prometheus metrics. Labels hold no personal data: outcomes only."""

from __future__ import annotations

from prometheus_client import Counter

REGISTRATIONS = Counter(
    "meterbot_resident_registrations_total",
    "Shared contacts, by outcome (registered|contact_updated|foreign_contact)",
    ["service", "outcome"],
)
ERASURES = Counter("meterbot_resident_erasures_total", "Residents erased (their key deleted)", ["service"])
