"""Photo evidence (issue 14 item 6) in the resident's words: the «Прикрепить фото» button under an
accepted reading, and what readings answered about a photo. Pure functions of texts and data."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from meterbot_contracts.readings import ReadingPhotoAttached, ReadingPhotoRefused

from telegram_gateway.bot.callbacks import PhotoCb, ref_for
from telegram_gateway.i18n import Texts


def photo_offer(t: Texts, meter_id: str) -> InlineKeyboardMarkup:
    """«Прикрепить фото» for the meter's reading just accepted."""
    button = InlineKeyboardButton(
        text=t("photo.btn_attach"), callback_data=PhotoCb(ref=ref_for(meter_id)).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def photo_reply(
    t: Texts, event: ReadingPhotoAttached | ReadingPhotoRefused, label: str, max_bytes: int
) -> str:
    if isinstance(event, ReadingPhotoAttached):
        return t("photo.attached", meter=label)
    return t(
        f"photo.refused_{event.reason}", meter=label, number=event.account_number, limit=megabytes(max_bytes)
    )
