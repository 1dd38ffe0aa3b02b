"""accounts over real PostgreSQL and the real broker: a command in on meterbot.accounts.commands ->
events in the store -> the answer on meterbot.accounts.events -> the chat_accounts view."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from accounts.application.streams import account_stream, link_attempts_stream
from accounts.projections import ChatAccounts
from accounts.queries import linked_accounts, linked_chats
from meterbot_contracts import Envelope
from meterbot_contracts.accounts import AccountLinkRequested, AccountUnlinkRequested
from meterbot_contracts.billing import RegistryRecord
from meterbot_contracts.identity import ResidentErased
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, BILLING_REGISTRY_V1, IDENTITY_EVENTS
from meterbot_platform.projection import ProjectionRunner
from prometheus_client import REGISTRY

from .accounts_harness import Bus, Service, eventually

pytestmark = pytest.mark.integration


def new_number() -> str:
    return str(random.randrange(10**8, 10**9))


def new_chat() -> int:
    return random.randrange(10**9, 2 * 10**9)


async def register(bus: Bus, surname: str, address: str = "ул. Ленина, д. 1, кв. 5") -> str:
    number = new_number()
    record = RegistryRecord(account_number=number, surname=surname, address=address)
    registered = await bus.answer(await bus.send(BILLING_REGISTRY_V1, record, key=number))
    assert registered.type == "AccountRegistered"
    return number


async def link(bus: Bus, chat: int, number: str, surname: str) -> Envelope:
    command = AccountLinkRequested(chat_id=chat, account_number=number, surname=surname)
    answer: Envelope = await bus.answer(await bus.send(ACCOUNTS_COMMANDS, command, key=number))
    return answer


async def unlink(bus: Bus, chat: int, number: str) -> Envelope:
    command = AccountUnlinkRequested(chat_id=chat, account_number=number)
    answer: Envelope = await bus.answer(await bus.send(ACCOUNTS_COMMANDS, command, key=number))
    return answer


async def stream_types(service: Service, stream: str) -> list[str]:
    rows = await service.pool.fetch(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version", stream
    )
    return [r["type"] for r in rows]


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": "accounts", **labels}) or 0.0


async def test_surname_variants_link_and_the_view_follows(service: Service, bus: Bus) -> None:
    compound, yo = await register(bus, "Мамин-Сибиряк"), await register(bus, "Ёлкина", "пр. Мира, 7")
    chat = new_chat()

    linked = await link(bus, chat, compound, "маминсибиряк")
    assert linked.type == "AccountLinked"
    assert linked.payload == {
        "chat_id": chat,
        "account_number": compound,
        "address": "ул. Ленина, д. 1, кв. 5",
    }
    assert (await link(bus, chat, yo, "елкина")).type == "AccountLinked"
    assert (await link(bus, new_chat(), compound, " МАМИН сибиряк ")).type == "AccountLinked"

    assert await stream_types(service, account_stream(compound)) == [
        "AccountRegistered",
        "AccountLinked",
        "AccountLinked",
    ]

    async def view() -> list[tuple[str, str]]:
        return [(a.account_number, a.address) for a in await linked_accounts(service.pool, chat)]

    await eventually(view, [(compound, "ул. Ленина, д. 1, кв. 5"), (yo, "пр. Мира, 7")])


async def test_wrong_pair_and_unknown_account_count_down_the_chats_attempts(
    service: Service, bus: Bus
) -> None:
    number, chat = await register(bus, "Иванов"), new_chat()
    wrong_before = metric("meterbot_link_attempts_total", outcome="wrong_pair")

    wrong = await link(bus, chat, number, "Петров")
    assert (wrong.type, wrong.payload["reason"], wrong.payload["attempts_left"]) == (
        "AccountLinkRefused",
        "wrong_pair",
        4,
    )
    unknown = await link(bus, chat, new_number(), "Иванов")
    assert (unknown.payload["reason"], unknown.payload["attempts_left"]) == ("unknown_account", 3)

    # refusals change no account: they are the chat's link attempts
    assert await stream_types(service, account_stream(number)) == ["AccountRegistered"]
    assert await stream_types(service, link_attempts_stream(chat)) == ["AccountLinkRefused"] * 2
    assert metric("meterbot_link_attempts_total", outcome="wrong_pair") == wrong_before + 1


async def test_five_wrong_tries_in_24h_lock_the_chat_not_the_account(service: Service, bus: Bus) -> None:
    first, second = await register(bus, "Кузнецова"), await register(bus, "Смирнов")
    chat, other_chat = new_chat(), new_chat()
    lockouts_before = metric("meterbot_link_lockouts_total")
    t0 = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
    try:
        for i, number in enumerate([first, second, first, second, first]):  # counted per chat
            service.clock.fixed = t0 + timedelta(minutes=i)
            refused = await link(bus, chat, number, "Неверная")
            assert (refused.payload["reason"], refused.payload["attempts_left"]) == ("wrong_pair", 4 - i)
        assert refused.payload["locked_until"] == "2030-01-11T09:00:00Z"  # the try that used the last one

        service.clock.fixed = t0 + timedelta(hours=1)
        locked = await link(bus, chat, first, "Кузнецова")  # even the right pair
        assert (locked.type, locked.payload["reason"]) == ("AccountLinkRefused", "locked_out")
        assert locked.payload["locked_until"] == "2030-01-11T09:00:00Z"
        # another chat is not locked out of the same account
        assert (await link(bus, other_chat, first, "кузнецова")).type == "AccountLinked"

        service.clock.fixed = t0 + timedelta(hours=24)  # the first failure left the window
        assert (await link(bus, chat, first, "Кузнецова")).type == "AccountLinked"
    finally:
        service.clock.fixed = None
    assert metric("meterbot_link_lockouts_total") == lockouts_before + 1


async def test_a_family_links_one_account_and_each_unlinks_alone(service: Service, bus: Bus) -> None:
    number, mother, son = await register(bus, "Петрова", "ул. Садовая, 3"), new_chat(), new_chat()
    assert (await link(bus, mother, number, "Петрова")).type == "AccountLinked"
    assert (await link(bus, son, number, "петрова")).type == "AccountLinked"

    async def chats() -> list[int]:
        return await linked_chats(service.pool, number)

    await eventually(chats, sorted([mother, son]))

    unlinked = await unlink(bus, son, number)
    assert (unlinked.type, unlinked.payload) == (
        "AccountUnlinked",
        {"chat_id": son, "account_number": number},
    )
    await eventually(chats, [mother])
    # unlinking again still gets an answer (the gateway waits for one) and changes nothing
    assert (await unlink(bus, son, number)).type == "AccountUnlinked"
    assert (await unlink(bus, new_chat(), new_number())).type == "AccountUnlinked"
    await eventually(chats, [mother])

    # the view is rebuilt from the events alone
    runner = ProjectionRunner(service.pool, ChatAccounts(), service="accounts-test")
    await runner.rebuild()
    assert await chats() == [mother]


async def test_a_redelivered_command_has_no_second_effect(service: Service, bus: Bus) -> None:
    number, chat = await register(bus, "Сидоров"), new_chat()
    command = await bus.send(
        ACCOUNTS_COMMANDS,
        AccountLinkRequested(chat_id=chat, account_number=number, surname="Нет"),
        key=number,
    )
    await bus.answer(command)
    await bus.send(ACCOUNTS_COMMANDS, command, key=number)  # the same envelope again
    again = await bus.send(
        ACCOUNTS_COMMANDS,
        AccountLinkRequested(chat_id=chat, account_number=number, surname="Сидоров"),
        key=number,
    )
    assert (await bus.answer(again)).type == "AccountLinked"  # handled after the redelivery
    assert await stream_types(service, link_attempts_stream(chat)) == ["AccountLinkRefused"]
    assert len(bus.caused_by(command)) == 1


async def test_a_changed_registry_record_moves_the_address_and_a_repeat_changes_nothing(
    service: Service, bus: Bus
) -> None:
    number, chat = await register(bus, "Орлов", "ул. Старая, 1"), new_chat()
    assert (await link(bus, chat, number, "Орлов")).type == "AccountLinked"

    moved = RegistryRecord(account_number=number, surname="Орлов", address="ул. Новая, 2")
    assert (
        await bus.answer(await bus.send(BILLING_REGISTRY_V1, moved, key=number))
    ).type == "AccountRegistered"
    same = await bus.send(BILLING_REGISTRY_V1, moved, key=number)  # same content, new message

    async def claimed() -> bool:
        return bool(await service.pool.fetchval("SELECT 1 FROM inbox WHERE message_id = $1", same.message_id))

    await eventually(claimed, True)
    assert await stream_types(service, account_stream(number)) == [
        "AccountRegistered",
        "AccountLinked",
        "AccountRegistered",
    ]

    async def addresses() -> list[str]:
        return [a.address for a in await linked_accounts(service.pool, chat)]

    await eventually(addresses, ["ул. Новая, 2"])


async def test_ten_wrong_pairs_from_ten_chats_lock_the_account_for_a_new_chat(
    service: Service, bus: Bus
) -> None:
    number = await register(bus, "Воробьянинов")
    t0 = datetime(2030, 2, 10, 9, 0, tzinfo=UTC)
    try:
        for i in range(10):  # each chat far from its own limit of 5
            service.clock.fixed = t0 + timedelta(minutes=i)
            refused = await link(bus, new_chat(), number, f"Угадай{i}")
            assert refused.payload["reason"] == "wrong_pair"
        assert refused.payload["locked_until"] == "2030-02-11T09:00:00Z"
        service.clock.fixed = t0 + timedelta(hours=1)
        fresh = await link(bus, new_chat(), number, "Воробьянинов")  # a new chat, even the right pair
        assert (fresh.payload["reason"], fresh.payload["locked_until"]) == (
            "locked_out",
            "2030-02-11T09:00:00Z",
        )
        service.clock.fixed = t0 + timedelta(hours=24)
        assert (await link(bus, new_chat(), number, "Воробьянинов")).type == "AccountLinked"
    finally:
        service.clock.fixed = None


async def test_an_erased_resident_is_unlinked_from_every_account(service: Service, bus: Bus) -> None:
    first, second = await register(bus, "Бендер"), await register(bus, "Балаганов")
    chat, family = new_chat(), new_chat()
    for number, surname in ((first, "Бендер"), (second, "Балаганов")):
        assert (await link(bus, chat, number, surname)).type == "AccountLinked"
    assert (await link(bus, family, first, "Бендер")).type == "AccountLinked"
    erased = await bus.send(IDENTITY_EVENTS, ResidentErased(chat_id=chat), key=str(chat))

    async def unlinks() -> int:
        return len(bus.caused_by(erased))

    await eventually(unlinks, 2)
    assert {(e.type, e.payload["account_number"]) for e in bus.caused_by(erased)} == {
        ("AccountUnlinked", first),
        ("AccountUnlinked", second),
    }
    # the family's link to the shared account stays
    rows = await service.pool.fetch("SELECT chat_id FROM chat_accounts WHERE account_number = $1", first)
    await eventually(
        lambda: service.pool.fetchval("SELECT count(*) FROM chat_accounts WHERE chat_id = $1", chat), 0
    )
    assert family in {r["chat_id"] for r in rows}
