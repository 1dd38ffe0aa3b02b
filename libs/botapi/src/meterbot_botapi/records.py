"""Records of the in-memory Telegram: users, files, messages, chats, webhooks, callback queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from .base import JSON


class UserProfile(BaseModel):
    """A (non-bot) Telegram user the resident side acts as."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "ru"
    phone_number: str | None = None

    def as_user(self) -> JSON:
        user: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                user[key] = value
        return user

    def as_chat(self) -> JSON:
        chat: JSON = {"id": self.id, "type": "private", "first_name": self.first_name}
        for key in ("last_name", "username"):
            if (value := getattr(self, key)) is not None:
                chat[key] = value
        return chat

    def phone(self) -> str:
        """The user's phone number (a stable made-up one if none was given)."""
        return self.phone_number or f"+7900{self.id % 10_000_000:07d}"


@dataclass
class StoredFile:
    """Bytes a user uploaded (a photo, a document), shown on the chat page by file_id."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | document | sticker
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0

    def photo_sizes(self) -> list[JSON]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": len(self.data),
            }
        ]

    def document(self) -> JSON:
        doc: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc


@dataclass
class StoredMessage:
    """One message in a chat; ``data`` is the current Telegram Message object (edits applied)."""

    data: JSON
    from_bot: bool
    reply_markup: JSON | None = None  # as sent (any markup kind; Message.reply_markup only echoes inline)
    raw_text: str | None = None  # text/caption exactly as sent
    version: int = 0  # number of edits
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])


@dataclass
class ChatState:
    """A private chat between one bot and one user (chat id = user id)."""

    chat: JSON
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    last_message_id: int = 0
    version: int = 0  # bumped on every new message, edit or deletion
    blocked: bool = False  # the user blocked the bot

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    def message(self, message_id: int) -> StoredMessage | None:
        msg = self.messages.get(message_id)
        return None if msg is None or msg.deleted else msg


@dataclass
class Webhook:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class CallbackRecord:
    query: JSON
    answer: JSON | None = None
