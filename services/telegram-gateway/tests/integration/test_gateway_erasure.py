"""«Удалить мои данные» through the real dispatcher: Да sends ResidentErasureRequested, Нет and a
forged Да send nothing, and identity's ResidentErased makes the gateway forget the chat, including
what it typed that still waits here (a pending link holds the surname)."""

from __future__ import annotations

import uuid

import pytest
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.identity import ResidentErased, ResidentErasureRequested
from meterbot_testing.resident import ResidentFactory
from meterbot_testing.services import ServiceDouble

from .gateway_harness import GatewayHarness

pytestmark = pytest.mark.integration


async def test_yes_requests_erasure_and_the_erased_event_forgets_the_chat(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    vera = new_resident()
    await vera.register()
    # a link waiting for its answer: the gateway holds the typed surname meanwhile
    await vera.open_work_menu()
    await vera.press("btn.add_account")
    await vera.say(str(uuid.uuid4().int)[:8])
    await vera.send("Кисловарская")
    await services.expect(AccountLinkRequested, chat_id=vera.chat_id)
    assert await gateway.pool.fetchval(
        "SELECT count(*) FROM pending_requests WHERE chat_id = $1", vera.chat_id
    )

    question = await vera.say("Удалить мои данные")
    assert question.text == vera.t("erase.confirm")
    done = await vera.tap(question, "Да")
    assert done.text == vera.t("erase.done")
    assert vera.sees("btn.share_phone")
    await services.expect(ResidentErasureRequested, chat_id=vera.chat_id)

    await services.publish(ResidentErased(chat_id=vera.chat_id))
    await gateway.wait_for(
        "SELECT NOT EXISTS (SELECT 1 FROM rm_chats WHERE chat_id = $1)"
        " AND NOT EXISTS (SELECT 1 FROM pending_requests WHERE chat_id = $1)"
        " AND NOT EXISTS (SELECT 1 FROM fsm_states WHERE chat_id = $1)",
        vera.chat_id,
    )
    assert (await vera.say("/start")).text == vera.t("start.greeting")


async def test_no_and_a_forged_yes_erase_nothing(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    gleb = new_resident()
    await gleb.register()
    question = await gleb.say("/erase")
    kept = await gleb.tap(question, "Нет")
    assert kept.text == gleb.t("erase.kept")
    # the Да of the old question, pressed after Нет: the question is no longer open
    outdated = await gleb.tap(question, "Да")
    assert outdated.text == gleb.t("common.button_outdated")
    forged = await gleb.tap_forged(kept, "erase:yes")
    assert forged.text == gleb.t("common.button_outdated")
    # anything else while the question is open is asked again; a typed «да» answers it
    asked = await gleb.say("/erase")
    assert (await gleb.say("может быть")).text == gleb.t("erase.answer_yes_no")
    await gleb.resident.send_sticker()  # no text at all (the 10k fuzz run found this one)
    assert (await gleb.next()).text == gleb.t("erase.answer_yes_no")
    assert (await gleb.say("да")).text == gleb.t("erase.done")
    await services.expect(ResidentErasureRequested, chat_id=gleb.chat_id)
    # exactly one request: the one typed last
    assert services.commands(ResidentErasureRequested, chat_id=gleb.chat_id) == [
        ResidentErasureRequested(chat_id=gleb.chat_id)
    ]
    assert asked.text == gleb.t("erase.confirm")
