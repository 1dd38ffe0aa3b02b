"""«Написать администратору»: text only; it reaches the admin chat with who sent it; the admin's reply
to it comes back to the resident."""

from __future__ import annotations

import uuid

import pytest
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble

from .conftest import ADMIN_CHAT_ID
from .gateway_harness import GatewayHarness
from .gateway_steps import link

pytestmark = pytest.mark.integration


async def test_message_to_admin_and_the_reply_back(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory, admin: ResidentDriver
) -> None:
    anna = new_resident(
        first_name="Анна", last_name="Иванова", username="anna_iv", phone_number="+79161234567"
    )
    await anna.register()
    n = str(uuid.uuid4().int)[:9]
    await link(anna, services, n, address="ул. Мира, 3, кв. 7")
    await anna.say("/exit")
    prompt = await anna.press("Написать администратору")
    assert "ТОЛЬКО ТЕКСТОВОЕ" in (prompt.text or "")
    await anna.resident.send_photo(caption="вот счетчик")
    only_text = await anna.next()
    assert only_text.text == "Администратору можно передать только текстовое сообщение. " + (
        "Напишите текст или отправьте /exit для отмены."
    )
    sent = await anna.say("Счетчик горячей воды заменили 3 мая")
    assert sent.text == "Сообщение передано администратору. Ответ придет в этот чат."

    forwarded = await admin.next()
    assert forwarded.chat_id == ADMIN_CHAT_ID
    text = forwarded.text or ""
    assert f"Чат: {anna.chat_id}" in text and "Имя: Анна Иванова" in text and "Пользователь: @anna_iv" in text
    # Issue 11 item 8: who is asking -- the phone masked (the admin chat is not marked trusted), the
    # linked accounts with their addresses
    assert "Телефон: +7******4567" in text and "+79161234567" not in text
    assert f"Лицевые счета: {n} (ул. Мира, 3, кв. 7)" in text
    assert "Счетчик горячей воды заменили 3 мая" in text

    await admin.reply_to(forwarded, "Спасибо, передали в абонентский отдел")
    assert (await admin.next()).text == "Ответ отправлен жителю."
    assert (await anna.next()).text == "Ответ администратора:\nСпасибо, передали в абонентский отдел"

    # After sending, the resident is out of the input: the next text is not relayed.
    assert "Не понимаю" in ((await anna.say("еще вопрос")).text or "")


async def test_admin_reply_to_something_else_is_explained(
    gateway: GatewayHarness, admin: ResidentDriver
) -> None:
    hint = await admin.say("/help")
    await admin.reply_to(hint, "это кому?")
    assert "ответьте (reply) на сообщение жителя" in ((await admin.next()).text or "")


async def test_exit_cancels_the_message(gateway: GatewayHarness, new_resident: ResidentFactory) -> None:
    boris = new_resident()
    await boris.register()
    await boris.press("Написать администратору")
    assert (await boris.say("/exit")).text == "Ввод прерван. Вы в главном меню."


async def test_a_message_near_the_limit_arrives_whole_in_parts(
    gateway: GatewayHarness, new_resident: ResidentFactory, admin: ResidentDriver
) -> None:
    """A 4000-character message plus the sender's details passes Telegram's 4096: it arrives in two
    parts, and a reply to either part reaches the resident."""
    petr = new_resident()
    await petr.register()
    await admin.say("/help")  # the admin chat's earlier messages are read: a hint comes back
    await petr.press("Написать администратору")
    long_text = " ".join(f"слово{i}" for i in range(560))[:4000] + " КОНЕЦ"
    assert (await petr.say(long_text)).text == "Сообщение передано администратору. Ответ придет в этот чат."
    first, second = await admin.next(), await admin.next()
    assert len(first.text or "") <= 4096 and len(second.text or "") <= 4096
    assert (first.text or "").startswith("Сообщение от жителя") and "КОНЕЦ" in (second.text or "")
    words = f"{first.text} {second.text}".split()
    assert all(w in words for w in long_text.split())
    await admin.reply_to(second, "Прочитали")
    assert (await admin.next()).text == "Ответ отправлен жителю."
    assert (await petr.next()).text == "Ответ администратора:\nПрочитали"


async def test_plain_text_in_the_admin_chat_gets_a_hint(
    gateway: GatewayHarness, admin: ResidentDriver
) -> None:
    hint = await admin.say("Добрый день, коллеги")
    assert hint.text == (
        "Это чат администратора: сюда приходят сообщения жителей. "
        "Чтобы ответить жителю, ответьте (reply) на его сообщение."
    )
