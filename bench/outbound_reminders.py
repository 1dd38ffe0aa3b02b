"""Reminders for many residents through the outbound queue (issue 13, item 5): the real gateway
process (`python -m telegram_gateway`) on embedded PostgreSQL (durable: fsync on) and the local
broker, sending to the local Bot API server that runs in this process and counts what arrives.

    .venv/bin/python bench/outbound_reminders.py --residents 100000 --rate 1000
    .venv/bin/python bench/outbound_reminders.py --residents 3000 --rate 30

N residents, each registered with a linked account with one open meter and no reading this
period, are written into the gateway's read model; the gateway's notice scheduler finds them all
due a reminder (one round), queues them, and its outbound sender sends them at `--rate`
(METERBOT_OUTBOUND_MESSAGES_PER_SECOND). When `--kill-at` of them have arrived the gateway gets
kill -9 and is started again. Counted on the server side: messages per chat (none lost: every chat
has one; doubled: chats with more than one), messages/s over the sending time and the busiest
second (server timestamps) against the limit. Prints the load average with the numbers."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from meterbot_botapi import BotApiServer
from meterbot_localstack.broker import LocalBroker
from meterbot_localstack.postgres import LocalPostgres
from meterbot_platform.db import database_dsn, ensure_database
from meterbot_platform.migrations import migrate
from meterbot_platform.runtime import PLATFORM_MIGRATIONS
from telegram_gateway.storage.schema import MIGRATIONS

TOKEN = "515151:bench-outbound"
BOT_ID = 515151
FIRST_CHAT = 10_000_000


async def seed(dsn: str, residents: int) -> None:
    """The read model as events would have built it: residents, accounts, links, one meter each."""
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    assert pool is not None
    try:
        await migrate(pool, (*PLATFORM_MIGRATIONS, *MIGRATIONS))
        ago = datetime.now(UTC) - timedelta(hours=1)  # linked an hour ago: not busy with the bot
        chats = range(FIRST_CHAT, FIRST_CHAT + residents)
        async with pool.acquire() as conn:
            await conn.copy_records_to_table(
                "rm_chats",
                records=[(c, c, "ru", ago) for c in chats],
                columns=["chat_id", "user_id", "language", "registered_at"],
            )
            await conn.copy_records_to_table(
                "rm_accounts", records=[(f"A{c}", "") for c in chats], columns=["account_number", "address"]
            )
            await conn.copy_records_to_table(
                "rm_links",
                records=[(c, f"A{c}", "", ago) for c in chats],
                columns=["chat_id", "account_number", "address", "linked_at"],
            )
            await conn.copy_records_to_table(
                "rm_meters",
                records=[(f"M{c}", f"A{c}", "cold_water", "", None, None, None, False) for c in chats],
                columns=[
                    "meter_id",
                    "account_number",
                    "meter_type",
                    "serial_number",
                    "verified_until",
                    "last_value",
                    "last_value_date",
                    "closed",
                ],
            )
    finally:
        await pool.close()


def start_gateway(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "telegram_gateway"], env=env, stdout=out, stderr=out, start_new_session=True
    )


def tally(server: BotApiServer, residents: int) -> tuple[int, Counter[int], Counter[int]]:
    """(messages, per-chat counts, messages per server second)."""
    bot = server.world.bot(BOT_ID)
    per_chat: Counter[int] = Counter()
    per_second: Counter[int] = Counter()
    for chat_id in range(FIRST_CHAT, FIRST_CHAT + residents):
        chat = bot.chats.get(chat_id)
        if chat is None:
            continue
        for message in chat.messages.values():
            if message.from_bot:
                per_chat[chat_id] += 1
                per_second[int(message.data["date"])] += 1
    return sum(per_chat.values()), per_chat, per_second


async def run(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-outbound-"))
    pg = LocalPostgres(home / "pg", durable=True)
    pg.start()
    broker = LocalBroker(log_file=home / "broker.log")
    broker.start()
    try:
        await ensure_database(pg.dsn, "gateway")
        t = time.perf_counter()
        await seed(database_dsn(pg.dsn, "gateway"), args.residents)
        print(f"seeded {args.residents} residents in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        async with BotApiServer("127.0.0.1", 0, webchat=False) as server:
            api = server.residents(BOT_ID)
            for chat_id in range(FIRST_CHAT, FIRST_CHAT + args.residents):
                api.open_chat(chat_id)  # each resident started the bot
            env = {
                **os.environ,
                "METERBOT_POSTGRES_DSN": pg.dsn,
                "METERBOT_KAFKA_BOOTSTRAP": broker.bootstrap,
                "METERBOT_KAFKA_IDEMPOTENT": "false",
                "METERBOT_KAFKA_CREATE_TOPICS": "true",
                "METERBOT_TELEGRAM_TOKEN": TOKEN,
                "METERBOT_TELEGRAM_API_URL": server.base_url,
                "METERBOT_HTTP_HOST": "127.0.0.1",
                "METERBOT_HTTP_PORT": str(args.http_port),
                "METERBOT_OUTBOUND_MESSAGES_PER_SECOND": str(args.rate),
                "METERBOT_NOTICES_INTERVAL": "5",
                "METERBOT_LOG_LEVEL": "WARNING",
            }
            await measure(args, server, env, home / "gateway.log")
    finally:
        broker.stop()
        pg.stop()


async def measure(args: argparse.Namespace, server: BotApiServer, env: dict[str, str], log: Path) -> None:
    n = args.residents
    started = time.perf_counter()
    gateway = start_gateway(env, log)
    first_at: float | None = None
    killed_at_count: int | None = None
    killed_second = 0  # the server's second of the kill: before it, the steady rate
    deadline = started + args.timeout
    count = 0
    try:
        while time.perf_counter() < deadline:
            await asyncio.sleep(0.5)
            if gateway.poll() is not None:
                raise RuntimeError(f"the gateway exited ({gateway.returncode}); see {log}")
            count, _, _ = tally(server, n)
            if count and first_at is None:
                first_at = time.perf_counter()
            if killed_at_count is None and count >= n * args.kill_at:
                os.kill(gateway.pid, signal.SIGKILL)  # mid-run, no warning
                killed_second = int(time.time())
                gateway.wait()
                killed_at_count = count
                print(f"kill -9 at {count} messages; starting the gateway again", file=sys.stderr)
                gateway = start_gateway(env, log)
            if count >= n and killed_at_count is not None:
                await asyncio.sleep(args.settle)  # anything doubled would arrive now
                break
        ended = time.perf_counter()
    finally:
        gateway.send_signal(signal.SIGTERM)
        try:
            gateway.wait(30)
        except subprocess.TimeoutExpired:
            gateway.kill()
    count, per_chat, per_second = tally(server, n)
    missing = n - len(per_chat)
    doubled = sum(1 for c in per_chat.values() if c > 1)
    extra = sum(c - 1 for c in per_chat.values() if c > 1)
    seconds = sorted(per_second)
    # steady rate: full seconds between the first and the last message (the restart gap included)
    span = (seconds[-1] - seconds[0] + 1) if seconds else 0
    busiest = max(per_second.values()) if per_second else 0
    before = [s for s in seconds if s < killed_second][1:]  # full seconds (the first may be partial)
    steady = sum(per_second[s] for s in before) / (killed_second - before[0]) if before else 0.0
    load = os.getloadavg()
    print(
        f"\noutbound reminders: {n} residents, limit {args.rate:g}/s, kill -9 after {killed_at_count} messages\n"
        f"  messages on the server: {count} (missing chats: {missing}, doubled chats: {doubled}, extra messages: {extra})\n"
        f"  sending: {span} s from first to last message -> {count / span if span else 0:.1f} msg/s "
        f"({100 * count / span / args.rate if span else 0:.0f}% of the limit, restart gap included)\n"
        f"  busiest second: {busiest} messages (limit {args.rate:g}); steady rate before the kill: "
        f"{steady:.1f} msg/s ({100 * steady / args.rate:.0f}% of the limit)\n"
        f"  first message {first_at - started if first_at else float('nan'):.1f}s after the gateway started "
        f"(start + one scheduler round for all residents); wall {ended - started:.1f}s\n"
        f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument(
        "--kill-at", type=float, default=0.4, help="share delivered when the gateway is killed"
    )
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--settle", type=float, default=35.0, help="wait after the last (> the 30 s lease)")
    parser.add_argument("--http-port", type=int, default=18_099)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
