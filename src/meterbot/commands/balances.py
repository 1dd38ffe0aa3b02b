"""`meterbot balances import FILE.csv [--dry-run]`: billing's balances onto meterbot.billing.balances.v1,
one BalanceRecord per row, keyed by account number (accounts consumes them; the bot's «Баланс» shows
them). CSV, UTF-8, header row: `account_number,amount_due,currency,as_of,due_date` (amount with `.`,
dates YYYY-MM-DD, currency ISO 4217 (empty: RUB), due_date may be empty). Bad rows are printed with
their line numbers and the good ones published all the same; an older as-of than one already known,
or the same record again, changes nothing. Exit codes as `meterbot registry import`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from meterbot_contracts import new_envelope
from meterbot_contracts.billing import BalanceRecord
from meterbot_contracts.topics import BILLING_BALANCES_V1, dlq_topic
from meterbot_platform.broker import ensure_topics, envelope_headers, make_producer
from meterbot_platform.settings import KafkaSettings
from pydantic import ValidationError

from meterbot.commands import EXIT_NO_STACK, EXIT_OK, EXIT_USAGE
from meterbot.commands import EXIT_REFUSED as EXIT_BAD_ROWS
from meterbot.commands.registry import NoBroker, kafka_settings

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
    if kafka.kafka_create_topics:
        await ensure_topics(
            kafka.kafka_bootstrap,
            (BILLING_BALANCES_V1, dlq_topic(BILLING_BALANCES_V1)),
            partitions=kafka.kafka_partitions,
            replication_factor=kafka.kafka_replication_factor,
        )
    producer = make_producer(kafka, "meterbot-balances-import")
    await producer.start()
    try:
        pending = []
        for record in records:
            envelope = new_envelope(record, correlation_id=correlation_id)
            pending.append(
                await producer.send(
                    BILLING_BALANCES_V1,
                    envelope.to_bytes(),
                    key=record.account_number.encode(),
                    headers=envelope_headers(envelope),
                )
            )
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


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
        with path.open(newline="", encoding="utf-8") as file:
            result = parse_balances_csv(file)
    except UnicodeDecodeError as exc:
        err.write(f"meterbot balances import: {path}: not UTF-8 text ({exc.reason} at byte {exc.start})\n")
        return EXIT_USAGE
    except OSError as exc:
        err.write(f"meterbot balances import: {path}: {exc.strerror or exc}\n")
        return EXIT_USAGE
    for line, message in result.errors:
        out.write(f"line {line}: {message}\n")
    if not dry_run and result.records:
        run = f"balances-import-{uuid.uuid4()}"
        try:
            settings = kafka or kafka_settings()
        except NoBroker as exc:
            err.write(f"meterbot balances import: {exc}\n")
            return EXIT_NO_STACK
        try:
            await publish(result.records, settings, correlation_id=run)
        except Exception as exc:
            err.write(
                f"meterbot balances import: publishing to Kafka at {settings.kafka_bootstrap} failed "
                f"({type(exc).__name__}: {exc}); is the stack running? start it with `meterbot up`\n"
            )
            return EXIT_NO_STACK
        out.write(f"import {run}\n")
    verb = "would publish" if dry_run else "published"
    out.write(
        f"{verb} {len(result.records)} balances to {BILLING_BALANCES_V1}; bad rows: {len(result.errors)}\n"
    )
    return EXIT_BAD_ROWS if result.errors else EXIT_OK


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(import_balances(args.file, dry_run=args.dry_run))


def register(subparsers: Any) -> None:
    balances = subparsers.add_parser("balances", help="what accounts owe, from billing")
    commands = balances.add_subparsers(dest="balances_command", required=True)
    command = commands.add_parser(
        "import",
        help="publish a balances CSV to meterbot.billing.balances.v1",
        description="Columns: account_number,amount_due,currency,as_of,due_date. Exit code 0: all rows "
        "good; 1: some rows bad (the good ones are published); 2: unreadable file; 3: no running stack "
        "or the broker unreachable.",
    )
    command.add_argument("file", type=Path, help="the CSV file (UTF-8, header row)")
    command.add_argument("--dry-run", action="store_true", help="check and report, publish nothing")
    command.set_defaults(func=_run)
