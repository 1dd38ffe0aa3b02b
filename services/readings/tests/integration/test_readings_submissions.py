"""readings over real PostgreSQL and the real broker: a command published on
meterbot.readings.commands -> one answer event in the meter's stream -> on meterbot.readings.events
-> the views. Every refusal reason the gateway can meet, replacement, withdrawal, redelivery, and undoing a
change billing refused as late."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import LateReadingRefused, RegistryMeterV2, RegistryRecordV2
from meterbot_contracts.readings import (
    DayNightReadingSubmitted,
    MeterClosed,
    MeterType,
    ReadingAccepted,
    ReadingAcceptedV2,
    ReadingConfirmationAsked,
    ReadingPhotoAttached,
    ReadingPhotoRefused,
    ReadingPhotoSubmitted,
    ReadingReconciled,
    ReadingRejected,
    ReadingRejectedV2,
    ReadingSubmitted,
    ReadingSubmittedV2,
    ReadingWithdrawalRefused,
    ReadingWithdrawn,
)
from meterbot_contracts.topics import BILLING_EXPORT_EVENTS, BILLING_REGISTRY_V1, READINGS_COMMANDS

from .conftest import START
from .readings_harness import (
    Service,
    close_period,
    link,
    new_ids,
    register,
    registry_meter,
    submit,
    unlink,
    utc,
    wait_until,
    withdraw,
)

pytestmark = pytest.mark.integration
PERIOD = "2025-03"


async def linked_meter(service: Service, **meter: Any) -> tuple[int, str, str]:
    chat, account, meter_id = new_ids()
    await register(service, account, registry_meter(meter_id, **meter))
    await link(service, chat, account)
    return chat, account, meter_id


async def stream_types(service: Service, meter_id: str) -> list[str]:
    rows = await service.pool.fetch(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version", f"meter-{meter_id}"
    )
    return [r["type"] for r in rows]


async def test_accepted_reading_goes_to_store_topic_and_views(service: Service) -> None:
    chat, account, meter_id = await linked_meter(service)
    answer = await submit(service, chat, account, meter_id, "260")

    assert isinstance(answer, ReadingAccepted)
    assert (answer.value, answer.previous_value, answer.period) == (Decimal(260), Decimal("250.550"), PERIOD)
    assert answer.submitted_at == START and answer.replaces_reading_id is None
    assert await stream_types(service, meter_id) == ["MeterRegistered", "ReadingAccepted"]
    [on_topic] = [
        s.envelope
        for s in service.log.matching(
            lambda s: s.envelope.payload.get("reading_id") == str(answer.reading_id)
        )
    ]
    assert on_topic.type == "ReadingAccepted"

    body = await wait_until(lambda: _readings_with(service, account, 1))
    [line] = body["readings"]
    assert (line["meter_id"], line["value"], line["reading_id"]) == (meter_id, "260", str(answer.reading_id))
    history = await service.get_json(f"/meters/{meter_id}/history")
    assert [(h["value"], h["status"]) for h in history["readings"]] == [("260", "current")]


async def _readings_with(service: Service, account: str, n: int) -> dict | None:  # type: ignore[type-arg]
    body = await service.get_json(f"/accounts/{account}/readings?period={PERIOD}")
    return body if len(body["readings"]) == n else None


@pytest.mark.parametrize(
    ("raw", "reason", "bounds"),
    [
        ("249", "below_previous", (Decimal(251), Decimal(350))),
        ("250", "below_previous", (Decimal(251), Decimal(350))),  # prev 250.550: 250 is below
        ("351", "above_max_delta", (Decimal(251), Decimal(350))),
        ("2 60,5", "not_an_integer", (Decimal(251), Decimal(350))),
        ("двести", "not_a_number", (Decimal(251), Decimal(350))),
    ],
)
async def test_value_refusals_carry_the_bounds(
    service: Service, raw: str, reason: str, bounds: tuple[Decimal, Decimal]
) -> None:
    chat, account, meter_id = await linked_meter(service)
    answer = await submit(service, chat, account, meter_id, raw)
    assert isinstance(answer, ReadingRejected)
    assert (answer.reason, answer.previous_value) == (reason, Decimal("250.550"))
    assert (answer.min_allowed, answer.max_allowed) == bounds


async def test_prev_with_fraction_refuses_250_then_accepts_251_and_350(service: Service) -> None:
    chat, account, meter_id = await linked_meter(service)
    refused = await submit(service, chat, account, meter_id, "250")
    accepted = await submit(service, chat, account, meter_id, "251")
    top = await submit(service, chat, account, meter_id, "350")
    assert isinstance(refused, ReadingRejected) and refused.reason == "below_previous"
    assert isinstance(accepted, ReadingAccepted) and accepted.value == 251
    assert isinstance(top, ReadingAccepted) and top.replaces_reading_id == accepted.reading_id


async def test_chat_not_linked_and_unlinked_are_refused(service: Service) -> None:
    chat, account, meter_id = new_ids()
    await register(service, account, registry_meter(meter_id))
    never = await submit(service, chat, account, meter_id, "260")
    await link(service, chat, account)
    await unlink(service, chat, account)
    after_unlink = await submit(service, chat, account, meter_id, "260")
    for answer in (never, after_unlink):
        assert isinstance(answer, ReadingRejected) and answer.reason == "not_linked"


async def test_unknown_meter_is_refused_and_answered(service: Service) -> None:
    chat, account, _ = await linked_meter(service)
    answer = await submit(service, chat, account, "NO-SUCH-METER-" + account, "260")
    assert isinstance(answer, ReadingRejected) and answer.reason == "unknown_meter"


async def test_another_accounts_meter_is_unknown(service: Service) -> None:
    chat, account, _ = await linked_meter(service)
    _, _, foreign_meter = await linked_meter(service)
    answer = await submit(service, chat, account, foreign_meter, "260")
    assert isinstance(answer, ReadingRejected) and answer.reason == "unknown_meter"


async def test_meter_dropped_from_the_registry_is_closed(service: Service) -> None:
    chat, account, kept = new_ids()
    dropped = kept + "-2"
    await register(service, account, registry_meter(kept), registry_meter(dropped))
    await link(service, chat, account)
    await register(service, account, registry_meter(kept))  # re-import without it

    assert await stream_types(service, dropped) == ["MeterRegistered", "MeterClosed"]
    [seen] = await service.log.wait_for(
        lambda s: s.envelope.type == "MeterClosed" and s.envelope.payload["meter_id"] == dropped
    )
    closed = seen.envelope
    assert MeterClosed.model_validate(closed.payload).account_number == account
    answer = await submit(service, chat, account, dropped, "260")
    assert isinstance(answer, ReadingRejected) and answer.reason == "meter_closed"
    still = await submit(service, chat, account, kept, "260")
    assert isinstance(still, ReadingAccepted)


async def test_registry_reimport_of_the_same_content_appends_nothing(service: Service) -> None:
    _, account, meter_id = await linked_meter(service)
    await register(service, account, registry_meter(meter_id))
    await register(service, account, registry_meter(meter_id, last_value="251"))  # changed: registered again
    assert await stream_types(service, meter_id) == ["MeterRegistered", "MeterRegistered"]


async def test_verification_expired_is_refused(service: Service) -> None:
    yesterday = START.date() - timedelta(days=1)
    chat, account, meter_id = await linked_meter(service, verified_until=yesterday)
    answer = await submit(service, chat, account, meter_id, "260")
    assert isinstance(answer, ReadingRejected)
    assert (answer.reason, answer.verified_until) == ("verification_expired", yesterday)


async def test_closed_period_refuses_readings_and_withdrawals(service: Service) -> None:
    service.clock.now = utc(2031, 7, 15, 9)  # a period no other test uses
    chat, account, meter_id = await linked_meter(service, verified_until=None)
    assert isinstance(await submit(service, chat, account, meter_id, "260"), ReadingAccepted)
    await close_period(service, "2031-07")

    late = await submit(service, chat, account, meter_id, "270")
    assert isinstance(late, ReadingRejected) and late.reason == "period_closed"
    refused = await withdraw(service, chat, account, meter_id)
    assert isinstance(refused, ReadingWithdrawalRefused) and refused.reason == "period_closed"

    service.clock.now = utc(2031, 8, 1, 9)  # the next period is open, checked against July's reading
    august = await submit(service, chat, account, meter_id, "265")
    assert isinstance(august, ReadingAccepted) and august.previous_value == Decimal(260)


async def test_second_reading_replaces_the_first(service: Service) -> None:
    chat, account, meter_id = await linked_meter(service)
    first = await submit(service, chat, account, meter_id, "260")
    second = await submit(service, chat, account, meter_id, "270")
    assert isinstance(first, ReadingAccepted) and isinstance(second, ReadingAccepted)
    assert second.replaces_reading_id == first.reading_id
    assert second.previous_value == Decimal("250.550")  # checked against the previous period, not 260

    async def replaced() -> dict | None:  # type: ignore[type-arg]
        body = await _readings_with(service, account, 1)
        return body if body and body["readings"][0]["value"] == "270" else None

    await wait_until(replaced)
    history = await service.get_json(f"/meters/{meter_id}/history")
    assert [(h["value"], h["status"]) for h in history["readings"]] == [
        ("270", "current"),
        ("260", "replaced"),
    ]


async def test_withdrawal_removes_the_reading(service: Service) -> None:
    chat, account, meter_id = await linked_meter(service)
    nothing = await withdraw(service, chat, account, meter_id)
    assert isinstance(nothing, ReadingWithdrawalRefused) and nothing.reason == "nothing_to_withdraw"
    reading = await submit(service, chat, account, meter_id, "260")
    await wait_until(lambda: _readings_with(service, account, 1))

    withdrawn = await withdraw(service, chat, account, meter_id)
    assert isinstance(withdrawn, ReadingWithdrawn) and isinstance(reading, ReadingAccepted)
    assert (withdrawn.reading_id, withdrawn.period) == (reading.reading_id, PERIOD)
    await wait_until(lambda: _readings_with(service, account, 0))
    history = await service.get_json(f"/meters/{meter_id}/history")
    assert [h["status"] for h in history["readings"]] == ["withdrawn"]
    again = await submit(service, chat, account, meter_id, "255")  # a fresh reading, replacing nothing
    assert isinstance(again, ReadingAccepted) and again.replaces_reading_id is None


async def test_redelivered_command_has_no_second_effect(service: Service) -> None:
    chat, account, meter_id = await linked_meter(service)
    command = ReadingSubmitted(chat_id=chat, account_number=account, meter_id=meter_id, raw_value="260")
    envelope = await service.publish(
        READINGS_COMMANDS, command, key=meter_id, correlation_id=f"dup-{account}"
    )
    first = await service.answer_to(envelope)
    await service.republish(READINGS_COMMANDS, envelope, key=meter_id)  # the broker delivers it again
    follow_up = await submit(service, chat, account, meter_id, "261")  # same partition: handled after it

    assert isinstance(first, ReadingAccepted) and isinstance(follow_up, ReadingAccepted)
    assert follow_up.replaces_reading_id == first.reading_id
    answers = await service.pool.fetchval(
        "SELECT count(*) FROM events WHERE metadata->>'correlation_id' = $1", envelope.correlation_id
    )
    assert answers == 1
    assert len(service.log.matching(lambda s: s.envelope.correlation_id == envelope.correlation_id)) == 1


async def test_every_answer_is_in_the_meter_stream_with_the_commands_ids(service: Service) -> None:
    chat, account, meter_id = await linked_meter(service)
    await submit(service, chat, account, meter_id, "abc")
    await submit(service, chat, account, meter_id, "260")
    await withdraw(service, chat, account, meter_id)
    assert await stream_types(service, meter_id) == [
        "MeterRegistered",
        "ReadingRejected",
        "ReadingAccepted",
        "ReadingWithdrawn",
    ]


async def test_a_replacement_billing_refused_as_late_is_undone(service: Service) -> None:
    """billing-export closed the period before the replacement reached it: readings puts back the
    reading billing counts, in its views and its next decisions, and says so on its topic."""
    chat, account, meter_id = await linked_meter(service)
    first = await submit(service, chat, account, meter_id, "260")
    replacement = await submit(service, chat, account, meter_id, "270")
    assert isinstance(first, ReadingAccepted) and isinstance(replacement, ReadingAccepted)
    refusal = LateReadingRefused(
        reading_id=replacement.reading_id,
        refused="accepted",
        chat_id=chat,
        account_number=account,
        meter_id=meter_id,
        period=PERIOD,
        value=Decimal(270),
        closed_at=service.clock.now,
        counted_reading_id=first.reading_id,
        counted_value=Decimal(260),
    )
    envelope = await service.publish(BILLING_EXPORT_EVENTS, refusal, key=f"period-{PERIOD}")
    [seen] = await service.log.wait_for(lambda s: s.envelope.causation_id == str(envelope.message_id))
    told = seen.envelope
    reconciled = default_registry.parse(told)
    assert isinstance(reconciled, ReadingReconciled)
    assert (reconciled.chat_id, reconciled.refused_value, reconciled.counted_value) == (
        chat,
        Decimal(270),
        Decimal(260),
    )
    await service.republish(BILLING_EXPORT_EVENTS, envelope, key=f"period-{PERIOD}")  # redelivered
    # behind it on the same partition: once this one is handled, so is the redelivery
    marker = await service.publish(BILLING_EXPORT_EVENTS, refusal, key=f"period-{PERIOD}")
    await service.processed(marker, "readings:reconciliation")

    async def undone() -> dict | None:  # type: ignore[type-arg]
        body = await _readings_with(service, account, 1)
        return body if body and body["readings"][0]["value"] == "260" else None

    await wait_until(undone)
    history = await service.get_json(f"/meters/{meter_id}/history")
    assert [(h["value"], h["status"]) for h in history["readings"]] == [
        ("270", "refused"),
        ("260", "current"),
    ]
    # the redelivery had no effect; the marker (the same refusal again) found nothing left to undo
    assert (await stream_types(service, meter_id)).count("ReadingReconciled") == 1


# --- issue 14: the counter's digits, the anomaly warning and replacement, over the real service ---


def meter_v2(meter_id: str, last_value: str | None, **extra: Any) -> RegistryMeterV2:
    return RegistryMeterV2(
        meter_id=meter_id,
        meter_type=MeterType.COLD_WATER,
        serial_number=f"SN-{meter_id}",
        last_value=None if last_value is None else Decimal(last_value),
        last_value_date=None,
        **extra,
    )


async def register_v2(service: Service, account: str, *meters: RegistryMeterV2) -> None:
    record = RegistryRecordV2(account_number=account, surname="Мамин-Сибиряк", meters=list(meters))
    envelope = await service.publish(BILLING_REGISTRY_V1, record, key=account)
    await service.processed(envelope, "readings:registry")


async def answer(service: Service, command: ReadingSubmitted | ReadingPhotoSubmitted) -> Any:
    envelope = await service.publish(
        READINGS_COMMANDS, command, key=command.meter_id, correlation_id=f"test-{uuid4()}"
    )
    return await service.answer_to(envelope)


async def test_rollover_is_asked_then_recorded_and_too_many_digits_refused(service: Service) -> None:
    chat, account, meter_id = new_ids()
    await register_v2(service, account, meter_v2(meter_id, "99990", digits=5, residents=1))
    await link(service, chat, account)
    asked = await submit(service, chat, account, meter_id, "15")
    assert isinstance(asked, ReadingConfirmationAsked)
    assert (asked.check, asked.consumption) == ("rollover", Decimal(25))
    # the question is the answer on the meter's stream, like a refusal: it changes no state
    assert await stream_types(service, meter_id) == ["MeterRegistered", "ReadingConfirmationAsked"]
    yes = ReadingSubmittedV2(
        chat_id=chat, account_number=account, meter_id=meter_id, raw_value="15", rollover="yes"
    )
    warned = await answer(service, yes)  # 25 m³ for one resident: above the norm 6.935
    assert isinstance(warned, ReadingConfirmationAsked)
    assert (warned.check, warned.rollover, warned.expected) == ("anomaly", True, Decimal("6.935"))
    confirmed = await answer(service, yes.model_copy(update={"anomaly_confirmed": True}))
    assert isinstance(confirmed, ReadingAcceptedV2)
    assert (confirmed.rollover, confirmed.consumption, confirmed.confirmed_after_warning) == (
        True,
        Decimal(25),
        True,
    )
    refused = await submit(service, chat, account, meter_id, "100000")
    assert isinstance(refused, ReadingRejectedV2)
    assert refused.reason == "too_many_digits"


async def test_a_replacement_closes_the_old_meter_and_the_new_one_starts_from_its_initial_value(
    service: Service,
) -> None:
    chat, account, old = new_ids()
    new = f"{old}-new"
    await register_v2(service, account, meter_v2(old, "500"))
    await link(service, chat, account)
    assert isinstance(await submit(service, chat, account, old, "510"), ReadingAccepted)
    replacement = meter_v2(new, None, replaces_meter_id=old, initial_value=Decimal("0.5"), digits=5)
    await register_v2(service, account, replacement)
    await register_v2(service, account, replacement)  # a re-import: no second MeterReplaced
    assert await stream_types(service, old) == ["MeterRegistered", "ReadingAccepted", "MeterReplaced"]
    refused = await submit(service, chat, account, old, "520")  # in flight for the old meter
    assert isinstance(refused, ReadingRejectedV2)
    assert refused.reason == "meter_replaced"
    too_low = await submit(service, chat, account, new, "0")
    assert isinstance(too_low, ReadingRejected)
    assert (too_low.reason, too_low.previous_value) == ("below_previous", Decimal("0.5"))
    accepted = await submit(service, chat, account, new, "3")
    assert isinstance(accepted, ReadingAccepted)
    assert accepted.previous_value == Decimal("0.5")


async def test_day_and_night_are_recorded_together_or_not_at_all(service: Service) -> None:
    chat, account, day = new_ids()
    night = f"{day}-N"
    await register(
        service,
        account,
        registry_meter(day, meter_type=MeterType.ELECTRICITY_DAY),
        registry_meter(night, meter_type=MeterType.ELECTRICITY_NIGHT),
    )
    await link(service, chat, account)
    # registry_meter gives each its own serial number: make them one meter's registers
    same = [
        registry_meter(m, meter_type=t).model_copy(update={"serial_number": "SN-DN"})
        for m, t in ((day, MeterType.ELECTRICITY_DAY), (night, MeterType.ELECTRICITY_NIGHT))
    ]
    await register(service, account, *same)
    pair = DayNightReadingSubmitted(
        chat_id=chat,
        account_number=account,
        meter_id=day,
        raw_value="260",
        night_meter_id=night,
        night_raw_value="9",
    )
    refused = await answer(service, pair)  # T2 below its previous value: T1 is not kept either
    assert isinstance(refused, ReadingRejectedV2)
    assert (refused.meter_id, refused.reason, refused.pair_meter_id) == (night, "below_previous", day)
    assert "ReadingAccepted" not in await stream_types(service, day) + await stream_types(service, night)
    both = pair.model_copy(update={"night_raw_value": "255"})
    envelope = await service.publish(READINGS_COMMANDS, both, key=day, correlation_id=f"test-{uuid4()}")
    seen = await service.log.wait_for(lambda s: s.envelope.correlation_id == envelope.correlation_id, n=2)
    accepted = [default_registry.parse(s.envelope) for s in seen]
    assert all(isinstance(a, ReadingAccepted) for a in accepted)
    assert {a.meter_id for a in accepted if isinstance(a, ReadingAccepted)} == {day, night}


async def test_a_photo_is_attached_to_the_reading_of_the_period_or_has_nothing_to_attach_to(
    service: Service,
) -> None:
    chat, account, meter_id = await linked_meter(service)
    photo = ReadingPhotoSubmitted(
        chat_id=chat, account_number=account, meter_id=meter_id, file_id="AgAC-1", sha256="ab" * 32, size=1234
    )
    nothing = await answer(service, photo)
    assert isinstance(nothing, ReadingPhotoRefused)
    assert nothing.reason == "nothing_to_attach_to"
    accepted = await submit(service, chat, account, meter_id, "260")
    assert isinstance(accepted, ReadingAccepted)
    attached = await answer(service, photo)
    assert isinstance(attached, ReadingPhotoAttached)
    assert (attached.reading_id, attached.sha256, attached.size) == (accepted.reading_id, "ab" * 32, 1234)
