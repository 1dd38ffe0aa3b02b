"""Composition root of the readings service: nothing is built at import time."""

from __future__ import annotations

from meterbot_contracts.all import default_registry
from meterbot_contracts.topics import ACCOUNTS_EVENTS, BILLING_EXPORT_EVENTS, READINGS_COMMANDS
from meterbot_platform.consumer import subscribe
from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.runtime import main as run_main

SERVICE = "readings"


async def wire(runtime: Runtime) -> None:
    subscribe(
        runtime.broker,
        [READINGS_COMMANDS, ACCOUNTS_EVENTS, BILLING_EXPORT_EVENTS],
        service=SERVICE,
        group_id=SERVICE,
        registry=default_registry,
        handlers={},
    )


SPEC = ServiceSpec(name=SERVICE, database="readings", wire=wire)


def main() -> None:
    run_main(SPEC)
