"""``Resident``: one user's conversation with one bot, reading on from what it has already seen."""

from __future__ import annotations

from typing import Any

from .base import JSON
from .records import UserProfile
from .resident import ResidentApi
from .views import CallbackAnswer, ChatMessage


class Resident:
    """One user chatting with one bot; ``next_bot_message`` reads on from what was already seen."""

    def __init__(self, api: ResidentApi, user_id: int) -> None:
        self.api = api
        self.user_id = user_id
        self._seen = 0
        self._versions: dict[int, int] = {}

    @property
    def chat_id(self) -> int:
        return self.user_id

    @property
    def profile(self) -> UserProfile:
        return self.api.world.user(self.user_id)

    async def send_text(self, text: str, *, reply_to: ChatMessage | int | None = None) -> JSON:
        """Write ``text``; ``reply_to`` makes it a Telegram reply to that message of the chat."""
        reply_id = reply_to.message_id if isinstance(reply_to, ChatMessage) else reply_to
        return await self.api.send_text(self.user_id, text, reply_to_message_id=reply_id)

    async def share_contact(self, **kwargs: Any) -> JSON:
        return await self.api.share_contact(self.user_id, **kwargs)

    async def press_button(self, text: str) -> JSON:
        return await self.api.press_button(self.user_id, text)

    async def press_inline(
        self, message: ChatMessage | int, data: str | None = None, *, text: str | None = None
    ) -> JSON:
        message_id = message if isinstance(message, int) else message.message_id
        return await self.api.press_inline(self.user_id, message_id, data, text=text)

    async def send_photo(self, data: bytes | None = None, *, caption: str | None = None) -> JSON:
        return await self.api.send_photo(self.user_id, data, caption=caption)

    async def send_document(self, data: bytes = b"hello\n", **kwargs: Any) -> JSON:
        return await self.api.send_document(self.user_id, data, **kwargs)

    async def send_sticker(self, emoji: str = "👍") -> JSON:
        return await self.api.send_sticker(self.user_id, emoji)

    def bot_messages(self) -> list[ChatMessage]:
        return self.api.bot_messages(self.chat_id)

    def _remember(self, msg: ChatMessage) -> ChatMessage:
        self._versions[msg.message_id] = msg.version
        return msg

    async def next_bot_message(self, timeout: float = 5.0) -> ChatMessage:  # noqa: ASYNC109
        """The next bot message after both the last one returned and the user's last message."""
        after = max(self._seen, self.api.last_user_message_id(self.chat_id))
        msg = await self.api.wait_for_bot_message(self.chat_id, after=after, timeout=timeout)
        self._seen = msg.message_id
        return self._remember(msg)

    async def wait_for_edit(self, message: ChatMessage | int, timeout: float = 5.0) -> ChatMessage:  # noqa: ASYNC109
        """The message once it changed from the version this resident last saw."""
        message_id = message if isinstance(message, int) else message.message_id
        version = self._versions.get(message_id, 0)
        return self._remember(
            await self.api.wait_for_edit(self.chat_id, message_id, version=version, timeout=timeout)
        )

    async def wait_for_callback_answer(self, query: JSON | str, timeout: float = 5.0) -> CallbackAnswer:  # noqa: ASYNC109
        query_id = query if isinstance(query, str) else str(query["id"])
        return await self.api.wait_for_callback_answer(query_id, timeout)
