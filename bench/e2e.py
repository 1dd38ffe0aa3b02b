"""End-to-end benchmark of a whole `meterbot up` stack (issue 19): one table of numbers with the
targets beside them, the date, `nproc` and the load average.

    .venv/bin/python bench/e2e.py                 # everything, its own stack in a temporary METERBOT_HOME
    .venv/bin/python bench/e2e.py --quick         # shorter runs, fewer messages and residents
    .venv/bin/python bench/e2e.py --parts service,limits
    .venv/bin/python bench/e2e.py --attach        # a running stack (METERBOT_HOME's stack.json)

Parts: footprint (`meterbot up` time to ready, idle RSS per service, idle CPU of the whole stack,
CPU to import the gateway and to start the CLI), limits (the transport: aiokafka produce + consume
on the same broker; fsync: single-row inserts, one commit each), load (`load_meter` at 1/100/10,000
events), service (ReadingSubmitted straight onto Kafka at 100/300/1000/s and at saturation, timed to
ReadingAccepted on meterbot.readings.events), bot (residents typing a value on the local Bot API
server, 100 residents/s; needs a stack of its own). The stack runs on this machine as everything
else: read the numbers with the load average."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from e2e_stack import Stack, idle_cpu_share, process_name, rss_mb

PARTS = ("footprint", "limits", "load", "service", "bot")
Row = tuple[str, str, str]  # measure, result, target or limit


class Report:
    def __init__(self) -> None:
        self.rows: list[Row | str] = []

    def section(self, title: str) -> None:
        self.rows.append(title)

    def add(self, measure: str, result: str, target: str = "") -> None:
        self.rows.append((measure, result, target))
        print(f"  {measure}: {result}  {target}", file=sys.stderr, flush=True)

    def print(self, header: list[str]) -> None:
        width = max((len(r[0]) for r in self.rows if isinstance(r, tuple)), default=10)
        value_width = max((len(r[1]) for r in self.rows if isinstance(r, tuple)), default=10)
        print()
        for line in header:
            print(line)
        for row in self.rows:
            if isinstance(row, str):
                print(f"\n{row}")
            else:
                print(f"  {row[0]:<{width}}  {row[1]:<{value_width}}  {row[2]}")
        print(flush=True)


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.0f} ms"


def percentiles(values: list[float]) -> str:
    if not values:
        return "no answers"
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    return f"p50 {ms(at(0.5))}  p95 {ms(at(0.95))}  p99 {ms(at(0.99))}"


def git_revision() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty", "--tags"], capture_output=True, text=True
    )
    return done.stdout.strip()


def child_cpu(command: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) a command took to run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, capture_output=True, check=False, timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def footprint(stack: Stack, report: Report, idle_s: float) -> None:
    report.section("footprint")
    if stack.ready_after_s is not None:
        report.add(
            "`meterbot up` start -> every /readyz",
            f"{stack.ready_after_s:.1f} s",
            "target < 20 s (idle machine)",
        )
    # idle: nothing happened for longer than METERBOT_KAFKA_IDLE_AFTER_S (30 s), start-up included
    time.sleep(35)
    for name, pid in stack.services().items():
        report.add(f"idle RSS {name}", f"{rss_mb(pid):.0f} MB", "target < 120 MB")
    pids = stack.all_pids()
    share, each = idle_cpu_share(pids, idle_s)
    by_name: dict[str, float] = {}
    for pid, value in each.items():
        by_name[process_name(pid)] = by_name.get(process_name(pid), 0.0) + value
    top = sorted(by_name.items(), key=lambda kv: -kv[1])
    detail = ", ".join(f"{name} {value * 100:.1f}" for name, value in top if value >= 0.002)
    report.add(
        f"idle CPU, whole stack ({len(pids)} processes, {idle_s:g} s)",
        f"{share * 100:.1f} % of a core",
        "target < 5 %",
    )
    report.add("  busiest idle processes (% of a core)", detail)
    env = {**stack.env, "METERBOT_HOME": str(stack.home)}
    report.add(
        "CPU to import the gateway (telegram_gateway.main)",
        f"{child_cpu([sys.executable, '-c', 'import telegram_gateway.main'], env):.2f} s",
    )
    report.add(
        "CPU to run `meterbot --help`",
        f"{child_cpu([sys.executable, '-m', 'meterbot', '--help'], env):.2f} s",
    )
    report.add(
        "CPU to run `meterbot status`",
        f"{child_cpu([sys.executable, '-m', 'meterbot', 'status'], env):.2f} s",
    )


async def limits(stack: Stack, report: Report, quick: bool) -> dict[str, float]:
    from e2e_service import fsync_limit, transport_limit

    report.section("limits (what the results below are fractions of)")
    rate, round_trips = await transport_limit(
        stack.bootstrap, 5_000 if quick else 20_000, 100 if quick else 300
    )
    report.add("transport: aiokafka produce + consume, same broker", f"{rate:.0f} messages/s")
    report.add("transport round trip at 100/s", percentiles(round_trips))
    one = await fsync_limit(stack.server_dsn, 2 if quick else 4, 1)
    many = await fsync_limit(stack.server_dsn, 2 if quick else 4, 8)
    report.add("fsync: single-row INSERT + COMMIT, 1 connection", f"{one:.0f} rows/s")
    report.add("fsync: single-row INSERT + COMMIT, 8 connections", f"{many:.0f} rows/s")
    return {
        "transport": rate,
        "fsync": one,
        "fsync8": many,
        "round_trip_p50": sorted(round_trips)[len(round_trips) // 2],
    }


async def load(stack: Stack, report: Report) -> None:
    from e2e_loadmeter import load_meter_times

    report.section("load_meter (meter state load, first step of every reading)")
    times = await load_meter_times(stack.server_dsn)
    for size, spent in times.items():
        report.add(f"load_meter at {size:,} events", f"{spent:.1f} ms")
    ratio = times[10_000] / times[1]
    report.add("10,000 events / 1 event", f"{ratio:.1f}x", "target <= 2x")


async def service(stack: Stack, report: Report, quick: bool, limit: dict[str, float]) -> None:
    from e2e_service import prepare_meters, service_level

    meters = 200 if quick else 1000
    report.section(f"service level: ReadingSubmitted -> ReadingAccepted over Kafka ({meters} meters)")
    started = time.perf_counter()
    await prepare_meters(stack, meters)
    print(f"  (registry + {meters} links ready in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    steps = await service_level(stack, meters, 2 if quick else 5, 500 if quick else 3000, 30 if quick else 60)
    for step in steps:
        if not step.sent:
            report.add(step.label, "skipped: the stack fell behind at a lower rate")
            continue
        share = (
            f" = {step.rate / limit['transport'] * 100:.1f} % of transport" if "transport" in limit else ""
        )
        target = ""
        if step.offered == 300:
            target = "target p99 < 100 ms"
        elif step.offered is None:
            target = "target >= 1,500/s"
        answered = f"{step.answered}/{step.sent} answered" + (
            f" ({step.rejected} rejected)" if step.rejected else ""
        )
        report.add(step.label, f"{step.rate:.0f}/s{share}; {answered}; {percentiles(step.latencies)}", target)


async def bot(server: object, report: Report, quick: bool) -> None:
    from e2e_bot import bot_level
    from meterbot_botapi import BotApiServer

    assert isinstance(server, BotApiServer)
    residents = 20 if quick else 100
    report.section(f"bot level: {residents} residents type a value at 100 residents/s (local Bot API server)")
    quiet_s = (15.0, 45.0)  # a pause within a conversation; a quiet spell (consumers idle)
    result = await bot_level(server, residents, 100, quiet_s)
    setup = result.setup_latencies
    report.add("steps before (register, link, menus)", f"{len(setup)} steps; {percentiles(setup)}")
    report.add(
        "typed value -> «Информация сохранена»",
        f"{result.saved}/{residents} saved; {percentiles(result.latencies)}",
        "target p99 < 250 ms",
    )
    for quiet, spent in zip(quiet_s, result.after_quiet, strict=False):
        report.add(f"a value typed after {quiet:g} s of silence (one resident)", ms(spent), "target < 250 ms")
    for failure in result.failures[:3]:
        report.add("  failure", failure)


@contextlib.asynccontextmanager
async def bot_api(enabled: bool) -> AsyncIterator[object | None]:
    if not enabled:
        yield None
        return
    from meterbot_botapi import BotApiServer

    async with BotApiServer("127.0.0.1", 0) as server:
        yield server


async def run(args: argparse.Namespace) -> None:  # noqa: PLR0912 - one branch per part
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if unknown := set(parts) - set(PARTS):
        raise SystemExit(f"unknown parts: {', '.join(sorted(unknown))} (known: {', '.join(PARTS)})")
    report = Report()
    load_before = os.getloadavg()
    started_at = datetime.now(UTC)
    use_bot = "bot" in parts and not args.attach
    async with bot_api(use_bot) as server:
        if args.attach:
            stack = Stack.attach(Path(os.environ.get("METERBOT_HOME", "~/.meterbot")))
        else:
            home = Path(args.home or tempfile.mkdtemp(prefix="meterbot-e2e-"))
            extra = {"METERBOT_GATEWAY_RATE_LIMIT_MESSAGES": "100000"}
            extra |= dict(pair.split("=", 1) for pair in args.env)
            if server is not None:
                from e2e_bot import BOT_TOKEN
                from meterbot_botapi import BotApiServer

                assert isinstance(server, BotApiServer)
                extra |= {"METERBOT_TELEGRAM_TOKEN": BOT_TOKEN, "METERBOT_TELEGRAM_API_URL": server.base_url}
            print(f"starting meterbot up (METERBOT_HOME={home})", file=sys.stderr, flush=True)
            stack = await asyncio.to_thread(Stack.start, home, extra)
        try:
            limit: dict[str, float] = {}
            if "footprint" in parts:
                await asyncio.to_thread(footprint, stack, report, 20 if args.quick else 60)
            if "limits" in parts:
                limit = await limits(stack, report, args.quick)
            if "load" in parts:
                await load(stack, report)
            if "service" in parts:
                await service(stack, report, args.quick, limit)
            if server is not None:
                from e2e_bot import BOT_ACCOUNT, SURNAME
                from e2e_service import import_registry, registry_rows, wait_registered

                residents = 20 if args.quick else 100
                await asyncio.to_thread(
                    import_registry, stack, registry_rows(BOT_ACCOUNT, residents, SURNAME)
                )
                await wait_registered(stack, BOT_ACCOUNT, residents)
                await asyncio.sleep(3)  # the gateway's read model learns the meters from readings' events
                await bot(server, report, args.quick)
            if "footprint" in parts:
                report.section("after the run")
                for name, pid in stack.services().items():
                    report.add(f"RSS {name}", f"{rss_mb(pid):.0f} MB")
        finally:
            if not args.attach:
                await asyncio.to_thread(stack.stop)
    load_after = os.getloadavg()
    revision = await asyncio.to_thread(git_revision)
    report.print(
        [
            f"meterbot end-to-end benchmark, {started_at:%Y-%m-%d %H:%M} UTC, revision {revision or '?'}",
            f"machine: nproc {len(os.sched_getaffinity(0))}, load average {' '.join(f'{x:.2f}' for x in load_before)} at start,"
            f" {' '.join(f'{x:.2f}' for x in load_after)} at end; {'attached to a running stack' if args.attach else 'own stack'}"
            f"{', quick' if args.quick else ''}; took {(datetime.now(UTC) - started_at).total_seconds():.0f} s",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="shorter runs: fewer messages, residents, seconds"
    )
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of: {', '.join(PARTS)}")
    parser.add_argument(
        "--attach", action="store_true", help="use the stack running for METERBOT_HOME (no bot part)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="METERBOT_X=VALUE",
        help="a setting for the stack it starts (repeatable), e.g. METERBOT_KAFKA_FETCH_MAX_WAIT_MS=20",
    )
    parser.add_argument(
        "--home", help="METERBOT_HOME for the stack it starts (default: a new temporary folder)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
