"""The balance feed over the real broker (issue 15): `meterbot balances import` and raw records on
meterbot.billing.balances.v1 -> the accounts service (in-process, real PostgreSQL) -> BalanceRecorded
on meterbot.accounts.events -> the bot's read model (the gateway's own projection, on its own
database) -> what «Баланс» says. Out-of-order and duplicate records change nothing; a malformed one
is parked on the .dlq with its reason and the feed flows on; the resident's view is checked after each."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from accounts.application.balances import CONSUMER, balance_stream
from accounts.domain import SurnameKeyring
from accounts.main import SPEC, make_wire
from aiokafka import AIOKafkaConsumer
from meterbot_contracts import Envelope, new_envelope
from meterbot_contracts.accounts import AccountLinked, BalanceRecorded
from meterbot_contracts.all import default_registry
from meterbot_contracts.billing import BalanceRecord
from meterbot_contracts.topics import ACCOUNTS_EVENTS, BILLING_BALANCES_V1, dlq_topic
from meterbot_platform.broker import envelope_headers, make_producer
from meterbot_platform.db import database_dsn
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS
from meterbot_platform.settings import KafkaSettings
from meterbot_testing.bus import Seen, TopicLog, wait_until
from meterbot_testing.infra import Postgres
from meterbot_testing.service import run_in_process
from telegram_gateway.bot.info_texts import balance_text
from telegram_gateway.i18n import load_catalogue
from telegram_gateway.readmodel.info import InfoQueries
from telegram_gateway.readmodel.projection import apply_all
from telegram_gateway.storage.schema import MIGRATIONS as GATEWAY_MIGRATIONS

from meterbot.commands.balances import BALANCES_HEADER, import_balances

pytestmark = pytest.mark.integration

RU = load_catalogue().texts("ru")
TODAY = date.today()
CHAT = 880_000_000 + random.randrange(10**6)


@contextlib.asynccontextmanager
async def gateway_read_model(server_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    name = f"gwbal_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    pool = await asyncpg.create_pool(database_dsn(server_dsn, name), min_size=1, max_size=4)
    assert pool is not None
    try:
        await migrate(pool, (*PLATFORM_MIGRATIONS, *GATEWAY_MIGRATIONS))
        yield pool
    finally:
        await pool.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@dataclasses.dataclass
class Feed:
    accounts: asyncpg.Pool
    gateway: asyncpg.Pool
    log: TopicLog
    kafka: KafkaSettings
    tmp: Path

    async def import_rows(self, *rows: str) -> tuple[int, str]:
        path = self.tmp / f"{uuid.uuid4().hex}.csv"
        path.write_text("\n".join([",".join(BALANCES_HEADER), *rows]) + "\n", encoding="utf-8")
        out = io.StringIO()
        code = await import_balances(path, kafka=self.kafka, out=out, err=out)
        return code, out.getvalue()

    async def handled(self, count: int, account: str) -> None:
        """Until accounts claimed every record published so far for `account` (parked ones aside)."""

        def ours(s: Seen) -> bool:
            return s.topic == BILLING_BALANCES_V1 and s.key == account

        records = await self.log.wait_for(ours, count)
        ids = list({s.envelope.message_id for s in records if s.envelope.payload.get("amount_due") != "abc"})

        async def claimed() -> bool:
            n = await self.accounts.fetchval(
                "SELECT count(*) FROM inbox WHERE consumer = $1 AND message_id = ANY($2::uuid[])",
                CONSUMER,
                ids,
            )
            return bool(n == len(ids))

        await wait_until(claimed)

    async def recorded(self, account: str) -> int:
        return int(
            await self.accounts.fetchval(
                "SELECT count(*) FROM events WHERE stream_id = $1 AND type = $2",
                balance_stream(account),
                BalanceRecorded.TYPE,
            )
        )

    async def resident_sees(self, account: str, events: int) -> str:
        """What «Баланс» says once the gateway has the account's `events` BalanceRecorded events."""
        seen = await self.log.wait_for(
            lambda s: s.topic == ACCOUNTS_EVENTS and s.key == f"balance-{account}", events
        )
        newest = max(date.fromisoformat(s.envelope.payload["as_of"]) for s in seen)

        async def projected() -> bool:  # the TopicLog hands a record on after it counted it
            as_of = await self.gateway.fetchval(
                "SELECT as_of FROM rm_balances WHERE account_number = $1", account
            )
            return bool(as_of == newest)

        await wait_until(projected)
        return balance_text(RU, account, await InfoQueries(self.gateway).balance(CHAT, account), TODAY)


@pytest.fixture(scope="module")
async def feed(
    postgres: Postgres, kafka_settings: KafkaSettings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Feed]:
    tmp_path = tmp_path_factory.mktemp("balances")
    keyring = SurnameKeyring("test", b"balance-feed-test-surname-key-0123456")
    wire = make_wire(group_id=f"accounts-bal-{uuid.uuid4().hex[:8]}", keyring=keyring)
    async with (
        run_in_process(dataclasses.replace(SPEC, wire=wire), postgres.dsn, kafka_settings) as accounts,
        gateway_read_model(postgres.dsn) as gateway,
    ):

        async def project(seen: Seen) -> None:  # what the gateway's consumer does with accounts' events
            if seen.topic == ACCOUNTS_EVENTS and seen.envelope.type == BalanceRecorded.TYPE:
                async with gateway.acquire() as conn, conn.transaction():
                    await apply_all(conn, [default_registry.parse(seen.envelope)])

        log = TopicLog(kafka_settings.kafka_bootstrap, [BILLING_BALANCES_V1, ACCOUNTS_EVENTS], project)
        async with log:
            yield Feed(accounts.pool, gateway, log, kafka_settings, tmp_path)


async def link(feed: Feed, account: str) -> None:
    async with feed.gateway.acquire() as conn, conn.transaction():
        await apply_all(conn, [AccountLinked(chat_id=CHAT, account_number=account, address="ул. Мира, 1")])


async def parked(bootstrap: str, message_id: uuid.UUID) -> dict[str, str]:
    consumer = AIOKafkaConsumer(
        dlq_topic(BILLING_BALANCES_V1), bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(20):
            while True:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    for r in records:
                        headers = {k: bytes(v).decode() for k, v in r.headers}
                        if headers.get("message_id") == str(message_id):
                            return headers
    finally:
        await consumer.stop()


async def test_out_of_order_duplicate_and_malformed_balances(feed: Feed) -> None:
    account = str(random.randrange(10**9, 10**10))
    await link(feed, account)
    newer, older = TODAY - timedelta(days=10), TODAY - timedelta(days=40)
    due = TODAY + timedelta(days=15)

    # the newer balance first
    code, out = await feed.import_rows(f"{account},1520.30,RUB,{newer},{due}")
    assert code == 0, out
    await feed.handled(1, account)
    shown = await feed.resident_sees(account, 1)
    assert shown == (
        f"Лицевой счет {account}\nК оплате: 1 520,30 ₽\nПо состоянию на {newer:%d.%m.%Y}\nОплатить до {due:%d.%m.%Y}"
    )

    # an older one after it: no event, the resident still sees the newer
    await feed.import_rows(f"{account},900.00,RUB,{older},")
    await feed.handled(2, account)
    assert await feed.recorded(account) == 1
    assert await feed.resident_sees(account, 1) == shown

    # the same record again (a re-import) and the very same message redelivered: no event either
    await feed.import_rows(f"{account},1520.30,RUB,{newer},{due}")
    again = new_envelope(
        BalanceRecord(account_number=account, amount_due=Decimal("1520.30"), as_of=newer, due_date=due)
    )
    producer = make_producer(feed.kafka, "balance-test")
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(
                BILLING_BALANCES_V1, again.to_bytes(), key=account.encode(), headers=envelope_headers(again)
            )
        # a malformed record: parked with its reason, and the records after it still flow
        bad = Envelope(
            **{
                **again.model_dump(),
                "message_id": uuid.uuid4(),
                "payload": {**again.payload, "amount_due": "abc"},
            }
        )
        await producer.send_and_wait(
            BILLING_BALANCES_V1, bad.to_bytes(), key=account.encode(), headers=envelope_headers(bad)
        )
    finally:
        await producer.stop()
    await feed.handled(6, account)
    assert await feed.recorded(account) == 1
    assert await feed.resident_sees(account, 1) == shown
    headers = await parked(feed.kafka.kafka_bootstrap, bad.message_id)
    assert headers["x-dlq-reason"] == "invalid_payload", headers

    # a newer one after all that: recorded and shown; a bad row in the same file is reported by line
    code, out = await feed.import_rows(f"{account},0.00,RUB,{TODAY},", f"{account},12.345,RUB,{TODAY},")
    assert code == 1 and "line 3: amount_due" in out, out
    await feed.handled(7, account)
    assert (
        await feed.resident_sees(account, 2)
        == f"Лицевой счет {account}\nК оплате: 0,00 ₽\nПо состоянию на {TODAY:%d.%m.%Y}"
    )


async def test_a_balance_older_than_45_days_says_it_may_be_out_of_date(feed: Feed) -> None:
    account = str(random.randrange(10**9, 10**10))
    await link(feed, account)
    await feed.import_rows(f"{account},-250.00,RUB,{TODAY - timedelta(days=46)},")
    await feed.handled(1, account)
    shown = await feed.resident_sees(account, 1)
    assert "Переплата: 250,00 ₽" in shown
    assert shown.endswith("Сведения старше 45 дней и могут быть неактуальны.")
