"""Composition root of the accounts service: nothing is built at import time."""

from __future__ import annotations

from meterbot_contracts.all import default_registry
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, BILLING_REGISTRY_V1
from meterbot_platform.consumer import subscribe
from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.runtime import main as run_main

SERVICE = "accounts"


async def wire(runtime: Runtime) -> None:
    subscribe(
        runtime.broker,
        [ACCOUNTS_COMMANDS, BILLING_REGISTRY_V1],
        service=SERVICE,
        group_id=SERVICE,
        registry=default_registry,
        handlers={},
    )


SPEC = ServiceSpec(name=SERVICE, database="accounts", wire=wire)


def main() -> None:
    run_main(SPEC)
