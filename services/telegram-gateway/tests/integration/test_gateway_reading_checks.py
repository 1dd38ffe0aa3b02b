"""Issue 14 items 2 and 5 through the real dispatcher and the local Bot API server: readings asks
before it accepts a value (ReadingConfirmationAsked), the bot puts the question with «Да» / «Нет»,
and the answer goes back as ReadingSubmittedV2 -- rollover Да (recorded) and Нет (refused as below
the previous value, the chat stays on the meter), anomaly Да (recorded as confirmed after the
warning) and Нет (nothing sent, the value is asked for again); a meter replaced mid-period (item 3):
linked residents told once, a value in flight for the old meter refused, the new one prompted from
its initial value; T1 then T2 of a two-tariff meter, one refused so neither is kept (item 4).
readings is played by the double."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import pytest
from meterbot_contracts.readings import (
    ConfirmationCheck,
    DayNightReadingSubmitted,
    MeterRegisteredV2,
    MeterReplaced,
    MeterType,
    ReadingAccepted,
    ReadingConfirmationAsked,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingSubmitted,
    ReadingSubmittedV2,
)
from meterbot_testing.resident import ResidentDriver, ResidentFactory
from meterbot_testing.services import ServiceDouble

from .gateway_harness import GatewayHarness
from .gateway_steps import accepted_reading, add_meter, answering, link, rejected

pytestmark = pytest.mark.integration

PREVIOUS = Decimal(99990)


def asked(
    check: ConfirmationCheck, *, consumption: str, expected: str | None = None, rollover: bool = False
) -> Callable[[ReadingSubmitted], ReadingConfirmationAsked]:
    def respond(c: ReadingSubmitted) -> ReadingConfirmationAsked:
        return ReadingConfirmationAsked(
            **answering(c),
            check=check,
            value=Decimal(c.raw_value),
            previous_value=PREVIOUS,
            consumption=Decimal(consumption),
            expected=None if expected is None else Decimal(expected),
            rollover=rollover,
        )

    return respond


def accepted(c: ReadingSubmitted) -> ReadingAccepted:
    assert isinstance(c, ReadingSubmittedV2)
    reading: ReadingAccepted = accepted_reading(
        c,
        previous_value=PREVIOUS,
        rollover=c.rollover == "yes",
        consumption=Decimal(25),
        confirmed_after_warning=c.anomaly_confirmed,
    )
    return reading


async def at_prompt(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> tuple[ResidentDriver, str]:
    """A resident at the value prompt of a five-digit cold water meter whose previous value is 99990."""
    resident = new_resident()
    await resident.register()
    account, meter = str(uuid.uuid4().int)[:9], f"CW-{uuid.uuid4().hex[:8]}"
    await add_meter(gateway, services, account, meter, last_value=PREVIOUS)
    await link(resident, services, account)
    prompt = await resident.tap(await resident.meters(account), f"Холодная вода {meter}")
    assert prompt.text == f"Введите значение для прибора учета Холодная вода {meter} (99990)"
    return resident, meter


async def test_rollover_yes_records_it_and_no_refuses_it_as_below_the_previous_value(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    anna, meter = await at_prompt(gateway, services, new_resident)
    question = await services.serve(
        anna.say("15"), ReadingSubmitted, asked("rollover", consumption="25"), chat_id=anna.chat_id
    )
    assert "Счётчик перешёл через ноль?" in (question.text or "")
    assert "расход составит 25" in (question.text or "")
    assert question.buttons == [["Да", "Нет"]]
    assert "«Да» или «Нет»" in ((await anna.say("16")).text or "")  # still at the question
    saved = await services.serve(anna.tap(question, "Да"), ReadingSubmittedV2, accepted, chat_id=anna.chat_id)
    assert saved.text == "Информация сохранена"
    [again] = services.commands(ReadingSubmittedV2, chat_id=anna.chat_id)
    assert (again.raw_value, again.rollover, again.anomaly_confirmed) == ("15", "yes", False)
    assert await gateway.pool.fetchval("SELECT value FROM rm_readings WHERE meter_id = $1", meter) == 15

    boris, meter = await at_prompt(gateway, services, new_resident)
    question = await services.serve(
        boris.say("15"), ReadingSubmitted, asked("rollover", consumption="25"), chat_id=boris.chat_id
    )

    def below(c: ReadingSubmitted) -> ReadingRejected:
        assert isinstance(c, ReadingSubmittedV2)
        assert c.rollover == "no"
        reading: ReadingRejected = rejected(
            c, "below_previous", previous_value=PREVIOUS, min_allowed=PREVIOUS
        )
        return reading

    refused = await services.serve(
        boris.tap(question, "Нет"), ReadingSubmittedV2, below, chat_id=boris.chat_id
    )
    assert "Значение 15 меньше предыдущего (99990)" in (refused.text or "")
    assert f"Введите исправленное значение для прибора учета Холодная вода {meter}" in (refused.text or "")

    too_many = partial(  # the chat is still on the meter
        rejected,
        reason="too_many_digits",
        v2=True,
        previous_value=PREVIOUS,
        min_allowed=PREVIOUS,
        max_allowed=Decimal(99999),
        digits=5,
    )
    refused = await services.serve(boris.say("100005"), ReadingSubmitted, too_many, chat_id=boris.chat_id)
    assert "не помещается на счетчике" in (refused.text or "")
    assert "не более 99999" in (refused.text or "")


async def test_anomaly_yes_records_it_as_confirmed_and_no_asks_for_the_value_again(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    vera, meter = await at_prompt(gateway, services, new_resident)
    warning = asked("anomaly", consumption="60", expected="15")
    question = await services.serve(vera.say("100050"), ReadingSubmitted, warning, chat_id=vera.chat_id)
    assert "выше ожидаемого (не более 15)" in (question.text or "")
    assert question.buttons == [["Да", "Нет"]]
    saved = await services.serve(vera.tap(question, "Да"), ReadingSubmittedV2, accepted, chat_id=vera.chat_id)
    assert saved.text == "Информация сохранена"
    [again] = services.commands(ReadingSubmittedV2, chat_id=vera.chat_id)
    assert (again.raw_value, again.rollover, again.anomaly_confirmed) == ("100050", None, True)

    gleb, meter = await at_prompt(gateway, services, new_resident)
    question = await services.serve(gleb.say("100050"), ReadingSubmitted, warning, chat_id=gleb.chat_id)
    cancelled = await gleb.tap(question, "Нет")
    assert cancelled.text == (
        f"Значение не сохранено. Введите значение для прибора учета Холодная вода {meter} (99990) еще раз"
        " или отправьте /exit."
    )
    assert services.commands(ReadingSubmittedV2, chat_id=gleb.chat_id) == []
    stale = await gleb.tap(question, "Да")  # the question was answered: its button sends nothing
    assert stale.text == "Этот вопрос уже не актуален: ничего не отправлено."
    assert services.commands(ReadingSubmittedV2, chat_id=gleb.chat_id) == []
    retyped = await services.serve(
        gleb.say("99995"), ReadingSubmitted, asked("anomaly", consumption="5"), chat_id=gleb.chat_id
    )
    assert "Сохранить его?" in (retyped.text or "")


async def test_a_replacement_mid_period_is_told_once_and_a_value_for_the_old_meter_refused(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    dina, old = await at_prompt(gateway, services, new_resident)
    account = await gateway.pool.fetchval("SELECT account_number FROM rm_meters WHERE meter_id = $1", old)
    new = f"{old}-N"
    await services.publish(
        MeterRegisteredV2(
            meter_id=new,
            account_number=account,
            meter_type=MeterType.COLD_WATER,
            serial_number=f"SN-{new}",
            verified_until=None,
            last_value=None,
            last_value_date=None,
            replaces_meter_id=old,
            initial_value=Decimal("0.5"),
        )
    )
    replaced = MeterReplaced(
        meter_id=old,
        account_number=account,
        meter_type=MeterType.COLD_WATER,
        replaced_by=new,
        replaced_by_type=MeterType.COLD_WATER,
        initial_value=Decimal("0.5"),
    )
    envelope = await services.publish(replaced)
    notice = await dina.next()
    assert notice.text == (
        f"Прибор учета Холодная вода {old} заменен на Холодная вода {new}. Показания по Холодная вода {old}"
        " больше не принимаются; новый прибор учета начинает с 0.5."
    )
    await services.redeliver(envelope, replaced)  # told once: the next message answers the value

    in_flight = partial(rejected, reason="meter_replaced", v2=True)
    refused = await services.serve(dina.say("99995"), ReadingSubmitted, in_flight, chat_id=dina.chat_id)
    assert refused.text == (
        f"Прибор учета Холодная вода {old} заменен, показания по нему больше не принимаются."
        " Выберите новый прибор учета в списке."
    )
    meters = await dina.meters(account)
    assert meters.buttons == [[f"Холодная вода {new}"]]
    prompt = await dina.tap(meters, f"Холодная вода {new}")
    assert prompt.text == f"Введите значение для прибора учета Холодная вода {new} (0.5)"


async def test_day_and_night_are_asked_in_turn_and_one_refused_keeps_neither(
    gateway: GatewayHarness, services: ServiceDouble, new_resident: ResidentFactory
) -> None:
    egor = new_resident()
    await egor.register()
    account, day, night = (
        str(uuid.uuid4().int)[:9],
        f"ED-{uuid.uuid4().hex[:8]}",
        f"EN-{uuid.uuid4().hex[:8]}",
    )
    for meter, kind in ((day, MeterType.ELECTRICITY_DAY), (night, MeterType.ELECTRICITY_NIGHT)):
        await services.publish(
            MeterRegisteredV2(
                meter_id=meter,
                account_number=account,
                meter_type=kind,
                serial_number="SN-TWO",  # one meter, two registers
                verified_until=None,
                last_value=Decimal(500),
                last_value_date=None,
                digits=6,
            )
        )
        await gateway.wait_for("SELECT true FROM rm_meters WHERE meter_id = $1", meter)
    await link(egor, services, account)
    meters = await egor.meters(account)
    intro = await egor.tap(meters, f"Электроэнергия (ночь) {night}")  # either register starts the pair
    assert "T1" in (intro.text or "") and "ни одно" in (intro.text or "")
    t1 = await egor.next()
    assert t1.text == f"Введите значение для прибора учета Электроэнергия (день) {day} (500)"
    t2 = await egor.say("510")
    assert t2.text == f"Введите значение для прибора учета Электроэнергия (ночь) {night} (500)"

    def night_refused(c: ReadingSubmitted) -> ReadingRejectedV2:
        assert isinstance(c, DayNightReadingSubmitted)
        assert (c.meter_id, c.raw_value, c.night_meter_id, c.night_raw_value) == (day, "510", night, "499")
        return ReadingRejectedV2(
            chat_id=c.chat_id,
            account_number=c.account_number,
            meter_id=night,
            raw_value="499",
            reason="below_previous",
            previous_value=Decimal(500),
            min_allowed=Decimal(500),
            pair_meter_id=day,
        )

    refused = await services.serve(
        egor.say("499"), DayNightReadingSubmitted, night_refused, chat_id=egor.chat_id
    )
    assert "Значение 499 меньше предыдущего (500)" in (refused.text or "")
    assert "Ни T1, ни T2 не сохранены" in (refused.text or "")
    assert (
        await gateway.pool.fetchval("SELECT count(*) FROM rm_readings WHERE meter_id IN ($1, $2)", day, night)
        == 0
    )

    def both(c: ReadingSubmitted) -> list[ReadingAccepted]:
        assert isinstance(c, DayNightReadingSubmitted)
        return [
            accepted(
                ReadingSubmittedV2(
                    chat_id=c.chat_id, account_number=c.account_number, meter_id=m, raw_value=v
                )
            )
            for m, v in ((day, c.raw_value), (night, c.night_raw_value))
        ]

    meters = await egor.meters(account)
    await egor.tap(meters, f"Электроэнергия (день) {day}")
    await egor.next()  # T1's prompt
    await egor.say("510")
    saved = await services.serve(egor.say("505"), DayNightReadingSubmitted, both, chat_id=egor.chat_id)
    assert saved.text == "Информация сохранена"
    await gateway.wait_for("SELECT true FROM rm_readings WHERE meter_id = $1", night)
    values = await gateway.pool.fetch(
        "SELECT meter_id, value FROM rm_readings WHERE meter_id IN ($1, $2)", day, night
    )
    assert {(r["meter_id"], r["value"]) for r in values} == {(day, 510), (night, 505)}
