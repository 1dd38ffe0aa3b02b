"""Registry import through the whole local stack: how long until BOTH accounts and readings applied
a 100k-row registry (35k accounts, ~3 meters each) published by `meterbot registry import`.

    .venv/bin/python bench/registry_import_stack.py [--accounts 35000] [--rows 100000]

Starts `meterbot up` (embedded PostgreSQL, tansu) in a temporary METERBOT_HOME, prints seconds for:
publish (the CLI's run), accounts applied, readings applied; then a re-import of the same file.
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
from pathlib import Path

import asyncpg

HEADER = "account_number,surname,address,meter_id,meter_type,serial_number,verified_until,last_value,last_value_date"
TYPES = ("cold_water", "hot_water", "electricity")


def write_registry(path: Path, accounts: int, rows: int) -> int:
    written = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n")
        for n in range(accounts):
            meters = 3 if written + 3 + 2 * (accounts - n - 1) <= rows else 2
            for m in range(meters):
                out.write(
                    f'{500000 + n},Фамилия{n},"ул. Тестовая, {n}",{500000 + n}-{m},{TYPES[m]},'
                    f"SN{n}-{m},2031-12-31,{100 + m}.5,2026-09-30\n"
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
    await cli.wait()
    published = time.perf_counter() - started
    print(
        f"{label:<10} publish {published:6.1f} s   accounts applied {await accounts:6.1f} s"
        f"   readings applied {await readings:6.1f} s",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=35_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="meterbot-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERBOT_")} | {
        "METERBOT_HOME": str(home)
    }
    path = home / "registry.csv"
    rows = write_registry(path, args.accounts, args.rows)
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
