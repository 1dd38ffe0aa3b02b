"""What must hold when things go wrong: no answering event (timeout message, late answer still
delivered), a restart mid-conversation (FSM and pending requests in PostgreSQL), floods, redelivered
events, and webhook mode with its secret. Each stack here has its own bot, database and topics."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from meterbot_botapi import BotApiServer, ChatMessage
from meterbot_botapi.records import CallbackRecord
from meterbot_contracts.accounts import AccountLinked, AccountLinkRequested
from meterbot_contracts.billing import PeriodClosed
from meterbot_contracts.identity import PhoneShared, ResidentRegistered
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.window import SubmissionWindow
from meterbot_localstack import free_port
from meterbot_platform import consumer_lag
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.bus import wait_until
from meterbot_testing.infra import Postgres
from meterbot_testing.resident import ResidentDriver
from meterbot_testing.services import ServiceDouble
from prometheus_client import REGISTRY
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.periods import period_of
from telegram_gateway.readmodel.projection import apply_all
from telegram_gateway.settings import GatewaySettings

from .conftest import identity_rule, make_topics
from .gateway_harness import GatewayHarness, fresh_database
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration


@dataclass
class Stack:
    harness: GatewayHarness
    services: ServiceDouble
    botapi: BotApiServer
    token: str

    def resident(self, **profile: object) -> ResidentDriver:
        user_id = 2_000_000 + uuid.uuid4().int % 1_000_000
        profile.setdefault("first_name", "Житель")
        return ResidentDriver(self.botapi.resident(self.token, user_id, **profile), load_catalogue())


@contextlib.asynccontextmanager
async def stack(
    postgres: Postgres,
    kafka: KafkaSettings,
    botapi: BotApiServer,
    settings: GatewaySettings,
    **harness: object,
) -> AsyncIterator[Stack]:
    token = f"{700_000 + uuid.uuid4().int % 99_999}:isolated"
    topics = await make_topics(kafka)
    async with fresh_database(postgres.dsn) as pool:
        services = ServiceDouble(kafka.kafka_bootstrap, topics)
        await services.start()
        gateway = GatewayHarness(
            pool,
            kafka,
            botapi.base_url,
            token,
            topics,
            group_id=f"gw-{uuid.uuid4().hex[:8]}",
            settings=settings,
            **harness,
        )
        try:
            await gateway.start()
            yield Stack(gateway, services, botapi, token)
        finally:
            await gateway.stop()
            await services.stop()


def timed_out_total() -> float:
    return (
        REGISTRY.get_sample_value("meterbot_replies_timed_out_total", {"service": "telegram-gateway"}) or 0.0
    )


async def test_no_answer_means_a_timeout_message_and_a_late_answer_still_arrives(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    settings = GatewaySettings(gateway_reply_timeout=1.0)
    async with stack(postgres, kafka_settings, botapi, settings) as s:
        anna = s.resident()
        await anna.say("/start")
        before = timed_out_total()
        await anna.resident.press_button("Отправить мой номер")
        envelope, command = await s.services.expect(PhoneShared, chat_id=anna.chat_id)
        late = await anna.next(timeout=5)
        assert late.text and late.text.startswith("Ответ задерживается. Попробуйте еще раз")
        assert timed_out_total() == before + 1
        await s.services.answer(envelope, identity_rule(command))  # identity catches up
        menu = await anna.next()
        assert menu.buttons == [
            ["Написать администратору"],
            ["Справка", "Начать работу"],
            ["Дополнительно"],
            ["Удалить мои данные"],
            ["Напоминания: вкл/выкл"],
        ]


def skipped_total(reason: str) -> float:
    labels = {"service": "telegram-gateway", "reason": reason}
    return REGISTRY.get_sample_value("meterbot_telegram_updates_skipped_total", labels) or 0.0


async def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():  # noqa: ASYNC110  (a metric: nothing to await)
            await asyncio.sleep(0.02)


async def test_floods_get_one_warning_then_silence_until_the_window_passes(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    settings = GatewaySettings(gateway_rate_limit_messages=20, gateway_rate_limit_window=600.0)
    async with stack(postgres, kafka_settings, botapi, settings) as s:
        limiter = s.harness.gateway.limiter if s.harness.gateway else None
        assert limiter is not None
        now = [1_000.0]  # the limiter's clock: time passes only when the test says so
        limiter.clock = lambda: now[0]
        spammer = s.resident()
        dropped = skipped_total("flood")
        for i in range(30):
            await spammer.send(f"сообщение {i}")
        await eventually(lambda: skipped_total("flood") >= dropped + 9)  # all 30 handled
        texts = [m.text or "" for m in spammer.resident.bot_messages()]
        assert len(texts) == 21
        assert [t for t in texts if "слишком часто" in t] == [texts[-1]]
        now[0] += settings.gateway_rate_limit_window  # the window passes
        assert "Сначала зарегистрируйтесь" in ((await spammer.say("снова")).text or "")


def forged_press(resident: ResidentDriver, message: ChatMessage, data: str) -> None:
    """A button press a modified client makes up (no reply awaited)."""
    api = resident.resident.api
    bot = api.bot
    query_id = f"{bot.bot_id}{bot.serial():08d}"
    query: dict[str, Any] = {
        "id": query_id,
        "from": api.world.user(resident.resident.user_id).as_user(),
        "message": copy.deepcopy(message.message),
        "chat_instance": f"{bot.bot_id}{resident.resident.user_id}",
        "data": data,
    }
    bot.callbacks[query_id] = CallbackRecord(query)
    bot.push_update("callback_query", query)


async def test_button_presses_are_rate_limited_like_messages(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    """Issue 18 item 6: 200 forged callbacks got 148 bot messages."""
    settings = GatewaySettings(gateway_rate_limit_messages=20, gateway_rate_limit_window=60.0)
    async with stack(postgres, kafka_settings, botapi, settings) as s:
        presser = s.resident()
        greeting = await presser.say("/start")
        dropped = skipped_total("flood")
        for i in range(59):
            forged_press(presser, greeting, f"acc:sel:{i}")
        await eventually(lambda: skipped_total("flood") >= dropped + 39)
        texts = [m.text or "" for m in presser.resident.bot_messages()]
        assert len(texts) == 21  # the greeting, 19 answers, one warning
        assert "слишком часто" in texts[-1]


async def test_a_window_that_is_not_open_is_said_when_the_meter_is_chosen(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    """Issue 11 item 2: the open days (a setting of readings, read by the bot too) and the next one."""
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Moscow")).date()
    open_day = today.day % 28 + 1  # never today
    settings = GatewaySettings(readings_window_days=str(open_day))
    async with stack(postgres, kafka_settings, botapi, settings) as s:
        s.services.on(PhoneShared, identity_rule)
        rita = s.resident()
        await rita.register()
        account, meter = str(uuid.uuid4().int)[:9], f"CW-{uuid.uuid4().hex[:8]}"
        await add_meter(s.harness, s.services, account, meter)
        await link(rita, s.services, account)
        meters = await rita.meters(account)
        refusal = (await rita.tap(meters, f"Холодная вода {meter}")).text or ""
        opens = SubmissionWindow.parse(str(open_day)).next_open(today)
        assert opens is not None
        assert refusal == (
            f"Сейчас показания не принимаются: прием идет {open_day} числа каждого месяца (Europe/Moscow). "
            f"Следующий прием начнется {opens:%d.%m.%Y}."
        )
        assert "Не понимаю" in ((await rita.say("251")).text or "")
        assert s.services.commands(ReadingSubmitted, chat_id=rita.chat_id) == []


async def test_a_restart_loses_neither_the_conversation_nor_the_pending_answer(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    async with stack(postgres, kafka_settings, botapi, GatewaySettings()) as s:
        s.services.on(PhoneShared, identity_rule)
        vera = s.resident()
        await vera.register()
        await vera.press("Начать работу")
        assert (await vera.press("Добавить ЛС")).text == "Введите лицевой счет:"

        await s.harness.stop()  # the process dies mid-input
        state = await s.harness.pool.fetchval("SELECT state FROM fsm_states WHERE chat_id = $1", vera.chat_id)
        assert state == "AddAccount:number"
        await s.harness.start()  # a new process (new Bot, Dispatcher, consumer) on the same database

        assert (await vera.say("555")).text == "Лицевой счет 555 введен Для подтверждения введите фамилию"
        await vera.send("Иванова")
        envelope, command = await s.services.expect(AccountLinkRequested, chat_id=vera.chat_id)
        assert (command.account_number, command.surname) == ("555", "Иванова")
        await s.harness.stop()  # down again before the answer arrives
        await s.services.answer(
            envelope, AccountLinked(chat_id=vera.chat_id, account_number="555", address="")
        )
        await s.harness.start()
        assert (await vera.next(timeout=15)).text == "Лицевой счет 555 закреплен"


async def test_a_redelivered_event_answers_once(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    async with stack(postgres, kafka_settings, botapi, GatewaySettings()) as s:
        gleb = s.resident()
        await gleb.say("/start")
        await gleb.resident.press_button("Отправить мой номер")
        envelope, command = await s.services.expect(PhoneShared, chat_id=gleb.chat_id)
        event = identity_rule(command)
        assert isinstance(event, ResidentRegistered)
        answer = await s.services.answer(envelope, event)
        await gleb.next()
        for _ in range(2):  # the same event again (producer retry, replay)
            await s.services.redeliver(answer, event)
        await s.harness.wait_for(
            "SELECT count(*) = 1 FROM inbox WHERE consumer = 'gateway-read-model' AND message_id = $1",
            answer.message_id,
        )

        async def redeliveries_handled() -> bool:  # the gateway's group committed past both copies
            groups = {s.harness.group_id: set(s.harness.topics.events)}
            return sum((await consumer_lag.measure(kafka_settings.kafka_bootstrap, groups)).values()) == 0

        await wait_until(redeliveries_handled)
        assert len(gleb.resident.bot_messages()) == 2  # the greeting and one main menu


async def test_webhook_mode_requires_the_secret(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    settings = GatewaySettings(telegram_webhook_url=url, telegram_webhook_secret="s3cret-token")
    async with stack(postgres, kafka_settings, botapi, settings, http_port=port) as s:
        dina = s.resident()
        greeting = await dina.say("/start")  # delivered by the local server's webhook POST
        assert "Отправить мой номер" in (greeting.text or "")
        async with aiohttp.ClientSession() as http:
            update = {"update_id": 1, "message": greeting.message}
            async with http.post(url, json=update) as resp:
                assert resp.status == 401
            async with http.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as resp:
                assert resp.status == 401
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200


async def test_a_closed_period_is_said_when_the_meter_is_chosen(
    postgres: Postgres, kafka_settings: KafkaSettings, botapi: BotApiServer
) -> None:
    """Issue 11 item 2: once billing-export closed the current period (PeriodClosed, kept in the read
    model), choosing a meter says so instead of asking for a value readings would refuse."""
    async with stack(postgres, kafka_settings, botapi, GatewaySettings()) as s:
        s.services.on(PhoneShared, identity_rule)
        mira = s.resident()
        await mira.register()
        account, meter = str(uuid.uuid4().int)[:9], f"CW-{uuid.uuid4().hex[:8]}"
        await add_meter(s.harness, s.services, account, meter)
        await link(mira, s.services, account)
        period = period_of(datetime.now(UTC), ZoneInfo("Europe/Moscow"))
        async with s.harness.pool.acquire() as conn:  # as the consumer applies it (own test stack)
            await apply_all(
                conn, [PeriodClosed(period=period, closed_at=datetime.now(UTC), readings_count=0)]
            )
        meters = await mira.meters(account)
        refusal = (await mira.tap(meters, f"Холодная вода {meter}")).text or ""
        assert refusal.startswith("Отчетный период уже закрыт, показания за него не принимаются.")
        assert s.services.commands(ReadingSubmitted, chat_id=mira.chat_id) == []
