"""Account aggregate (stream per account number): registered from the billing registry, linked to chats.

- Registry: AccountRegistered (surname digest + address) when new or changed; an identical re-import
  yields no event.
- Link: locked_out (per-chat lockout, see link_attempts) -> unknown_account -> wrong_pair -> AccountLinked.
  Several chats may link one account (a family). A chat that is already linked and types the right pair
  gets AccountLinked again: the gateway answers every command from the event it causes, and evolve is
  idempotent, so the repeat changes no state.
- Unlink: AccountUnlinked if the chat is linked; otherwise no event.

Refusals (AccountLinkRefused) do not change the account; the application appends them to the chat's
link-attempts stream, from which the lockout state is folded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TypeAlias

from meterbot_contracts.accounts import (
    AccountLinked,
    AccountLinkRefused,
    AccountLinkRequested,
    AccountRegistered,
    AccountUnlinked,
    AccountUnlinkRequested,
)
from meterbot_contracts.billing import RegistryRecord
from pydantic import BaseModel, ConfigDict

from accounts.domain.link_attempts import ACCOUNT_POLICY, LinkAttemptPolicy, LinkAttempts
from accounts.domain.link_attempts import decide as decide_lockout
from accounts.domain.surname import SurnameKeyring

AccountEvent: TypeAlias = AccountRegistered | AccountLinked | AccountUnlinked | AccountLinkRefused


class AccountState(BaseModel):
    model_config = ConfigDict(frozen=True)

    account_number: str | None = None
    surname_digest: str = ""
    address: str = ""
    linked_chats: frozenset[int] = frozenset()

    @property
    def registered(self) -> bool:
        return self.account_number is not None


def evolve(state: AccountState, event: AccountEvent) -> AccountState:
    if isinstance(event, AccountRegistered):
        return state.model_copy(
            update={
                "account_number": event.account_number,
                "surname_digest": event.surname_digest,
                "address": event.address,
            }
        )
    if isinstance(event, AccountLinked):
        return state.model_copy(update={"linked_chats": state.linked_chats | {event.chat_id}})
    if isinstance(event, AccountUnlinked):
        return state.model_copy(update={"linked_chats": state.linked_chats - {event.chat_id}})
    return state


def fold(events: Iterable[AccountEvent], state: AccountState | None = None) -> AccountState:
    current = state if state is not None else AccountState()
    for event in events:
        current = evolve(current, event)
    return current


def decide_registration(
    state: AccountState, record: RegistryRecord, *, keyring: SurnameKeyring
) -> list[AccountRegistered]:
    """AccountRegistered if the account is new or its surname/address changed; [] for identical content.
    A digest under another key (or the old unkeyed one) differs: a re-import migrates it."""
    digest = keyring.digest(record.surname)
    if state.registered and state.surname_digest == digest and state.address == record.address:
        return []
    return [
        AccountRegistered(account_number=record.account_number, surname_digest=digest, address=record.address)
    ]


def decide_link(
    state: AccountState,
    command: AccountLinkRequested,
    *,
    attempts: LinkAttempts,
    now: datetime,
    policy: LinkAttemptPolicy,
    keyring: SurnameKeyring,
    account_attempts: LinkAttempts | None = None,
    account_policy: LinkAttemptPolicy = ACCOUNT_POLICY,
) -> list[AccountLinked | AccountLinkRefused]:
    """One event: AccountLinked, or AccountLinkRefused (locked_out | unknown_account | wrong_pair, the
    latter two with attempts_left, and locked_until on the try that uses up the last attempt).
    `attempts` are the chat's wrong tries, `account_attempts` the account's from every chat."""
    locked = decide_lockout(
        attempts, command, now=now, policy=policy, account=account_attempts, account_policy=account_policy
    )
    if locked:
        return [*locked]
    if state.registered and keyring.matches(command.surname, state.surname_digest):
        return [
            AccountLinked(
                chat_id=command.chat_id, account_number=command.account_number, address=state.address
            )
        ]
    attempts_left, locked_until = attempts.after_failure(now=now, policy=policy)
    if state.registered and account_attempts is not None:  # a wrong pair counts against the account too
        account_left, account_until = account_attempts.after_failure(now=now, policy=account_policy)
        attempts_left = min(attempts_left, account_left)
        locked_until = max((u for u in (locked_until, account_until) if u is not None), default=None)
    return [
        AccountLinkRefused(
            chat_id=command.chat_id,
            account_number=command.account_number,
            reason="wrong_pair" if state.registered else "unknown_account",
            attempts_left=attempts_left,
            locked_until=locked_until,
        )
    ]


def decide_unlink(state: AccountState, command: AccountUnlinkRequested) -> list[AccountUnlinked]:
    if command.chat_id not in state.linked_chats:
        return []
    return [AccountUnlinked(chat_id=command.chat_id, account_number=command.account_number)]
