"""Read-only snapshots handed to tests and the /_test HTTP API (pydantic, JSON-serializable)."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ConfigDict

from .base import JSON
from .markup import keyboard_texts
from .records import StoredMessage

_KINDS = ("text", "photo", "document", "sticker", "contact")


class ChatMessage(BaseModel):
    """One message of a chat as it is now: edits applied, ``deleted`` flagged, markup as the bot sent it."""

    model_config = ConfigDict(frozen=True)

    chat_id: int
    message_id: int
    date: int
    from_bot: bool
    kind: str  # text | photo | document | sticker | contact | other
    text: str | None = None
    caption: str | None = None
    raw_text: str | None = None  # text/caption exactly as sent
    entities: list[JSON] = []
    reply_markup: JSON | None = None  # any kind: inline, reply keyboard, remove_keyboard, force_reply
    reply_to_message_id: int | None = None
    file_id: str | None = None
    version: int = 0  # number of edits
    edit_date: int | None = None
    deleted: bool = False
    message: JSON  # the Telegram Message object

    @classmethod
    def of(cls, msg: StoredMessage) -> ChatMessage:
        data = copy.deepcopy(msg.data)
        kind = next((k for k in _KINDS if k in data), "other")
        file_id: str | None = None
        if kind == "photo":
            file_id = data["photo"][-1]["file_id"]
        elif kind in ("document", "sticker"):
            file_id = data[kind]["file_id"]
        return cls(
            chat_id=data["chat"]["id"],
            message_id=data["message_id"],
            date=data["date"],
            from_bot=msg.from_bot,
            kind=kind,
            text=data.get("text"),
            caption=data.get("caption"),
            raw_text=msg.raw_text,
            entities=data.get("entities") or data.get("caption_entities") or [],
            reply_markup=copy.deepcopy(msg.reply_markup),
            reply_to_message_id=(data.get("reply_to_message") or {}).get("message_id"),
            file_id=file_id,
            version=msg.version,
            edit_date=data.get("edit_date"),
            deleted=msg.deleted,
            message=data,
        )

    @property
    def buttons(self) -> list[list[str]]:
        """Button captions by row (reply or inline keyboard)."""
        return keyboard_texts(self.reply_markup)

    @property
    def callback_data(self) -> list[str]:
        """callback_data of every inline button, in order."""
        rows: list[list[Any]] = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


class CallbackAnswer(BaseModel):
    """What the bot passed to answerCallbackQuery."""

    model_config = ConfigDict(frozen=True)

    callback_query_id: str
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = 0
