"""Per-update context the middleware hands to handlers, and the services they use."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram.types import User

from telegram_gateway.i18n import Catalogue, Texts
from telegram_gateway.periods import period_of

if TYPE_CHECKING:
    from telegram_gateway.commands import CommandBus
    from telegram_gateway.readmodel import ReadModel
    from telegram_gateway.storage.admin_relay import AdminRelay


@dataclass
class Turn:
    """One resident update being handled."""

    chat_id: int
    user: User | None
    t: Texts
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.perf_counter)
    deferred: bool = False  # a command went out; the reply comes with its event
    registered: bool | None = None  # cached by the `registered` filter


@dataclass(frozen=True)
class Deps:
    """What handlers need, injected through the dispatcher's workflow data."""

    read_model: ReadModel
    bus: CommandBus
    relay: AdminRelay
    catalogue: Catalogue
    tz: ZoneInfo
    admin_chat_id: int | None = None

    def current_period(self) -> str:
        return period_of(datetime.now(UTC), self.tz)
