"""Typed inline-button payloads. They carry references, never authority: every handler checks the
referenced account or meter against what this chat owns in the read model."""

from __future__ import annotations

import hashlib
from enum import StrEnum

from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData

_DIGEST = "#"
_ROOM = MAX_CALLBACK_LENGTH - 10  # the longest payload around a ref: "cnf:unl:" + ref + ":1"


class AccountAction(StrEnum):
    SELECT = "sel"  # show the actions for the account
    ENTER = "ent"  # list its meters to enter readings
    VIEW = "view"  # readings handed in this period
    UNLINK = "unl"  # unlink it from the chat
    ARCHIVE = "arc"  # the years of its reading archive
    METERS = "inf"  # information about its meters
    BALANCE = "bal"  # what it owes (issue 15)


class AccountCb(CallbackData, prefix="acc"):
    action: AccountAction
    ref: str


class MeterCb(CallbackData, prefix="mtr"):
    ref: str


class WithdrawCb(CallbackData, prefix="wdr"):
    ref: str


class Destructive(StrEnum):
    UNLINK = "unl"  # unlink an account (ref: the account)
    WITHDRAW = "wdr"  # withdraw this period's reading (ref: the meter)


class ConfirmCb(CallbackData, prefix="cnf"):
    """«Да» / «Нет» under a question about a destructive action. Valid only while the chat is still
    at that question (FSM state Confirm.asked with the same action and ref): an old «Да» does nothing."""

    action: Destructive
    ref: str
    yes: bool


def ref_for(value: str) -> str:
    """The value itself when it fits a button, else a digest of it: registry ids may be up to 64
    characters or contain the separator, and Telegram allows 64 bytes of callback data."""
    if ":" in value or value.startswith(_DIGEST) or len(value.encode()) > _ROOM:
        return _DIGEST + hashlib.sha256(value.encode()).hexdigest()[:24]
    return value


def ref_matches(ref: str, value: str) -> bool:
    return ref == ref_for(value)


class ArchiveYearCb(CallbackData, prefix="ayr"):
    """A year of an account's reading archive (ref: the account)."""

    ref: str
    year: int


class CheckCb(CallbackData, prefix="chk"):
    """«Да» / «Нет» under a question readings asked about a typed value (ReadingConfirmationAsked:
    rollover or anomaly). Valid only while the chat is at that question (EnterReading.confirm)."""

    check: str
    yes: bool


class PhotoCb(CallbackData, prefix="pht"):
    """«Прикрепить фото» under an accepted reading (issue 14 item 6; ref: the meter, checked against
    what this chat owns like WithdrawCb). readings attaches the photo to the meter's reading that
    counts this period."""

    ref: str
