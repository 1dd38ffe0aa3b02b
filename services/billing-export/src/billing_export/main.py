"""Composition root of the billing-export service: nothing is built at import time."""

from __future__ import annotations

from meterbot_contracts.all import default_registry
from meterbot_contracts.topics import READINGS_EVENTS
from meterbot_platform.consumer import subscribe
from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.runtime import main as run_main

SERVICE = "billing-export"


async def wire(runtime: Runtime) -> None:
    subscribe(
        runtime.broker,
        [READINGS_EVENTS],
        service=SERVICE,
        group_id=SERVICE,
        registry=default_registry,
        handlers={},
    )


SPEC = ServiceSpec(name=SERVICE, database="billing_export", wire=wire)


def main() -> None:
    run_main(SPEC)
