"""The seed manual's resident journey end to end: residents in the local Telegram Bot API server,
the real gateway and services of `meterbot up` (embedded PostgreSQL, local broker) behind it."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from meterbot_botapi import BotApiServer, ChatMessage
from meterbot_contracts.topics import ACCOUNTS_EVENTS, READINGS_EVENTS
from meterbot_testing.bus import Bus, eventually
from meterbot_testing.resident import ResidentDriver
from telegram_gateway.i18n import load_catalogue

from .stack_driver import StackProcess, fetchval

pytestmark = pytest.mark.e2e

TOKEN = "424242:e2e-meterbot"
ADMIN = 9000
LATENCIES: list[float] = []  # resident message -> bot reply, every step of every test


class TimedResident(ResidentDriver):
    """Records how long each step waited for the bot's reply."""

    async def say(self, text: str) -> ChatMessage:
        started = time.perf_counter()
        reply = await super().say(text)
        LATENCIES.append(time.perf_counter() - started)
        return reply

    async def press(self, label: str) -> ChatMessage:
        started = time.perf_counter()
        reply = await super().press(label)
        LATENCIES.append(time.perf_counter() - started)
        return reply

    async def tap(self, message: ChatMessage, label: str) -> ChatMessage:
        started = time.perf_counter()
        reply = await super().tap(message, label)
        LATENCIES.append(time.perf_counter() - started)
        return reply


def _registry() -> str:
    future = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    expired = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    earlier = (datetime.now(UTC) - timedelta(days=60)).date().isoformat()
    header = (
        "account_number,surname,address,meter_id,meter_type,serial_number,verified_until,"
        "last_value,last_value_date"
    )
    return "\n".join(
        [
            header,
            f'2001,Мамин-Сибиряк,"ул. Ленина, 1, кв. 5",2001-cw,cold_water,SN-1,{future},250.550,{earlier}',
            f'2001,Мамин-Сибиряк,"ул. Ленина, 1, кв. 5",2001-hw,hot_water,SN-2,{future},100,{earlier}',
            f'2002,Ёлкина,"ул. Мира, 2, кв. 7",2002-el,electricity,SN-3,{future},5000,{earlier}',
            f'2002,Ёлкина,"ул. Мира, 2, кв. 7",2002-gas,gas,SN-4,{expired},100,{earlier}',
            f'2003,Петров,"ул. Садовая, 3, кв. 1",2003-heat,heat,SN-5,{future},10,{earlier}',
            "",
        ]
    )


class Journey:
    def __init__(self, server: BotApiServer, stack: StackProcess) -> None:
        self.server, self.stack = server, stack
        self._next_user = 700_000

    def resident(self, language: str = "ru") -> TimedResident:
        self._next_user += 1
        uid = self._next_user
        person = self.server.resident(TOKEN, uid, first_name=f"Житель {uid}", language_code=language)
        return TimedResident(person, load_catalogue(), timeout=15)


@pytest.fixture(scope="module")
async def journey(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Journey]:
    home = Path(tmp_path_factory.mktemp("stack"))
    async with BotApiServer("127.0.0.1", 0) as server:
        stack = StackProcess(
            home,
            {
                "METERBOT_TELEGRAM_TOKEN": TOKEN,
                "METERBOT_TELEGRAM_API_URL": server.base_url,
                "METERBOT_ADMIN_CHAT_ID": str(ADMIN),
                # the drivers type far faster than people; the flood limit has its own gateway tests
                "METERBOT_GATEWAY_RATE_LIMIT_MESSAGES": "1000",
            },
        )
        await asyncio.to_thread(stack.start)  # a thread: the gateway talks to `server` meanwhile
        try:
            (home / "registry.csv").write_text(_registry(), encoding="utf-8")
            async with Bus(stack.bootstrap, [ACCOUNTS_EVENTS, READINGS_EVENTS]) as bus:
                done = await asyncio.to_thread(stack.cli, "registry", "import", str(home / "registry.csv"))
                assert done.returncode == 0, done.stdout + done.stderr
                await bus.wait(
                    lambda e: e.type == "MeterRegistered" and e.payload["meter_id"] == "2003-heat", 60
                )
                await bus.wait(
                    lambda e: e.type == "AccountRegistered" and e.payload["account_number"] == "2003", 60
                )
            # the gateway's read model consumes the same events: wait until it holds the last of them
            gateway_db = stack.dsn("gateway")
            await eventually(
                lambda: fetchval(
                    gateway_db,
                    "SELECT count(*) FROM rm_meters m JOIN rm_accounts a USING (account_number)"
                    " WHERE m.meter_id = '2003-heat'",
                ),
                1,
                60,
            )
            yield Journey(server, stack)
        finally:
            code = await asyncio.to_thread(stack.stop)
            assert code == 0, stack.log_tail()
            if LATENCIES:
                ordered = sorted(LATENCIES)
                p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
                report = (
                    f"reply latency over {len(ordered)} steps: median {statistics.median(ordered) * 1000:.0f} ms, "
                    f"p99 {p99 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms"
                )
                print(report)
                (Path(os.environ.get("METERBOT_TEST_OUTPUT", "test-output"))).mkdir(
                    parents=True, exist_ok=True
                )
                Path(os.environ.get("METERBOT_TEST_OUTPUT", "test-output"), "reply_latency.txt").write_text(
                    report + "\n"
                )


async def test_registration_with_own_contact_and_refusal_of_a_foreign_one(journey: Journey) -> None:
    me = journey.resident()
    menu = await me.register()
    assert menu.text == me.t("registration.done")
    assert me.sees("Написать администратору") and me.sees("Справка") and me.sees("Начать работу")

    stranger = journey.resident()
    await stranger.say("/start")
    await stranger.resident.share_contact(contact_user_id=123, phone_number="+79990000000")
    refused = await stranger.next()
    assert refused.text == stranger.t("registration.foreign_contact")


async def test_linking_accounts_wrong_pair_and_lockout(journey: Journey) -> None:
    r = journey.resident()
    await r.register()
    linked = await r.add_account("2001", "маминсибиряк")  # compound surname without the hyphen
    assert "закреплен" in (linked.text or "")
    wrong = await r.add_account("2002", "Елкин")
    assert wrong.text == "Лицевой счет 2002 Введена фамилия Елкин Не верное сочетание 2002 и Елкин"
    advice = await r.next()  # the seed's advice follows the fixed sentence
    assert "абонентский отдел" in (advice.text or "") and "Осталось попыток: 4." in (advice.text or "")
    ok = await r.add_account("2002", "ЕЛКИНА")  # ё typed as е, another case
    assert "закреплен" in (ok.text or "")

    locked = journey.resident()
    await locked.register()
    for attempt in range(5):
        answer = await locked.add_account("2003", f"Сидоров{attempt}")
        assert (
            answer.text
            == f"Лицевой счет 2003 Введена фамилия Сидоров{attempt} Не верное сочетание 2003 и Сидоров{attempt}"
        )
        await locked.next()  # the advice, with attempts left
    # the fifth wrong try said when the lock ends; «Добавить ЛС» now says so before asking anything
    await locked.open_work_menu()
    refused = await locked.press("btn.add_account")
    assert refused.text and "заблокировано до" in refused.text, refused.text


async def test_readings_saved_and_every_reachable_rejection(journey: Journey) -> None:
    r = journey.resident()
    await r.register()
    await r.add_account("2001", "Мамин-Сибиряк")
    await r.add_account("2002", "Ёлкина")

    meters = await r.meters("2001")
    assert ["Холодная вода 2001-cw"] in meters.buttons and ["Горячая вода 2001-hw"] in meters.buttons
    prompt = await r.tap(meters, "Холодная вода 2001-cw")
    assert prompt.text == "Введите значение для прибора учета Холодная вода 2001-cw (250.550)"
    below = await r.say("250")  # ceil(250.550) = 251
    assert below.text and below.text.startswith("Значение 250 меньше предыдущего"), below.text
    assert "после 250.550 — не меньше 251" in below.text
    await r.say("/exit")  # the chat stayed on the meter for a corrected value

    answers = {v: (await r.enter_reading("2001", "2001-cw", v)).text for v in ("400", "сто", "251.5", "251")}
    assert answers["400"] and "не более 350" in answers["400"]
    assert answers["сто"] and answers["сто"].startswith("«сто» — не число.")
    assert answers["251.5"] and "целое число" in answers["251.5"]
    assert answers["251"] == "Информация сохранена"
    offer = await r.next()  # then the meters again, for the next value
    assert offer.text == r.t("reading.next_meter")

    meters = await r.meters("2002")
    expired = await r.tap(meters, next(b for row in meters.buttons for b in row if b.endswith("2002-gas")))
    assert expired.text and "срок поверки истек" in expired.text  # said before a value is typed

    actions = await r.choose_account("2001")
    view = await r.tap(actions, "Посмотреть переданные показания")
    assert view.text and "2001-cw: 251 (предыдущее 250.550, расход 0.450" in view.text


async def test_exit_mid_input_remove_account_and_forged_buttons(journey: Journey) -> None:
    r = journey.resident()
    await r.register()
    await r.add_account("2003", "петров")
    meters = await r.meters("2003")
    await r.tap(meters, "Отопление 2003-heat")
    left = await r.say("/exit")
    assert left.text == r.t("menu.exited")

    other = journey.resident()
    await other.register()
    await other.add_account("2001", "Мамин-Сибиряк")
    theirs = await other.meters("2001")
    # replay the other resident's meter button in our chat: a forged callback for a meter we don't own
    forged = await r.tap_forged(meters, theirs.callback_data[0])
    assert forged.text and "не относится" in forged.text

    await r.open_work_menu()
    removing = await r.press("btn.remove_account")
    question = await r.tap(removing, "2003")
    unlinked = await r.tap(question, "Да")
    assert unlinked.text == "Лицевой счет 2003 откреплен от чата."
    none_left = await r.press("btn.select_account")
    assert none_left.text == r.t("account.none_linked")


async def test_admin_message_round_trip(journey: Journey) -> None:
    admin = journey.server.resident(TOKEN, ADMIN, first_name="Администратор", language_code="ru")
    await admin.send_text("/start")  # the admin has a chat with the bot
    admin_driver = ResidentDriver(admin, load_catalogue(), timeout=15)
    await admin_driver.next()

    r = journey.resident()
    await r.register()
    prompt = await r.press("btn.write_admin")
    assert "ТОЛЬКО ТЕКСТОВОЕ" in (prompt.text or "")
    await r.resident.send_sticker()
    assert (await r.next()).text == r.t("admin.text_only")
    sent = await r.say("Не работает счетчик в подъезде")
    assert sent.text == r.t("admin.sent")

    forwarded = await admin_driver.next()
    assert forwarded.text and "Не работает счетчик в подъезде" in forwarded.text
    await admin_driver.reply_to(forwarded, "Мастер придет завтра")
    relayed = await r.next()
    assert relayed.text == "Ответ администратора:\nМастер придет завтра"


async def test_gateway_restart_in_the_middle_of_entering_a_reading(journey: Journey) -> None:
    r = journey.resident()
    await r.register()
    await r.add_account("2001", "мамин-сибиряк")
    meters = await r.meters("2001")
    prompt = await r.tap(meters, "Горячая вода 2001-hw")
    assert prompt.text == "Введите значение для прибора учета Горячая вода 2001-hw (100)"

    os.kill(journey.stack.service_pid("telegram-gateway"), signal.SIGKILL)  # a crash, not a stop
    saved = await r.resident.send_text("150")
    del saved
    answer = await r.next(timeout=60)  # the supervisor restarts the gateway; FSM is in PostgreSQL
    assert answer.text == "Информация сохранена"


async def test_two_residents_at_once(journey: Journey) -> None:
    a, b = journey.resident(), journey.resident("en")
    await asyncio.gather(a.register(), b.register())
    await asyncio.gather(a.add_account("2001", "Мамин-Сибиряк"), b.add_account("2002", "Ёлкина"))
    got_a, got_b = await asyncio.gather(
        a.enter_reading("2001", "2001-hw", "160"), b.enter_reading("2002", "2002-el", "5050")
    )
    assert got_a.text == "Информация сохранена"
    assert got_b.text == b.t("reading.saved")


async def test_period_closed_after_export(journey: Journey) -> None:
    period = datetime.now(ZoneInfo("Europe/Moscow")).strftime("%Y-%m")
    handed_in = journey.resident()
    await handed_in.register()
    await handed_in.add_account("2002", "Ёлкина")
    saved = await handed_in.enter_reading("2002", "2002-el", "5001")
    assert saved.text == "Информация сохранена"
    assert (await handed_in.next()).text == handed_in.t("reading.next_meter")  # 2002 has two meters
    exported = await asyncio.to_thread(
        journey.stack.cli, "export", "--period", period, "--format", "csv", "--close", "--force"
    )
    assert exported.returncode == 0, exported.stderr
    assert "2001-cw" in exported.stdout
    # issue 13: the resident is told, unasked (the outbound queue), what went to billing
    pushed = await handed_in.next(timeout=60)
    assert pushed.text and "переданы в расчёт" in pushed.text and "2002-el: 5001" in pushed.text, pushed.text
    actions = await handed_in.choose_account("2002")
    view = await handed_in.tap(actions, "Посмотреть переданные показания")
    line = next(x for x in (view.text or "").splitlines() if "2002-el: 5001" in x)
    assert line.endswith(" — передано в расчёт"), line
    # readings learns of the closed period from billing-export's events
    readings_db = journey.stack.dsn("readings")
    await eventually(
        lambda: fetchval(readings_db, "SELECT count(*) FROM closed_periods WHERE period = $1", period), 1, 60
    )
    r = journey.resident()
    await r.register()
    await r.add_account("2003", "Петров")
    # said as soon as the meter is chosen, before any value is typed (issue 11, item 2)
    meters = await r.meters("2003")
    caption = next(b for row in meters.buttons for b in row if b.endswith("2003-heat"))
    closed = await r.tap(meters, caption)
    assert closed.text and closed.text.startswith(r.t("rejected.period_closed"))
