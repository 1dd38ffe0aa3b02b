"""accounts: personal accounts (лицевые счета) from the billing registry and their links to chats.

Events hold a digest of the normalised surname, never the surname itself."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from meterbot_contracts.fields import AccountNumberField, SurnameField
from meterbot_contracts.registry import Message, contract

AccountNumber = str
LinkRefusalReason = Literal["wrong_pair", "unknown_account", "locked_out"]


@contract
class AccountLinkRequested(Message):
    """Command: a resident typed an account number and the owner's surname."""

    TYPE = "AccountLinkRequested"
    chat_id: int
    account_number: AccountNumberField
    surname: SurnameField


@contract
class AccountUnlinkRequested(Message):
    TYPE = "AccountUnlinkRequested"
    chat_id: int
    account_number: AccountNumberField


@contract
class AccountRegistered(Message):
    """An account appeared in (or changed in) the billing registry."""

    TYPE = "AccountRegistered"
    account_number: AccountNumber
    surname_digest: str
    address: str


@contract
class AccountLinked(Message):
    TYPE = "AccountLinked"
    chat_id: int
    account_number: AccountNumber
    address: str


@contract
class AccountLinkRefused(Message):
    TYPE = "AccountLinkRefused"
    chat_id: int
    account_number: AccountNumber
    reason: LinkRefusalReason
    attempts_left: int | None = None
    locked_until: datetime | None = None


@contract
class AccountUnlinked(Message):
    TYPE = "AccountUnlinked"
    chat_id: int
    account_number: AccountNumber


@contract
class BalanceRecorded(Message):
    """accounts took a BalanceRecord: the account's latest known balance (stream `balance-{number}`)."""

    TYPE = "BalanceRecorded"
    account_number: AccountNumber
    amount_due: Decimal
    currency: str
    as_of: date
    due_date: date | None = None
