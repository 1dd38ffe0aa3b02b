"""In-memory model of a small Telegram: bots (chats, files, update queues) and the world holding them."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .base import JSON, ApiError, Changes, now
from .records import CallbackRecord, ChatState, StoredFile, StoredMessage, UserProfile, Webhook

TOKEN_RE = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{1,100})$")
#: Update types a bot gets when it never asked for specific ones (Bot API default).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class BotState:
    """Everything one bot sees: its chats, files, pending updates, webhook and commands."""

    bot_id: int
    secret: str | None
    user: JSON
    updates: list[JSON] = field(default_factory=list)
    last_update_id: int = 0
    allowed_updates: list[str] = field(default_factory=list)
    webhook: Webhook | None = None
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    chats: dict[int, ChatState] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)
    changes: Changes = field(default_factory=Changes)
    poll_generation: int = 0
    _serial: int = 0

    def serial(self) -> int:
        self._serial += 1
        return self._serial

    def chat(self, chat_id: int) -> ChatState:
        """The chat, or 400 "chat not found" if the user never wrote to this bot."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError.bad_request("chat not found")
        return chat

    def open_chat(self, user: UserProfile) -> ChatState:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = ChatState(chat=user.as_chat())
        return chat

    def touch(self, chat: ChatState | None = None) -> None:
        if chat is not None:
            chat.version += 1
        self.changes.notify()

    def push_update(self, kind: str, payload: JSON) -> JSON | None:
        """Queue an update unless the bot's allowed_updates filter excludes its type."""
        if self.allowed_updates and kind not in self.allowed_updates:
            return None
        if not self.allowed_updates and kind in OPT_IN_UPDATES:
            return None
        self.last_update_id += 1
        update = {"update_id": self.last_update_id, kind: payload}
        self.updates.append(update)
        self.touch()
        return update

    def confirm(self, offset: int) -> None:
        """getUpdates offset semantics: forget ids below ``offset``; a negative one keeps the last -offset."""
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]

    def add_message(
        self,
        chat: ChatState,
        *,
        sender: JSON,
        from_bot: bool,
        content: JSON,
        reply_markup: JSON | None = None,
        raw_text: str | None = None,
        reply_to: StoredMessage | None = None,
    ) -> StoredMessage:
        """Append a message to ``chat`` (ids increase per chat, shared by both sides)."""
        chat.last_message_id += 1
        data: JSON = {"message_id": chat.last_message_id, "from": sender, "chat": chat.chat, "date": now()}
        data.update(content)
        if reply_to is not None:
            data["reply_to_message"] = {k: v for k, v in reply_to.data.items() if k != "reply_to_message"}
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            data["reply_markup"] = reply_markup
        msg = StoredMessage(data, from_bot, reply_markup, raw_text)
        chat.messages[msg.message_id] = msg
        self.touch(chat)
        return msg

    def add_file(
        self,
        kind: str,
        data: bytes,
        *,
        extension: str,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        n = self.serial()
        stored = StoredFile(
            file_id=f"{kind[:2].upper()}{self.bot_id}_{n}_{secrets.token_urlsafe(12)}",
            file_unique_id=f"U{self.bot_id}_{n}",
            kind=kind,
            data=data,
            file_path=f"{kind}s/file_{n}.{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        return stored

    def commands_key(self, scope: JSON | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""


class World:
    """All bots and users of one server. ``tokens`` restricts which bot tokens are accepted;
    ``open_chats`` are users who have started every bot (e.g. an admin), so any bot may write to them."""

    def __init__(self, tokens: Iterable[str] | None = None, *, open_chats: Iterable[int] = ()) -> None:
        self.allowed_tokens = set(tokens) if tokens is not None else None
        self.open_chats = tuple(open_chats)
        self.users: dict[int, UserProfile] = {}
        self.bots: dict[int, BotState] = {}
        self.changes = Changes()  # notified when a bot appears or authenticates, and on reset

    def connected_bots(self) -> list[BotState]:
        """Bots that have called the Bot API with their token (not just been addressed by residents)."""
        return [bot for bot in self.bots.values() if bot.secret is not None]

    def authenticate(self, token: str) -> BotState:
        """The bot for a ``<bot_id>:<secret>`` token (created on first use), else 401."""
        match = TOKEN_RE.match(token)
        if match is None or (self.allowed_tokens is not None and token not in self.allowed_tokens):
            raise ApiError(401, "Unauthorized")
        bot = self._get_or_create(int(match.group(1)))
        if bot.secret is None:
            bot.secret = match.group(2)
            self.changes.notify()
        if bot.secret != match.group(2):
            raise ApiError(401, "Unauthorized")
        return bot

    def bot(self, key: int | str) -> BotState:
        """Resident-side lookup by bot id or full token (a bot may be addressed before it ever polls)."""
        if isinstance(key, str) and ":" in key:
            return self.authenticate(key)
        try:
            return self._get_or_create(int(key))
        except ValueError:
            raise ApiError(404, "Not Found: bot not found") from None

    def _get_or_create(self, bot_id: int) -> BotState:
        bot = self.bots.get(bot_id)
        if bot is None:
            user = {
                "id": bot_id,
                "is_bot": True,
                # named like the bot it stands in for (its id tells several apart)
                "first_name": "meterbot",
                "username": f"meterbot{bot_id}_bot",
            }
            bot = self.bots[bot_id] = BotState(bot_id=bot_id, secret=None, user=user)
            for user_id in self.open_chats:
                bot.open_chat(self.user(user_id))
            self.changes.notify()
        return bot

    def user(self, user_id: int, **profile: Any) -> UserProfile:
        """Get or create a user; keyword arguments (first_name, phone_number, ...) update the profile."""
        current = self.users.get(user_id)
        base = current.model_dump() if current else {"id": user_id, "first_name": f"User {user_id}"}
        base.update({k: v for k, v in profile.items() if v is not None})
        self.users[user_id] = UserProfile.model_validate(base)
        return self.users[user_id]

    def reset(self) -> None:
        """Forget every bot and user but the ``open_chats`` ones (bots re-register on their next request)."""
        for bot in self.bots.values():
            bot.poll_generation += 1
            bot.webhook = None
            bot.changes.notify()
        self.bots.clear()
        self.users = {uid: user for uid, user in self.users.items() if uid in self.open_chats}
        self.changes.notify()
