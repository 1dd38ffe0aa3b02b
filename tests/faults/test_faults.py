"""Fault injection on a whole `meterbot up` stack under steady load (issue 17, "Must show").

Readings flow all along while, in turn, processes are killed with SIGKILL, the stack is stopped
with Ctrl-C and started again, and a 3 MB record lands on each command topic. Afterwards every
acknowledged command has exactly one answer, every accepted reading is in billing-export exactly
once (its events and the public topic) and in the gateway's view, and no good message was parked.

The short form (kill -9 of readings, of PostgreSQL, of the broker; the 3 MB records) runs in the
default suite; METERBOT_FAULTS_LONG=1 runs every fault: each service, PostgreSQL kept down ~20 s,
the broker, Ctrl-C and restart."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, IDENTITY_COMMANDS, READINGS_COMMANDS
from meterbot_testing.readings_load import Load, Sender, fetch, registry_csv
from meterbot_testing.upstack import UpStack

from .verdict import BAD_KEY, DeadLetterWatch, settled

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1800)]

LONG = os.environ.get("METERBOT_FAULTS_LONG") == "1"
SERVICES = ("identity", "accounts", "readings", "billing-export", "telegram-gateway")
RATE = 15.0  # readings a second
POSTGRES_OUTAGE = 20.0


class Run:
    def __init__(self, stack: UpStack) -> None:
        self.stack = stack
        self.sender = Sender(lambda: stack.bootstrap)
        self.watch = DeadLetterWatch(lambda: stack.bootstrap)
        self.log: list[str] = []

    def note(self, text: str) -> None:
        line = f"[{time.strftime('%H:%M:%S')}] {text}"
        self.log.append(line)
        print(line, flush=True)

    async def recovered(self, load: Load, gone: int | None = None) -> None:
        took = await asyncio.to_thread(self.stack.wait_recovered, 240, gone=gone)
        again = await load.resend_unanswered(self.stack.dsn)
        self.note(f"  recovered in {took:.1f}s; {again} unanswered commands sent again")


async def _kill(run: Run, load: Load, what: str) -> None:
    run.note(f"kill -9 {what}")
    pid = run.stack.kill(what)
    await run.recovered(load, gone=pid)


async def _postgres_outage(run: Run, load: Load) -> None:
    """Kill every postmaster the supervisor starts for ~20 s: an outage, not a blip."""
    run.note(f"PostgreSQL down for {POSTGRES_OUTAGE:.0f}s (kill -9, and again whenever it is back)")
    until = time.monotonic() + POSTGRES_OUTAGE
    killed: set[int] = set()
    while time.monotonic() < until:
        state = run.stack.read_state()
        pid = int(state["extras"]["postgres_pid"])
        if pid not in killed:
            killed.add(run.stack.kill("postgres"))
        await asyncio.sleep(0.2)
    await run.recovered(load, gone=max(killed))


async def _ctrl_c_and_start(run: Run, load: Load) -> None:
    run.note("Ctrl-C, then meterbot up again with the same METERBOT_HOME")
    code = await asyncio.to_thread(run.stack.interrupt)
    assert code == 0, run.stack.log_tail()
    await asyncio.to_thread(run.stack.start)
    await run.recovered(load)


async def _oversized(run: Run, load: Load) -> None:
    run.note("a 3 MB record on each command topic")
    for topic in (IDENTITY_COMMANDS, ACCOUNTS_COMMANDS, READINGS_COMMANDS):
        await run.sender.send(topic, BAD_KEY.decode(), b"x" * (3 << 20), [])
    await asyncio.sleep(5)  # the load goes on behind them on the same partitions


Fault = Callable[[Run, Load], Awaitable[None]]


def _faults() -> list[tuple[str, Fault]]:
    if not LONG:
        return [
            ("readings", lambda r, ld: _kill(r, ld, "readings")),
            ("postgres", lambda r, ld: _kill(r, ld, "postgres")),  # back at once
            ("broker", lambda r, ld: _kill(r, ld, "broker")),
            ("oversized", _oversized),
        ]
    kills: list[tuple[str, Fault]] = [(s, lambda r, ld, s=s: _kill(r, ld, s)) for s in SERVICES]  # type: ignore[misc]
    return [
        *kills,
        ("postgres", _postgres_outage),
        ("broker", lambda r, ld: _kill(r, ld, "broker")),
        ("ctrl-c", _ctrl_c_and_start),
        ("oversized", _oversized),
    ]


@pytest.fixture
async def run(tmp_path: Path) -> AsyncIterator[Run]:
    stack = UpStack(tmp_path)
    await asyncio.to_thread(stack.start)
    run = Run(stack)
    run.watch.start()
    try:
        yield run
    finally:
        await run.watch.stop()
        await run.sender.close()
        await asyncio.to_thread(stack.close)


async def test_nothing_lost_under_faults(run: Run, tmp_path: Path) -> None:
    accounts, per_account = (40, 5) if not LONG else (100, 10)
    csv_text, meters = registry_csv(accounts, per_account)
    (tmp_path / "registry.csv").write_text(csv_text, encoding="utf-8")
    imported = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "meterbot", "registry", "import", str(tmp_path / "registry.csv")],
        env=run.stack.env,
        capture_output=True,
        text=True,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    load = Load(run.sender, meters, RATE)
    await _wait_for(lambda: _meters_known(run, len(meters)), 120, "the registry reached readings")
    await load.link_all()
    await _wait_for(lambda: _links_known(run, accounts), 120, "the links reached readings")

    stop = asyncio.Event()
    steady = asyncio.create_task(load.run(stop))
    started = time.monotonic()
    try:
        await asyncio.sleep(3)
        for name, fault in _faults():
            run.note(f"fault: {name}")
            await fault(run, load)
            await asyncio.sleep(2)
            await _phase_answered(run, load, name)
    finally:
        stop.set()
        await steady
    run.note(f"load stopped after {time.monotonic() - started:.0f}s; {len(load.ledger.sent)} commands")
    await load.resend_unanswered(run.stack.dsn)  # the last ones, as a gateway restart would
    counts = await settled(load.ledger, run.stack.dsn, lambda: run.stack.bootstrap, run.watch, patience=120)
    run.note(counts.summary(load.ledger))
    problems = {k: v for k, v in counts.problems(load.ledger).items() if v}
    assert problems == {}, "\n".join(run.log)


async def _phase_answered(run: Run, load: Load, name: str, patience: float = 60) -> None:
    """Whether every command sent so far got its answer (while the load goes on): which fault
    broke the guarantee, not only that one did. The final verdict asserts."""
    due = set(load.ledger.sent)
    deadline = time.monotonic() + patience
    while (missing := due - load.ledger.answered) and time.monotonic() < deadline:
        await asyncio.sleep(1)
        await load.refresh_answers(run.stack.dsn)
    verdict = "ok" if not missing else f"{len(missing)} STILL UNANSWERED after {patience:.0f}s"
    run.note(f"  after {name}: {len(due) - len(missing)} of {len(due)} commands answered: {verdict}")


async def _meters_known(run: Run, n: int) -> bool:
    rows = await fetch(
        run.stack.dsn("readings"), "SELECT count(*) AS n FROM events WHERE type = 'MeterRegistered'"
    )
    return bool(rows[0]["n"] >= n)


async def _links_known(run: Run, n: int) -> bool:
    rows = await fetch(run.stack.dsn("readings"), "SELECT count(*) AS n FROM chat_links")
    return bool(rows[0]["n"] >= n)


async def _wait_for(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"not in {timeout}s: {what}"
        await asyncio.sleep(0.5)
