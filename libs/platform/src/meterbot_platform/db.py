"""One database per service on a shared server (DESIGN §2), created on first start."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from meterbot_platform.eventstore_sql import READER_APPLICATION

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def database_dsn(server_dsn: str, database: str) -> str:
    """The server DSN with its database path replaced (query such as ?host=/socket is kept)."""
    parts = urlsplit(server_dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def ensure_database(server_dsn: str, database: str) -> str:
    """Create `database` if missing; return its DSN. Safe when several replicas start at once."""
    if not _NAME.match(database):
        raise ValueError(f"not a plain database name: {database!r}")
    conn = await asyncpg.connect(database_dsn(server_dsn, "postgres"))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{database}"')
            except asyncpg.DuplicateDatabaseError:
                pass  # another replica won the race
    finally:
        await conn.close()
    return database_dsn(server_dsn, database)


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
    assert pool is not None
    return pool


async def create_reader_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Connections for transactions that never append events (outbox relays, projections): their
    application_name keeps them out of the commit-order horizon, so a long view batch does not hold
    back the relay, and the events table refuses their inserts (eventstore_sql.READER_APPLICATION)."""
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, server_settings={"application_name": READER_APPLICATION}
    )
    assert pool is not None
    return pool
