"""A resident driving the bot through the local Bot API server (meterbot_botapi), in the bot's own
words: labels come from the bot's catalogue (passed in: a test library does not import the gateway),
so flows read like the seed manual. Works the same against the gateway alone (services played by
ServiceDouble) and against the whole stack."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, Protocol

from meterbot_botapi import ChatMessage, Resident
from meterbot_botapi.markup import current_reply_keyboard, keyboard_texts
from meterbot_botapi.records import CallbackRecord

Texts = Callable[..., str]  # t("account.entered", number="123") -> the text the bot sends


class Catalogue(Protocol):
    """The bot's texts by language (the gateway's telegram_gateway.i18n.Catalogue)."""

    def texts(self, locale_or_language: str | None) -> Texts: ...


class ResidentDriver:
    def __init__(self, resident: Resident, catalogue: Catalogue, timeout: float = 10.0) -> None:
        self.resident = resident
        self.t = catalogue.texts(resident.profile.language_code)
        self.timeout = timeout

    @property
    def chat_id(self) -> int:
        return int(self.resident.chat_id)

    # --- single steps ----------------------------------------------------------------------------
    async def next(self, timeout: float | None = None) -> ChatMessage:
        return await self.resident.next_bot_message(timeout=timeout or self.timeout)

    async def say(self, text: str) -> ChatMessage:
        """Send text; the bot's next message."""
        await self.resident.send_text(text)
        return await self.next()

    async def send(self, text: str) -> None:
        await self.resident.send_text(text)

    async def press(self, label: str) -> ChatMessage:
        """Press a reply-keyboard button (a label or a catalogue key like "btn.add_account")."""
        await self.resident.press_button(self._label(label))
        return await self.next()

    async def tap(self, message: ChatMessage, label: str) -> ChatMessage:
        """Press the inline button of `message` whose caption is (or starts with) `label`."""
        caption = next((b for row in message.buttons for b in row if b == label or b.startswith(label)), None)
        assert caption is not None, f"no button {label!r} on {message.buttons}"
        await self.resident.press_inline(message, text=caption)
        return await self.next()

    async def tap_forged(self, message: ChatMessage, data: str) -> ChatMessage:
        """Send a callback query with `data` as if a button of `message` carried it (a modified
        client can send any callback data; the bot must not trust it)."""
        api = self.resident.api
        bot = api.bot
        query: dict[str, Any] = {
            "id": f"{bot.bot_id}{bot.serial():08d}",
            "from": api.world.user(self.resident.user_id).as_user(),
            "message": copy.deepcopy(message.message),
            "chat_instance": f"{bot.bot_id}{self.resident.user_id}",
            "data": data,
        }
        bot.callbacks[query["id"]] = CallbackRecord(query)
        bot.push_update("callback_query", copy.deepcopy(query))
        return await self.next()

    async def reply_to(self, message: ChatMessage, text: str) -> None:
        """Answer `message` with Telegram's reply (reply_to_message), e.g. an admin replying."""
        await self.resident.send_text(text, reply_to=message)

    def keyboard(self) -> list[list[str]]:
        """The reply keyboard the resident sees now (button captions by row)."""
        chat = self.resident.api.bot.chats.get(self.chat_id)
        return keyboard_texts(current_reply_keyboard(chat)) if chat else []

    def sees(self, label: str) -> bool:
        return any(self._label(label) in row for row in self.keyboard())

    async def open_work_menu(self) -> None:
        """Get to the «Начать работу» keyboard from wherever the resident is."""
        if self.sees("btn.add_account"):
            return
        if not self.sees("btn.start_work"):
            await self.say("/start")  # a registered resident's /start shows the work buttons
            if self.sees("btn.add_account"):
                return
        await self.press("btn.start_work")

    def _label(self, label: str) -> str:
        return self.t(label) if label.startswith("btn.") else label

    # --- flows from the seed manual --------------------------------------------------------------
    async def register(self) -> ChatMessage:
        """/start, then «Отправить мой номер»; the bot's answer (the main menu once registered)."""
        await self.say("/start")
        return await self.press("btn.share_phone")

    async def add_account(self, number: str, surname: str) -> ChatMessage:
        """«Начать работу» -> «Добавить ЛС» -> number -> surname; the first answer to the surname."""
        await self.open_work_menu()
        prompt = await self.press("btn.add_account")
        assert prompt.text == self.t("account.enter_number"), prompt.text
        entered = await self.say(number)
        assert entered.text == self.t("account.entered", number=number), entered.text
        return await self.say(surname)

    async def choose_account(self, number: str) -> ChatMessage:
        """«Выбрать ЛС» -> the account's button; the message with its actions."""
        await self.open_work_menu()
        accounts = await self.press("btn.select_account")
        return await self.tap(accounts, number)

    async def meters(self, number: str) -> ChatMessage:
        """The message with one button per meter of the account."""
        actions = await self.choose_account(number)
        return await self.tap(actions, self.t("btn.enter_readings"))

    async def enter_reading(self, number: str, meter: str, value: str) -> ChatMessage:
        """Choose the account, press the meter's button (label or meter id) and type the value; the
        first answer to the value."""
        meters = await self.meters(number)
        caption = next(
            (b for row in meters.buttons for b in row if b == meter or b.endswith(f" {meter}")), meter
        )
        prompt = await self.tap(meters, caption)
        assert prompt.text and prompt.text.startswith(
            self.t("reading.prompt", meter=caption, prev="")[:-2]
        ), prompt.text
        return await self.say(value)


ResidentFactory = Callable[..., ResidentDriver]  # fixtures: make a fresh resident (profile kwargs)
