"""`meterbot export` and `meterbot period close` against a running billing-export: export only reads
(--close closes first), streams to a file or stdout; the service is found through a running stack's
state file or METERBOT_BILLING_EXPORT_URL."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
from pathlib import Path

import pytest

from meterbot import state
from meterbot.commands import export, period

from .billing_export_harness import Service, accepted, new_ids, new_period

pytestmark = pytest.mark.integration


def cli(*argv: str, command: str = "export") -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="meterbot")
    subparsers = parser.add_subparsers(dest="command", required=True)
    export.register(subparsers)
    period.register(subparsers)
    return parser.parse_args([*command.split(), *argv])


async def run_cli(*argv: str, command: str = "export") -> int:
    args = cli(*argv, command=command)
    return int(await asyncio.to_thread(args.func, args))  # blocking HTTP; the service runs in this loop


async def closed_count(service: Service, period: str) -> int:
    return int(await service.pool.fetchval("SELECT count(*) FROM export_periods WHERE period = $1", period))


async def fill(service: Service, period: str, n: int) -> list[str]:
    account, _ = new_ids()
    readings = [accepted(account, f"M{i:03d}-{account}", 100 + i, period) for i in range(n)]
    envelopes = [await service.publish(r, key=f"meter-{r.meter_id}") for r in readings]
    for envelope in envelopes:
        await service.handled(envelope)
    return [str(r.reading_id) for r in readings]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("METERBOT_HOME", str(tmp_path / "home"))  # no stack of the developer's
    monkeypatch.delenv("METERBOT_BILLING_EXPORT_URL", raising=False)
    return tmp_path


async def test_export_close_closes_and_writes_the_csv(
    billing_export: Service, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    period = new_period()
    ids = await fill(billing_export, period, 12)
    monkeypatch.setenv("METERBOT_BILLING_EXPORT_URL", billing_export.url)
    out = home / "readings.csv"

    assert await run_cli("--period", period, "--format", "csv", "--output", str(out), "--close") == 0

    rows = list(csv.DictReader(out.open()))
    assert [r["reading_id"] for r in rows] == ids and {r["period"] for r in rows} == {period}
    assert not (home / "readings.csv.part").exists()
    closed = await billing_export.pool.fetchval(
        "SELECT readings_count FROM export_periods WHERE period = $1", period
    )
    assert closed == 12


async def test_export_changes_nothing_json_to_stdout_found_through_the_stack_state(
    billing_export: Service, home: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    period = new_period()
    ids = await fill(billing_export, period, 3)
    state.StackState(
        postgres_dsn="",
        kafka_bootstrap="",
        kafka_idempotent=False,
        supervisor_pid=os.getpid(),
        services={"billing-export": {"pid": os.getpid(), "port": 0, "url": billing_export.url}},
    ).write()

    assert await run_cli("--period", period, "--format", "json") == 0

    captured = capsysbinary.readouterr()
    assert [line["reading_id"] for line in json.loads(captured.out)] == ids
    assert b"(open)" in captured.err
    assert (
        await billing_export.pool.fetchval("SELECT count(*) FROM export_periods WHERE period = $1", period)
        == 0
    )


async def test_export_reports_refusals_and_a_missing_service(
    billing_export: Service, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli("--period", "2031-01") == 3  # no stack, no URL
    assert "no running stack; start it with `meterbot up`" in capsys.readouterr().err
    monkeypatch.setenv("METERBOT_BILLING_EXPORT_URL", billing_export.url)
    assert await run_cli("--period", "2031-01", "--output", str(home / "x.csv"), "--close") == 1  # not begun
    assert "period_not_started" in capsys.readouterr().err
    assert not (home / "x.csv").exists()
    with pytest.raises(SystemExit):
        cli("--period", "2031-13")


async def test_period_close_refuses_the_current_period_without_force(
    billing_export: Service, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("METERBOT_BILLING_EXPORT_URL", billing_export.url)
    current, earlier = "2030-01", new_period()  # the fixed clock's month (conftest NOW), a past one
    assert await run_cli(current, command="period close") == 1
    assert "--force" in capsys.readouterr().err
    assert await closed_count(billing_export, current) == 0
    assert await run_cli("--period", current, "--close", "--output", str(home / "x.csv")) == 1
    assert await closed_count(billing_export, current) == 0

    assert await run_cli(earlier, command="period close") == 0
    assert f"period {earlier} closed at" in capsys.readouterr().err
    assert await run_cli(earlier, command="period close") == 0
    assert "was already closed" in capsys.readouterr().err
    assert await closed_count(billing_export, earlier) == 1
