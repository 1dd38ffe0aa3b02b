"""Composition root of the telegram-gateway service: nothing is built at import time."""

from __future__ import annotations

from meterbot_contracts.all import default_registry
from meterbot_contracts.topics import IDENTITY_EVENTS, ACCOUNTS_EVENTS, READINGS_EVENTS
from meterbot_platform.consumer import subscribe
from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.runtime import main as run_main

SERVICE = "telegram-gateway"


async def wire(runtime: Runtime) -> None:
    subscribe(
        runtime.broker,
        [IDENTITY_EVENTS, ACCOUNTS_EVENTS, READINGS_EVENTS],
        service=SERVICE,
        group_id=SERVICE,
        registry=default_registry,
        handlers={},
    )


SPEC = ServiceSpec(name=SERVICE, database="gateway", wire=wire)


def main() -> None:
    run_main(SPEC)
