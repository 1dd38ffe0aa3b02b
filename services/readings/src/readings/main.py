"""Composition root of the readings service: nothing is built at import time.

settings -> policy -> subscribers (commands + facts from accounts and billing-export; the registry
in batches) -> projections -> HTTP routes. The platform runtime owns the pool, broker, outbox relay
(meter streams -> meterbot.readings.events) and the process lifetime."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

from meterbot_contracts.billing import RegistryRecord, RegistryRecordV2
from meterbot_contracts.topics import (
    ACCOUNTS_EVENTS,
    BILLING_EXPORT_EVENTS,
    BILLING_REGISTRY_V1,
    READINGS_COMMANDS,
)
from meterbot_platform.clock import Clock, utc_now
from meterbot_platform.consumer import BULK, one_message
from meterbot_platform.runtime import Runtime, ServiceSpec, Wire
from meterbot_platform.runtime import main as run_main
from meterbot_platform.settings import PeriodSettings

from readings import SERVICE
from readings.application.commands import COMMANDS, Deps, command_handler
from readings.application.facts import fact_handlers
from readings.application.reconciliation import reconciliation_handlers
from readings.application.registry import registry_handler
from readings.archive import MeterArchive, archive_routes
from readings.domain import ReadingPolicy, period_of
from readings.http import routes
from readings.migrations import MIGRATIONS
from readings.projections import projections
from readings.settings import ReadingsSettings

# A projection's transaction holds back the outbox relay (it reads only below the oldest running
# transaction, and a view applies one statement per event): short batches keep the answers
# flowing while the views catch up. Probe, 3,000 readings at once, load 8-12: 500 (the default)
# 245/s, 50 590/s, 100 728/s.
PROJECTION_BATCH = 100


def make_wire(
    clock: Clock = utc_now, new_id: Callable[[], UUID] = uuid4, policy: ReadingPolicy | None = None
) -> Wire:
    """The service's wiring; tests pass a fixed clock (and a policy instead of the settings)."""

    async def wire(runtime: Runtime) -> None:
        # the settings, read once here and passed down
        rules = policy or ReadingsSettings().policy(PeriodSettings())
        deps = Deps(store=runtime.store, policy=rules, clock=clock, new_id=new_id)
        commands = command_handler(runtime.pool, deps)
        one_at_a_time = {
            **fact_handlers(runtime.pool),
            **reconciliation_handlers(runtime.pool, runtime.store),
        }
        runtime.subscribe_groups(
            [READINGS_COMMANDS, ACCOUNTS_EVENTS, BILLING_EXPORT_EVENTS],
            # commands: a poll's commands in one transaction (group commit); the facts one by one
            handlers={
                **dict.fromkeys(COMMANDS, commands),
                **{cls: one_message(handler) for cls, handler in one_at_a_time.items()},
            },
            single=list(one_at_a_time),
        )
        records = registry_handler(runtime.pool, runtime.store)
        runtime.subscribe_batch(
            BILLING_REGISTRY_V1,
            handled=[RegistryRecord, RegistryRecordV2],
            handler=records,
            group_id=f"{SERVICE}.registry",
            **BULK,
        )
        runtime.project([*projections(), MeterArchive()], batch_size=PROJECTION_BATCH)
        runtime.routes.extend(routes(runtime.pool, lambda: period_of(clock(), rules.time_zone)))
        runtime.routes.extend(archive_routes(runtime.pool))

    return wire


SPEC = ServiceSpec(name=SERVICE, database="readings", migrations=MIGRATIONS, wire=make_wire())


def main() -> None:
    run_main(SPEC)
