"""Issue scenario across the real services (no Telegram): registry import -> link -> readings ->
export, over `meterbot up` with embedded PostgreSQL and the local broker."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from meterbot_contracts import Envelope
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.topics import (
    ACCOUNTS_COMMANDS,
    ACCOUNTS_EVENTS,
    BILLING_EXPORT_EVENTS,
    BILLING_READINGS_V1,
    READINGS_COMMANDS,
    READINGS_EVENTS,
)
from meterbot_testing.bus import Bus, eventually

from .stack_driver import StackProcess, fetchval

pytestmark = pytest.mark.e2e

HEADER = "account_number,surname,address,meter_id,meter_type,serial_number,verified_until,last_value,last_value_date"


def registry_csv() -> str:
    future = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    past = (datetime.now(UTC) - timedelta(days=400)).date().isoformat()
    return "\n".join(
        [
            HEADER,
            f'1001,Мамин-Сибиряк,"ул. Ленина, 1, кв. 5",cw-1001,cold_water,SN-1,{future},250.550,{past}',
            f'1001,Мамин-Сибиряк,"ул. Ленина, 1, кв. 5",hw-1001,hot_water,SN-2,{future},100,{past}',
            f'1002,Ёлкина,"ул. Мира, 2, кв. 7",el-1002,electricity,SN-3,{future},5000,{past}',
            "1003,Пустов,ул. Пустая 3,,,,,,",
            "bad-row-without-enough-columns",
            "",
        ]
    )


async def _processed_by(stack: StackProcess, database: str, event: Envelope) -> bool:
    """True once `database`'s service recorded the event in its inbox."""
    return bool(
        await fetchval(stack.dsn(database), "SELECT 1 FROM inbox WHERE message_id = $1", event.message_id)
    )


async def test_import_link_submit_and_export(tmp_path: Path) -> None:
    stack = StackProcess(tmp_path)
    stack.start()
    try:
        registry = tmp_path / "registry.csv"
        registry.write_text(registry_csv(), encoding="utf-8")
        imported = stack.cli("registry", "import", str(registry))
        assert imported.returncode == 1, imported.stdout + imported.stderr  # one bad row
        assert "line 6" in imported.stdout + imported.stderr  # ...reported by its line number

        async with Bus(
            stack.bootstrap, [ACCOUNTS_EVENTS, READINGS_EVENTS, BILLING_EXPORT_EVENTS, BILLING_READINGS_V1]
        ) as bus:
            await bus.wait(lambda e: e.type == "MeterRegistered" and e.payload["meter_id"] == "cw-1001", 60)
            await bus.wait(
                lambda e: e.type == "AccountRegistered" and e.payload["account_number"] == "1002", 60
            )

            # a compound surname typed without the hyphen and in another case links
            link = await bus.send(
                ACCOUNTS_COMMANDS,
                AccountLinkRequested(chat_id=501, account_number="1001", surname="маминсибиряк"),
                key="1001",
            )
            linked = await bus.answer(link)
            assert linked.type == "AccountLinked"
            # ё is the same letter as е
            yo = await bus.answer(
                await bus.send(
                    ACCOUNTS_COMMANDS,
                    AccountLinkRequested(chat_id=502, account_number="1002", surname="елкина"),
                    key="1002",
                )
            )
            assert yo.type == "AccountLinked"
            wrong = await bus.answer(
                await bus.send(
                    ACCOUNTS_COMMANDS,
                    AccountLinkRequested(chat_id=503, account_number="1001", surname="Сибиряк"),
                    key="1001",
                )
            )
            assert (wrong.type, wrong.payload["reason"]) == ("AccountLinkRefused", "wrong_pair")

            await eventually(lambda: _processed_by(stack, "readings", linked), True)

            async def submit(meter: str, value: str) -> Envelope:
                cmd = await bus.send(
                    READINGS_COMMANDS,
                    ReadingSubmitted(chat_id=501, account_number="1001", meter_id=meter, raw_value=value),
                    key=meter,
                )
                return await bus.answer(cmd)

            outcomes = [(v, await submit("cw-1001", v)) for v in ("250", "400", "abc", "251.5", "251")]
            assert [(v, e.type, e.payload.get("reason")) for v, e in outcomes] == [
                ("250", "ReadingRejected", "below_previous"),  # 250.550 -> 250 is below ceil(prev)
                ("400", "ReadingRejected", "above_max_delta"),  # more than previous + 100
                ("abc", "ReadingRejected", "not_a_number"),
                ("251.5", "ReadingRejected", "not_an_integer"),
                ("251", "ReadingAccepted", None),
            ]
            assert (await submit("hw-1001", "150")).type == "ReadingAccepted"
            assert (await submit("hw-1001", "160")).payload["replaces_reading_id"]  # replaces 150

            period = datetime.now(ZoneInfo("Europe/Moscow")).strftime("%Y-%m")
            await bus.wait(lambda e: e.type == "BillingReading" and e.payload["value"] == "160", 30)
            exported = stack.cli("export", "--period", period, "--format", "csv", "--close", "--force")
            assert exported.returncode == 0, exported.stderr
            rows = list(csv.DictReader(io.StringIO(exported.stdout)))
            assert sorted((r["meter_id"], r["value"]) for r in rows) == [
                ("cw-1001", "251"),
                ("hw-1001", "160"),
            ]

            closed = await bus.wait(lambda e: e.type == "PeriodClosed" and e.payload["period"] == period, 30)
            await eventually(lambda: _processed_by(stack, "readings", closed), True)
            late = await submit("cw-1001", "252")
            assert (late.type, late.payload["reason"]) == ("ReadingRejected", "period_closed")
    finally:
        assert stack.stop() == 0, stack.log_tail()
