"""Composition root of the accounts service: nothing is built at import time.

settings -> link policy -> subscribers (commands; the registry in batches) -> projections. The
platform runtime owns the pool, broker, outbox relay (account and link-attempt streams ->
meterbot.accounts.events) and the process lifetime."""

from __future__ import annotations

import sys

from meterbot_contracts.billing import BalanceRecord, RegistryRecord, RegistryRecordV2
from meterbot_contracts.topics import (
    ACCOUNTS_COMMANDS,
    BILLING_BALANCES_V1,
    BILLING_REGISTRY_V1,
    IDENTITY_EVENTS,
)
from meterbot_platform.clock import Clock, utc_now
from meterbot_platform.consumer import BULK
from meterbot_platform.runtime import Runtime, ServiceSpec, Wire
from meterbot_platform.runtime import main as run_main

from accounts import SERVICE
from accounts.application.balances import balances_handler
from accounts.application.erasure import erasure_handlers
from accounts.application.linking import COMMANDS, Deps, command_handler
from accounts.application.registry import registry_handler
from accounts.domain import SurnameKeyring
from accounts.migrations import MIGRATIONS
from accounts.projections import projections
from accounts.settings import AccountsSettings, SurnameKeyMissing, surname_keyring


def make_wire(clock: Clock = utc_now, group_id: str = SERVICE, keyring: SurnameKeyring | None = None) -> Wire:
    """The service's wiring; tests pass a clock they move, a consumer group and a surname key of their
    own. Without `keyring`, METERBOT_SURNAME_* (SurnameKeyMissing when no key is set)."""

    async def wire(runtime: Runtime) -> None:
        settings = AccountsSettings()
        ring = keyring or surname_keyring()
        deps = Deps(
            store=runtime.store,
            policy=settings.link_policy(),
            clock=clock,
            keyring=ring,
            account_policy=settings.account_link_policy(),
        )
        commands = command_handler(runtime.pool, deps)
        runtime.subscribe_batch(ACCOUNTS_COMMANDS, handled=COMMANDS, handler=commands, group_id=group_id)
        records = registry_handler(runtime.pool, ring, runtime.store)
        runtime.subscribe_batch(
            BILLING_REGISTRY_V1,
            handled=[RegistryRecord, RegistryRecordV2],
            handler=records,
            group_id=f"{group_id}.registry",
            **BULK,
        )
        balances = balances_handler(runtime.pool, runtime.store)  # issue 15: newest as-of wins
        runtime.subscribe_batch(
            BILLING_BALANCES_V1,
            handled=[BalanceRecord],
            handler=balances,
            group_id=f"{group_id}.balances",
            **BULK,
        )
        # identity's events: ResidentErased is all it handles there
        erasures = erasure_handlers(runtime.pool, deps)
        runtime.subscribe(IDENTITY_EVENTS, handlers=erasures, group_id=f"{group_id}.erasure")
        runtime.project(projections())

    return wire


SPEC = ServiceSpec(name=SERVICE, database="accounts", migrations=MIGRATIONS, wire=make_wire())


def main() -> None:
    try:  # before connecting to anything: a service without its key must not run at all
        surname_keyring()
    except SurnameKeyMissing as exc:
        print(f"accounts: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    run_main(SPEC)
