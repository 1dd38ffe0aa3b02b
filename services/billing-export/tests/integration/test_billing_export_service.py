"""billing-export over real PostgreSQL and the real broker: readings' events in -> BillingReading in
the period stream -> on meterbot.billing.readings.v1 keyed by account -> the export view, streamed
over HTTP as CSV and JSON; closing a period; redelivery has no second effect."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from decimal import Decimal

import pytest
from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import BillingReading, LateReadingRefused, PeriodClosed
from meterbot_contracts.topics import BILLING_EXPORT_EVENTS, BILLING_READINGS_V1
from meterbot_testing.bus import Seen

from .billing_export_harness import (
    Service,
    accepted,
    new_ids,
    new_period,
    withdrawn,
)
from .conftest import NOW

pytestmark = pytest.mark.integration
CSV_HEADER = ["account_number", "meter_id", "meter_type", "value", "period", "submitted_at", "reading_id"]


def public(account: str) -> Callable[[Seen], bool]:
    def match(seen: Seen) -> bool:
        return bool(seen.topic == BILLING_READINGS_V1 and seen.key == account)

    return match


def billing(seen: Seen) -> BillingReading:
    message = default_registry.parse(seen.envelope)
    assert isinstance(message, BillingReading)
    return message


async def export_csv(service: Service, period: str) -> list[dict[str, str]]:
    status, headers, body = await service.http("GET", f"/exports/{period}.csv")
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/csv") and headers["Transfer-Encoding"] == "chunked"
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows[0] == CSV_HEADER
    assert int(headers["X-Meterbot-Readings-Count"]) == len(rows) - 1
    return [dict(zip(CSV_HEADER, row, strict=True)) for row in rows[1:]]


async def stream_types(service: Service, period: str) -> list[str]:
    rows = await service.pool.fetch(
        "SELECT type FROM events WHERE stream_id = $1 ORDER BY stream_version", f"period-{period}"
    )
    return [r["type"] for r in rows]


async def test_accepted_reading_is_published_for_billing_and_exported(billing_export: Service) -> None:
    period, (account, meter) = new_period(), new_ids()
    reading = accepted(account, meter, 260, period)
    envelope = await billing_export.publish(reading, key=f"meter-{meter}")

    [seen] = await billing_export.log.wait_for(public(account))
    published = billing(seen)
    assert (published.reading_id, published.status, published.value) == (
        reading.reading_id,
        "accepted",
        Decimal(260),
    )
    assert (published.account_number, published.meter_id, published.period) == (account, meter, period)
    assert seen.envelope.correlation_id == envelope.correlation_id
    assert seen.envelope.causation_id == str(envelope.message_id)
    assert await stream_types(billing_export, period) == ["BillingReading"]

    [line] = await export_csv(billing_export, period)
    assert line == {
        "account_number": account,
        "meter_id": meter,
        "meter_type": "cold_water",
        "value": "260",
        "period": period,
        "submitted_at": f"{period}-10T09:30:15.123456Z",
        "reading_id": str(reading.reading_id),
    }


async def test_replacement_supersedes_in_the_export(billing_export: Service) -> None:
    period, (account, meter) = new_period(), new_ids()
    first = accepted(account, meter, 260, period)
    second = accepted(account, meter, 270, period, replaces=first.reading_id)
    await billing_export.publish(first, key=f"meter-{meter}")
    await billing_export.publish(second, key=f"meter-{meter}")

    seen = await billing_export.log.wait_for(public(account), n=2)
    assert [(b.reading_id, b.replaces_reading_id) for b in map(billing, seen)] == [
        (first.reading_id, None),
        (second.reading_id, first.reading_id),
    ]
    [line] = await export_csv(billing_export, period)
    assert (line["reading_id"], line["value"]) == (str(second.reading_id), "270")


async def test_withdrawal_is_published_and_leaves_the_export(billing_export: Service) -> None:
    period, (account, meter) = new_period(), new_ids()
    _, other_meter = new_ids()
    reading, other = accepted(account, meter, 260, period), accepted(account, other_meter, 40, period)
    await billing_export.publish(reading, key=f"meter-{meter}")
    await billing_export.publish(other, key=f"meter-{other_meter}")
    await billing_export.publish(withdrawn(reading), key=f"meter-{meter}")

    seen = await billing_export.log.wait_for(public(account), n=3)
    [first, gone] = [billing(s) for s in seen if s.envelope.payload["meter_id"] == meter]
    assert (first.status, gone.status, gone.reading_id, gone.value) == (
        "accepted",
        "withdrawn",
        reading.reading_id,
        None,
    )
    assert gone.meter_type == reading.meter_type and gone.submitted_at == reading.submitted_at
    assert [line["meter_id"] for line in await export_csv(billing_export, period)] == [other_meter]


async def test_withdrawal_of_a_replaced_reading_records_nothing(billing_export: Service) -> None:
    period, (account, meter) = new_period(), new_ids()
    first = accepted(account, meter, 260, period)
    second = accepted(account, meter, 270, period, replaces=first.reading_id)
    for event in (first, second, withdrawn(first)):
        envelope = await billing_export.publish(event, key=f"meter-{meter}")
    await billing_export.handled(envelope)
    assert await stream_types(billing_export, period) == ["BillingReading", "BillingReading"]


async def test_redelivered_reading_event_has_no_second_effect(billing_export: Service) -> None:
    period, (account, meter) = new_period(), new_ids()
    envelope = await billing_export.publish(accepted(account, meter, 260, period), key=f"meter-{meter}")
    await billing_export.republish(envelope, key=f"meter-{meter}")
    follow_up = await billing_export.publish(accepted(account, meter, 261, period), key=f"meter-{meter}")
    await billing_export.handled(follow_up)  # same partition: the redelivery was handled before it
    assert await stream_types(billing_export, period) == ["BillingReading", "BillingReading"]
    assert len(await billing_export.log.wait_for(public(account), n=2)) == 2


async def test_closing_a_period_makes_it_final(billing_export: Service) -> None:
    period, (account, meter) = new_period(), new_ids()
    _, meter2 = new_ids()
    for meter_id, value in ((meter, 260), (meter2, 10)):
        envelope = await billing_export.publish(
            accepted(account, meter_id, value, period), key=f"meter-{meter_id}"
        )
        await billing_export.handled(envelope)

    status, _, body = await billing_export.http("POST", f"/exports/{period}/close")
    assert status == 200, body
    closed = json.loads(body)
    assert (closed["readings_count"], closed["closed_now"]) == (2, True)
    [seen] = await billing_export.log.wait_for(
        lambda s: s.topic == BILLING_EXPORT_EVENTS and s.key == f"period-{period}"
    )
    event = default_registry.parse(seen.envelope)
    assert isinstance(event, PeriodClosed)
    assert (event.period, event.readings_count, event.closed_at) == (period, 2, NOW)

    again = json.loads((await billing_export.http("POST", f"/exports/{period}/close"))[2])
    assert (again["closed_now"], again["closed_at"]) == (False, closed["closed_at"])

    late = await billing_export.publish(accepted(account, meter, 299, period), key=f"meter-{meter}")
    await billing_export.handled(late)
    assert await stream_types(billing_export, period) == [
        "BillingReading",
        "BillingReading",
        "PeriodClosed",
        "LateReadingRefused",
    ]
    [told] = await billing_export.log.wait_for(
        lambda s: s.topic == BILLING_EXPORT_EVENTS and s.envelope.type == "LateReadingRefused"
    )
    refusal = default_registry.parse(told.envelope)
    assert isinstance(refusal, LateReadingRefused)
    assert (refusal.value, refusal.counted_value, refusal.closed_at) == (Decimal(299), Decimal(260), NOW)
    assert told.envelope.causation_id == str(late.message_id)
    lines = await export_csv(billing_export, period)
    assert sorted(line["value"] for line in lines) == ["10", "260"]
    status, headers, _ = await billing_export.http("GET", f"/exports/{period}.csv")
    assert headers["X-Meterbot-Period-Status"] == "closed"
    summary = json.loads((await billing_export.http("GET", f"/exports/{period}"))[2])
    assert (summary["status"], summary["readings_count"]) == ("closed", 2)
    assert 'meterbot_billing_late_readings_total{service="billing-export",type="ReadingAccepted"}' in (
        (await billing_export.http("GET", "/metrics"))[2].decode()
    )


async def test_a_period_not_begun_cannot_be_closed(billing_export: Service) -> None:
    status, _, body = await billing_export.http("POST", "/exports/2030-02/close")
    assert status == 409 and json.loads(body)["error"] == "period_not_started"
    assert (await billing_export.http("POST", "/exports/2030-13/close"))[0] == 400


async def test_export_json_streams_the_same_lines(billing_export: Service) -> None:
    period = new_period()
    readings = [accepted(*new_ids(), 100 + i, period) for i in range(25)]
    readings.append(accepted('A"quoted\\', 'M,with "csv" chars', 7, period))
    envelopes = [await billing_export.publish(r, key=f"meter-{r.meter_id}") for r in readings]
    for envelope in envelopes:  # on different partitions: in no particular order
        await billing_export.handled(envelope)

    status, headers, body = await billing_export.http("GET", f"/exports/{period}.json")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    lines = json.loads(body)
    by_id = {line["reading_id"]: line for line in lines}
    assert set(by_id) == {str(r.reading_id) for r in readings}
    assert [(line["account_number"], line["meter_id"]) for line in lines] == sorted(
        (r.account_number, r.meter_id) for r in readings
    )
    odd = by_id[str(readings[-1].reading_id)]
    assert (odd["account_number"], odd["meter_id"], odd["value"]) == ('A"quoted\\', 'M,with "csv" chars', "7")
    csv_lines = await export_csv(billing_export, period)
    assert [line["reading_id"] for line in csv_lines] == [line["reading_id"] for line in lines]
    assert Decimal(odd["value"]) == 7


async def test_bad_period_is_refused(billing_export: Service) -> None:
    assert (await billing_export.http("GET", "/exports/2025-00.csv"))[0] == 400
    assert (await billing_export.http("GET", "/exports/2025-1.csv"))[0] == 404


async def test_an_empty_period_exports_a_header_and_an_empty_array(billing_export: Service) -> None:
    period = new_period()
    assert await export_csv(billing_export, period) == []
    status, _, body = await billing_export.http("GET", f"/exports/{period}.json")
    assert status == 200 and json.loads(body) == []


async def test_the_current_period_closes_only_when_forced(billing_export: Service) -> None:
    current = "2030-01"  # the fixed clock's month (conftest NOW)
    status, _, body = await billing_export.http("POST", f"/exports/{current}/close")
    assert status == 409 and json.loads(body)["error"] == "period_is_current"
    summary = json.loads((await billing_export.http("GET", f"/exports/{current}"))[2])
    assert summary["status"] == "open"
    status, _, body = await billing_export.http("POST", f"/exports/{current}/close?force=1")
    assert status == 200 and json.loads(body)["closed_now"] is True, body
