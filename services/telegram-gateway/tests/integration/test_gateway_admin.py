"""«Написать администратору»: text only; it reaches the admin chat with who sent it; the admin's reply
to it comes back to the resident."""

from __future__ import annotations

import pytest
from telegram_gateway.testing import GatewayHarness, ResidentDriver, ResidentFactory

from .conftest import ADMIN_CHAT_ID

pytestmark = pytest.mark.integration


async def test_message_to_admin_and_the_reply_back(
    gateway: GatewayHarness, new_resident: ResidentFactory, admin: ResidentDriver
) -> None:
    anna = new_resident(first_name="Анна", last_name="Иванова", username="anna_iv")
    await anna.register()
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
