"""What the resident is told when an answering event arrives: pure functions of the event, the
pending request's data and the texts. One place per answer; the responder only delivers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo

from aiogram.types import ReplyKeyboardRemove
from meterbot_contracts.accounts import AccountLinked, AccountLinkRefused, AccountUnlinked
from meterbot_contracts.identity import (
    ResidentContactUpdated,
    ResidentRegistered,
    ResidentRegistrationRefused,
)
from meterbot_contracts.readings import (
    ReadingAccepted,
    ReadingReconciled,
    ReadingRejected,
    ReadingWithdrawalRefused,
    ReadingWithdrawn,
    RejectionReason,
)

from telegram_gateway.bot.keyboards import contact_keyboard, main_menu, meter_label, meters_keyboard
from telegram_gateway.i18n import Texts
from telegram_gateway.messenger import Markup
from telegram_gateway.periods import local_time, split_period
from telegram_gateway.readmodel import MeterView

REJECTION_REASONS: tuple[str, ...] = get_args(RejectionReason)
# The resident can fix these by typing another value: offer the meter's button again.
RETRYABLE = frozenset({"below_previous", "above_max_delta", "not_a_number", "not_an_integer"})


@dataclass(frozen=True)
class Outgoing:
    text: str
    markup: Markup | None = None


def format_value(t: Texts, value: Decimal | None) -> str:
    """A meter value as the registry gave it (250.550 stays 250.550); "нет данных" when unknown."""
    return t("reading.no_previous") if value is None else str(value)


def period_name(t: Texts, period: str) -> str:
    year, month = split_period(period)
    return t("period.name", month=t(f"period.month_{month}"), year=year)


def registration_reply(
    t: Texts, event: ResidentRegistered | ResidentContactUpdated | ResidentRegistrationRefused
) -> list[Outgoing]:
    if isinstance(event, ResidentRegistered):
        return [Outgoing(t("registration.done"), main_menu(t))]
    if isinstance(event, ResidentContactUpdated):
        return [Outgoing(t("registration.contact_updated"), main_menu(t))]
    if event.reason == "foreign_contact":
        return [Outgoing(t("registration.foreign_contact"), contact_keyboard(t))]
    return [Outgoing(t("registration.erased"), ReplyKeyboardRemove())]


def link_reply(
    t: Texts, event: AccountLinked | AccountLinkRefused, surname: str, tz: ZoneInfo
) -> list[Outgoing]:
    number = event.account_number
    if isinstance(event, AccountLinked):
        text = (
            t("account.linked_address", number=number, address=event.address)
            if event.address
            else t("account.linked", number=number)
        )
        return [Outgoing(text)]
    if event.reason == "wrong_pair":
        # The fixed sentence goes alone (residents and checks read it verbatim); advice follows.
        advice = t("account.wrong_pair_advice")
        if event.attempts_left is not None:
            advice = f"{advice}\n{t('account.attempts_left', attempts=event.attempts_left)}"
        return [Outgoing(t("account.wrong_pair", number=number, surname=surname)), Outgoing(advice)]
    if event.reason == "unknown_account":
        return [Outgoing(t("account.unknown", number=number))]
    if event.locked_until is None:
        return [Outgoing(t("account.locked_out_no_time"))]
    return [Outgoing(t("account.locked_out", until=local_time(event.locked_until, tz)))]


def unlink_reply(t: Texts, event: AccountUnlinked) -> list[Outgoing]:
    return [Outgoing(t("account.unlinked", number=event.account_number))]


def rejection_text(t: Texts, event: ReadingRejected, label: str) -> str:
    """The message for one rejection reason, with the values readings reported."""
    return t(
        f"rejected.{event.reason}",
        number=event.account_number,
        meter=label,
        value=event.raw_value,
        previous=format_value(t, event.previous_value),
        max_allowed=format_value(t, event.max_allowed),
    )


def reading_reply(
    t: Texts, event: ReadingAccepted | ReadingRejected, label: str, meters: Sequence[MeterView]
) -> list[Outgoing]:
    """`meters`: the account's open meters now (for the next button press)."""
    if isinstance(event, ReadingAccepted):
        replies = [Outgoing(t("reading.saved"))]
        if len(meters) > 1:
            replies.append(Outgoing(t("reading.next_meter"), meters_keyboard(t, meters)))
        return replies
    text = rejection_text(t, event, label)
    this_meter = [m for m in meters if m.meter_id == event.meter_id]
    if event.reason in RETRYABLE and this_meter:
        return [Outgoing(f"{text}\n{t('reading.retry')}", meters_keyboard(t, this_meter))]
    return [Outgoing(text)]


def withdrawal_reply(
    t: Texts, event: ReadingWithdrawn | ReadingWithdrawalRefused, label: str
) -> list[Outgoing]:
    if isinstance(event, ReadingWithdrawn):
        return [Outgoing(t("reading.withdrawn", meter=label, period=period_name(t, event.period)))]
    key = {
        "nothing_to_withdraw": "reading.withdraw_nothing",
        "period_closed": "reading.withdraw_period_closed",
        "not_linked": "reading.withdraw_not_linked",
    }[event.reason]
    return [Outgoing(t(key, meter=label, number=event.account_number))]


def reconciliation_reply(t: Texts, event: ReadingReconciled) -> list[Outgoing]:
    """Unasked: the resident's change reached billing after the period closed and was undone."""
    counted = (
        t("reading.late_counted", value=format_value(t, event.counted_value))
        if event.counted_reading_id is not None
        else t("reading.late_counted_none")
    )
    key = "reading.late_refused" if event.refused == "accepted" else "reading.late_withdrawal_refused"
    meter = meter_label(t, event.meter_type, event.meter_id)
    text = t(
        key,
        value=format_value(t, event.refused_value),
        meter=meter,
        period=period_name(t, event.period),
        counted=counted,
    )
    return [Outgoing(text)]
