"""Composition root of the readings service: nothing is built at import time.

settings -> policy -> subscribers (commands + facts from accounts and billing-export; the registry
in batches) -> projections -> HTTP routes. The platform runtime owns the pool, broker, outbox relay
(meter streams -> meterbot.readings.events) and the process lifetime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID, uuid4

from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import RegistryRecord, RegistryRecordV2
from meterbot_contracts.topics import (
    ACCOUNTS_EVENTS,
    BILLING_EXPORT_EVENTS,
    BILLING_REGISTRY_V1,
    READINGS_COMMANDS,
)
from meterbot_platform.consumer import one_message, subscribe_batch, subscribe_groups
from meterbot_platform.projection import ProjectionRunner
from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.runtime import main as run_main
from meterbot_platform.settings import PeriodSettings

from readings import SERVICE
from readings.application.commands import COMMANDS, Clock, Deps, command_handler, utc_now
from readings.application.facts import fact_handlers
from readings.application.reconciliation import reconciliation_handlers
from readings.application.registry import registry_handler
from readings.domain import ReadingPolicy, period_of
from readings.http import routes
from readings.migrations import MIGRATIONS
from readings.projections import projections
from readings.settings import ReadingsSettings

Wire = Callable[[Runtime], Awaitable[None]]
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
        subscribe_groups(
            runtime.broker,
            [READINGS_COMMANDS, ACCOUNTS_EVENTS, BILLING_EXPORT_EVENTS],
            service=SERVICE,
            group_id=SERVICE,
            registry=default_registry,
            # commands: a poll's commands in one transaction (group commit); the facts one by one
            handlers={
                **dict.fromkeys(COMMANDS, commands),
                **{cls: one_message(handler) for cls, handler in one_at_a_time.items()},
            },
            single=list(one_at_a_time),
            options=runtime.consumers,
        )
        subscribe_batch(
            runtime.broker,
            BILLING_REGISTRY_V1,
            service=SERVICE,
            group_id=f"{SERVICE}.registry",
            registry=default_registry,
            handled=[RegistryRecord, RegistryRecordV2],
            handler=registry_handler(runtime.pool, runtime.store),
            # big polls: a transaction per 1000 records, not per the few a 10 ms fetch brings
            max_records=1000,
            fetch_max_wait_ms=200,
            options=runtime.consumers,
        )
        for projection in projections():
            runtime.background.append(
                ProjectionRunner(
                    runtime.readers, projection, service=SERVICE, batch_size=PROJECTION_BATCH
                ).run
            )
        runtime.routes.extend(routes(runtime.pool, lambda: period_of(clock(), rules.time_zone)))

    return wire


SPEC = ServiceSpec(name=SERVICE, database="readings", migrations=MIGRATIONS, wire=make_wire())


def main() -> None:
    run_main(SPEC)
