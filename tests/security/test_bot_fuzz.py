"""Fuzzing the bot (issue 18, «Must show»): seeded random updates through the real aiogram dispatcher
of the gateway, polling the local Bot API server, with identity, accounts and readings running for
real: texts (empty-looking, NUL, huge, any script), commands, contacts (own, foreign, without a user,
with an empty phone), callbacks (real buttons, forged and oversized data) and messages in group
chats. Requirements: no handler raises, every private message gets a bot message after it, every
button press is answered, a group gets exactly one answer however much is written there, nothing
is dead-lettered.

The default run sends METERBOT_FUZZ_UPDATES updates (300); the issue's run is 10,000:
    METERBOT_FUZZ_UPDATES=10000 .venv/bin/python -m pytest tests/security/test_bot_fuzz.py
METERBOT_FUZZ_SEED picks another sequence (default 18)."""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from meterbot_botapi.formatting import command_entities
from meterbot_botapi.records import CallbackRecord
from meterbot_botapi.resident import ResidentApi
from meterbot_contracts.billing import RegistryMeter, RegistryRecord
from meterbot_contracts.readings import MeterType
from meterbot_contracts.topics import BILLING_REGISTRY_V1
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.infra import Postgres
from telegram_gateway.i18n import load_catalogue

from .privacy_stack import TOKEN, privacy_stack, publish, topics_holding

UPDATES = int(os.environ.get("METERBOT_FUZZ_UPDATES", "300"))
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300 + UPDATES // 2)]
SEED = int(os.environ.get("METERBOT_FUZZ_SEED", "18"))
PRIVATE_CHATS, GROUPS, WORKERS = 40, 4, 40
REPLY_TIMEOUT = 40.0  # the gateway's own reply timeout (20 s) answers a lost command before this

ACCOUNTS = {
    f"9{n:05d}": surname for n, surname in enumerate(["Иванов", "Мамин-Сибиряк", "Ёлкина", "O'Brien"])
}
RU = load_catalogue().texts("ru")
LABELS = [
    RU(f"btn.{k}")
    for k in (
        "share_phone",
        "write_admin",
        "help",
        "start_work",
        "add_account",
        "select_account",
        "remove_account",
        "exit",
        "erase_data",
    )
]
COMMANDS = ["/start", "/help", "/exit", "/erase", "/start deep-link", "/start@other_bot", "/unknown", "/"]
ODD_TEXTS = [
    " ",
    "\u00a0",
    "\t\n",
    "\x00",
    "Иванов\x00",
    "25\x001",
    "\u200b",
    "\u202eкоровьев",
    "🙂" * 50,
    "x" * 4096,
    "ё" * 4096,
    "<b>bold</b>",
    "' OR 1=1 --",
    "%s%n",
    "{number}",
    "\ud7ff",
    "٣٤٥",
    "１２３",
]
VALUES = ["251", "250", "0", "-5", "251.5", "1e9", "99999999999999999999", "251\x00", " 252 ", "+253"]
FORGED = [
    "",
    "x",
    "acc:sel:900000",
    "acc:unl:900001",
    "acc:ent:#deadbeef",
    "mtr:M1",
    "mtr:#0",
    "wdr:M1",
    "erase:yes",
    "erase:no",
    "erase:maybe",
    "acc:sel",
    "a" * 64,
    "acc:sel:" + "9" * 100,
    "\x00",
    "::::",
]


def random_text(rng: random.Random) -> str:
    alphabet = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяABCxyz0123456789 -_.,!?@#/\\\"'\x00\t\n🙂\u0301\u200d"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)
    group_messages: Counter[int] = field(default_factory=Counter)


class Fuzzer:
    def __init__(self, api: ResidentApi, rng: random.Random, users: list[int], groups: list[int]) -> None:
        self.api, self.rng, self.users, self.groups = api, rng, users, groups
        self.tally = Tally()

    # --- sending raw updates (anything Telegram could deliver, checks of the resident API skipped) ---
    def post(self, chat_id: int, user_id: int, content: dict[str, Any]) -> int:
        bot, user = self.api.bot, self.api.world.user(user_id)
        chat = bot.open_chat(user) if chat_id == user_id else bot.chats[chat_id]
        text = content.get("text")
        if isinstance(text, str) and (entities := command_entities(text)):
            content = {**content, "entities": entities}
        message = bot.add_message(chat, sender=user.as_user(), from_bot=False, content=content, raw_text=text)
        bot.push_update("message", copy.deepcopy(message.data))
        return int(message.message_id)

    def press(self, user_id: int, data: str) -> str:
        """A callback query from a message of the chat (its last with buttons, or its first): a button
        press always comes from a chat the bot can write to."""
        bot = self.api.bot
        self.api.open_chat(user_id)
        chat = bot.chats.get(user_id)
        with_buttons = [
            m for m in (chat.messages.values() if chat else []) if m.from_bot and m.data.get("reply_markup")
        ]
        source = with_buttons[-1] if with_buttons else None
        message = (
            copy.deepcopy(source.data)
            if source
            else {"message_id": 1, "date": 0, "chat": {"id": user_id, "type": "private"}}
        )
        query_id = f"{bot.bot_id}{bot.serial():08d}"
        query: dict[str, Any] = {
            "id": query_id,
            "from": self.api.world.user(user_id).as_user(),
            "message": message,
            "chat_instance": f"{bot.bot_id}{user_id}",
            "data": data,
        }
        bot.callbacks[query_id] = CallbackRecord(query)
        bot.push_update("callback_query", copy.deepcopy(query))
        return query_id

    def real_button(self, user_id: int) -> str | None:
        chat = self.api.bot.chats.get(user_id)
        for stored in reversed(list(chat.messages.values()) if chat else []):
            rows = (stored.data.get("reply_markup") or {}).get("inline_keyboard") or []
            datas = [b["callback_data"] for row in rows for b in row if "callback_data" in b]
            if stored.from_bot and datas:
                return str(self.rng.choice(datas))
        return None

    # --- what a resident does ---------------------------------------------------------------------
    def content(self, user_id: int) -> tuple[str, dict[str, Any]]:  # noqa: PLR0911 - a branch per kind
        rng, number = self.rng, rng_choice(self.rng, list(ACCOUNTS))
        roll = rng.random()
        if roll < 0.25:
            return "label", {"text": rng.choice(LABELS + COMMANDS + ["Да", "Нет"])}
        if roll < 0.35:
            return "number", {"text": rng.choice([number, number + "0", "12 34", "№" + number, "0" * 40])}
        if roll < 0.45:
            surname = rng.choice([ACCOUNTS[number], ACCOUNTS[number].upper(), "Петров", " ", "\x00", "-"])
            return "surname", {"text": surname}
        if roll < 0.55:
            return "value", {"text": rng.choice(VALUES)}
        if roll < 0.70:
            return "odd", {"text": rng.choice([*ODD_TEXTS, random_text(rng)])}
        if roll < 0.82:
            owner = rng.choice([user_id, user_id, rng.choice(self.users), 0])
            contact: dict[str, Any] = {
                "phone_number": rng.choice(
                    [f"+7999{user_id % 10_000_000:07d}", "", " ", "+", "x" * 40, "+44 20 1234"]
                ),
                "first_name": rng.choice(["Житель", "", "\x00"]),
            }
            if owner:
                contact["user_id"] = owner
            return "contact", {"contact": contact}
        return "sticker", {
            "sticker": {
                "file_id": f"S{rng.randint(1, 9)}",
                "file_unique_id": "u",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        }

    async def step(self, user_id: int) -> None:
        rng, bot = self.rng, self.api.bot
        if rng.random() < 0.05 and self.groups:
            group = rng.choice(self.groups)
            kind, content = self.content(user_id)
            self.post(group, user_id, content)
            self.tally.sent[f"group:{kind}"] += 1
            self.tally.group_messages[group] += 1
            try:  # a group is told once how to use the bot privately, then left alone (18.1)
                await self.api.wait_until(lambda: len(self.api.bot_messages(group)) >= 1, REPLY_TIMEOUT)
            except TimeoutError:
                self.tally.unanswered.append(f"group {group} {kind} {content!r:.80}")
            return
        if rng.random() < 0.15:
            data = (self.real_button(user_id) if rng.random() < 0.5 else None) or rng.choice(FORGED)
            query_id = self.press(user_id, data)
            self.tally.sent["callback"] += 1
            try:
                await self.api.wait_until(lambda: bot.callbacks[query_id].answer is not None, REPLY_TIMEOUT)
            except TimeoutError:
                self.tally.unanswered.append(f"callback {data!r:.80}")
            return
        kind, content = self.content(user_id)
        message_id = self.post(user_id, user_id, content)
        self.tally.sent[kind] += 1
        try:
            await self.api.wait_for_bot_message(user_id, after=message_id, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            self.tally.unanswered.append(f"private {kind} {content!r:.80}")


def rng_choice(rng: random.Random, items: list[str]) -> str:
    return items[rng.randrange(len(items))]


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()[:300]}")


async def test_random_updates_get_answers_and_break_nothing(
    postgres: Postgres, kafka_settings: KafkaSettings
) -> None:
    rng = random.Random(SEED)
    base = 8_000_000 + uuid.uuid4().int % 1_000_000 * 100
    users = [base + i for i in range(PRIVATE_CHATS)]
    groups = [-(base + i) for i in range(GROUPS)]
    errors = Errors()
    # on these loggers, not the root: every service started in-process resets the root's handlers
    watched = [logging.getLogger(name) for name in ("aiogram", "telegram_gateway", "meterbot_platform")]
    for logger in watched:
        logger.addHandler(errors)
    try:
        async with privacy_stack(postgres.dsn, kafka_settings) as stack:
            # the topics are the stack's shared ones: what other tests parked there before is not ours
            parked_before = await topics_holding(kafka_settings.kafka_bootstrap, [""])
            for number, surname in ACCOUNTS.items():
                meters = [
                    RegistryMeter(
                        meter_id=f"M{number}", meter_type=MeterType.COLD_WATER, last_value=Decimal("250.550")
                    )
                ]
                await publish(
                    kafka_settings.kafka_bootstrap,
                    BILLING_REGISTRY_V1,
                    RegistryRecord(
                        account_number=number, surname=surname, address="ул. Тестовая, 1", meters=meters
                    ),
                    key=number,
                )
            api = stack.botapi.residents(TOKEN)
            for user in users:
                api.user(user, first_name=f"Житель{user}")
            for group in groups:
                api.open_group(group, title="Дом 5")
            fuzzer = Fuzzer(api, rng, users, groups)
            # each worker owns some chats and acts in one at a time: an answer belongs to its update
            plan = [rng.choice(users) for _ in range(UPDATES)]
            owned = {w: [u for u in users if u % WORKERS == w] for w in range(WORKERS)}

            async def worker(w: int) -> None:
                for user in (u for u in plan if u in owned[w]):
                    await fuzzer.step(user)

            await asyncio.gather(*(worker(w) for w in range(WORKERS)))
            dead = {
                t: n - parked_before.get(t, 0)
                for t, n in (await topics_holding(kafka_settings.kafka_bootstrap, [""])).items()
                if t.endswith(".dlq") and n > parked_before.get(t, 0)
            }
            group_answers = {g: len(api.bot_messages(g)) for g in groups}
    finally:
        for logger in watched:
            logger.removeHandler(errors)
    tally = fuzzer.tally
    print(f"\nfuzz seed={SEED} updates={sum(tally.sent.values())} by kind={dict(tally.sent)}")
    print(f"unanswered={len(tally.unanswered)} handler errors={len(errors.records)} dead-lettered={dead}")
    print(f"group messages={dict(tally.group_messages)} group answers={group_answers}")
    for line in (tally.unanswered + errors.records)[:20]:
        print("  ", line)
    assert sum(tally.sent.values()) == UPDATES
    assert [r for r in errors.records if "Cause exception" in r or "aiogram" in r] == []
    assert tally.unanswered == []
    assert dead == {}
    assert group_answers == {g: (1 if tally.group_messages[g] else 0) for g in groups}
