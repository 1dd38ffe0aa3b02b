"""Composition root of the accounts service: nothing is built at import time.

settings -> link policy -> subscribers (commands; the registry in batches) -> projections. The
platform runtime owns the pool, broker, outbox relay (account and link-attempt streams ->
meterbot.accounts.events) and the process lifetime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import BalanceRecord, RegistryRecord
from meterbot_contracts.topics import (
    ACCOUNTS_COMMANDS,
    BILLING_BALANCES_V1,
    BILLING_REGISTRY_V1,
    IDENTITY_EVENTS,
)
from meterbot_platform.consumer import subscribe, subscribe_batch
from meterbot_platform.projection import ProjectionRunner
from meterbot_platform.runtime import Runtime, ServiceSpec
from meterbot_platform.runtime import main as run_main

from accounts import SERVICE
from accounts.application.balances import balances_handler
from accounts.application.erasure import erasure_handlers
from accounts.application.linking import COMMANDS, Clock, Deps, command_handler, utc_now
from accounts.application.registry import registry_handler
from accounts.migrations import MIGRATIONS
from accounts.projections import projections
from accounts.settings import AccountsSettings, SurnameKeySettings

Wire = Callable[[Runtime], Awaitable[None]]
# The registry comes in bulk and nobody waits on one record: fuller polls make fewer transactions.
REGISTRY_BATCH = 1000
REGISTRY_FETCH_WAIT_MS = 200


def make_wire(clock: Clock = utc_now, group_id: str = SERVICE) -> Wire:
    """The service's wiring; tests pass a clock they move and a consumer group of their own."""

    async def wire(runtime: Runtime) -> None:
        settings, keyring = AccountsSettings(), SurnameKeySettings().keyring()
        deps = Deps(
            store=runtime.store,
            policy=settings.link_policy(),
            clock=clock,
            keyring=keyring,
            account_policy=settings.account_link_policy(),
        )
        subscribe_batch(
            runtime.broker,
            ACCOUNTS_COMMANDS,
            service=SERVICE,
            group_id=group_id,
            registry=default_registry,
            handled=COMMANDS,
            handler=command_handler(runtime.pool, deps),
            options=runtime.consumers,
        )
        subscribe_batch(
            runtime.broker,
            BILLING_REGISTRY_V1,
            service=SERVICE,
            group_id=f"{group_id}.registry",
            registry=default_registry,
            handled=[RegistryRecord],
            handler=registry_handler(runtime.pool, keyring, runtime.store),
            max_records=REGISTRY_BATCH,
            fetch_max_wait_ms=REGISTRY_FETCH_WAIT_MS,
            options=runtime.consumers,
        )
        subscribe_batch(  # billing's balances (issue 15): one stream per account, newest as-of wins
            runtime.broker,
            BILLING_BALANCES_V1,
            service=SERVICE,
            group_id=f"{group_id}.balances",
            registry=default_registry,
            handled=[BalanceRecord],
            handler=balances_handler(runtime.pool, runtime.store),
            max_records=REGISTRY_BATCH,
            fetch_max_wait_ms=REGISTRY_FETCH_WAIT_MS,
            options=runtime.consumers,
        )
        subscribe(  # identity's events: ResidentErased is all it handles there
            runtime.broker,
            IDENTITY_EVENTS,
            service=SERVICE,
            group_id=f"{group_id}.erasure",
            registry=default_registry,
            handlers=erasure_handlers(runtime.pool, deps),
            options=runtime.consumers,
        )
        for projection in projections():
            runtime.background.append(ProjectionRunner(runtime.readers, projection, service=SERVICE).run)

    return wire


SPEC = ServiceSpec(name=SERVICE, database="accounts", migrations=MIGRATIONS, wire=make_wire())


def main() -> None:
    run_main(SPEC)
