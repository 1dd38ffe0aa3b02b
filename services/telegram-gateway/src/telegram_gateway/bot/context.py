"""Per-update context the middleware hands to handlers, and the services they use."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram.types import User
from meterbot_contracts.window import SubmissionWindow

from telegram_gateway.commands import Requester
from telegram_gateway.i18n import Catalogue, Texts
from telegram_gateway.periods import period_of

if TYPE_CHECKING:
    from telegram_gateway.commands import CommandBus
    from telegram_gateway.notices import NoticePrefs
    from telegram_gateway.readmodel import ReadModel
    from telegram_gateway.storage.admin_relay import AdminRelay
    from telegram_gateway.storage.chat_notes import ChatNotes


@dataclass
class Turn:
    """One resident update being handled."""

    chat_id: int
    user: User | None
    t: Texts
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.perf_counter)
    registered: bool | None = None  # cached by the `registered` filter

    def requester(self) -> Requester:
        return Requester(self.chat_id, self.t.locale, self.received_at)


@dataclass(frozen=True)
class Deps:
    """What handlers need, injected through the dispatcher's workflow data."""

    read_model: ReadModel
    bus: CommandBus
    relay: AdminRelay
    notes: ChatNotes
    catalogue: Catalogue
    tz: ZoneInfo
    admin_chat_id: int | None = None
    admin_chat_trusted: bool = False
    window: SubmissionWindow = field(default_factory=SubmissionWindow.every_day)
    prefs: NoticePrefs | None = None  # reminders on/off (None: the toggle answers "on")

    def current_period(self) -> str:
        return period_of(datetime.now(UTC), self.tz)

    def today(self) -> date:
        """The date in the billing time zone (verification dates and the window are days there)."""
        return datetime.now(UTC).astimezone(self.tz).date()
