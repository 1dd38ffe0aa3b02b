"""Registry import through the whole local stack: how long until accounts and readings applied a
100k-row registry (35k accounts, ~3 meters each) published by `meterbot registry import`, and until
everything downstream caught up (the gateway's read model and billing-export have consumed every
event accounts and readings published: the bot can show the new meters).

    .venv/bin/python bench/registry_import_stack.py [--accounts 35000] [--rows 100000]

Starts `meterbot up` (embedded PostgreSQL, tansu) in a temporary METERBOT_HOME, prints seconds for:
publish (the CLI's run), accounts applied, readings applied, all caught up; then a re-import of
the same file. `--optional-columns` fills the registry's optional columns too (digits,
fraction_digits, replaces_meter_id, initial_value, residents: issue 14) on every row.
Numbers only; it stops the stack and exits 0."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

import asyncpg
from meterbot_contracts.topics import ACCOUNTS_EVENTS, IDENTITY_EVENTS, READINGS_EVENTS
from meterbot_platform.consumer_lag import measure

HEADER = "account_number,surname,address,meter_id,meter_type,serial_number,verified_until,last_value,last_value_date"
TYPES = ("cold_water", "hot_water", "electricity")


OPTIONAL = ",digits,fraction_digits,replaces_meter_id,initial_value,residents"


def write_registry(path: Path, accounts: int, rows: int, *, optional: bool = False) -> int:
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + (OPTIONAL if optional else "") + "\n")
        for n in range(accounts):
            meters = 3 if written + 3 + 2 * (accounts - n - 1) <= rows else 2
            for m in range(meters):
                out.write(
                    f'{500000 + n},Фамилия{n},"ул. Тестовая, {n}",{500000 + n}-{m},{TYPES[m]},'
                    f"SN{n}-{m},2031-12-31,{100 + m}.5,2026-09-30"
                    + (f",5,3,OLD-{n}-{m},0.000,{1 + n % 4}\n" if optional else "\n")
                )
                written += 1
    return written


async def inbox_count(dsn: str, consumer: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", consumer))
    finally:
        await conn.close()


async def until(dsn: str, consumer: str, target: int, started: float) -> float:
    while await inbox_count(dsn, consumer) < target:
        await asyncio.sleep(0.2)
    return time.perf_counter() - started


# the consumers downstream of the import: group -> topics
DOWNSTREAM = {
    "telegram-gateway": {IDENTITY_EVENTS, ACCOUNTS_EVENTS, READINGS_EVENTS},
    "billing-export": {READINGS_EVENTS},
}


async def caught_up(bootstrap: str, after: Awaitable[object], started: float) -> float:
    """Once `after` is done (the import applied): until no downstream group lags any more."""
    await after
    while any((await measure(bootstrap, DOWNSTREAM)).values()):
        await asyncio.sleep(0.2)
    return time.perf_counter() - started


def db(server_dsn: str, name: str) -> str:
    return server_dsn.rsplit("/", 1)[0] + f"/{name}"


async def one_import(env: dict[str, str], path: Path, state: dict, records: int, label: str) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    cli = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "meterbot",
        "registry",
        "import",
        str(path),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    accounts = asyncio.create_task(
        until(db(state["postgres_dsn"], "accounts"), "accounts:registry", records, started)
    )
    readings = asyncio.create_task(
        until(db(state["postgres_dsn"], "readings"), "readings:registry", records, started)
    )
    downstream = asyncio.create_task(
        caught_up(state["kafka_bootstrap"], asyncio.gather(accounts, readings), started)
    )
    await cli.wait()
    published = time.perf_counter() - started
    print(
        f"{label:<10} publish {published:5.1f} s   accounts applied {await accounts:5.1f} s"
        f"   readings applied {await readings:5.1f} s   all caught up {await downstream:5.1f} s",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=35_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--optional-columns", action="store_true")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="meterbot-bench-"))
    # a fresh stack of its own; the fetch wait may be set to compare
    keep = {"METERBOT_KAFKA_FETCH_MAX_WAIT_MS"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_") or k in keep} | {
        "METERBOT_HOME": str(home)
    }
    path = home / "registry.csv"
    rows = write_registry(path, args.accounts, args.rows, optional=args.optional_columns)
    print(f"registry: {rows} rows, {args.accounts} accounts, {path.stat().st_size / 1e6:.1f} MB", flush=True)
    up = subprocess.Popen(
        [sys.executable, "-m", "meterbot", "up", "--port-base", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not (home / "stack.json").exists():
            if up.poll() is not None:
                raise SystemExit("meterbot up failed")
            await asyncio.sleep(0.2)
        state = json.loads((home / "stack.json").read_text())
        await one_import(env, path, state, args.accounts, "first")
        await one_import(env, path, state, 2 * args.accounts, "re-import")
    finally:
        up.send_signal(signal.SIGINT)
        up.wait(60)


if __name__ == "__main__":
    asyncio.run(main())
