"""Photo evidence (issue 14 item 6) in words: every refusal reason readings may give has its own text
in each language, and «Прикрепить фото» refers to the meter (a digest when its id does not fit)."""

from __future__ import annotations

from typing import get_args
from uuid import uuid4

import pytest
from meterbot_contracts.readings import PhotoRefusalReason, ReadingPhotoAttached, ReadingPhotoRefused
from telegram_gateway.bot.callbacks import PhotoCb, ref_matches
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.photo_replies import megabytes, photo_offer, photo_reply

pytestmark = pytest.mark.unit

catalogue = load_catalogue()


@pytest.mark.parametrize("locale", ["ru", "en"])
@pytest.mark.parametrize("reason", get_args(PhotoRefusalReason))
def test_each_refusal_has_its_own_text(locale: str, reason: PhotoRefusalReason) -> None:
    t = catalogue.texts(locale)
    event = ReadingPhotoRefused(chat_id=1, account_number="100", meter_id="M-1", reason=reason)
    text = photo_reply(t, event, "Холодная вода M-1", 5 * 1024 * 1024)
    assert "{" not in text and text != t("photo.attached", meter="Холодная вода M-1")
    others = {
        photo_reply(t, event.model_copy(update={"reason": r}), "x", 1) for r in get_args(PhotoRefusalReason)
    }
    assert len(others) == len(get_args(PhotoRefusalReason))


def test_attached_names_the_meter_and_the_limit_reads_in_megabytes() -> None:
    t = catalogue.texts("ru")
    event = ReadingPhotoAttached(
        reading_id=uuid4(),
        chat_id=1,
        account_number="100",
        meter_id="M-1",
        period="2026-05",
        file_id="f",
        sha256="0" * 64,
        size=3,
    )
    assert (
        photo_reply(t, event, "Холодная вода M-1", 1)
        == "Фото прикреплено к показанию прибора учета Холодная вода M-1."
    )
    assert (megabytes(5 * 1024 * 1024), megabytes(1536 * 1024)) == ("5", "1.5")


def test_the_offer_refers_to_the_meter() -> None:
    long_id = "M:" + "9" * 70
    [[button]] = photo_offer(catalogue.texts("en"), long_id).inline_keyboard
    assert button.text == "Attach a photo" and button.callback_data is not None
    assert len(button.callback_data.encode()) <= 64
    assert ref_matches(PhotoCb.unpack(button.callback_data).ref, long_id)
