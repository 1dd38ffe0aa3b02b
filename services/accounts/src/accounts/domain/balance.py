"""The account's balance (stream `balance-{number}`), as billing states it on meterbot.billing.balances.v1.

Billing may send records late, twice or out of order (a re-run of an old day, a replay of the topic):
- a record with an older `as_of` than the one recorded never replaces it (the resident would see an
  older figure as if it were current);
- the same figures again are no event (a duplicate under a new message id: the inbox cannot see it);
- a record of the same `as_of` with other figures is billing's correction of that day: recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from meterbot_contracts.accounts import BalanceRecorded
from meterbot_contracts.billing import BalanceRecord
from pydantic import BaseModel, ConfigDict


class BalanceState(BaseModel):
    model_config = ConfigDict(frozen=True)

    account_number: str | None = None
    amount_due: Decimal | None = None
    currency: str = ""
    as_of: date | None = None
    due_date: date | None = None


def _same(state: BalanceState, record: BalanceRecord) -> bool:
    return (state.amount_due, state.currency, state.as_of, state.due_date) == (
        record.amount_due,
        record.currency,
        record.as_of,
        record.due_date,
    )


def decide_balance(state: BalanceState, record: BalanceRecord) -> list[BalanceRecorded]:
    if state.as_of is not None and (record.as_of < state.as_of or _same(state, record)):
        return []
    return [
        BalanceRecorded(
            account_number=record.account_number,
            amount_due=record.amount_due,
            currency=record.currency,
            as_of=record.as_of,
            due_date=record.due_date,
        )
    ]


def evolve_balance(state: BalanceState, event: BalanceRecorded) -> BalanceState:
    return BalanceState(
        account_number=event.account_number,
        amount_due=event.amount_due,
        currency=event.currency,
        as_of=event.as_of,
        due_date=event.due_date,
    )
