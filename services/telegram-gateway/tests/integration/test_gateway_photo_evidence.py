"""Issue 14 item 6 through the real dispatcher and the local Bot API server: «Прикрепить фото» under
an accepted reading, the photo sent then downloaded through the Bot API and sent to readings (played
by the double) with its SHA-256 and size, the answer told; the admin's /photo <reading id> sends back
the same bytes; a photo with nothing offered gets a clear answer; a photo above the limit is refused
with nothing kept or sent; readings' refusal is told and the bytes dropped."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from meterbot_botapi import ChatMessage
from meterbot_botapi.media import tiny_png
from meterbot_contracts.readings import (
    MeterType,
    ReadingAccepted,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingPhotoSubmitted,
    ReadingSubmitted,
)
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble
from telegram_gateway.periods import period_of

from .gateway_harness import GatewayHarness
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration

PHOTO = tiny_png()
SHA256 = hashlib.sha256(PHOTO).hexdigest()


async def send_photo(resident: ResidentDriver, data: bytes) -> ChatMessage:
    await resident.resident.send_photo(data)
    return await resident.next()


async def saved_reading(
    gateway: GatewayHarness, services: ServiceDouble, resident: ResidentDriver
) -> tuple[ChatMessage, str, UUID]:
    """A resident whose reading of a new cold water meter was just accepted: («Информация сохранена»,
    meter id, reading id)."""
    await resident.register()
    account, meter = str(uuid.uuid4().int)[:9], f"CW-{uuid.uuid4().hex[:8]}"
    await add_meter(gateway, services, account, meter)
    await link(resident, services, account)
    reading_id = uuid4()

    def accepted(c: ReadingSubmitted) -> ReadingAccepted:
        return ReadingAccepted(
            reading_id=reading_id,
            chat_id=c.chat_id,
            account_number=c.account_number,
            meter_id=c.meter_id,
            meter_type=MeterType.COLD_WATER,
            value=Decimal(c.raw_value),
            previous_value=Decimal("250.550"),
            period=period_of(datetime.now(UTC), gateway.settings.time_zone),
            submitted_at=datetime.now(UTC),
        )

    saved = await services.serve(
        resident.enter_reading(account, meter, "260"), ReadingSubmitted, accepted, chat_id=resident.chat_id
    )
    assert saved.text == "Информация сохранена"
    assert saved.buttons == [["Прикрепить фото"]]
    return saved, meter, reading_id


async def test_a_photo_is_attached_after_acceptance_and_the_admin_gets_the_same_bytes(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory, admin: ResidentDriver
) -> None:
    anna = new_resident()
    saved, meter, reading_id = await saved_reading(gateway, services, anna)
    asked = await anna.tap(saved, "Прикрепить фото")
    assert asked.text is not None and f"Отправьте фото прибора учета Холодная вода {meter}" in asked.text
    waiting = await anna.say("вот")  # text is no photo: still waiting for one
    assert (
        waiting.text
        == f"Жду фото прибора учета Холодная вода {meter}: отправьте его как фото, не файлом. Отменить — /exit."
    )

    def attach(c: ReadingPhotoSubmitted) -> ReadingPhotoAttached:
        return ReadingPhotoAttached(
            reading_id=reading_id,
            chat_id=c.chat_id,
            account_number=c.account_number,
            meter_id=c.meter_id,
            period=period_of(datetime.now(UTC), gateway.settings.time_zone),
            file_id=c.file_id,
            sha256=c.sha256,
            size=c.size,
        )

    told = await services.serve(send_photo(anna, PHOTO), ReadingPhotoSubmitted, attach, chat_id=anna.chat_id)
    assert told.text == f"Фото прикреплено к показанию прибора учета Холодная вода {meter}."
    [command] = services.commands(ReadingPhotoSubmitted, chat_id=anna.chat_id)
    assert (command.meter_id, command.sha256, command.size) == (meter, SHA256, len(PHOTO))

    photo = await admin.say(f"/photo {reading_id}")
    assert photo.kind == "photo" and photo.file_id is not None
    assert hashlib.sha256(admin.resident.api.file_bytes(photo.file_id)).hexdigest() == SHA256
    assert SHA256 in (photo.caption or "")
    other = uuid4()
    assert (await admin.say(f"/photo {other}")).text == f"К показанию {other} фото не прикреплено."
    assert (
        await anna.say(f"/photo {reading_id}")
    ).text == "Эта команда доступна только в чате администратора."


async def test_a_stray_photo_a_too_large_one_and_a_refused_one(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    boris = new_resident()
    stray = await send_photo(boris, PHOTO)  # not even registered: the registration answer
    assert stray.text is not None
    saved, _, _ = await saved_reading(gateway, services, boris)
    stray = await send_photo(boris, PHOTO)  # the button was not pressed
    assert stray.text is not None and stray.text.startswith("Фото не к чему прикрепить.")

    await boris.tap(saved, "Прикрепить фото")
    huge = PHOTO + bytes(gateway.settings.photo_max_bytes)
    too_large = await send_photo(boris, huge)
    assert too_large.text == "Фото слишком большое (больше 5 МБ) и не сохранено. Отправьте фото поменьше."
    assert services.commands(ReadingPhotoSubmitted, chat_id=boris.chat_id) == []

    def nothing(c: ReadingPhotoSubmitted) -> ReadingPhotoRefused:
        return ReadingPhotoRefused(
            chat_id=c.chat_id,
            account_number=c.account_number,
            meter_id=c.meter_id,
            reason="nothing_to_attach_to",
        )

    other = PHOTO + b"boris"  # bytes no reading uses
    refused = await services.serve(
        send_photo(boris, other), ReadingPhotoSubmitted, nothing, chat_id=boris.chat_id
    )
    assert refused.text is not None and "фото не к чему прикрепить" in refused.text
    digest = hashlib.sha256(other).hexdigest()
    await gateway.wait_for("SELECT NOT EXISTS (SELECT 1 FROM photo_blobs WHERE sha256 = $1)", digest)
