"""Readings through the real dispatcher: a button per meter (even one), the prompt with the previous
value, ReadingSubmitted with the raw text, «Информация сохранена» or the reason's message, this
period's readings (replacement supersedes, withdrawal removes), forged meter buttons, and a
change billing refused as late, told unasked."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from meterbot_contracts.readings import (
    MeterClosed,
    MeterType,
    ReadingAccepted,
    ReadingReconciled,
    ReadingRejected,
    ReadingSubmitted,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
)
from telegram_gateway.periods import period_of
from telegram_gateway.testing import GatewayHarness, ResidentDriver, ResidentFactory, ServiceDouble

from .gateway_steps import add_meter, link

pytestmark = pytest.mark.integration


def uid() -> str:
    return uuid.uuid4().hex[:8]


def this_period() -> str:
    return period_of(datetime.now(UTC), ZoneInfo("Europe/Moscow"))


def accepted(c: ReadingSubmitted, period: str | None = None) -> ReadingAccepted:
    return ReadingAccepted(
        reading_id=uuid4(),
        chat_id=c.chat_id,
        account_number=c.account_number,
        meter_id=c.meter_id,
        meter_type=MeterType.COLD_WATER,
        value=Decimal(c.raw_value),
        previous_value=None,
        period=period or this_period(),
        submitted_at=datetime.now(UTC),
    )


async def resident_with_meters(
    gateway: GatewayHarness,
    services: ServiceDouble,
    new_resident: ResidentFactory,
    *meters: tuple[str, MeterType],
) -> tuple[ResidentDriver, str]:
    resident = new_resident()
    await resident.register()
    account = str(uuid.uuid4().int)[:9]
    for meter_id, meter_type in meters:
        await add_meter(gateway, services, account, meter_id, meter_type=meter_type)
    await link(resident, services, account)
    return resident, account


async def test_one_meter_still_gets_its_button_and_the_reading_is_saved(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    meter = f"CW-{uid()}"
    anna, account = await resident_with_meters(gateway, services, new_resident, (meter, MeterType.COLD_WATER))
    meters = await anna.meters(account)
    assert meters.buttons == [[f"Холодная вода {meter}"]]
    prompt = await anna.tap(meters, f"Холодная вода {meter}")
    assert prompt.text == f"Введите значение для прибора учета Холодная вода {meter} (250.550)"
    saved = await services.serve(anna.say(" 251 "), ReadingSubmitted, accepted, chat_id=anna.chat_id)
    assert saved.text == "Информация сохранена"
    [submitted] = services.commands(ReadingSubmitted, chat_id=anna.chat_id)
    assert submitted == ReadingSubmitted(
        chat_id=anna.chat_id, account_number=account, meter_id=meter, raw_value="251"
    )


async def test_a_rejection_explains_and_offers_the_meter_again(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    gas, cold = f"G-{uid()}", f"CW-{uid()}"
    boris, account = await resident_with_meters(
        gateway, services, new_resident, (gas, MeterType.GAS), (cold, MeterType.COLD_WATER)
    )
    meters = await boris.meters(account)
    assert sorted(meters.buttons) == sorted([[f"Холодная вода {cold}"], [f"Газ {gas}"]])

    def below(c: ReadingSubmitted) -> ReadingRejected:
        return ReadingRejected(
            chat_id=c.chat_id,
            account_number=c.account_number,
            meter_id=c.meter_id,
            raw_value=c.raw_value,
            reason="below_previous",
            previous_value=Decimal("250.550"),
        )

    await boris.tap(meters, f"Газ {gas}")
    refused = await services.serve(boris.say("250"), ReadingSubmitted, below, chat_id=boris.chat_id)
    assert "Значение 250 меньше предыдущего (250.550)" in (refused.text or "")
    assert refused.buttons == [[f"Газ {gas}"]]
    again = await boris.tap(refused, f"Газ {gas}")
    assert again.text == f"Введите значение для прибора учета Газ {gas} (250.550)"
    await boris.resident.send_sticker()
    assert "целым числом" in ((await boris.next()).text or "")  # non-text: still waiting for the value
    saved = await services.serve(boris.say("251"), ReadingSubmitted, accepted, chat_id=boris.chat_id)
    assert saved.text == "Информация сохранена"
    offer = await boris.next()  # two meters: the buttons come back for the next one
    assert sorted(offer.buttons) == sorted(meters.buttons)


async def test_this_period_view_replacement_and_withdrawal(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    meter = f"HW-{uid()}"
    vera, account = await resident_with_meters(gateway, services, new_resident, (meter, MeterType.HOT_WATER))
    actions = await vera.choose_account(account)
    empty = await vera.tap(actions, "Посмотреть переданные показания")
    assert "еще не передавались" in (empty.text or "")

    for value in ("260", "262"):  # the second replaces the first
        meters = await vera.meters(account)
        await vera.tap(meters, f"Горячая вода {meter}")
        assert (
            await services.serve(vera.say(value), ReadingSubmitted, accepted, chat_id=vera.chat_id)
        ).text == ("Информация сохранена")
    actions = await vera.choose_account(account)
    view = await vera.tap(actions, "Посмотреть переданные показания")
    assert view.text is not None and view.text.splitlines()[1:] == [f"Горячая вода {meter}: 262"]
    reading_id = await gateway.pool.fetchval(
        "SELECT reading_id FROM rm_readings WHERE meter_id = $1 AND status = 'current'", meter
    )

    withdrawn = await services.serve(
        vera.tap(view, "Отменить"),
        ReadingWithdrawalRequested,
        lambda c: ReadingWithdrawn(
            reading_id=reading_id,
            chat_id=c.chat_id,
            account_number=c.account_number,
            meter_id=c.meter_id,
            period=this_period(),
        ),
        chat_id=vera.chat_id,
    )
    assert withdrawn.text and withdrawn.text.startswith(f"Показание прибора учета Горячая вода {meter} за ")
    actions = await vera.choose_account(account)
    assert "еще не передавались" in ((await vera.tap(actions, "Посмотреть переданные показания")).text or "")


async def test_prev_is_the_last_earlier_period_and_closed_meters_disappear(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    meter, closing = f"E-{uid()}", f"ED-{uid()}"
    gleb, account = await resident_with_meters(
        gateway, services, new_resident, (meter, MeterType.ELECTRICITY), (closing, MeterType.ELECTRICITY_DAY)
    )
    earlier = ReadingAccepted(
        reading_id=uuid4(),
        chat_id=gleb.chat_id,
        account_number=account,
        meter_id=meter,
        meter_type=MeterType.ELECTRICITY,
        value=Decimal("300"),
        previous_value=None,
        period="2020-01",
        submitted_at=datetime(2020, 1, 20, tzinfo=UTC),
    )
    await services.publish(earlier)
    await services.publish(MeterClosed(meter_id=closing, account_number=account))
    await gateway.wait_for("SELECT true FROM rm_meters WHERE meter_id = $1 AND closed", closing)
    await gateway.wait_for("SELECT true FROM rm_readings WHERE meter_id = $1", meter)
    meters = await gleb.meters(account)
    assert meters.buttons == [[f"Электроэнергия {meter}"]]
    prompt = await gleb.tap(meters, f"Электроэнергия {meter}")
    assert prompt.text == f"Введите значение для прибора учета Электроэнергия {meter} (300)"
    assert (await gleb.say("/exit")).text == "Ввод прерван. Вы в главном меню."


async def test_forged_meter_buttons_are_refused(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    theirs, mine = f"CW-{uid()}", f"CW-{uid()}"
    await resident_with_meters(gateway, services, new_resident, (theirs, MeterType.COLD_WATER))
    dina, account = await resident_with_meters(gateway, services, new_resident, (mine, MeterType.COLD_WATER))
    meters = await dina.meters(account)
    for data in (f"mtr:{theirs}", f"wdr:{theirs}", "mtr:no-such-meter"):
        refused = await dina.tap_forged(meters, data)
        assert refused.text and refused.text.startswith("Этот прибор учета не относится"), data
    assert [c for c in services.commands(ReadingWithdrawalRequested) if c.meter_id == theirs] == []


async def test_reply_latency(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Resident message -> command on Kafka -> event back -> reply; printed for the report."""
    meter = f"CW-{uid()}"
    egor, account = await resident_with_meters(gateway, services, new_resident, (meter, MeterType.COLD_WATER))
    services.on(ReadingSubmitted, accepted)
    latencies = []
    try:
        for value in range(300, 320):
            meters = await egor.meters(account)
            await egor.tap(meters, f"Холодная вода {meter}")
            started = time.perf_counter()
            assert (await egor.say(str(value))).text == "Информация сохранена"
            latencies.append(time.perf_counter() - started)
    finally:
        services.off(ReadingSubmitted)
    latencies.sort()
    print(
        f"\nreply latency over Kafka: p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms"
    )
    assert latencies[len(latencies) // 2] < 2.0


async def test_a_replacement_billing_refused_as_late_is_told_and_the_view_shows_what_counts(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    meter = f"CW-{uid()}"
    olga, account = await resident_with_meters(gateway, services, new_resident, (meter, MeterType.COLD_WATER))
    submitted: list[ReadingAccepted] = []

    def accept(c: ReadingSubmitted) -> ReadingAccepted:
        submitted.append(accepted(c))
        return submitted[-1]

    for value in ("260", "270"):
        meters = await olga.meters(account)
        await olga.tap(meters, f"Холодная вода {meter}")
        await services.serve(olga.say(value), ReadingSubmitted, accept, chat_id=olga.chat_id)
    counted, refused = submitted
    period = this_period()
    await services.publish(
        ReadingReconciled(
            meter_id=meter,
            account_number=account,
            meter_type=MeterType.COLD_WATER,
            period=period,
            chat_id=olga.chat_id,
            refused_reading_id=refused.reading_id,
            refused="accepted",
            refused_value=Decimal(270),
            counted_reading_id=counted.reading_id,
            counted_value=Decimal(260),
            counted_chat_id=olga.chat_id,
            counted_submitted_at=counted.submitted_at,
        )
    )
    told = await olga.next()
    assert told.text is not None
    assert told.text.startswith(f"Показание 270 прибора учета Холодная вода {meter} за ")
    assert "В расчете учтено показание 260." in told.text
    actions = await olga.choose_account(account)
    view = await olga.tap(actions, "Посмотреть переданные показания")
    assert view.text is not None and view.text.splitlines()[1:] == [f"Холодная вода {meter}: 260"]
    statuses = await gateway.pool.fetch(
        "SELECT value, status FROM rm_readings WHERE meter_id = $1 ORDER BY value", meter
    )
    assert [(r["value"], r["status"]) for r in statuses] == [
        (Decimal(260), "current"),
        (Decimal(270), "refused"),
    ]
