"""accounts' own Prometheus metrics. Labels hold no personal data: outcomes only."""

from __future__ import annotations

from prometheus_client import Counter

LINK_ATTEMPTS = Counter(
    "meterbot_link_attempts_total",
    "Account link attempts, by outcome (linked|wrong_pair|unknown_account|locked_out)",
    ["service", "outcome"],
)
LINK_LOCKOUTS = Counter(
    "meterbot_link_lockouts_total",
    "Wrong link tries that used up a chat's last attempt and locked it out",
    ["service"],
)
REGISTRY_ACCOUNTS = Counter(
    "meterbot_registry_accounts_total",
    "Registry records applied, by outcome (registered: new or changed; unchanged)",
    ["service", "outcome"],
)
