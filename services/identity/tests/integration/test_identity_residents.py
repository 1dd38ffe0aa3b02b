"""identity over real PostgreSQL and the real broker: a command in on meterbot.identity.commands ->
events in the store (the contact only sealed) -> the answer on meterbot.identity.events -> the
residents view; erasure shreds the key, so the contact is unreadable everywhere while counts stay."""

from __future__ import annotations

import random

import pytest
from identity.application import resident_stream
from identity.crypto import ContactUnreadable, ResidentKeys, unseal
from identity.domain import ResidentPII
from identity.queries import resident_counts, resident_profile
from meterbot_contracts import Envelope, Message
from meterbot_contracts.identity import (
    LanguagePreferenceSet,
    PhoneShared,
    ResidentContactRecorded,
    ResidentErasureRequested,
)
from meterbot_contracts.topics import IDENTITY_COMMANDS

from .identity_harness import Bus, Service, eventually

pytestmark = pytest.mark.integration


def new_chat() -> int:
    return random.randrange(10**9, 2 * 10**9)


def shared(chat: int, *, phone: str = "+7 916 123-45-67", contact_user_id: int | None = None) -> PhoneShared:
    return PhoneShared(
        chat_id=chat,
        user_id=chat,
        contact_user_id=chat if contact_user_id is None else contact_user_id,
        phone=phone,
        first_name="Анна",
        last_name="Каренина",
        language="ru",
    )


async def send(bus: Bus, command: Message | Envelope, chat: int) -> Envelope:
    sent: Envelope = await bus.send(IDENTITY_COMMANDS, command, key=chat)
    return sent


async def stream_types(service: Service, chat: int) -> list[str]:
    rows = await service.pool.fetch(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version", resident_stream(chat)
    )
    return [r["type"] for r in rows]


async def profile_contact(service: Service, chat: int) -> ResidentPII | None:
    async with service.pool.acquire() as conn:
        profile = await resident_profile(conn, chat)
    assert profile is not None
    return profile.contact


async def status(service: Service, chat: int) -> str | None:
    value = await service.pool.fetchval("SELECT status FROM residents WHERE chat_id = $1", chat)
    return str(value) if value is not None else None


async def test_own_contact_registers_and_the_phone_is_stored_only_sealed(service: Service, bus: Bus) -> None:
    chat = new_chat()
    command = await send(bus, shared(chat), chat)
    answer = await bus.answer(command)
    assert (answer.type, answer.payload) == (
        "ResidentRegistered",
        {"chat_id": chat, "user_id": chat, "language": "ru"},
    )

    assert await stream_types(service, chat) == ["ResidentRegistered", "ResidentContactRecorded"]
    stored = await service.pool.fetchval(
        "SELECT string_agg(data::text || metadata::text, ' ') FROM events WHERE stream_id = $1",
        resident_stream(chat),
    )
    assert "79161234567" not in stored and "Анна" not in stored and "Каренина" not in stored
    sealed = await bus.wait(
        lambda e: e.type == "ResidentContactRecorded" and e.correlation_id == command.correlation_id
    )
    assert "79161234567" not in sealed.to_bytes().decode()

    assert await profile_contact(service, chat) == ResidentPII(
        chat_id=chat, user_id=chat, phone="+79161234567", first_name="Анна", last_name="Каренина"
    )
    await eventually(lambda: status(service, chat), "registered")


@pytest.mark.parametrize("card_owner", [None, 42])
async def test_someone_elses_card_is_refused_and_not_kept(
    service: Service, bus: Bus, card_owner: int | None
) -> None:
    chat = new_chat()
    command = shared(chat).model_copy(update={"contact_user_id": card_owner})
    answer = await bus.answer(await send(bus, command, chat))
    assert (answer.type, answer.payload) == (
        "ResidentRegistrationRefused",
        {"chat_id": chat, "reason": "foreign_contact"},
    )
    assert await stream_types(service, chat) == ["ResidentRegistrationRefused"]
    assert await service.pool.fetchval("SELECT count(*) FROM resident_keys WHERE chat_id = $1", chat) == 0


async def test_sharing_again_updates_the_contact_without_a_second_registration(
    service: Service, bus: Bus
) -> None:
    chat = new_chat()
    assert (await bus.answer(await send(bus, shared(chat), chat))).type == "ResidentRegistered"
    again = await bus.answer(await send(bus, shared(chat, phone="89035550000"), chat))
    assert (again.type, again.payload) == ("ResidentContactUpdated", {"chat_id": chat})
    assert await stream_types(service, chat) == [
        "ResidentRegistered",
        "ResidentContactRecorded",
        "ResidentContactUpdated",
        "ResidentContactRecorded",
    ]
    contact = await profile_contact(service, chat)
    assert contact is not None and contact.phone == "+89035550000"


async def test_a_redelivered_command_has_no_second_effect(service: Service, bus: Bus) -> None:
    chat = new_chat()
    command = await send(bus, shared(chat), chat)
    await bus.answer(command)
    await send(bus, command, chat)  # the same envelope again
    language = await send(bus, LanguagePreferenceSet(chat_id=chat, language="en"), chat)
    assert (await bus.answer(language)).type == "ResidentLanguageChanged"  # handled after the redelivery
    assert await stream_types(service, chat) == [
        "ResidentRegistered",
        "ResidentContactRecorded",
        "ResidentLanguageChanged",
    ]
    assert len(bus.caused_by(command)) == 2  # registered + sealed contact, once


async def test_erasure_makes_the_contact_unreadable_everywhere_while_counts_stay(
    service: Service, bus: Bus
) -> None:
    chat, neighbour = new_chat(), new_chat()
    registered = await send(bus, shared(chat), chat)
    await bus.answer(registered)
    await bus.answer(await send(bus, shared(neighbour, phone="+79990000000"), neighbour))
    await eventually(lambda: status(service, chat), "registered")
    counts_before = await resident_counts(service.pool)
    events_before = await service.pool.fetchval("SELECT count(*) FROM events")

    erased = await bus.answer(await send(bus, ResidentErasureRequested(chat_id=chat), chat))
    assert (erased.type, erased.payload) == ("ResidentErased", {"chat_id": chat})

    # the key is gone: the sealed contact, in the store and as published, no longer opens
    keys = ResidentKeys()
    async with service.pool.acquire() as conn:
        assert await keys.get(conn, chat) is None
        profile = await resident_profile(conn, chat)
    assert profile is not None and profile.erased and profile.contact is None
    published = await bus.wait(
        lambda e: e.type == "ResidentContactRecorded" and e.correlation_id == registered.correlation_id
    )
    with pytest.raises(ContactUnreadable):
        unseal(None, ResidentContactRecorded.model_validate(published.payload))
    # ... while the neighbour's still does, and nothing was deleted from the history
    assert await profile_contact(service, neighbour) is not None
    assert await service.pool.fetchval("SELECT count(*) FROM events") == events_before + 1
    assert (await stream_types(service, chat)).count("ResidentRegistered") == 1
    await eventually(lambda: status(service, chat), "erased")
    counts = await resident_counts(service.pool)
    assert sum(counts.values()) == sum(counts_before.values())
    assert (counts["registered"], counts["erased"]) == (
        counts_before["registered"] - 1,
        counts_before["erased"] + 1,
    )

    # registering again is a new registration with a new key; the old contact stays unreadable
    again = await bus.answer(await send(bus, shared(chat, phone="+70000000001"), chat))
    assert again.type == "ResidentRegistered"
    contact = await profile_contact(service, chat)
    assert contact is not None and contact.phone == "+70000000001"
    async with service.pool.acquire() as conn:
        with pytest.raises(ContactUnreadable):
            unseal(await keys.get(conn, chat), ResidentContactRecorded.model_validate(published.payload))
