"""The table a meter archive is kept in, and the statements that apply meterbot_contracts.archive's
changes to it. Two services keep one (readings' reference `meter_archive`, the gateway's `rm_archive`
read model); the rule is in the contracts, and this is its storage, written once so the two tables
and their upserts (a registry value only over an older or equal one) cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import asyncpg
from meterbot_contracts.archive import ArchiveChange, PutValue, RemoveValue


def create_archive_table(table: str) -> str:
    """The DDL of an archive table `table` (a migration's text): one value per meter, month and
    source (a reading of ours, the registry's last_value), indexed for an account's lookups."""
    return f"""
        CREATE TABLE {table} (
            meter_id        text NOT NULL,
            period          text NOT NULL,
            source          text NOT NULL CHECK (source IN ('reading', 'registry')),
            account_number  text NOT NULL,
            meter_type      text NOT NULL,
            value           numeric NOT NULL,
            reading_id      uuid,
            recorded_at     timestamptz NOT NULL,
            PRIMARY KEY (meter_id, period, source)
        );
        CREATE INDEX {table}_account ON {table} (account_number, meter_id, period);
        """


def _put_args(c: PutValue) -> tuple[Any, ...]:
    return (
        c.meter_id,
        c.period,
        c.source,
        c.account_number,
        c.meter_type.value,
        c.value,
        c.reading_id,
        c.recorded_at,
        c.only_if_newer,
    )


def _remove_args(c: RemoveValue) -> tuple[Any, ...]:
    return (c.meter_id, c.period, c.source, c.reading_id)


class ArchiveTable:
    """Applies archive changes to the table `name` (made by create_archive_table)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._put = f"""
            INSERT INTO {name} (meter_id, period, source, account_number, meter_type, value, reading_id,
                                recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (meter_id, period, source) DO UPDATE SET
                account_number = excluded.account_number, meter_type = excluded.meter_type,
                value = excluded.value, reading_id = excluded.reading_id, recorded_at = excluded.recorded_at
            WHERE NOT $9 OR excluded.recorded_at >= {name}.recorded_at
        """
        self._remove = f"""
            DELETE FROM {name} WHERE meter_id = $1 AND period = $2 AND source = $3
                AND ($4::uuid IS NULL OR reading_id = $4)
        """

    async def apply(self, conn: asyncpg.Connection, changes: Sequence[ArchiveChange]) -> None:
        """`changes` in order; a run of puts (a registry import brings them by the hundred thousand)
        in one executemany."""
        for kind, run in groupby(changes, key=type):
            if kind is PutValue:
                await conn.executemany(self._put, [_put_args(c) for c in run if isinstance(c, PutValue)])
            else:
                await conn.executemany(
                    self._remove, [_remove_args(c) for c in run if isinstance(c, RemoveValue)]
                )
