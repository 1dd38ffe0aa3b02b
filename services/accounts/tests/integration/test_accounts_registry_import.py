"""`meterbot registry import` through its function, against the real broker and a running accounts
service: bad rows reported by line, good accounts published and registered, a re-import changes
nothing, and the exit codes."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
from accounts.application.registry import CONSUMER
from accounts.application.streams import account_stream
from meterbot_contracts import Envelope
from meterbot_localstack import free_port
from meterbot_platform.settings import KafkaSettings

from meterbot.commands.registry import import_registry
from meterbot.registry_csv import REGISTRY_HEADER

from .accounts_harness import Bus, Service, eventually

pytestmark = pytest.mark.integration

HEADER = ",".join(REGISTRY_HEADER)


def numbers(n: int) -> list[str]:
    base = random.randrange(10**8, 9 * 10**8)
    return [str(base + i) for i in range(n)]


async def run(path: Path, kafka: KafkaSettings, *, dry_run: bool = False) -> tuple[int, str, str, str | None]:
    """(exit code, stdout, stderr, the import's correlation id if it published)."""
    out, err = io.StringIO(), io.StringIO()
    code = await import_registry(path, kafka=kafka, dry_run=dry_run, out=out, err=err, progress=False)
    found = re.search(r"^import (registry-import-\S+)$", out.getvalue(), re.MULTILINE)
    return code, out.getvalue(), err.getvalue(), found.group(1) if found else None


async def published(bus: Bus, run_id: str, count: int) -> list[Envelope]:
    await bus.wait(
        lambda e: sum(x.correlation_id == run_id and x.type == "RegistryRecord" for x in bus.seen) >= count
    )
    return [e for e in bus.seen if e.correlation_id == run_id and e.type == "RegistryRecord"]


async def registered(service: Service, number: str) -> int:
    return int(
        await service.pool.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'AccountRegistered'",
            account_stream(number),
        )
    )


async def all_claimed(service: Service, records: list[Envelope]) -> bool:
    claimed = await service.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE consumer = $1 AND message_id = ANY($2::uuid[])",
        CONSUMER,
        [e.message_id for e in records],
    )
    return bool(claimed == len(records))


async def test_bad_rows_are_reported_by_line_and_the_good_accounts_imported(
    service: Service, bus: Bus, tmp_path: Path
) -> None:
    good, held, empty = numbers(3)
    path = tmp_path / "registry.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                f'{good},Мамин-Сибиряк,"ул. Ленина, 1",{good}-cw,cold_water,SN1,2031-12-31,250.55,2026-09-30',
                f"{held},Ёлкина,ул. Мира 2,{held}-hw,hot_water,SN2,,100,2026-09-30",
                f"{held},Ёлкина,ул. Мира 2,{held}-st,steam,SN3,,5,2026-09-30",  # line 4: no such type
                "a-row-with-too-few-columns",  # line 5
                f"{empty},Пустов,ул. Пустая 3,,,,,,",
                f'{good},Мамин-Сибиряк,"ул. Ленина, 1",{good}-hw,hot_water,SN4,,1.5,2026-31-01',  # line 7
                f'{good},Мамин-Сибиряк,"ул. Ленина, 1",{good}-el,electricity,SN5,,7,',
                "",
            ]
        ),
        encoding="utf-8",
    )

    code, out, _, run_id = await run(path, service.kafka)

    assert code == 1
    assert re.search(r"^line 4: meter_type 'steam' is not one of", out, re.MULTILINE)
    assert "line 5: expected 9 columns, got 1" in out
    assert re.search(r"^line 7: last_value_date '2026-31-01' is not a date", out, re.MULTILINE)
    assert (
        f"held back (not imported, a row of theirs is bad): {good}, {held}, a-row-with-too-few-columns" in out
    )
    assert "published 1 account with 0 meters" in out
    assert run_id is not None
    [record] = await published(bus, run_id, 1)
    assert record.payload == {
        "account_number": empty,
        "surname": "Пустов",
        "address": "ул. Пустая 3",
        "meters": [],
    }
    await eventually(lambda: registered(service, empty), 1)
    assert await registered(service, held) == 0 and await registered(service, good) == 0


async def test_a_second_import_of_the_same_file_appends_nothing(
    service: Service, bus: Bus, tmp_path: Path
) -> None:
    accounts = numbers(20)
    path = tmp_path / "registry.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                *(
                    f"{n},Иванов,ул. Садовая {i},{n}-{m},gas,SN{i}{m},2030-01-31,{i}.{m},2026-09-01"
                    for i, n in enumerate(accounts)
                    for m in range(2)
                ),
            ]
        )
        + "\n",
        encoding="utf-8",
    )

    code, out, err, first = await run(path, service.kafka)
    assert (code, err) == (0, ""), out
    assert "published 20 accounts with 40 meters" in out
    assert first is not None
    await all_claimed_eventually(service, await published(bus, first, 20))
    assert [await registered(service, n) for n in accounts] == [1] * 20
    # registry events only: the module's service also replays other modules' commands from the topic
    registered_events = "SELECT count(*) FROM events WHERE type = 'AccountRegistered'"
    events_before = await service.pool.fetchval(registered_events)

    code, _, _, second = await run(path, service.kafka)
    assert code == 0 and second is not None and second != first
    await all_claimed_eventually(service, await published(bus, second, 20))
    assert await service.pool.fetchval(registered_events) == events_before


async def all_claimed_eventually(service: Service, records: list[Envelope]) -> None:
    await eventually(lambda: all_claimed(service, records), True)


async def test_a_dry_run_checks_and_publishes_nothing(service: Service, tmp_path: Path) -> None:
    [number] = numbers(1)
    path = tmp_path / "registry.csv"
    path.write_text(f"{HEADER}\n{number},Иванов,,,,,,,\n", encoding="utf-8")
    code, out, _, run_id = await run(path, service.kafka, dry_run=True)
    assert (code, run_id) == (0, None)
    assert "would publish 1 account with 0 meters" in out


@pytest.mark.parametrize("content", [None, b"account_number,surname\n\xff\xfe not utf-8\n"])
async def test_an_unreadable_file_exits_2_before_publishing(
    service: Service, tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "registry.csv"
    if content is not None:
        path.write_bytes(content)
    code, out, err, run_id = await run(path, service.kafka)
    assert (code, run_id) == (2, None)
    assert str(path) in err and "published" not in out


async def test_an_unreachable_broker_exits_3_and_says_to_start_the_stack(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(f"{HEADER}\n1,Иванов,,,,,,,\n", encoding="utf-8")
    code, _, err, _ = await run(path, KafkaSettings(kafka_bootstrap=f"127.0.0.1:{free_port()}"))
    assert code == 3
    assert "publishing to Kafka at 127.0.0.1:" in err and "start it with `meterbot up`" in err
