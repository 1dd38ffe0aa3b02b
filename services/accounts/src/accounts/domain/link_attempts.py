"""Link-attempt lockout, per CHAT (DESIGN §5) and per ACCOUNT NUMBER: after `max_failures` wrong
tries within a sliding `window`, further link attempts are refused (locked_out) until the oldest
counted failure leaves the window, i.e. until `locked_until` = oldest counted failure + window.

- A failure at t counts at `now` while now < t + window (so at exactly t + window it no longer counts).
- unknown_account counts as a wrong try: otherwise a chat could probe which account numbers exist
  without ever being locked out.
- locked_out refusals do not count (a locked chat that keeps trying is not locked forever), and a
  successful link does not reset the count (linking one's own account must not reset the budget for
  guessing others').

Per account: wrong_pair refusals of the account from ANY chat count against it too (`account_policy`,
default 10 within 24 h), so a new chat does not start fresh against the same account. While either
count is used up every try is refused as locked_out, the right surname too (else the lockout would
tell a guesser when they hit); chats already linked keep working. `lockout_until` is the one rule.

The state is folded from the chat's AccountLinkRefused events; their time (`at`) is the recorded time
of the event, passed in by the application (the contract carries no timestamp)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from meterbot_contracts.accounts import AccountLinkRefused, AccountLinkRequested
from pydantic import BaseModel, ConfigDict, Field

COUNTED_REASONS = frozenset({"wrong_pair", "unknown_account"})


class LinkAttemptPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_failures: int = Field(default=5, ge=1)
    window: timedelta = Field(default=timedelta(hours=24), gt=timedelta(0))


class LinkLockedOut(Exception):
    def __init__(self, locked_until: datetime) -> None:
        super().__init__(f"link attempts locked until {locked_until.isoformat()}")
        self.locked_until = locked_until


class LinkAttempts(BaseModel):
    """Times of the wrong link tries of one chat that may still count."""

    model_config = ConfigDict(frozen=True)

    failures: tuple[datetime, ...] = ()

    def counted(self, *, now: datetime, policy: LinkAttemptPolicy) -> tuple[datetime, ...]:
        """Failures inside the sliding window ending at `now`, oldest first."""
        return tuple(sorted(f for f in self.failures if f > now - policy.window))

    def locked_until(self, *, now: datetime, policy: LinkAttemptPolicy) -> datetime | None:
        """When the lockout ends, or None if a try is allowed at `now`."""
        counted = self.counted(now=now, policy=policy)
        if len(counted) < policy.max_failures:
            return None
        return counted[-policy.max_failures] + policy.window

    def ensure_not_locked(self, *, now: datetime, policy: LinkAttemptPolicy) -> None:
        until = self.locked_until(now=now, policy=policy)
        if until is not None:
            raise LinkLockedOut(until)

    def after_failure(self, *, now: datetime, policy: LinkAttemptPolicy) -> tuple[int, datetime | None]:
        """(attempts_left, locked_until) to report on a wrong try made at `now`. The try that uses up
        the last attempt already reports when the lockout will end."""
        counted = (*self.counted(now=now, policy=policy), now)
        left = max(policy.max_failures - len(counted), 0)
        until = counted[-policy.max_failures] + policy.window if left == 0 else None
        return left, until


ACCOUNT_POLICY = LinkAttemptPolicy(max_failures=10)


def lockout_until(
    chat: LinkAttempts,
    account: LinkAttempts,
    *,
    now: datetime,
    policy: LinkAttemptPolicy,
    account_policy: LinkAttemptPolicy = ACCOUNT_POLICY,
) -> datetime | None:
    """When the later of the chat's and the account's lockouts ends; None if a try is allowed."""
    ends = [
        until
        for until in (
            chat.locked_until(now=now, policy=policy),
            account.locked_until(now=now, policy=account_policy),
        )
        if until is not None
    ]
    return max(ends) if ends else None


def decide(
    state: LinkAttempts,
    command: AccountLinkRequested,
    *,
    now: datetime,
    policy: LinkAttemptPolicy,
    account: LinkAttempts | None = None,
    account_policy: LinkAttemptPolicy = ACCOUNT_POLICY,
) -> list[AccountLinkRefused]:
    """[AccountLinkRefused(locked_out)] while the chat or the account is locked out, else [] (go on
    and check the pair)."""
    until = lockout_until(
        state, account or LinkAttempts(), now=now, policy=policy, account_policy=account_policy
    )
    if until is None:
        return []
    return [
        AccountLinkRefused(
            chat_id=command.chat_id,
            account_number=command.account_number,
            reason="locked_out",
            attempts_left=0,
            locked_until=until,
        )
    ]


def evolve(
    state: LinkAttempts, event: AccountLinkRefused, *, at: datetime, policy: LinkAttemptPolicy | None = None
) -> LinkAttempts:
    """Record a counted refusal made at `at`; failures that left the window before `at` are dropped."""
    if event.reason not in COUNTED_REASONS:
        return state
    window = (policy or LinkAttemptPolicy()).window
    kept = tuple(f for f in state.failures if f > at - window)
    return LinkAttempts(failures=(*kept, at))


def fold(
    events: Iterable[tuple[AccountLinkRefused, datetime]], policy: LinkAttemptPolicy | None = None
) -> LinkAttempts:
    """The chat's state from its (refusal, recorded time) pairs."""
    state = LinkAttempts()
    for event, at in events:
        state = evolve(state, event, at=at, policy=policy)
    return state


def fold_account(
    events: Iterable[tuple[AccountLinkRefused, datetime]], policy: LinkAttemptPolicy = ACCOUNT_POLICY
) -> LinkAttempts:
    """The account's state from the (refusal, time) pairs of every chat: only wrong_pair counts
    (unknown_account names no account that exists; locked_out never counts)."""
    return fold(((e, at) for e, at in events if e.reason == "wrong_pair"), policy)
