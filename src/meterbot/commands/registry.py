"""`meterbot registry import FILE.csv [--dry-run]`: the billing registry CSV (DESIGN §4) onto
meterbot.billing.registry.v1, one RegistryRecord (an account with all its meters) per message, keyed
by account number. accounts and readings consume it; a re-import of the same content changes nothing.

The whole file is validated before anything is published, as the bot and the services will see it
(meterbot.registry_csv): bad rows are printed with their line numbers, with the accounts held back
because of them; the good accounts are published all the same. Exit code: 0 all rows good, 1 some
rows bad, 2 usage error or unreadable file, 3 no running stack or the broker unreachable. A running
`meterbot up` stack is found by its state file; otherwise METERBOT_KAFKA_BOOTSTRAP /
METERBOT_KAFKA_IDEMPOTENT say where to publish."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from meterbot_contracts import new_envelope
from meterbot_contracts.billing import RegistryRecord
from meterbot_contracts.topics import BILLING_REGISTRY_V1
from meterbot_platform.settings import KafkaSettings

from meterbot.commands import EXIT_USAGE
from meterbot.commands.publishing import (
    ImportFailed,
    import_command,
    publish_envelopes,
    publish_import,
    read_text,
)
from meterbot.registry_csv import RegistryParseResult, parse_registry_csv

PROGRESS_FROM_BYTES = 1 << 20  # files this large get a progress line on a terminal


class Progress:
    """A plain-text progress line on a terminal (\\r, no dependency), at most ten updates a second."""

    def __init__(self, stream: TextIO, label: str, total: int, *, enabled: bool, unit: str = "") -> None:
        self._stream, self._label, self._total, self._unit = stream, label, max(total, 1), unit
        self._enabled, self._done, self._shown_at = enabled, 0, 0.0

    def advance(self, amount: int) -> None:
        self._done += amount
        if self._enabled and time.monotonic() - self._shown_at >= 0.1:
            self._show()

    def finish(self) -> None:
        if self._enabled:
            self._done = max(self._done, self._total)
            self._show()
            self._stream.write("\n")
            self._stream.flush()

    def _show(self) -> None:
        self._shown_at = time.monotonic()
        share = min(self._done / self._total, 1.0)
        bar = "#" * int(share * 30)
        self._stream.write(
            f"\r{self._label:<11}[{bar:<30}] {share:4.0%} {self._done}/{self._total}{self._unit}"
        )
        self._stream.flush()


def _counted(lines: Iterable[str], progress: Progress) -> Iterator[str]:
    for line in lines:
        progress.advance(len(line.encode()))
        yield line


def read_registry(path: Path, *, progress: bool, err: TextIO) -> RegistryParseResult:
    """Parse the file as it streams in (ImportFailed if it cannot be read or is not UTF-8)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFailed(f"{path}: {exc.strerror or exc}") from None
    bar = Progress(err, "reading", size, enabled=progress and size >= PROGRESS_FROM_BYTES, unit=" B")
    result = read_text(path, lambda file: parse_registry_csv(_counted(file, bar)))
    bar.finish()
    return result


def report(result: RegistryParseResult, out: TextIO) -> None:
    """Bad rows by line number, then the accounts held back because of them."""
    for error in result.errors:
        out.write(f"line {error.line_number}: {error.message}\n")
    if result.held_back:
        out.write(f"held back (not imported, a row of theirs is bad): {', '.join(result.held_back)}\n")


async def publish(
    records: Sequence[RegistryRecord], kafka: KafkaSettings, *, correlation_id: str, progress: Progress
) -> None:
    """Each record as an envelope keyed by account number; returns once the broker acknowledged all.
    One correlation id names the whole import run."""
    messages = (
        (BILLING_REGISTRY_V1, r.account_number, new_envelope(r, correlation_id=correlation_id))
        for r in records
    )
    await publish_envelopes(
        kafka,
        BILLING_REGISTRY_V1,
        messages,
        client_id="meterbot-registry-import",
        acknowledged=progress.advance,
    )
    progress.finish()


async def import_registry(
    path: Path,
    *,
    kafka: KafkaSettings | None = None,
    dry_run: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    progress: bool | None = None,
) -> int:
    """The whole command; the exit code. out/err default to sys.stdout/sys.stderr; progress=None: a
    progress line when err is a terminal."""
    out, err = out or sys.stdout, err or sys.stderr
    show = err.isatty() if progress is None else progress
    try:
        result = read_registry(path, progress=show, err=err)
    except ImportFailed as exc:
        err.write(f"meterbot registry import: {exc}\n")
        return EXIT_USAGE
    report(result, out)
    records = result.records
    meters = sum(len(r.meters) for r in records)
    bar = Progress(err, "publishing", len(records), enabled=show and len(records) >= 1000)
    return await publish_import(
        "registry import",
        lambda settings, run: publish(records, settings, correlation_id=run, progress=bar),
        kafka,
        dry_run=dry_run,
        records=len(records),
        summary=f"{_count(len(records), 'account')} with {_count(meters, 'meter')} to {BILLING_REGISTRY_V1}; "
        f"bad rows: {len(result.errors)}, accounts held back: {len(result.held_back)}",
        bad_rows=bool(result.errors),
        out=out,
        err=err,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def register(subparsers: Any) -> None:
    """Add `registry import FILE [--dry-run]` to the `meterbot` command."""
    import_command(
        subparsers,
        "registry",
        group_help="the billing registry (accounts and meters)",
        help="publish a registry CSV to meterbot.billing.registry.v1",
        description="Columns: account_number,surname,address,meter_id,meter_type,serial_number,"
        "verified_until,last_value,last_value_date. Exit code 0: all rows good; 1: some rows bad "
        "(the good accounts are published); 2: usage error or unreadable file; 3: no running stack "
        "or the broker unreachable.",
        run=lambda file, dry_run: import_registry(file, dry_run=dry_run),
    )
