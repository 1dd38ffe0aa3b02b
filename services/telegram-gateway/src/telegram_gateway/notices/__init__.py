"""Reminders to hand in readings and verification notices: pure due rules (rules.py), the facts
already sent (store.py), their texts (messages.py), and the loop that queues them (scheduler.py)
on the outbound queue."""

from __future__ import annotations

from telegram_gateway.notices.scheduler import NoticeScheduler
from telegram_gateway.notices.store import NOTICES_MIGRATION, NoticePrefs

__all__ = ["NOTICES_MIGRATION", "NoticePrefs", "NoticeScheduler"]
