"""The topics the gateway talks on: the fixed names by default, suffixed ones in tests (a shared
broker keeps tests apart by topic name)."""

from __future__ import annotations

from dataclasses import dataclass, fields

from meterbot_contracts import topics as fixed
from meterbot_contracts.topics import dlq_topic


@dataclass(frozen=True)
class GatewayTopics:
    identity_commands: str = fixed.IDENTITY_COMMANDS
    accounts_commands: str = fixed.ACCOUNTS_COMMANDS
    readings_commands: str = fixed.READINGS_COMMANDS
    identity_events: str = fixed.IDENTITY_EVENTS
    accounts_events: str = fixed.ACCOUNTS_EVENTS
    readings_events: str = fixed.READINGS_EVENTS
    billing_export_events: str = fixed.BILLING_EXPORT_EVENTS  # PeriodClosed: residents are told

    @property
    def events(self) -> list[str]:
        return [self.identity_events, self.accounts_events, self.readings_events, self.billing_export_events]

    @property
    def commands(self) -> list[str]:
        return [self.identity_commands, self.accounts_commands, self.readings_commands]

    def all_with_dlq(self) -> list[str]:
        names = [getattr(self, f.name) for f in fields(self)]
        return names + [dlq_topic(n) for n in names]

    def suffixed(self, suffix: str) -> GatewayTopics:
        return GatewayTopics(**{f.name: f"{getattr(self, f.name)}.{suffix}" for f in fields(self)})
