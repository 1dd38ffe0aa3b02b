"""What the resident is told when an answering event arrives: pure functions of the event, the
pending request's data and the texts. One place per answer; the responder only delivers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
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
    MeterReplaced,
    ReadingAccepted,
    ReadingConfirmationAsked,
    ReadingReconciled,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingWithdrawalRefused,
    ReadingWithdrawn,
    RejectionReason,
)
from meterbot_contracts.window import SubmissionWindow

from telegram_gateway.bot.keyboards import (
    check_keyboard,
    contact_keyboard,
    main_menu,
    meter_label,
    meters_keyboard,
)
from telegram_gateway.i18n import Texts
from telegram_gateway.messenger import Markup
from telegram_gateway.periods import local_time, split_period
from telegram_gateway.photo_replies import photo_offer
from telegram_gateway.readmodel import MeterView, PeriodReading

REJECTION_REASONS: tuple[str, ...] = get_args(RejectionReason)
# The resident can fix these by typing another value: the chat stays on the meter for it.
RETRYABLE = frozenset(
    {"below_previous", "above_max_delta", "not_a_number", "not_an_integer", "too_many_digits"}
)


@dataclass(frozen=True)
class Outgoing:
    text: str
    markup: Markup | None = None


def format_value(t: Texts, value: Decimal | None) -> str:
    """A meter value as the registry gave it (250.550 stays 250.550); "нет данных" when unknown."""
    return t("reading.no_previous") if value is None else str(value)


def format_day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


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
        advice = f"{t('account.wrong_pair_advice')}\n{_tries(t, event, tz)}".rstrip()
        return [Outgoing(t("account.wrong_pair", number=number, surname=surname)), Outgoing(advice)]
    if event.reason == "unknown_account":
        return [Outgoing(f"{t('account.unknown', number=number)}\n{_tries(t, event, tz)}".rstrip())]
    if event.locked_until is None:
        return [Outgoing(t("account.locked_out_no_time"))]
    return [Outgoing(t("account.locked_out", until=local_time(event.locked_until, tz)))]


def _tries(t: Texts, event: AccountLinkRefused, tz: ZoneInfo) -> str:
    """A wrong try counts (an unknown number too): how many are left, or when the lock ends."""
    if event.locked_until is not None:
        return t("account.tries_used_up", until=local_time(event.locked_until, tz))
    if event.attempts_left is not None:
        return t("account.attempts_left", attempts=event.attempts_left)
    return ""


def unlink_reply(t: Texts, event: AccountUnlinked) -> list[Outgoing]:
    return [Outgoing(t("account.unlinked", number=event.account_number))]


def rejection_text(t: Texts, event: ReadingRejected, label: str, window: SubmissionWindow) -> str:
    """The message for one rejection reason, with the values readings reported."""
    # the reasons v1 does not know (ReadingRejectedV2) have their texts in the [checks] table
    key = f"rejected.{event.reason}" if event.reason in REJECTION_REASONS else f"checks.{event.reason}"
    return t(
        key,
        number=event.account_number,
        meter=label,
        value=event.raw_value,
        previous=format_value(t, event.previous_value),
        min_allowed=format_value(t, event.min_allowed),
        max_allowed=format_value(t, event.max_allowed),
        verified_until=format_day(event.verified_until) if event.verified_until else "",
        days=str(window),
    )


def retries(event: ReadingAccepted | ReadingRejected) -> bool:
    """The resident can fix this by typing another value for the same meter."""
    pair = isinstance(event, ReadingRejectedV2) and event.pair_meter_id is not None  # both typed again
    return isinstance(event, ReadingRejected) and event.reason in RETRYABLE and not pair


def reading_reply(
    t: Texts,
    event: ReadingAccepted | ReadingRejected,
    label: str,
    meters: Sequence[MeterView],
    window: SubmissionWindow,
) -> list[Outgoing]:
    """`meters`: the account's open meters now (for the next button press). After a mistyped value
    the chat is back on the same meter (the responder restores the input): the resident just types."""
    if isinstance(event, ReadingAccepted):
        replies = [Outgoing(t("reading.saved"), photo_offer(t, event.meter_id))]  # issue 14 item 6
        if len(meters) > 1:
            replies.append(Outgoing(t("reading.next_meter"), meters_keyboard(t, meters)))
        return replies
    if isinstance(event, ReadingRejectedV2) and event.pair_meter_id is not None:
        refused = next((m for m in meters if m.meter_id == event.meter_id), None)
        label = meter_label(t, refused.meter_type, refused.meter_id) if refused else label
        return [Outgoing(f"{rejection_text(t, event, label, window)}\n{t('checks.pair_not_kept')}")]
    text = rejection_text(t, event, label, window)
    if retries(event) and any(m.meter_id == event.meter_id for m in meters):
        return [Outgoing(f"{text}\n{t('reading.retry', meter=label)}")]
    return [Outgoing(text)]


def confirmation_reply(t: Texts, event: ReadingConfirmationAsked, label: str) -> list[Outgoing]:
    """readings asks before it accepts the value: «Счётчик перешёл через ноль?» or «higher than
    expected», with «Да» / «Нет» under it."""
    text = t(
        f"checks.ask_{event.check}",
        meter=label,
        value=format_value(t, event.value),
        previous=format_value(t, event.previous_value),
        consumption=format_value(t, event.consumption),
        expected=format_value(t, event.expected),
    )
    return [Outgoing(text, check_keyboard(t, event.check))]


def replacement_notice(t: Texts, event: MeterReplaced) -> list[Outgoing]:
    """Unasked: a meter of a linked account was replaced; readings go to the new one from now on."""
    text = t(
        "checks.replaced_notice",
        old=meter_label(t, event.meter_type, event.meter_id),
        new=meter_label(t, event.replaced_by_type, event.replaced_by),
        initial=format_value(t, event.initial_value),
    )
    return [Outgoing(text)]


def view_lines(  # noqa: PLR0917  (one call site; each argument a different fact)
    t: Texts,
    number: str,
    period: str,
    meters: Sequence[MeterView],
    readings: Sequence[PeriodReading],
    previous: Mapping[str, Decimal | None],
    tz: ZoneInfo,
    *,
    exported: bool = False,
) -> list[str]:
    """«Посмотреть переданные показания»: what was handed in this period (value, previous value,
    consumption, when) with its status (принято / передано в расчёт once the period is exported /
    не учтено when billing refused it) and which open meters still wait for a value."""
    name = period_name(t, period)
    lines = [
        t("reading.view_header", number=number, period=name)
        if readings
        else t("reading.view_empty", number=number, period=name)
    ]
    for r in readings:
        prev = previous.get(r.meter.meter_id)
        line = t(
            "reading.view_line",
            meter=meter_label(t, r.meter.meter_type, r.meter.meter_id),
            value=format_value(t, r.value),
            prev=format_value(t, prev),
            used=format_value(t, r.value - prev if prev is not None else None),
            time=local_time(r.submitted_at, tz),
        )
        lines.append(t("status.view_line", line=line, status=t(f"status.{reading_status(r, exported)}")))
    handed_in = {r.meter.meter_id for r in readings if r.status == "current"}
    missing = [m for m in meters if m.meter_id not in handed_in]
    if missing:
        lines.append(t("reading.view_missing_header"))
        lines += [
            t(
                "reading.view_missing_line",
                meter=meter_label(t, m.meter_type, m.meter_id),
                prev=format_value(t, previous.get(m.meter_id)),
            )
            for m in missing
        ]
    return lines


def reading_status(reading: PeriodReading, exported: bool) -> str:
    """accepted / exported / refused: the key of the status a resident sees for a reading."""
    if reading.status == "refused":
        return "refused"
    return "exported" if exported else "accepted"


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


TELEGRAM_TEXT_LIMIT = 4096


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, cut at a line break or a space where one is
    near the end of a part (else mid-word); nothing is lost."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = max(rest.rfind("\n", 0, limit), rest.rfind(" ", 0, limit))
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n ") if cut < limit else rest[cut:]
    if rest or not parts:
        parts.append(rest)
    return parts


def mask_phone(phone: str) -> str:
    """+79161234567 -> +7*******4567: enough for staff to match a caller, not to call."""
    digits = sum(ch.isdigit() for ch in phone)
    if digits <= 4:
        return "*" * len(phone)
    keep_head = 2 if phone.startswith("+") else 1
    return phone[:keep_head] + "*" * (len(phone) - keep_head - 4) + phone[-4:]
