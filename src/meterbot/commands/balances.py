"""`meterbot balances import FILE.csv [--dry-run]`: billing's balances onto meterbot.billing.balances.v1,
one BalanceRecord per row, keyed by account number (accounts consumes them; the bot's «Баланс» shows
them). CSV, UTF-8, header row: `account_number,amount_due,currency,as_of,due_date` (amount with `.`,
dates YYYY-MM-DD, currency ISO 4217 (empty: RUB), due_date may be empty). Bad rows are printed with
their line numbers and the good ones published all the same; an older as-of than one already known,
or the same record again, changes nothing. Exit codes as `meterbot registry import`."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from meterbot_contracts import new_envelope
from meterbot_contracts.billing import BalanceRecord
from meterbot_contracts.topics import BILLING_BALANCES_V1
from meterbot_platform.settings import KafkaSettings
from pydantic import ValidationError

from meterbot.commands import EXIT_USAGE
from meterbot.commands.publishing import (
    ImportFailed,
    import_command,
    publish_envelopes,
    publish_import,
    read_text,
)

BALANCES_HEADER = ("account_number", "amount_due", "currency", "as_of", "due_date")


@dataclass
class BalancesParseResult:
    records: list[BalanceRecord] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)


def _problem(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


def parse_balances_csv(lines: Iterable[str]) -> BalancesParseResult:
    result = BalancesParseResult()
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != BALANCES_HEADER:
        result.errors.append((1, f"the header must be {','.join(BALANCES_HEADER)}"))
        return result
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(BALANCES_HEADER):
            result.errors.append((line, f"{len(row)} columns, {len(BALANCES_HEADER)} expected"))
            continue
        values = dict(zip(BALANCES_HEADER, (cell.strip() for cell in row), strict=True))
        data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
        try:
            result.records.append(BalanceRecord.model_validate(data))
        except ValidationError as exc:
            result.errors.append((line, _problem(exc)))
    return result


async def publish(records: Sequence[BalanceRecord], kafka: KafkaSettings, *, correlation_id: str) -> None:
    messages = (
        (BILLING_BALANCES_V1, r.account_number, new_envelope(r, correlation_id=correlation_id))
        for r in records
    )
    await publish_envelopes(kafka, BILLING_BALANCES_V1, messages, client_id="meterbot-balances-import")


async def import_balances(
    path: Path,
    *,
    kafka: KafkaSettings | None = None,
    dry_run: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    try:
        result = read_text(path, parse_balances_csv)
    except ImportFailed as exc:
        err.write(f"meterbot balances import: {exc}\n")
        return EXIT_USAGE
    for line, message in result.errors:
        out.write(f"line {line}: {message}\n")
    return await publish_import(
        "balances import",
        lambda settings, run: publish(result.records, settings, correlation_id=run),
        kafka,
        dry_run=dry_run,
        records=len(result.records),
        summary=f"{len(result.records)} balances to {BILLING_BALANCES_V1}; bad rows: {len(result.errors)}",
        bad_rows=bool(result.errors),
        out=out,
        err=err,
    )


def register(subparsers: Any) -> None:
    import_command(
        subparsers,
        "balances",
        group_help="what accounts owe, from billing",
        help="publish a balances CSV to meterbot.billing.balances.v1",
        description="Columns: account_number,amount_due,currency,as_of,due_date. Exit code 0: all rows "
        "good; 1: some rows bad (the good ones are published); 2: unreadable file; 3: no running stack "
        "or the broker unreachable.",
        run=lambda file, dry_run: import_balances(file, dry_run=dry_run),
    )
