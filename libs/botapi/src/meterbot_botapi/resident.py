"""The resident side: act as Telegram users towards a bot and observe what the bot sent.

``ResidentApi(world, bot)`` works with explicit user/chat ids (in private chats they are equal);
``Resident`` wraps it for one user and remembers what it has already read, so a conversation reads
``await r.send_text("/start"); reply = await r.next_bot_message()``. Refusals (pressing a button that
is not there, an unknown message) raise ``ApiError`` with a 400 ``Bad Request: ...`` description.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .base import JSON, ApiError, now
from .formatting import command_entities
from .markup import current_reply_keyboard, find_inline_button, find_reply_button
from .media import store_document, store_photo, tiny_png
from .records import CallbackRecord, ChatState, UserProfile
from .state import BotState, World
from .views import CallbackAnswer, ChatMessage

if TYPE_CHECKING:
    from .conversation import Resident

T = TypeVar("T")
_UNSUPPORTED_BUTTONS = ("request_location", "request_poll", "request_users", "request_chat", "web_app")


class ResidentApi:
    """Users of ``world`` talking to one bot (addressed by id or token; it may not have polled yet)."""

    def __init__(self, world: World, bot: int | str) -> None:
        self.world = world
        self._bot_key = bot

    @property
    def bot(self) -> BotState:
        return self.world.bot(self._bot_key)

    def user(self, user_id: int, **profile: Any) -> UserProfile:
        """Create or update a user profile (first_name, last_name, username, language_code, phone_number)."""
        return self.world.user(user_id, **profile)

    def resident(self, user_id: int, **profile: Any) -> Resident:
        """A :class:`Resident` for ``user_id`` (the profile is created/updated first)."""
        from .conversation import Resident  # (conversation builds on this module)

        self.user(user_id, **profile)
        return Resident(self, user_id)

    def open_group(self, chat_id: int, title: str = "Group") -> None:
        """Register a group chat (negative id) the bot is in, so it can post there (e.g. an admin chat)."""
        if chat_id >= 0:
            raise ApiError.bad_request("group chat ids are negative")
        self.bot.chats.setdefault(chat_id, ChatState(chat={"id": chat_id, "type": "group", "title": title}))

    # --- acting as a user -------------------------------------------------------------------------

    def open_chat(self, user_id: int) -> JSON:
        """The user has started the bot before: the bot may write to them; no message, no update."""
        user = self.world.user(user_id)
        chat = self.bot.open_chat(user)
        self.bot.touch()
        return copy.deepcopy(chat.chat)

    def _post(self, user_id: int, content: JSON, reply_to_message_id: int | None = None) -> JSON:
        user = self.world.user(user_id)
        bot = self.bot
        chat = bot.open_chat(user)
        if chat.blocked:
            raise ApiError.bad_request("the user blocked this bot; unblock it first")
        reply_to = None
        if reply_to_message_id is not None:
            reply_to = chat.message(reply_to_message_id)
            if reply_to is None:
                raise ApiError.bad_request("message to be replied not found")
        msg = bot.add_message(
            chat,
            sender=user.as_user(),
            from_bot=False,
            content=content,
            raw_text=content.get("text") or content.get("caption"),
            reply_to=reply_to,
        )
        bot.push_update("message", copy.deepcopy(msg.data))
        return copy.deepcopy(msg.data)

    async def send_text(self, user_id: int, text: str, *, reply_to_message_id: int | None = None) -> JSON:
        """User ``user_id`` writes ``text`` in the private chat (as a reply to a message of the chat when
        ``reply_to_message_id`` is given); returns the Message."""
        if not text.strip():
            raise ApiError.bad_request("message text is empty")
        content: JSON = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        return self._post(user_id, content, reply_to_message_id)

    async def share_contact(
        self,
        user_id: int,
        *,
        contact_user_id: int | None = None,
        phone_number: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JSON:
        """Send a contact: one's own by default, or another user's (``contact_user_id``; 0 = no account)."""
        owner = self.world.user(contact_user_id if contact_user_id else user_id)
        contact: JSON = {
            "phone_number": phone_number or owner.phone(),
            "first_name": first_name or owner.first_name,
        }
        if last_name or owner.last_name:
            contact["last_name"] = last_name or owner.last_name
        if contact_user_id != 0:
            contact["user_id"] = owner.id
        return self._post(user_id, {"contact": contact})

    async def block_bot(self, user_id: int, *, blocked: bool = True) -> JSON | None:
        """Block (or unblock) the bot: it gets a my_chat_member update; sending to the user then is 403."""
        bot, user = self.bot, self.world.user(user_id)
        chat = bot.open_chat(user)
        if chat.blocked == blocked:
            return None
        chat.blocked = blocked

        def member(status: str) -> JSON:
            return {"status": status, "user": bot.user, **({"until_date": 0} if status == "kicked" else {})}

        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        update: JSON = {"chat": chat.chat, "from": user.as_user(), "date": now()}
        update.update(old_chat_member=member(old), new_chat_member=member(new))
        bot.push_update("my_chat_member", copy.deepcopy(update))
        bot.touch(chat)
        return update

    async def press_button(self, user_id: int, text: str) -> JSON:
        """Press a button of the reply keyboard currently shown in the chat (request_contact shares it)."""
        chat = self.bot.chats.get(user_id)
        keyboard = current_reply_keyboard(chat) if chat else None
        if keyboard is None:
            raise ApiError.bad_request("there is no reply keyboard in this chat")
        button = find_reply_button(keyboard, text)
        if button is None:
            raise ApiError.bad_request(f"button {text!r} is not on the current reply keyboard")
        if button.get("request_contact"):
            return await self.share_contact(user_id)
        if unsupported := [key for key in _UNSUPPORTED_BUTTONS if key in button]:
            raise ApiError.bad_request(f"{unsupported[0]} buttons are not supported by the local server")
        return await self.send_text(user_id, text)

    async def press_inline(
        self, user_id: int, message_id: int, data: str | None = None, *, text: str | None = None
    ) -> JSON:
        """Press an inline callback button (by ``data`` and/or button ``text``); returns the query."""
        if data is None and text is None:
            raise ApiError.bad_request("give the button's callback data or text")
        bot = self.bot
        chat = bot.chats.get(user_id)
        msg = chat.message(message_id) if chat else None
        if msg is None or not msg.from_bot:
            raise ApiError.bad_request("message with the inline keyboard not found")
        button = find_inline_button(msg.data.get("reply_markup"), data=data, text=text)
        if button is None or "callback_data" not in button:
            raise ApiError.bad_request("there is no such callback button on the message")
        query: JSON = {
            "id": f"{bot.bot_id}{bot.serial():08d}",
            "from": self.world.user(user_id).as_user(),
            "message": copy.deepcopy(msg.data),
            "chat_instance": f"{bot.bot_id}{user_id}",
            "data": button["callback_data"],
        }
        bot.callbacks[query["id"]] = CallbackRecord(query)
        bot.push_update("callback_query", copy.deepcopy(query))
        return copy.deepcopy(query)

    async def send_photo(
        self, user_id: int, data: bytes | None = None, *, caption: str | None = None
    ) -> JSON:
        stored = store_photo(self.bot, data if data is not None else tiny_png())
        return self._post(
            user_id, {"photo": stored.photo_sizes(), **({"caption": caption} if caption else {})}
        )

    async def send_document(
        self,
        user_id: int,
        data: bytes = b"hello\n",
        *,
        file_name: str = "file.txt",
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> JSON:
        stored = store_document(self.bot, data, file_name, mime_type)
        return self._post(
            user_id, {"document": stored.document(), **({"caption": caption} if caption else {})}
        )

    async def send_sticker(self, user_id: int, emoji: str = "👍") -> JSON:
        stored = self.bot.add_file("sticker", tiny_png(), extension="webp", width=512, height=512)
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._post(user_id, {"sticker": sticker})

    # --- observing the bot ------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> ChatState | None:
        return self.bot.chats.get(chat_id)

    def messages(self, chat_id: int, *, who: str = "bot") -> list[ChatMessage]:
        """Messages of the chat, oldest first; ``who`` is "bot", "user" or "all"."""
        chat = self._chat(chat_id)
        stored = list(chat.messages.values()) if chat else []
        return [ChatMessage.of(m) for m in stored if who == "all" or m.from_bot == (who == "bot")]

    def bot_messages(self, chat_id: int) -> list[ChatMessage]:
        return self.messages(chat_id, who="bot")

    def message(self, chat_id: int, message_id: int) -> ChatMessage:
        chat = self._chat(chat_id)
        if chat is None or message_id not in chat.messages:
            raise ApiError.bad_request("message not found")
        return ChatMessage.of(chat.messages[message_id])

    def last_user_message_id(self, chat_id: int) -> int:
        chat = self._chat(chat_id)
        return max((m.message_id for m in chat.messages.values() if not m.from_bot), default=0) if chat else 0

    def chat_version(self, chat_id: int) -> int:
        chat = self._chat(chat_id)
        return chat.version if chat else 0

    async def wait_until(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Await the first truthy ``predicate()``, re-checked on every change of the bot's state."""
        return await self.bot.changes.wait_for(predicate, timeout)

    async def wait_for_bot_message(
        self,
        chat_id: int,
        after: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        """The first bot message with id > ``after`` (default: the user's latest message in the chat)."""
        baseline = self.last_user_message_id(chat_id) if after is None else after

        def found() -> ChatMessage | None:
            chat = self._chat(chat_id)
            msg = (
                next((m for m in chat.messages.values() if m.from_bot and m.message_id > baseline), None)
                if chat
                else None
            )
            return ChatMessage.of(msg) if msg else None

        try:
            return await self.wait_until(found, timeout)
        except TimeoutError:
            seen = [(m.message_id, m.text or m.kind) for m in self.bot_messages(chat_id)]
            raise TimeoutError(
                f"no bot message after #{baseline} in chat {chat_id} within {timeout}s; "
                f"bot messages so far: {seen}"
            ) from None

    async def wait_for_edit(
        self,
        chat_id: int,
        message_id: int,
        *,
        version: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> ChatMessage:
        """The message once it was edited past ``version`` edits (or deleted)."""

        def edited() -> ChatMessage | None:
            chat = self._chat(chat_id)
            msg = chat.messages.get(message_id) if chat else None
            return ChatMessage.of(msg) if msg and (msg.version > version or msg.deleted) else None

        return await self.wait_until(edited, timeout)

    async def wait_for_change(self, chat_id: int, since: int, timeout: float = 25.0) -> int:  # noqa: ASYNC109
        """Block until the chat's version exceeds ``since``; return the new version."""
        return await self.wait_until(lambda: v if (v := self.chat_version(chat_id)) > since else 0, timeout)

    def callback_answers(self) -> list[CallbackAnswer]:
        return [CallbackAnswer(**r.answer) for r in self.bot.callbacks.values() if r.answer is not None]

    def callback_answer(self, callback_query_id: str) -> CallbackAnswer | None:
        record = self.bot.callbacks.get(callback_query_id)
        return CallbackAnswer(**record.answer) if record and record.answer else None

    async def wait_for_callback_answer(self, callback_query_id: str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        return await self.wait_until(lambda: self.callback_answer(callback_query_id), timeout)

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.bot.files.get(file_id)
        if stored is None:
            raise ApiError.bad_request("invalid file_id")
        return stored.data
