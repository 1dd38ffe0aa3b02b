"""The gateway's dispatcher in-process, with no Telegram, Kafka or PostgreSQL: the real routers,
middlewares, filters and keyboards (app.build_dispatcher), aiogram's memory FSM storage, a bot
whose session records every Bot API call, and fakes for the read model and the command bus. Updates
go in through Dispatcher.feed_update; what the bot said and what it sent as commands come out."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, InlineKeyboardMarkup, Message, Update, User
from meterbot_contracts import Message as Command
from telegram_gateway.app import build_dispatcher
from telegram_gateway.bot.context import Deps
from telegram_gateway.bot.ratelimit import RateLimiter
from telegram_gateway.i18n import Catalogue, Texts, load_catalogue
from telegram_gateway.readmodel import LinkedAccount


class RecordingSession(BaseSession):
    """A Bot API that answers every call at once and keeps what the bot sent."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self._ids = itertools.count(1000)

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None) -> Any:
        self.calls.append(method)
        if isinstance(method, SendMessage):
            markup = method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
            return Message(
                message_id=next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                text=method.text,
                reply_markup=markup,
            )
        return True

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError("the gateway downloads no files")
        yield b""  # pragma: no cover

    async def close(self) -> None:
        pass


class FakeReadModel:
    """The read model as the routers ask it; chats and accounts set by the test."""

    def __init__(self) -> None:
        self.registered: set[int] = set()
        self.linked: dict[int, list[LinkedAccount]] = {}

    async def is_registered(self, chat_id: int) -> bool:
        return chat_id in self.registered

    async def language(self, chat_id: int) -> str | None:
        return None

    async def accounts(self, chat_id: int) -> list[LinkedAccount]:
        return self.linked.get(chat_id, [])

    async def meters(self, chat_id: int, account_number: str) -> list[Any]:
        return []

    async def meters_of_chat(self, chat_id: int) -> list[Any]:
        return []

    def __getattr__(self, name: str) -> Any:  # a query this fake does not know yet: nothing found
        async def nothing(*args: Any, **kwargs: Any) -> None:
            return None

        return nothing


class FakeCommandBus:
    """Keeps the commands instead of publishing them; the request always goes out."""

    def __init__(self) -> None:
        self.sent: list[Command] = []

    async def send(self, *args: Any, **kwargs: Any) -> bool:
        self.sent += [a for a in (*args, *kwargs.values()) if isinstance(a, Command)]
        return True


class Inert:
    """A collaborator these tests do not exercise (admin relay, notes): every call does nothing."""

    def __getattr__(self, name: str) -> Any:
        async def nothing(*args: Any, **kwargs: Any) -> None:
            return None

        return nothing


@dataclasses.dataclass
class InProcessGateway:
    dispatcher: Dispatcher
    bot: Bot
    session: RecordingSession
    read_model: FakeReadModel
    bus: FakeCommandBus
    catalogue: Catalogue
    _ids: itertools.count[int] = dataclasses.field(default_factory=lambda: itertools.count(1))

    @property
    def t(self) -> Texts:
        return self.catalogue.texts("ru")

    async def say(self, chat_id: int, text: str) -> list[str]:
        """A resident's text message; the texts the bot sent in answer."""
        before = len(self.session.calls)
        user = User(id=chat_id, is_bot=False, first_name="Житель", language_code="ru")
        message = Message(
            message_id=next(self._ids),
            date=datetime.now(UTC),
            chat=Chat(id=chat_id, type="private"),
            from_user=user,
            text=text,
        )
        await self.dispatcher.feed_update(self.bot, Update(update_id=next(self._ids), message=message))
        return [c.text for c in self.session.calls[before:] if isinstance(c, SendMessage)]

    async def state(self, chat_id: int) -> str | None:
        context = self.dispatcher.fsm.get_context(self.bot, chat_id=chat_id, user_id=chat_id)
        return await context.get_state()


def in_process_gateway() -> InProcessGateway:
    catalogue = load_catalogue()
    read_model, bus = FakeReadModel(), FakeCommandBus()
    fakes: dict[str, Any] = {
        "read_model": read_model,
        "bus": bus,
        "catalogue": catalogue,
        "tz": ZoneInfo("Europe/Moscow"),
    }
    required = [
        f.name
        for f in dataclasses.fields(Deps)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    # a collaborator added to Deps later gets an inert stand-in until a test needs a real fake
    deps = Deps(**{name: fakes.get(name, Inert()) for name in required})
    limiter = RateLimiter(10_000, 10.0)
    dispatcher = build_dispatcher(deps, cast(Any, MemoryStorage()), limiter)
    session = RecordingSession()
    bot = Bot("42:in-process", session=session)
    return InProcessGateway(dispatcher, bot, session, read_model, bus, catalogue)
