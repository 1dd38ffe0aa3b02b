"""Issue 14 item 7: the value the bot shows in «Введите значение для прибора учета {meter} ({prev})»
is the value readings checks against. One event sequence is fed to both sides -- readings' meter
aggregate (fold) and the gateway's read model over real PostgreSQL (apply_all) -- and both must
name the same previous value for every period asked about, including a registry update that
follows a resident's reading (where they used to disagree)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest
from meterbot_contracts.readings import (
    MeterRegistered,
    MeterRegisteredV2,
    MeterType,
    ReadingAccepted,
    ReadingWithdrawn,
)
from meterbot_platform.migrations import migrate
from readings.domain import MeterEvent, fold
from telegram_gateway.readmodel.projection import apply_all
from telegram_gateway.readmodel.queries import ReadModel
from telegram_gateway.storage.schema import MIGRATIONS

pytestmark = pytest.mark.integration

METER, ACCOUNT = "M-1", "100001"
PERIODS = ["2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
START = datetime(2026, 8, 1, tzinfo=UTC)


def registered(value: str | None, on: date | None, initial: str | None = None) -> MeterRegistered:
    """v1, or v2 with an initial value (a meter that replaced another starts from it)."""
    fields = {
        "meter_id": METER,
        "account_number": ACCOUNT,
        "meter_type": MeterType.COLD_WATER,
        "serial_number": "SN",
        "verified_until": None,
        "last_value": None if value is None else Decimal(value),
        "last_value_date": on,
    }
    if initial is None:
        return MeterRegistered(**fields)
    return MeterRegisteredV2(**fields, initial_value=Decimal(initial), replaces_meter_id="M-0")


def accepted(value: str, period: str, at: datetime, reading_id: UUID | None = None) -> ReadingAccepted:
    return ReadingAccepted(
        reading_id=reading_id or uuid4(),
        chat_id=7,
        account_number=ACCOUNT,
        meter_id=METER,
        meter_type=MeterType.COLD_WATER,
        value=Decimal(value),
        previous_value=None,
        period=period,
        submitted_at=at,
    )


def random_sequence(rng: random.Random) -> list[MeterEvent]:
    """A registry listing, then readings, replacements, withdrawals and registry updates (with and
    without a date, before, in and after the readings' periods), submitted in time order."""
    events: list[MeterEvent] = [
        registered(rng.choice([None, str(rng.randint(0, 50))]), None, rng.choice([None, "0.5"]))
    ]
    at, value = START, 50
    current: dict[str, UUID] = {}
    for _ in range(rng.randint(1, 9)):
        at += timedelta(hours=rng.randint(1, 400))
        kind = rng.choice(["reading", "reading", "registry", "withdraw"])
        period = PERIODS[min(len(PERIODS) - 1, (at - START).days // 31)]
        if kind == "reading":
            value += rng.randint(0, 30)
            reading_id = uuid4()
            current[period] = reading_id
            events.append(accepted(str(value), period, at, reading_id))
        elif kind == "registry":
            day = rng.choice([None, date(2026, rng.randint(7, 12), rng.randint(1, 28))])
            last = rng.choice([None, str(value + rng.randint(-5, 5))])
            events.append(registered(last, day, rng.choice([None, str(rng.randint(0, 9))])))
        elif current:
            withdrawn_period = rng.choice(sorted(current))
            events.append(
                ReadingWithdrawn(
                    reading_id=current.pop(withdrawn_period),
                    chat_id=7,
                    account_number=ACCOUNT,
                    meter_id=METER,
                    period=withdrawn_period,
                )
            )
    return events


# The case issue 14 names: a reading in October, then billing's registry books a later value dated
# in October too; in November readings checks against the registry's value (billing is the source
# of truth for what it booked) -- the gateway used to show the reading's.
REGISTRY_AFTER_READING: list[MeterEvent] = [
    registered("250.550", date(2026, 9, 30)),
    accepted("300", "2026-10", datetime(2026, 10, 20, tzinfo=UTC)),
    registered("310", date(2026, 10, 31)),
]


async def gateway_previous(pool: asyncpg.Pool, period: str) -> Decimal | None:
    """What the gateway shows in the prompt for METER (rm_links scopes its lookups to a chat)."""
    await pool.execute(
        "INSERT INTO rm_links (chat_id, account_number) VALUES (7, $1) ON CONFLICT DO NOTHING", ACCOUNT
    )
    read_model = ReadModel(pool)
    [meter] = await read_model.meters_of_chat(7, with_closed=True)
    return await read_model.previous_value(meter, period)


@pytest.fixture
async def gateway_db(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool, MIGRATIONS)
    return pool


async def both_sides(
    pool: asyncpg.Pool, events: list[MeterEvent]
) -> list[tuple[str, Decimal | None, Decimal | None]]:
    await pool.execute("TRUNCATE rm_meters, rm_readings, rm_links")
    async with pool.acquire() as conn, conn.transaction():
        await apply_all(conn, events)
    state = fold(events)
    return [
        (period, state.previous_value(period), await gateway_previous(pool, period))
        for period in [*PERIODS, "2027-01"]
    ]


async def test_a_registry_update_after_a_reading_is_shown_as_it_is_checked(gateway_db: asyncpg.Pool) -> None:
    answers = await both_sides(gateway_db, REGISTRY_AFTER_READING)
    assert ("2026-11", Decimal("310"), Decimal("310")) in answers
    assert all(ours == shown for _, ours, shown in answers), answers


async def test_a_replacing_meter_starts_from_its_initial_value_on_both_sides(
    gateway_db: asyncpg.Pool,
) -> None:
    answers = await both_sides(gateway_db, [registered(None, None, "0.5")])
    assert {(ours, shown) for _, ours, shown in answers} == {(Decimal("0.5"), Decimal("0.5"))}
    later: list[MeterEvent] = [registered(None, None, "0.5"), registered("7", date(2026, 11, 1))]  # v1: none
    answers = await both_sides(gateway_db, later)
    assert {(ours, shown) for _, ours, shown in answers} == {(Decimal(7), Decimal(7))}


async def test_random_event_sequences_agree(gateway_db: asyncpg.Pool) -> None:
    rng = random.Random(14)
    for _ in range(30):
        events = random_sequence(rng)
        answers = await both_sides(gateway_db, events)
        assert all(ours == shown for _, ours, shown in answers), (events, answers)
