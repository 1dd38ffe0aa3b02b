from __future__ import annotations

import asyncio

import asyncpg
import pytest
from meterbot_platform.migrations import Migration, migrate

pytestmark = pytest.mark.integration


async def test_migrations_apply_once_even_when_replicas_race(database: str) -> None:
    pool = await asyncpg.create_pool(database, min_size=1, max_size=8)
    assert pool is not None
    steps = [Migration("t/1", "CREATE TABLE t1 (x int)"), Migration("t/2", "CREATE TABLE t2 (y int)")]
    try:
        results = await asyncio.gather(*(migrate(pool, steps) for _ in range(4)))
        assert sorted(len(r) for r in results) == [0, 0, 0, 2]
        assert await migrate(pool, steps) == []
    finally:
        await pool.close()
