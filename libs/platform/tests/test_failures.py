"""Telling an outage from a bad message, and when a consumer counts as wedged (no I/O)."""

from __future__ import annotations

import time

import asyncpg
import pytest
from aiokafka import errors as kafka_errors
from meterbot_platform.failures import ConsumerHealth, is_transient, through_outages

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "connection refused"),
        ConnectionResetError(),
        TimeoutError(),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.TooManyConnectionsError("too many clients"),
        kafka_errors.KafkaConnectionError(),
        kafka_errors.NotLeaderForPartitionError(),
        kafka_errors.KafkaTimeoutError(),
    ],
)
def test_outages_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("a bug"),
        ValueError("bad value"),
        asyncpg.UniqueViolationError("duplicate key"),
        asyncpg.UndefinedColumnError("no such column"),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
        kafka_errors.MessageSizeTooLargeError(),
    ],
)
def test_faults_of_the_message_or_the_code_are_not(exc: BaseException) -> None:
    assert not is_transient(exc)


def test_an_outage_wrapped_in_another_error_is_still_an_outage() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "refused")
        except OSError as inner:
            raise RuntimeError("could not load the meter") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


async def test_an_outage_is_waited_out_and_pauses_the_consumer_meanwhile() -> None:
    health = ConsumerHealth()
    progress = health.register("c")
    seen: list[bool] = []
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        seen.append(progress.paused_by is not None)
        if calls < 4:
            raise ConnectionRefusedError(111, "refused")
        return "done"

    assert await through_outages(flaky, what="test", progress=progress, first_delay=0.001) == "done"
    assert calls == 4 and seen == [False, True, True, True]
    assert await health.ready()


async def test_a_fault_is_raised_at_once() -> None:
    calls = 0

    async def buggy() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        await through_outages(buggy, what="test", first_delay=0.001)
    assert calls == 1


async def test_a_consumer_stuck_in_one_poll_makes_the_process_not_ready() -> None:
    health = ConsumerHealth(stall_after=30)
    stuck, idle = health.register("stuck"), health.register("idle")
    stuck.busy_since = time.monotonic() - 5
    assert await health.ready()
    stuck.busy_since = time.monotonic() - 31
    assert not await health.ready() and health.stalled() == ["stuck"]
    stuck.busy_since = None
    idle.paused_by = "ConnectionRefusedError"
    assert health.stalled() == ["idle"]


async def test_a_consumer_whose_loop_stopped_fetching_makes_the_process_not_ready() -> None:
    health = ConsumerHealth(stall_after=30)
    alive, dead = health.register("alive"), health.register("dead")
    alive.fetched()
    dead.fetched_at = time.monotonic() - 5
    assert await health.ready()
    dead.fetched_at = time.monotonic() - 31  # idle loops ask every 0.5 s: this one died silently
    assert not await health.ready() and health.stalled() == ["dead"]
