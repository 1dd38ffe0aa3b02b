"""telegram-gateway's own events (topic meterbot.telegram-gateway.events): what the administrator did
in the admin chat or from the command line, with who did it, and the news they publish."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from meterbot_contracts.registry import Message, contract

NEWS_TEXT_MAX = 3500  # a news item and its heading fit one Telegram message (4096)


@contract
class AdminActionTaken(Message):
    """An administrator's action: `action` is the command (stats, missing, find, broadcast, news,
    news_withdraw, ...), `argument` what they gave it (an account number, a count; never a phone)."""

    TYPE = "AdminActionTaken"
    actor: str  # "telegram:<user id>" or "cli:<login>"
    action: str
    argument: str = ""
    at: datetime


@contract
class NewsPublished(Message):
    TYPE = "NewsPublished"
    news_id: UUID
    text: str = Field(min_length=1, max_length=NEWS_TEXT_MAX)
    published_at: datetime
    actor: str


@contract
class NewsWithdrawn(Message):
    TYPE = "NewsWithdrawn"
    news_id: UUID
    withdrawn_at: datetime
    actor: str
