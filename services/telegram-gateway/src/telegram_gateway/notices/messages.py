"""The texts and buttons of the notices (pure: Texts and a due item in, text and keyboard out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from meterbot_contracts.window import SubmissionWindow

from telegram_gateway.bot.callbacks import AccountAction, AccountCb, ref_for
from telegram_gateway.bot.keyboards import meter_label
from telegram_gateway.i18n import Texts
from telegram_gateway.notices.rules import ReminderDue, ReminderKind, VerificationDue, open_days
from telegram_gateway.replies import format_day, period_name


@dataclass(frozen=True)
class Notice:
    chat_id: int
    text: str
    keyboard: InlineKeyboardMarkup | None
    dedupe_key: str


def reminder_notice(t: Texts, due: ReminderDue, window: SubmissionWindow) -> Notice:
    """One message: the meters still missing, by account, and a button per account that opens
    entering readings for it (the same button as «Ввести показания» on the account's menu)."""
    close = open_days(window, due.period)[-1]
    key = "reminders.open" if due.kind is ReminderKind.OPEN else "reminders.closing"
    lines = [t(key, period=period_name(t, due.period), close=format_day(close))]
    for number in due.accounts:
        meters = ", ".join(
            meter_label(t, m.meter_type, m.meter_id) for m in due.missing if m.account_number == number
        )
        lines.append(t("reminders.account", number=number, meters=meters))
    buttons = [
        [
            InlineKeyboardButton(
                text=t("reminders.enter_button", number=number),
                callback_data=AccountCb(action=AccountAction.ENTER, ref=ref_for(number)).pack(),
            )
        ]
        for number in due.accounts
    ]
    fact_kind, subject = due.fact
    return Notice(
        due.chat_id,
        "\n".join(lines),
        InlineKeyboardMarkup(inline_keyboard=buttons),
        f"notice:{fact_kind}:{subject}:{due.chat_id}",
    )


def verification_notice(t: Texts, due: VerificationDue) -> Notice:
    key = "reminders.verify_30" if due.kind.value == "verify30" else "reminders.verify_90"
    text = t(
        key,
        meter=meter_label(t, due.meter.meter_type, due.meter.meter_id),
        number=due.meter.account_number,
        date=format_day(due.verified_until),
        days=due.days_left,
    )
    fact_kind, subject = due.fact
    return Notice(due.chat_id, text, None, f"notice:{fact_kind}:{subject}:{due.chat_id}")


@dataclass(frozen=True)
class ExportedLine:
    account_number: str
    label: str
    value: str


def exported_text(t: Texts, period: str, lines: Sequence[ExportedLine]) -> str:
    """What went to billing for one resident: by account, each meter with its value."""
    out = [t("status.exported_header", period=period_name(t, period))]
    for number in dict.fromkeys(line.account_number for line in lines):
        out.append(t("status.exported_account", number=number))
        out += [
            t("status.exported_line", meter=line.label, value=line.value)
            for line in lines
            if line.account_number == number
        ]
    return "\n".join(out)
