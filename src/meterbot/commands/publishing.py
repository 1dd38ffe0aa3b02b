"""Publishing from the command line, shared by `registry import` and `balances import`: where the
broker is (explicit METERBOT_KAFKA_* settings, then a running `meterbot up` stack), one bulk send of
envelopes to a topic, the end of an import run (publish, summary, exit code), reading its file, and the
`<group> import FILE [--dry-run]` command line."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, TextIO, TypeVar

from meterbot_contracts.topics import dlq_topic
from meterbot_platform.broker import Outgoing, ensure_topics, running_producer, send_in_windows
from meterbot_platform.settings import KafkaSettings

from meterbot import state
from meterbot.commands import EXIT_NO_STACK, EXIT_OK, EXIT_REFUSED, NO_STACK

T = TypeVar("T")
IN_FLIGHT = 5000  # records sent before waiting for their acknowledgements


class NoBroker(Exception):
    """Nowhere to publish: no running stack and no METERBOT_KAFKA_BOOTSTRAP."""


def kafka_settings() -> KafkaSettings:
    """Explicit METERBOT_KAFKA_* settings win, then a running `meterbot up` stack."""
    env = state.settings_env()
    if "METERBOT_KAFKA_BOOTSTRAP" not in env:
        raise NoBroker(f"{NO_STACK} (or set METERBOT_KAFKA_BOOTSTRAP)")
    fields: dict[str, Any] = {
        name.removeprefix("METERBOT_").lower(): value
        for name, value in env.items()
        if name.startswith("METERBOT_KAFKA_")
    }
    return KafkaSettings(**fields)


async def publish_envelopes(
    kafka: KafkaSettings,
    topic: str,
    messages: Iterable[Outgoing],
    *,
    client_id: str,
    acknowledged: Callable[[int], object] = lambda n: None,
) -> None:
    """Every message to `topic` (created with its DLQ first when the settings say so); returns once the
    broker acknowledged all. The platform's bulk producer: FastStream's per-message path tripled the
    time of a 35,000-record import."""
    if kafka.kafka_create_topics:
        await ensure_topics(
            kafka.kafka_bootstrap,
            (topic, dlq_topic(topic)),
            partitions=kafka.kafka_partitions,
            replication_factor=kafka.kafka_replication_factor,
        )
    async with running_producer(kafka, client_id) as producer:
        await send_in_windows(producer, messages, window=IN_FLIGHT, acknowledged=acknowledged)


class ImportFailed(Exception):
    """The file failed us: exit code 2, with this message."""


def read_text(path: Path, parse: Callable[[TextIO], T]) -> T:
    """`parse(file)` of the UTF-8 file at `path` (ImportFailed if it cannot be read or is not UTF-8)."""
    try:
        with path.open(newline="", encoding="utf-8") as file:
            return parse(file)
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ImportFailed(f"{path}: {exc.strerror or exc}") from None


async def publish_import(
    command: str,
    publish: Callable[[KafkaSettings, str], Awaitable[None]],
    kafka: KafkaSettings | None,
    *,
    dry_run: bool,
    records: int,
    summary: str,
    bad_rows: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """The end of an import: unless `dry_run` (or nothing to publish), `publish(settings, run)` with
    `kafka` (None: kafka_settings()), where `run` (`<command>-<uuid>`, e.g. registry-import-...) is the
    correlation id naming the whole run, printed as `import <run>`; then `published <summary>` (or
    `would publish`). The exit code: EXIT_NO_STACK (told on `err`) when publishing failed, else
    EXIT_REFUSED if there were bad rows, else EXIT_OK."""
    if not dry_run and records:
        run = f"{command.replace(' ', '-')}-{uuid.uuid4()}"
        try:
            settings = kafka or kafka_settings()
        except NoBroker as exc:
            err.write(f"meterbot {command}: {exc}\n")
            return EXIT_NO_STACK
        try:
            await publish(settings, run)
        except Exception as exc:
            err.write(
                f"meterbot {command}: publishing to Kafka at {settings.kafka_bootstrap} failed "
                f"({type(exc).__name__}: {exc}); is the stack running? start it with `meterbot up`\n"
            )
            return EXIT_NO_STACK
        out.write(f"import {run}\n")
    out.write(f"{'would publish' if dry_run else 'published'} {summary}\n")
    return EXIT_REFUSED if bad_rows else EXIT_OK


def import_command(
    subparsers: Any,
    group: str,
    *,
    group_help: str,
    help: str,
    description: str,
    run: Callable[[Path, bool], Coroutine[Any, Any, int]],
) -> None:
    """`meterbot <group> import FILE [--dry-run]`, which runs `run(file, dry_run)`."""
    commands = subparsers.add_parser(group, help=group_help).add_subparsers(
        dest=f"{group}_command", required=True
    )
    command = commands.add_parser("import", help=help, description=description)
    command.add_argument("file", type=Path, help="the CSV file (UTF-8, header row)")
    command.add_argument("--dry-run", action="store_true", help="check and report, publish nothing")
    command.set_defaults(func=lambda args: asyncio.run(run(args.file, args.dry_run)))
