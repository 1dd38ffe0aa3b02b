"""The registry import, group commit of commands and the views at the application level, over real
PostgreSQL (no broker): a batch in one transaction, redelivery, meters moving between accounts, a
command whose decision fails refused alone; meter state from its snapshot equals the state replayed
from its events; projections rebuilt from zero end up equal to the live ones."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import asyncpg
import pytest
from meterbot_contracts import Envelope, new_envelope
from meterbot_contracts.accounts import AccountLinked
from meterbot_contracts.billing import RegistryRecord
from meterbot_contracts.readings import ReadingSubmitted, ReadingWithdrawalRequested
from meterbot_platform.application import caused_by
from meterbot_platform.consumer import BatchResult
from meterbot_platform.eventstore import EventStore
from meterbot_platform.migrations import migrate
from meterbot_platform.projection import Projection, ProjectionRunner
from readings.application.commands import Deps, command_handler
from readings.application.facts import record_link
from readings.application.meters import METER, load_meter, meter_book
from readings.application.registry import registry_handler
from readings.domain import MeterState, ReadingPolicy, decide_withdrawal
from readings.migrations import MIGRATIONS
from readings.projections import MeterHistory, PeriodReadings

from .readings_harness import registry_meter

pytestmark = pytest.mark.integration
NOW = datetime(2025, 3, 10, 9, tzinfo=UTC)
STORE = EventStore()


@pytest.fixture
async def db(pool: asyncpg.Pool) -> asyncpg.Pool:
    await migrate(pool, MIGRATIONS)
    return pool


def record(account: str, *meter_ids: str, last_value: str = "250.550") -> tuple[Envelope, RegistryRecord]:
    message = RegistryRecord(
        account_number=account,
        surname="Иванов",
        meters=[registry_meter(m, last_value=last_value) for m in meter_ids],
    )
    return new_envelope(message), message


async def events(pool: asyncpg.Pool, meter_id: str) -> list[tuple[str, str | None]]:
    rows = await pool.fetch(
        "SELECT type, data->>'account_number' AS account FROM events WHERE stream_id = $1"
        " ORDER BY stream_version",
        f"meter-{meter_id}",
    )
    return [(r["type"], r["account"]) for r in rows]


async def import_batch(db: asyncpg.Pool, batch: list[tuple[Envelope, RegistryRecord]]) -> set[UUID]:
    result = await registry_handler(db, STORE)(list(batch))
    assert isinstance(result, BatchResult) and not result.refused
    return set(result.applied)


async def test_a_batch_applies_in_order_once(db: asyncpg.Pool) -> None:
    first = record("A1", "M1", "M2")
    batch = [first, record("A2", "M3"), record("A1", "M1"), first]  # A1 shrinks; then a redelivery
    assert len(await import_batch(db, batch)) == 3
    assert await events(db, "M1") == [("MeterRegistered", "A1")]
    assert await events(db, "M2") == [("MeterRegistered", "A1"), ("MeterClosed", "A1")]
    rows = await db.fetch("SELECT account_number, meter_id FROM account_meters ORDER BY 1, 2")
    assert [tuple(r) for r in rows] == [("A1", "M1"), ("A2", "M3")]

    assert await import_batch(db, batch) == set()  # the whole poll delivered again
    assert await db.fetchval("SELECT count(*) FROM events") == 4


async def test_a_meter_moving_to_another_account_is_not_closed_by_the_old_one(db: asyncpg.Pool) -> None:
    await import_batch(db, [record("A1", "M1"), record("A2", "M1"), record("A1")])
    assert await events(db, "M1") == [("MeterRegistered", "A1"), ("MeterRegistered", "A2")]


async def test_projections_rebuilt_from_zero_equal_the_live_views(db: asyncpg.Pool) -> None:
    deps = Deps(store=STORE, policy=ReadingPolicy(), clock=lambda: NOW)
    await import_batch(db, [record("A1", "M1", "M2")])
    async with db.acquire() as conn, conn.transaction():
        await record_link(conn, AccountLinked(chat_id=7, account_number="A1", address=""), NOW)
    handle = command_handler(db, deps)
    submitted = [
        ReadingSubmitted(chat_id=7, account_number="A1", meter_id=meter_id, raw_value=raw)
        for meter_id, raw in [("M1", "260"), ("M2", "300"), ("M1", "270"), ("M2", "abc")]
    ]
    await handle([(new_envelope(c), c) for c in submitted[:2]])
    await handle([(new_envelope(c), c) for c in submitted[2:]])  # a group: M1 twice in a row
    withdrawal = ReadingWithdrawalRequested(chat_id=7, account_number="A1", meter_id="M2")
    await handle([(new_envelope(withdrawal), withdrawal)])

    views: list[tuple[Projection, str, str]] = [
        (PeriodReadings(), "period_readings", "meter_id"),
        (MeterHistory(), "meter_history", "reading_id"),
    ]
    for projection, table, key in views:
        runner = ProjectionRunner(db, projection, service="test")
        await runner.catch_up()
        live = await _table(db, table, key)
        assert await runner.rebuild() == 7  # 2 registrations, 4 answers, 1 withdrawal
        assert await _table(db, table, key) == live
    assert await _table(db, "period_readings", "meter_id") == [("M1", "2025-03", Decimal(270))]


async def test_a_group_decides_in_order_and_refuses_a_failing_command_alone(db: asyncpg.Pool) -> None:
    calls = 0

    def new_id() -> UUID:  # a bug that hits the second command's decision only
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("a bug")
        return uuid4()

    deps = Deps(store=STORE, policy=ReadingPolicy(), clock=lambda: NOW, new_id=new_id)
    await import_batch(db, [record("A9", "M9")])
    async with db.acquire() as conn, conn.transaction():
        await record_link(conn, AccountLinked(chat_id=9, account_number="A9", address=""), NOW)
    commands = [
        ReadingSubmitted(chat_id=9, account_number="A9", meter_id="M9", raw_value=raw)
        for raw in ("260", "265", "300")
    ]
    items = [(new_envelope(c), c) for c in commands]
    result = await command_handler(db, deps)([*items, items[0]])  # and a repeat within the group
    assert isinstance(result, BatchResult)
    assert set(result.refused) == {items[1][0].message_id}
    assert set(result.applied) == {items[0][0].message_id, items[2][0].message_id}
    assert (await load_meter(db, STORE, "M9"))[0].readings["2025-03"].value == Decimal(300)
    # redelivered whole: the two that took effect are duplicates, the refused one is decided again
    again = await command_handler(db, deps)(items)
    assert isinstance(again, BatchResult) and set(again.applied) == {items[1][0].message_id}


async def test_meter_state_from_its_snapshot_equals_the_state_from_all_its_events(db: asyncpg.Pool) -> None:
    deps = Deps(store=STORE, policy=ReadingPolicy(), clock=lambda: NOW)
    await import_batch(db, [record("A5", "M5")])
    async with db.acquire() as conn, conn.transaction():
        await record_link(conn, AccountLinked(chat_id=5, account_number="A5", address=""), NOW)
    for raw in ("251", "255", "bad", "260", "261", "262", "263", "264", "265", "290"):
        command = ReadingSubmitted(chat_id=5, account_number="A5", meter_id="M5", raw_value=raw)
        await command_handler(db, deps)([(new_envelope(command), command)])
    snapshot = await db.fetchval("SELECT snapshot_version FROM streams WHERE stream_id = 'meter-M5'")
    assert snapshot == 10  # saved once 10 events had no snapshot; the 11th is folded on load
    from_snapshot, version = await load_meter(db, STORE, "M5")
    async with db.acquire() as conn:
        history = await STORE.read_stream(conn, "meter-M5")
        book = meter_book(conn, STORE)
        replayed = METER.fold((book.parse(e), e.occurred_at) for e in history)
    assert version == 11 and from_snapshot == replayed
    assert isinstance(replayed, MeterState) and replayed.readings["2025-03"].value == Decimal(290)
    # a writer that saves no snapshot (reconciliation, an older replica): the load folds the tail
    withdrawal = ReadingWithdrawalRequested(chat_id=5, account_number="A5", meter_id="M5")
    async with db.acquire() as conn, conn.transaction():
        [withdrawn] = decide_withdrawal(
            from_snapshot, withdrawal, now=NOW, chat_linked=True, policy=deps.policy
        )
        await STORE.append(conn, "meter-M5", caused_by(new_envelope(withdrawal), [withdrawn]), 11)
    after_tail, version = await load_meter(db, STORE, "M5")
    assert (
        version == 12 and after_tail.readings == {} and after_tail == METER.fold([(withdrawn, NOW)], replayed)
    )


async def _table(pool: asyncpg.Pool, table: str, key: str) -> list[tuple[object, ...]]:
    if table == "period_readings":
        rows = await pool.fetch("SELECT meter_id, period, value FROM period_readings ORDER BY meter_id")
        return [tuple(r) for r in rows]
    rows = await pool.fetch(f"SELECT * FROM {table} ORDER BY {key}")
    return [tuple(r) for r in rows]
