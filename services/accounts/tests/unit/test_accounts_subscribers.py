"""accounts' FastStream subscribers in memory (TestKafkaBroker, no Kafka, no PostgreSQL): the topics and
groups of its wiring, unreadable records parked, types it does not handle skipped by their headers."""

from __future__ import annotations

import dataclasses

import pytest
from accounts.domain import SurnameKeyring
from accounts.main import SPEC, make_wire
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.topics import (
    ACCOUNTS_COMMANDS,
    BILLING_BALANCES_V1,
    BILLING_REGISTRY_V1,
    IDENTITY_EVENTS,
)
from meterbot_testing.in_memory import check_subscribers

pytestmark = pytest.mark.unit


async def test_subscribers_park_what_they_cannot_read_and_skip_what_is_not_theirs() -> None:
    keyring = SurnameKeyring("test", b"accounts-subscribers-test-surname-key!")
    await check_subscribers(
        dataclasses.replace(SPEC, wire=make_wire(keyring=keyring)),
        {
            ACCOUNTS_COMMANDS: "accounts",
            BILLING_REGISTRY_V1: "accounts.registry",
            BILLING_BALANCES_V1: "accounts.balances",
            IDENTITY_EVENTS: "accounts.erasure",
        },
        not_handled=ReadingSubmitted,
    )
