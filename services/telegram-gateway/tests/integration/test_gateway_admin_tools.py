"""The administrator's tools through the real dispatcher and the local Bot API server: each works in
the admin chat and is refused in any other; /missing's CSV rows are the read model's open meters
without a reading this period; /find shows no phone; /broadcast and /news reach residents (news only
those who asked for it); every use is an AdminActionTaken event naming who."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from meterbot_contracts.readings import MeterType, ReadingAccepted
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble
from telegram_gateway.bot.info_texts import MISSING_CSV_HEADER
from telegram_gateway.periods import period_of

from .conftest import ADMIN_CHAT_ID
from .gateway_harness import GatewayHarness
from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration

COMMANDS = ("/stats", "/missing", "/find 1", "/broadcast hi", "/news hi", "/news_withdraw x")


def new_number() -> str:
    return str(uuid.uuid4().int)[:9]


def period(gateway: GatewayHarness) -> str:
    return period_of(datetime.now(UTC), gateway.settings.time_zone)


async def actions(gateway: GatewayHarness, action: str) -> list[str]:
    rows = await gateway.pool.fetch(
        "SELECT data->>'actor' AS actor FROM events WHERE type = 'AdminActionTaken' AND data->>'action' = $1",
        action,
    )
    return [r["actor"] for r in rows]


async def test_admin_commands_are_refused_outside_the_admin_chat(
    gateway: GatewayHarness, new_resident: ResidentFactory
) -> None:
    eve = new_resident(phone_number="+79160000001")
    await eve.register()
    for command in COMMANDS:
        assert (await eve.say(command)).text == "Эта команда доступна только в чате администратора.", command
    stranger = new_resident()  # not even registered
    assert (await stranger.say("/stats")).text == "Эта команда доступна только в чате администратора."


async def test_stats_missing_and_find(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory, admin: ResidentDriver
) -> None:
    anna = new_resident(phone_number="+79161112233")
    await anna.register()
    n = new_number()
    await link(anna, services, n, address="ул. Мира, 3")
    done, missing = f"{n}-cw", f"{n}-hw"
    await add_meter(gateway, services, n, done)
    await add_meter(gateway, services, n, missing, meter_type=MeterType.HOT_WATER)
    await services.publish(
        ReadingAccepted(
            reading_id=uuid.uuid4(),
            chat_id=anna.chat_id,
            account_number=n,
            meter_id=done,
            meter_type=MeterType.COLD_WATER,
            value=Decimal(260),
            previous_value=Decimal("250.550"),
            period=period(gateway),
            submitted_at=datetime.now(UTC),
        )
    )
    await gateway.wait_for("SELECT true FROM rm_readings WHERE meter_id = $1", done)

    stats = await admin.say("/stats")
    assert (stats.text or "").startswith(f"Статистика за {period(gateway)}\nЗарегистрировано жителей: ")
    assert "current: " in (stats.text or "")

    sent = await admin.say("/missing")
    assert sent.kind == "document" and sent.file_id is not None
    assert (sent.caption or "").startswith(f"Приборы учета без показаний за {period(gateway)}: ")
    data = admin.resident.api.bot.files[sent.file_id].data.decode()
    rows = list(csv.reader(io.StringIO(data)))
    assert tuple(rows[0]) == MISSING_CSV_HEADER
    listed = {r[2] for r in rows[1:]}
    assert missing in listed and done not in listed
    assert [n, "ул. Мира, 3", missing, "hot_water", "1"] in rows
    # the rows are exactly the read model's open meters without a reading that counts this period
    expected = {
        r["meter_id"]
        for r in await gateway.pool.fetch(
            "SELECT meter_id FROM rm_meters m WHERE NOT closed AND meter_id NOT IN"
            " (SELECT meter_id FROM rm_readings WHERE period = $1 AND status = 'current')",
            period(gateway),
        )
    }
    assert listed == expected
    assert len(rows) - 1 == len(expected)

    card = await admin.say(f"/find {n}")
    assert (card.text or "").startswith(f"Лицевой счет {n}\nАдрес: ул. Мира, 3\nЗакреплен за чатами: 1\n")
    assert f"Холодная вода {done}: 260" in (card.text or "")
    assert f"Горячая вода {missing}: показаний нет" in (card.text or "")
    assert "1112233" not in (card.text or "") and "+7" not in (card.text or "")
    assert (await admin.say("/find")).text == "Укажите лицевой счет: /find 100001"
    assert ((await admin.say(f"/find {new_number()}")).text or "").endswith("не найден.")
    for action in ("stats", "missing", "find"):
        assert f"telegram:{ADMIN_CHAT_ID}" in await actions(gateway, action)


async def test_broadcast_and_news(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory, admin: ResidentDriver
) -> None:
    reader, other = new_resident(), new_resident()
    await reader.register()
    await other.register()
    await reader.press("Дополнительно")
    on = await reader.press("Получать новости")
    assert on.text and on.text.startswith("Новые новости будут приходить в этот чат.")
    assert reader.sees("Не получать новости")

    started = await admin.say("/broadcast Плановое отключение воды 5 мая")
    assert (started.text or "").startswith("Рассылка начата: ")
    count = int((started.text or "").rsplit(" ", 2)[-2])
    done = await admin.next(timeout=count / 10 + 30)
    assert done.text == f"Рассылка завершена: доставлено {count} из {count}."
    for resident in (reader, other):
        assert (await resident.next()).text == "Сообщение администрации:\nПлановое отключение воды 5 мая"

    published = await admin.say("/news Счетчики поверяются бесплатно")
    assert (published.text or "").startswith("Новость опубликована (")
    news_id = (published.text or "").split("(")[1].split(")")[0]
    pushed = await reader.next()
    assert (pushed.text or "").startswith("Новость от ") and (pushed.text or "").endswith(
        "Счетчики поверяются бесплатно"
    )
    await admin.say("/news Вторая новость")
    await reader.next()
    page = await other.press("Дополнительно")
    assert page.text
    listed = (await other.press("Новости")).text or ""
    assert listed.index("Вторая новость") < listed.index("Счетчики поверяются бесплатно")  # newest first

    assert (await admin.say(f"/news_withdraw {news_id}")).text == f"Новость {news_id} отозвана."
    assert "Счетчики поверяются бесплатно" not in ((await other.press("Новости")).text or "")
    assert ((await admin.say(f"/news_withdraw {news_id}")).text or "").endswith(
        "не найдена или уже отозвана."
    )
    for action in ("broadcast", "news", "news_withdraw"):
        assert f"telegram:{ADMIN_CHAT_ID}" in await actions(gateway, action)
    types = {r["type"] for r in await gateway.pool.fetch("SELECT DISTINCT type FROM events")}
    assert {"NewsPublished", "NewsWithdrawn", "AdminActionTaken"} <= types
