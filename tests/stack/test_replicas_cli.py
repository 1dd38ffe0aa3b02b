"""`meterbot up --replicas`: what it accepts, what it refuses and why, and where replicas listen."""

from __future__ import annotations

import pytest

from meterbot.services import SERVICES, Instance, instances, parse_replicas, port_of

pytestmark = pytest.mark.unit


def test_counts_per_service_repeatable_or_comma_separated() -> None:
    assert parse_replicas(["readings=2", "accounts=3,identity=1"]) == {
        "readings": 2,
        "accounts": 3,
        "identity": 1,
    }
    keys = [i.key for i in instances({"readings": 2})]
    assert keys == ["identity", "accounts", "readings", "readings#2", "billing-export", "telegram-gateway"]


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("reading=2", "unknown service 'reading'"),
        ("readings=0", "the count must be 1..6"),
        ("readings=7", "the count must be 1..6"),
        ("readings=two", "the count must be 1..6"),
        ("telegram-gateway=2", "both poll Telegram"),
    ],
)
def test_refused_with_the_reason(spec: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_replicas([spec])


def test_first_replicas_keep_their_ports_and_others_get_their_own() -> None:
    readings = next(s for s in SERVICES if s.name == "readings")
    assert port_of(Instance(readings, 1), 8100) == 8103
    assert port_of(Instance(readings, 2), 8100) == 8123
    ports = {port_of(i, 8100) for i in instances({n.name: 6 for n in SERVICES[:4]})}
    assert len(ports) == 4 * 6 + 1  # every process its own port
