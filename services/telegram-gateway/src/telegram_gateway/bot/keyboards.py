"""Keyboards as pure functions of texts and data (no I/O): easy to test, one place for layout."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from meterbot_contracts.readings import MeterType

from telegram_gateway.bot.callbacks import (
    AccountAction,
    AccountCb,
    ArchiveYearCb,
    CheckCb,
    ConfirmCb,
    Destructive,
    MeterCb,
    WithdrawCb,
    ref_for,
)
from telegram_gateway.i18n import Texts
from telegram_gateway.readmodel import LinkedAccount, MeterView


def meter_type_name(t: Texts, meter_type: MeterType) -> str:
    return t(f"meter.{meter_type.value}")


def meter_label(t: Texts, meter_type: MeterType, meter_id: str) -> str:
    """How a meter is named on its button and in the prompt: its type in words and its registry id."""
    return t("meter.label", type=meter_type_name(t, meter_type), meter_id=meter_id)


def _reply(rows: Sequence[Sequence[KeyboardButton]]) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(keyboard=[list(r) for r in rows], resize_keyboard=True)


def contact_keyboard(t: Texts) -> ReplyKeyboardMarkup:
    return _reply([[KeyboardButton(text=t("btn.share_phone"), request_contact=True)]])


def main_menu(t: Texts) -> ReplyKeyboardMarkup:
    return _reply(
        [
            [KeyboardButton(text=t("btn.write_admin"))],
            [KeyboardButton(text=t("btn.help")), KeyboardButton(text=t("btn.start_work"))],
            [KeyboardButton(text=t("info.btn_more"))],
            [KeyboardButton(text=t("btn.erase_data"))],
            [KeyboardButton(text=t("reminders.button"))],
        ]
    )


def work_menu(t: Texts) -> ReplyKeyboardMarkup:
    return _reply(
        [
            [KeyboardButton(text=t("btn.add_account")), KeyboardButton(text=t("btn.select_account"))],
            [KeyboardButton(text=t("btn.remove_account")), KeyboardButton(text=t("btn.exit"))],
        ]
    )


def accounts_keyboard(accounts: Sequence[LinkedAccount], action: AccountAction) -> InlineKeyboardMarkup:
    """One button per linked account, captioned with its number."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=a.number, callback_data=AccountCb(action=action, ref=ref_for(a.number)).pack()
                )
            ]
            for a in accounts
        ]
    )


# An account's menu, one button a row, top to bottom: (caption key, what pressing it does).
ACCOUNT_ACTIONS = (
    ("btn.enter_readings", AccountAction.ENTER),
    ("btn.view_readings", AccountAction.VIEW),
    ("archive.btn", AccountAction.ARCHIVE),
    ("meter_info.btn", AccountAction.METERS),
    ("info.btn_balance", AccountAction.BALANCE),
)


def account_actions(t: Texts, account_number: str) -> InlineKeyboardMarkup:
    ref = ref_for(account_number)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=t(key), callback_data=AccountCb(action=action, ref=ref).pack())]
            for key, action in ACCOUNT_ACTIONS
        ]
    )


def meters_keyboard(t: Texts, meters: Sequence[MeterView]) -> InlineKeyboardMarkup:
    """One button per meter, always -- even for a single meter (the seed insists on pressing it)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=meter_label(t, m.meter_type, m.meter_id),
                    callback_data=MeterCb(ref=ref_for(m.meter_id)).pack(),
                )
            ]
            for m in meters
        ]
    )


def withdraw_keyboard(t: Texts, meters: Sequence[MeterView]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("btn.withdraw", meter=meter_label(t, m.meter_type, m.meter_id)),
                    callback_data=WithdrawCb(ref=ref_for(m.meter_id)).pack(),
                )
            ]
            for m in meters
        ]
    )


def confirm_keyboard(t: Texts, action: Destructive, ref: str) -> InlineKeyboardMarkup:
    """«Да» / «Нет» under the question about a destructive action."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("btn.yes"), callback_data=ConfirmCb(action=action, ref=ref, yes=True).pack()
                ),
                InlineKeyboardButton(
                    text=t("btn.no"), callback_data=ConfirmCb(action=action, ref=ref, yes=False).pack()
                ),
            ]
        ]
    )


def archive_years_keyboard(account_number: str, years: Sequence[int]) -> InlineKeyboardMarkup:
    """One button per year with readings in the archive, in a row of up to four."""
    ref = ref_for(account_number)
    buttons = [
        InlineKeyboardButton(text=str(year), callback_data=ArchiveYearCb(ref=ref, year=year).pack())
        for year in years
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i : i + 4] for i in range(0, len(buttons), 4)])


def check_keyboard(t: Texts, check: str) -> InlineKeyboardMarkup:
    """«Да» / «Нет» under readings' question about a typed value (rollover, anomaly)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=t("btn.yes"), callback_data=CheckCb(check=check, yes=True).pack()),
                InlineKeyboardButton(text=t("btn.no"), callback_data=CheckCb(check=check, yes=False).pack()),
            ]
        ]
    )


def more_menu(t: Texts, *, subscribed: bool) -> ReplyKeyboardMarkup:
    """«Дополнительно» (seed 002 §3.2.5), with the news push switch."""
    news_switch = t("info.btn_news_off") if subscribed else t("info.btn_news_on")
    return _reply(
        [
            [KeyboardButton(text=t("info.btn_subscriber")), KeyboardButton(text=t("info.btn_news"))],
            [KeyboardButton(text=t("info.btn_company")), KeyboardButton(text=t("info.btn_version"))],
            [KeyboardButton(text=t("info.btn_faq")), KeyboardButton(text=t("info.btn_manual"))],
            [KeyboardButton(text=news_switch), KeyboardButton(text=t("info.btn_home"))],
        ]
    )
