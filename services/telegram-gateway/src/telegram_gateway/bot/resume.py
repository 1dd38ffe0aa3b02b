"""Putting a chat back into an input from the event side: after a value readings refused as mistyped,
the resident stays on the same meter and just types the corrected value (no button again)."""

from __future__ import annotations

from aiogram.fsm.storage.base import BaseStorage, StorageKey
from meterbot_contracts.readings import ReadingConfirmationAsked

from telegram_gateway.bot.states import EnterReading
from telegram_gateway.storage.pending import ReplyContext


class InputResumer:
    def __init__(self, storage: BaseStorage, bot_id: int) -> None:
        self._storage, self._bot_id = storage, bot_id

    async def reading(self, chat_id: int, context: ReplyContext) -> None:
        # Private chats only (the bot refuses groups), so the user is the chat.
        key = StorageKey(bot_id=self._bot_id, chat_id=chat_id, user_id=chat_id)
        if await self._storage.get_state(key) is not None:
            return  # the resident already went on to something else: leave them there
        await self._storage.set_state(key, EnterReading.value)
        await self._storage.set_data(
            key, {"account": context.account_number, "meter_id": context.meter_id, "label": context.label}
        )

    async def confirmation(
        self, chat_id: int, context: ReplyContext, event: ReadingConfirmationAsked
    ) -> None:
        """readings asked about the typed value: the chat waits for «Да» / «Нет» with what to send again."""
        key = StorageKey(bot_id=self._bot_id, chat_id=chat_id, user_id=chat_id)
        if await self._storage.get_state(key) is not None:
            return
        await self._storage.set_state(key, EnterReading.confirm)
        await self._storage.set_data(
            key,
            {
                "account": context.account_number,
                "meter_id": context.meter_id,
                "label": context.label,
                "raw": event.raw_value,
                "check": event.check,
                "rollover": "yes" if event.rollover else None,
                **_pair(context),
            },
        )


def _pair(context: ReplyContext) -> dict[str, str]:
    """The T1/T2 pair a question was about (nothing for one meter): the answer sends both again."""
    if not context.night_meter_id:
        return {}
    return {
        "night_meter_id": context.night_meter_id,
        "night_label": context.night_label,
        "day_raw": context.day_raw,
        "night_raw": context.night_raw,
    }
