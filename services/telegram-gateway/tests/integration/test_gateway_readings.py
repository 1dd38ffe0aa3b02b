"""Readings through the real dispatcher: a button per meter (even one), the prompt with the previous
value, ReadingSubmitted with the raw text, «Информация сохранена» or the reason's message, this
period's readings (replacement supersedes, withdrawal removes), forged meter buttons, and a
change billing refused as late, told unasked."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from uuid import uuid4

import pytest
from meterbot_contracts.billing import PeriodClosed
from meterbot_contracts.readings import (
    MeterClosed,
    MeterRegistered,
    MeterType,
    ReadingAccepted,
    ReadingReconciled,
    ReadingSubmitted,
    ReadingWithdrawalRequested,
    ReadingWithdrawn,
)
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.replies import period_name

from .gateway_harness import GatewayHarness
from .gateway_steps import accepted_reading, add_meter, link, rejected, this_period

pytestmark = pytest.mark.integration


def uid() -> str:
    return uuid.uuid4().hex[:8]


def period_label() -> str:
    return period_name(load_catalogue().texts("ru"), this_period())


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
    saved = await services.serve(anna.say(" 251 "), ReadingSubmitted, accepted_reading, chat_id=anna.chat_id)
    assert saved.text == "Информация сохранена"
    [submitted] = services.commands(ReadingSubmitted, chat_id=anna.chat_id)
    assert submitted == ReadingSubmitted(
        chat_id=anna.chat_id, account_number=account, meter_id=meter, raw_value="251"
    )


async def test_after_a_mistyped_value_the_chat_stays_on_the_meter(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    gas, cold = f"G-{uid()}", f"CW-{uid()}"
    boris, account = await resident_with_meters(
        gateway, services, new_resident, (gas, MeterType.GAS), (cold, MeterType.COLD_WATER)
    )
    meters = await boris.meters(account)
    assert sorted(meters.buttons) == sorted([[f"Холодная вода {cold}"], [f"Газ {gas}"]])

    below = partial(
        rejected, reason="below_previous", previous_value=Decimal("250.550"), min_allowed=Decimal(251)
    )

    await boris.tap(meters, f"Газ {gas}")
    refused = await services.serve(boris.say("250"), ReadingSubmitted, below, chat_id=boris.chat_id)
    # Issue 11 items 4 and 5: the meter's own numbers, and no button to press again
    assert "Значение 250 меньше предыдущего (250.550)" in (refused.text or "")
    assert "после 250.550 — не меньше 251" in (refused.text or "")
    assert f"Введите исправленное значение для прибора учета Газ {gas}" in (refused.text or "")
    assert refused.buttons == []
    await boris.resident.send_sticker()
    assert "целым числом" in ((await boris.next()).text or "")  # non-text: still waiting for the value
    saved = await services.serve(boris.say("251"), ReadingSubmitted, accepted_reading, chat_id=boris.chat_id)
    assert saved.text == "Информация сохранена"
    assert [c.meter_id for c in services.commands(ReadingSubmitted, chat_id=boris.chat_id)] == [gas, gas]
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
    assert (empty.text or "").splitlines()[1:] == [
        "Еще не переданы:",
        f"Горячая вода {meter}: предыдущее 250.550",
    ]

    for value in ("260", "262"):  # the second replaces the first
        meters = await vera.meters(account)
        await vera.tap(meters, f"Горячая вода {meter}")
        assert (
            await services.serve(vera.say(value), ReadingSubmitted, accepted_reading, chat_id=vera.chat_id)
        ).text == ("Информация сохранена")
    actions = await vera.choose_account(account)
    view = await vera.tap(actions, "Посмотреть переданные показания")
    assert view.text is not None
    [line] = view.text.splitlines()[1:]
    assert line.startswith(f"Горячая вода {meter}: 262 (предыдущее 250.550, расход 11.450, передано ")
    reading_id = await gateway.pool.fetchval(
        "SELECT reading_id FROM rm_readings WHERE meter_id = $1 AND status = 'current'", meter
    )

    question = await vera.tap(view, "Отменить")
    assert question.text == f"Отменить показание прибора учета Горячая вода {meter} за {period_label()}?"
    withdrawn = await services.serve(
        vera.tap(question, "Да"),
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
    # The registry's value is dated (2026-01) after that reading (2020-01): readings would check
    # against it, and so the prompt shows it (issue 14 item 7, one rule). Without a date, ours wins.
    await services.publish(
        MeterRegistered(
            meter_id=meter,
            account_number=account,
            meter_type=MeterType.ELECTRICITY,
            serial_number=f"SN-{meter}",
            verified_until=date(2031, 1, 1),
            last_value=Decimal("250.550"),
            last_value_date=None,
        )
    )
    await gateway.wait_for(
        "SELECT true FROM rm_meters WHERE meter_id = $1 AND last_value_date IS NULL", meter
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
    services.on(ReadingSubmitted, accepted_reading)
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
        submitted.append(accepted_reading(c))
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
    assert view.text is not None
    [line, refused_line] = view.text.splitlines()[1:]
    assert line.startswith(f"Холодная вода {meter}: 260 (предыдущее 250.550, расход 9.450, передано ")
    assert line.endswith(" — принято")  # issue 13: each line's status
    assert refused_line.startswith(f"Холодная вода {meter}: 270 ")
    assert refused_line.endswith(" — не учтено: период закрыли раньше, чем показание поступило в расчёт")
    statuses = await gateway.pool.fetch(
        "SELECT value, status FROM rm_readings WHERE meter_id = $1 ORDER BY value", meter
    )
    assert [(r["value"], r["status"]) for r in statuses] == [
        (Decimal(260), "current"),
        (Decimal(270), "refused"),
    ]


async def test_the_view_lists_what_was_handed_in_and_what_is_still_to_submit(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 11 item 7: each line with the previous value, consumption and time; the meters still to
    submit with their previous value."""
    cold, heat = f"CW-{uid()}", f"H-{uid()}"
    yana, account = await resident_with_meters(
        gateway, services, new_resident, (cold, MeterType.COLD_WATER), (heat, MeterType.HEAT)
    )
    meters = await yana.meters(account)
    await yana.tap(meters, f"Холодная вода {cold}")
    await services.serve(yana.say("255"), ReadingSubmitted, accepted_reading, chat_id=yana.chat_id)
    assert (await yana.next()).text == "Можно ввести значение для другого прибора учета:"
    actions = await yana.choose_account(account)
    view = await yana.tap(actions, "Посмотреть переданные показания")
    lines = (view.text or "").splitlines()
    assert lines[0] == f"Показания по лицевому счету {account}, переданные за {period_label()}:"
    assert lines[1].startswith(f"Холодная вода {cold}: 255 (предыдущее 250.550, расход 4.450, передано ")
    assert lines[2:] == ["Еще не переданы:", f"Отопление {heat}: предыдущее 250.550"]
    assert view.buttons == [[f"Отменить: Холодная вода {cold}"]]


async def test_what_readings_would_refuse_is_said_when_the_meter_is_chosen(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 11 items 2 and 4: expired verification (with its date and what to do) and a meter closed
    after its button was shown (not «не относится к вашему чату») -- before any value is typed."""
    expired, closing = f"CW-{uid()}", f"HW-{uid()}"
    zina = new_resident()
    await zina.register()
    account = str(uuid.uuid4().int)[:9]
    await add_meter(gateway, services, account, expired, verified_until=date(2024, 3, 31))
    await add_meter(gateway, services, account, closing, meter_type=MeterType.HOT_WATER)
    await link(zina, services, account)
    meters = await zina.meters(account)
    refusal = await zina.tap(meters, f"Холодная вода {expired}")
    assert "срок поверки истек 31.03.2024" in (refusal.text or "")
    assert "abonent@example.org" in (refusal.text or "")
    assert "Не понимаю" in ((await zina.say("251")).text or "")  # no value was asked for
    await services.publish(MeterClosed(meter_id=closing, account_number=account))
    await gateway.wait_for("SELECT true FROM rm_meters WHERE meter_id = $1 AND closed", closing)
    closed = await zina.tap(meters, f"Горячая вода {closing}")  # the old button
    assert "прибор учета закрыт" in (closed.text or "")
    assert services.commands(ReadingSubmitted, chat_id=zina.chat_id) == []


async def test_a_value_with_nul_is_answered_and_never_sent(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    """Issue 18 item 5: a NUL inside the value went to readings (and its DLQ)."""
    meter = f"CW-{uid()}"
    kira, account = await resident_with_meters(gateway, services, new_resident, (meter, MeterType.COLD_WATER))
    meters = await kira.meters(account)
    await kira.tap(meters, f"Холодная вода {meter}")
    assert "целым числом" in ((await kira.say("25\x001")).text or "")
    saved = await services.serve(kira.say("251"), ReadingSubmitted, accepted_reading, chat_id=kira.chat_id)
    assert saved.text == "Информация сохранена"
    assert [c.raw_value for c in services.commands(ReadingSubmitted, chat_id=kira.chat_id)] == ["251"]


async def test_a_resident_with_a_reading_in_a_closed_period_is_told(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    meter, period = f"CW-{uid()}", f"{1900 + uuid.uuid4().int % 100}-04"  # no other test's period
    anna, account = await resident_with_meters(gateway, services, new_resident, (meter, MeterType.COLD_WATER))
    await anna.tap(await anna.meters(account), f"Холодная вода {meter}")
    saved = await services.serve(
        anna.say("251"), ReadingSubmitted, lambda c: accepted_reading(c, period=period), chat_id=anna.chat_id
    )
    assert saved.text == "Информация сохранена"
    await gateway.wait_for("SELECT true FROM rm_readings WHERE meter_id = $1", meter)

    closed = PeriodClosed(period=period, closed_at=datetime.now(UTC), readings_count=1)
    first = await services.publish(closed)
    told = await anna.next()  # issue 13: what went to billing, through the outbound queue
    t = load_catalogue().texts("ru")
    assert (told.text or "").splitlines() == [
        f"Показания за {period_name(t, period)} переданы в расчёт:",
        f"Лицевой счет {account}:",
        f"Холодная вода {meter}: 251",
    ]
    await services.redeliver(first, closed)  # redelivered, and exported again (a new event): nothing new
    again = await services.publish(PeriodClosed(period=period, closed_at=datetime.now(UTC), readings_count=1))
    await gateway.wait_for("SELECT true FROM inbox WHERE message_id = $1", again.message_id)
    assert (
        await gateway.pool.fetchval("SELECT count(*) FROM outbound_messages WHERE chat_id = $1", anna.chat_id)
        == 1
    )
