"""The web chat in headless Chromium (Playwright), against a real aiogram bot polling the local server.

The bot mimics the first steps of the meterbot journey: /start -> «Отправить мой номер» (request_contact)
-> main menu -> «Начать работу» -> an inline meter button -> a value -> «Информация сохранена»; plus
«Написать администратору» relayed to the admin chat and back. Everything is driven through the page.

Needs the ``playwright`` package and a Chromium binary (Debian's ``chromium`` at /usr/bin/chromium, or
``WEBCHAT_CHROMIUM=/path``); the test fails without them, it never skips. The phone-sized screenshot goes to the test's
tmp_path; ``WEBCHAT_SCREENSHOT=1`` (or a missing docs/img/webchat.png) also copies it into docs/img/.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import playwright.async_api as playwright_api  # a dev dependency: missing means a broken install
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from meterbot_botapi import BotApiServer, tiny_png

if TYPE_CHECKING:
    from playwright.async_api import Browser, FilePayload, Page, ViewportSize

pytestmark = pytest.mark.e2e

expect = playwright_api.expect

TOKEN = "777001:webchat-secret"
ADMIN_ID = 1000
REPO_ROOT = Path(__file__).resolve().parents[3]
README_SCREENSHOT = REPO_ROOT / "docs" / "img" / "webchat.png"
VIEWPORT: ViewportSize = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SHARE_PHONE = "Отправить мой номер"
WRITE_ADMIN = "Написать администратору"
HELP = "Справка"
START_WORK = "Начать работу"
GREETING = (
    "Здравствуйте! Через этот чат можно передавать показания приборов учета.\n\n"
    "Для регистрации нажмите кнопку «Отправить мой номер» на панели кнопок рядом с полем ввода."
)
REGISTERED = (
    "Регистрация выполнена. Выберите действие: «Начать работу» — работа с лицевыми счетами "
    "и показаниями, «Справка», «Написать администратору»."
)
FOREIGN_CONTACT = "Это не ваш номер. Отправьте свой номер кнопкой «Отправить мой номер»."
HELP_TEXT = "Как передать показания: «Начать работу» → кнопка прибора учета → значение целым числом."
CHOOSE_METER = "Нажмите кнопку с обозначением прибора учета и дождитесь приглашения к вводу значения."
METERS = {"101": "Холодная вода 101", "102": "Горячая вода 102"}
SAVED = "Информация сохранена"
NOT_A_NUMBER = "«{value}» — не число. Введите показание прибора учета целым числом, например 251."
ONLY_TEXT = "Бот принимает только текст: фото и файлы здесь не передать."
ADMIN_PROMPT = "Напишите сообщение администратору. Передать можно только текст."
ADMIN_SENT = "Сообщение передано администратору. Ответ придет в этот чат."
TO_ADMIN = (
    "Сообщение от жителя\nЧат: {chat_id}\nИмя: {name}\n\n{text}\n\n"
    "Чтобы ответить, ответьте (reply) на это сообщение."
)
FROM_ADMIN = "Ответ администратора:\n{text}"
DELIVERED = "Ответ отправлен жителю."
UNKNOWN_TARGET = "Ответьте (reply) на сообщение жителя."
MENU_HINT = "Выберите действие кнопкой ниже."


class Reading(StatesGroup):
    value = State()


class WriteAdmin(StatesGroup):
    text = State()


def main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=WRITE_ADMIN)],
            [KeyboardButton(text=HELP), KeyboardButton(text=START_WORK)],
        ],
        resize_keyboard=True,
    )


def build_router(relay: dict[int, int]) -> Router:
    """The meterbot journey in miniature; ``relay`` maps admin-chat message ids to resident chats."""
    router = Router()

    @router.message(F.chat.id == ADMIN_ID, F.reply_to_message)
    async def admin_reply(message: Message, bot: Bot) -> None:
        assert message.reply_to_message is not None
        target = relay.get(message.reply_to_message.message_id)
        if target is None or not message.text:
            await message.answer(UNKNOWN_TARGET)
            return
        await bot.send_message(target, FROM_ADMIN.format(text=message.text))
        await message.answer(DELIVERED)

    @router.message(CommandStart())
    async def start(message: Message, state: FSMContext) -> None:
        await state.clear()
        keyboard = ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text=SHARE_PHONE, request_contact=True)]], resize_keyboard=True
        )
        await message.answer(GREETING, reply_markup=keyboard)

    @router.message(F.contact)
    async def contact(message: Message) -> None:
        assert message.contact is not None and message.from_user is not None
        if message.contact.user_id != message.from_user.id:
            await message.answer(FOREIGN_CONTACT)
            return
        await message.answer(REGISTERED, reply_markup=main_menu())

    @router.message(F.text == HELP)
    async def help_(message: Message) -> None:
        await message.answer(HELP_TEXT)

    @router.message(F.text == START_WORK)
    async def start_work(message: Message, state: FSMContext) -> None:
        await state.clear()
        buttons = [
            [InlineKeyboardButton(text=name, callback_data=f"meter:{key}")] for key, name in METERS.items()
        ]
        await message.answer(CHOOSE_METER, reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))

    @router.callback_query(F.data.startswith("meter:"))
    async def pick_meter(query: CallbackQuery, state: FSMContext) -> None:
        assert query.data is not None and isinstance(query.message, Message)
        meter = METERS[query.data.removeprefix("meter:")]
        await query.answer(f"Выбран прибор {meter}")
        await query.message.edit_text(f"Прибор учета: {meter}")
        await state.set_state(Reading.value)
        await state.update_data(meter=meter)
        await query.message.answer(f"Введите значение для прибора учета {meter} (нет данных)")

    @router.message(Reading.value, F.text)
    async def value(message: Message, state: FSMContext) -> None:
        assert message.text is not None
        if not message.text.strip().isdigit():
            await message.answer(NOT_A_NUMBER.format(value=message.text))
            return
        await state.clear()
        await message.answer(SAVED)

    @router.message(F.text == WRITE_ADMIN)
    async def write_admin(message: Message, state: FSMContext) -> None:
        await state.set_state(WriteAdmin.text)
        await message.answer(ADMIN_PROMPT)

    @router.message(WriteAdmin.text, F.text)
    async def pass_on(message: Message, state: FSMContext, bot: Bot) -> None:
        assert message.text is not None and message.from_user is not None
        await state.clear()
        text = TO_ADMIN.format(chat_id=message.chat.id, name=message.from_user.full_name, text=message.text)
        forwarded = await bot.send_message(ADMIN_ID, text)
        relay[forwarded.message_id] = message.chat.id
        await message.answer(ADMIN_SENT)

    @router.message(F.text)
    async def other_text(message: Message) -> None:
        await message.answer(MENU_HINT)

    @router.message()
    async def not_text(message: Message) -> None:
        await message.answer(ONLY_TEXT)

    return router


@pytest.fixture
async def meterbot(server: BotApiServer) -> AsyncIterator[Bot]:
    """The miniature meterbot, long-polling the server (a real aiogram Dispatcher)."""
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.base_url)))
    dispatcher = Dispatcher()
    dispatcher.include_router(build_router({}))
    started = asyncio.Event()
    dispatcher.startup.register(started.set)
    task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
    await asyncio.wait_for(started.wait(), 10)
    yield bot
    await dispatcher.stop_polling()
    await asyncio.wait_for(task, 10)
    await bot.session.close()


def _chromium() -> str | None:
    candidates = [os.environ.get("WEBCHAT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    return next((c for c in candidates if c and Path(c).exists()), None)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Chromium for the module; every ChatPage gets its own context (own sessionStorage)."""
    executable = _chromium()
    if executable is None:
        pytest.fail("no Chromium: apt-get install chromium (or set WEBCHAT_CHROMIUM)", pytrace=False)
    async with playwright_api.async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


class Tabs:
    """Opens chat pages (each in its own browser context) and closes them before the server stops."""

    def __init__(self, browser: Browser, chat_url: str) -> None:
        self.browser, self.chat_url = browser, chat_url
        self.opened: list[ChatPage] = []

    async def open(self, path: str = "", *, ready: bool = True) -> ChatPage:
        page = await self.browser.new_page(viewport=VIEWPORT, locale="ru-RU", device_scale_factor=1)
        chat = ChatPage(page)
        self.opened.append(chat)
        await page.goto(self.chat_url + path)
        if ready:
            await chat.ready()
        return chat

    async def close(self) -> None:
        for chat in self.opened:
            await chat.page.context.close()


@pytest.fixture
async def tabs(server: BotApiServer, browser: Browser) -> AsyncIterator[Tabs]:
    opened = Tabs(browser, server.chat_url)
    yield opened
    await opened.close()


class ChatPage:
    """One browser tab on the web chat, with the page's JavaScript errors collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)

    async def ready(self) -> None:
        await self.page.wait_for_selector("body[data-ready='true']", timeout=15_000)

    async def send(self, text: str) -> None:
        await self.page.fill("#input", text)
        await self.page.press("#input", "Enter")

    async def press(self, button: str) -> None:
        await self.page.locator("#keyboard").get_by_role("button", name=button, exact=True).click()

    async def press_inline(self, button: str) -> None:
        await self.page.locator(".inline-btn", has_text=button).click()

    def bot_bubbles(self) -> Any:
        return self.page.locator(".row.in .bubble")

    def user_bubbles(self) -> Any:
        return self.page.locator(".row.out .bubble")

    async def expect_bot(self, text: str) -> None:
        await expect(self.bot_bubbles().last).to_contain_text(text, timeout=10_000)

    async def subtitle(self) -> str:
        return await self.page.inner_text("#subtitle")


async def _register(chat: ChatPage) -> None:
    """/start typed, «Отправить мой номер» pressed: the main menu is shown."""
    await chat.send("/start")
    await chat.expect_bot(GREETING.splitlines()[0])
    await chat.press(SHARE_PHONE)
    await chat.expect_bot(REGISTERED)


async def test_resident_journey_in_the_browser(
    server: BotApiServer, meterbot: Bot, tabs: Tabs, tmp_path: Path
) -> None:
    chat = await tabs.open()
    page = chat.page
    await expect(page.locator("#title")).to_have_text("meterbot")
    await expect(page.locator(".notice")).to_contain_text("/start")
    subtitle = await chat.subtitle()
    match = re.search(r"вы: (\S+), (\+7900\d{7})", subtitle)
    assert match is not None, subtitle
    name, phone = match.groups()

    await chat.send("/start")
    await chat.expect_bot(GREETING.splitlines()[0])
    greeting = await chat.bot_bubbles().last.inner_text()
    assert greeting.startswith(GREETING)  # newlines and «quotes» as the bot sent them
    await expect(page.locator(".notice")).to_be_hidden()
    await expect(page.locator("#keyboard .reply-btn")).to_have_text([SHARE_PHONE])

    await chat.press(SHARE_PHONE)
    await expect(chat.user_bubbles().last).to_contain_text(phone)
    await expect(chat.user_bubbles().last).to_contain_text(name)
    await chat.expect_bot(REGISTERED)
    await expect(page.locator("#keyboard .reply-btn")).to_have_text([WRITE_ADMIN, HELP, START_WORK])

    await chat.press(HELP)
    await chat.expect_bot(HELP_TEXT)
    await chat.press(START_WORK)
    await chat.expect_bot(CHOOSE_METER)
    await expect(page.locator(".inline-btn")).to_have_text(list(METERS.values()))

    await chat.press_inline(METERS["101"])
    await expect(page.locator("#toast")).to_have_text(f"Выбран прибор {METERS['101']}")
    await chat.expect_bot(f"Введите значение для прибора учета {METERS['101']}")
    edited = page.locator(".row.in", has_text=f"Прибор учета: {METERS['101']}")
    await expect(edited).to_contain_text(METERS["101"])
    await expect(edited).to_contain_text("изменено")
    await expect(page.locator(".inline-btn")).to_have_count(0)  # the edit dropped the keyboard
    await expect(page.get_by_text(CHOOSE_METER)).to_have_count(0)

    await chat.send("251")
    await expect(chat.user_bubbles().last).to_contain_text("251")
    await chat.expect_bot(SAVED)
    await page.wait_for_timeout(300)  # let the toast fade out of the picture
    await expect(page.locator("#toast")).to_be_hidden(timeout=5_000)
    screenshot = tmp_path / "webchat.png"
    await page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("WEBCHAT_SCREENSHOT") or not README_SCREENSHOT.exists():
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, README_SCREENSHOT)

    # a photo from the user: shown as an image; the bot answers that it takes text only
    photo: FilePayload = {"name": "meter.png", "mimeType": "image/png", "buffer": tiny_png()}
    await page.set_input_files("#file", files=[photo])
    await chat.expect_bot(ONLY_TEXT)
    user_photo = chat.user_bubbles().last.locator("img.photo")
    await expect(user_photo).to_be_visible()
    assert await user_photo.evaluate("img => img.naturalWidth") == 2

    # the same resident after a reload: the conversation and the keyboard are still there
    await page.reload()
    await chat.ready()
    assert await chat.subtitle() == subtitle
    await chat.expect_bot(ONLY_TEXT)
    await expect(page.get_by_text(SAVED)).to_be_visible()
    assert chat.errors == []


async def test_two_residents_in_two_tabs_stay_separate(
    server: BotApiServer, meterbot: Bot, tabs: Tabs
) -> None:
    ivan = await tabs.open("chat?user=7001&name=Иван")
    other = await tabs.open()
    assert "вы: Иван, +79000007001" in await ivan.subtitle()
    other_subtitle = await other.subtitle()
    assert "+79000007001" not in other_subtitle

    await asyncio.gather(ivan.send("/start"), other.send("/start"))
    await asyncio.gather(
        ivan.expect_bot(GREETING.splitlines()[0]), other.expect_bot(GREETING.splitlines()[0])
    )
    await asyncio.gather(ivan.press(SHARE_PHONE), other.press(SHARE_PHONE))
    await asyncio.gather(ivan.expect_bot(REGISTERED), other.expect_bot(REGISTERED))
    await ivan.send("кв. 12")
    await other.send("кв. 34")
    await asyncio.gather(ivan.expect_bot(MENU_HINT), other.expect_bot(MENU_HINT))

    await expect(ivan.user_bubbles()).to_have_count(3)
    await expect(other.user_bubbles()).to_have_count(3)
    ivan_texts = await ivan.user_bubbles().all_inner_texts()
    other_texts = await other.user_bubbles().all_inner_texts()
    assert "Иван" in ivan_texts[1] and "+79000007001" in ivan_texts[1]
    assert "+79000007001" not in other_texts[1]
    assert "кв. 12" in ivan_texts[2] and "кв. 34" in other_texts[2]
    assert not any("кв. 34" in t for t in ivan_texts) and not any("кв. 12" in t for t in other_texts)

    other_id = int(re.search(r"\+7900(\d{7})", other_subtitle).group(1))  # type: ignore[union-attr]
    residents = server.residents(TOKEN)
    assert [m.text for m in residents.messages(7001, who="user")][-1] == "кв. 12"
    assert [m.text for m in residents.messages(other_id, who="user")][-1] == "кв. 34"
    assert ivan.errors == [] and other.errors == []


async def test_admin_view_gets_the_message_and_replies(
    server: BotApiServer, meterbot: Bot, tabs: Tabs
) -> None:
    admin = await tabs.open("admin")
    assert "администратор, id 1000" in await admin.subtitle()
    await expect(admin.page.locator(".notice")).to_contain_text("Ответить")
    resident = await tabs.open("?user=8123&name=Лена")
    await _register(resident)

    await resident.press(WRITE_ADMIN)
    await resident.expect_bot(ADMIN_PROMPT)
    await resident.send("Не работает счётчик в ванной")
    await resident.expect_bot(ADMIN_SENT)

    await admin.expect_bot("Не работает счётчик в ванной")
    incoming = admin.page.locator(".row.in", has_text="Не работает счётчик в ванной")
    await expect(incoming).to_contain_text("Чат: 8123")
    await expect(incoming).to_contain_text("Имя: Лена")
    await incoming.get_by_role("button", name="Ответить").click()
    await expect(admin.page.locator("#reply-bar")).to_be_visible()
    await expect(admin.page.locator("#reply-snippet")).to_contain_text("Сообщение от жителя")
    await admin.send("Проверим завтра до 12:00")
    await admin.expect_bot(DELIVERED)
    await expect(admin.page.locator("#reply-bar")).to_be_hidden()
    sent = admin.user_bubbles().last
    await expect(sent.locator(".quote")).to_contain_text("Сообщение от жителя")
    await expect(sent).to_contain_text("Проверим завтра до 12:00")

    await resident.expect_bot("Ответ администратора:\nПроверим завтра до 12:00")
    admin_messages = server.residents(TOKEN).messages(ADMIN_ID, who="user")
    assert admin_messages[-1].reply_to_message_id == admin_messages[-1].message_id - 1
    assert admin.errors == [] and resident.errors == []


async def test_edits_deletions_keyboards_and_alerts(server: BotApiServer, meterbot: Bot, tabs: Tabs) -> None:
    """What the page does with the bot's other moves, driven through the Bot API directly."""
    chat = await tabs.open("?user=9001")
    page = chat.page
    await chat.send("/start")
    await chat.expect_bot(GREETING.splitlines()[0])

    temporary = await meterbot.send_message(9001, "Загружаю приборы…")
    await chat.expect_bot("Загружаю приборы…")
    await meterbot.delete_message(9001, temporary.message_id)
    await expect(page.get_by_text("Загружаю приборы…")).to_have_count(0)

    versioned = await meterbot.send_message(
        9001,
        "Черновик",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Справка на сайте", url="https://example.org/help")]]
        ),
    )
    await expect(page.locator(".inline-btn")).to_have_text(["Справка на сайте"])
    await meterbot.edit_message_text("Итог: всё в порядке", chat_id=9001, message_id=versioned.message_id)
    await chat.expect_bot("Итог: всё в порядке")
    await expect(page.get_by_text("Черновик")).to_have_count(0)
    await expect(page.locator(".inline-btn")).to_have_count(0)

    # reply keyboard toggling: shown, hidden by the toggle, removed by ReplyKeyboardRemove
    await expect(page.locator("#keyboard")).to_be_visible()
    await page.click("#kb-toggle")
    await expect(page.locator("#keyboard")).to_be_hidden()
    await page.click("#kb-toggle")
    await expect(page.locator("#keyboard")).to_be_visible()
    await meterbot.send_message(9001, "Кнопки убраны", reply_markup=ReplyKeyboardRemove())
    await chat.expect_bot("Кнопки убраны")
    await expect(page.locator("#keyboard")).to_be_hidden()
    await expect(page.locator("#kb-toggle")).to_be_hidden()

    # a callback answered with show_alert: a dialog; a refused button press: a toast with the reason
    alert = await meterbot.send_message(
        9001,
        "Подтвердите",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Да", callback_data="yes")]]
        ),
    )
    await chat.press_inline("Да")
    callbacks = server.world.bots[777001].callbacks
    query = await server.residents(TOKEN).wait_until(
        lambda: next((r.query for r in callbacks.values() if r.query["data"] == "yes"), None)
    )
    assert query["message"]["message_id"] == alert.message_id
    await meterbot.answer_callback_query(query["id"], text="Показания приняты", show_alert=True)
    await expect(page.locator("#alert-text")).to_have_text("Показания приняты")
    await page.click("#alert-ok")
    await expect(page.locator("#alert")).to_be_hidden()

    # files: a document becomes a download link; bytes that are no image are refused with a toast
    csv: FilePayload = {"name": "readings.csv", "mimeType": "text/csv", "buffer": b"cold;251\n"}
    await page.set_input_files("#file", files=[csv])
    await expect(chat.user_bubbles().last.locator("a.document")).to_have_text("readings.csv")
    await chat.expect_bot(ONLY_TEXT)
    broken: FilePayload = {"name": "meter.png", "mimeType": "image/png", "buffer": b"not a png"}
    await page.set_input_files("#file", files=[broken])
    await expect(page.locator("#toast")).to_have_text("IMAGE_PROCESS_FAILED")
    assert [e for e in chat.errors if "400" not in e] == []  # the refused upload is the only error


async def test_the_page_waits_for_a_bot_and_lets_you_pick_one(server: BotApiServer, tabs: Tabs) -> None:
    chat = await tabs.open(ready=False)
    await expect(chat.page.locator(".notice")).to_contain_text("Ждём бота")
    await expect(chat.page.locator(".notice code")).to_have_text(server.base_url)
    await expect(chat.page.locator("#input")).to_be_disabled()

    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    async with Bot("777002:first", session=session) as first:
        await first.get_me()  # the bot calls the server: the waiting page picks it up
        await chat.ready()
        await expect(chat.page.locator("#title")).to_have_text("meterbot")
        await expect(chat.page.locator("#input")).to_be_enabled()

        session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
        async with Bot("777003:second", session=session) as second:
            await second.get_me()
            picker = await tabs.open(ready=False)
            links = picker.page.locator(".bot-link")
            await expect(links).to_have_count(2)
            await links.filter(has_text="777003").click()
            await picker.ready()
            assert picker.page.url.endswith("?bot=777003")
            await expect(picker.page.locator("#title")).to_have_text("meterbot")
    assert chat.errors == [] and picker.errors == []
