"""Composition root of the identity service: nothing is built at import time.

subscriber (commands) -> projections. The platform runtime owns the pool, broker, outbox relay
(resident streams -> meterbot.identity.events) and the process lifetime."""

from __future__ import annotations

from meterbot_contracts.topics import IDENTITY_COMMANDS
from meterbot_platform.runtime import Runtime, ServiceSpec, Wire
from meterbot_platform.runtime import main as run_main

from identity import SERVICE
from identity.application import Deps, command_handlers
from identity.migrations import MIGRATIONS
from identity.projections import projections


def make_wire(group_id: str = SERVICE) -> Wire:
    """The service's wiring; tests pass a consumer group of their own."""

    async def wire(runtime: Runtime) -> None:
        handlers = command_handlers(runtime.pool, Deps(store=runtime.store))
        runtime.subscribe(IDENTITY_COMMANDS, handlers=handlers, group_id=group_id)
        runtime.project(projections())

    return wire


SPEC = ServiceSpec(name=SERVICE, database="identity", migrations=MIGRATIONS, wire=make_wire())


def main() -> None:
    run_main(SPEC)
