"""`meterbot up` waits for its services as long as METERBOT_UP_READY_TIMEOUT_S says, reports each
one as it becomes ready and the ones still starting, and a timeout names the slow service."""

from __future__ import annotations

import logging
import subprocess
from typing import cast

import pytest

from meterbot import readiness

pytestmark = pytest.mark.unit


class FakeProcess:
    def __init__(self, exit_code: int | None = None) -> None:
        self.returncode = exit_code

    def poll(self) -> int | None:
        return self.returncode


class Machine:
    """A clock that moves only when the waiter pauses, and services ready from a given second."""

    def __init__(self, ready_at: dict[int, float]) -> None:
        self.now, self.ready_at = 0.0, ready_at

    def clock(self) -> float:
        return self.now

    def pause(self, seconds: float) -> None:
        self.now += seconds

    def is_ready(self, port: int) -> bool:
        return self.now >= self.ready_at[port]


def _procs(*names: str, exited: str = "") -> dict[str, subprocess.Popen[bytes]]:
    return {n: cast(subprocess.Popen[bytes], FakeProcess(1 if n == exited else None)) for n in names}


def test_each_service_is_reported_ready_and_the_slow_one_is_named_while_waiting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    machine = Machine({1: 2.0, 2: 25.0})
    with caplog.at_level(logging.INFO, "meterbot.up"):
        readiness.wait_ready(
            _procs("identity", "telegram-gateway"),
            {"identity": 1, "telegram-gateway": 2},
            timeout=60,
            is_ready=machine.is_ready,
            clock=machine.clock,
            pause=machine.pause,
        )
    lines = caplog.messages
    assert any(line.startswith("identity ready after 2 s") for line in lines)
    assert any(line.startswith("telegram-gateway ready after 25 s") for line in lines)
    still = [line for line in lines if line.startswith("still starting")]
    assert still and all(line.endswith(": telegram-gateway") for line in still)


def test_a_timeout_names_the_slow_service_and_the_setting() -> None:
    machine = Machine({1: 0.0, 2: 1000.0})
    with pytest.raises(TimeoutError) as raised:
        readiness.wait_ready(
            _procs("identity", "readings"),
            {"identity": 1, "readings": 2},
            timeout=30,
            is_ready=machine.is_ready,
            clock=machine.clock,
            pause=machine.pause,
        )
    assert str(raised.value).startswith("readings not ready after 30 s")
    assert readiness.READY_TIMEOUT_ENV in str(raised.value)


def test_a_service_that_exits_while_starting_is_named() -> None:
    machine = Machine({1: 50.0})
    with pytest.raises(RuntimeError, match="accounts exited with 1"):
        readiness.wait_ready(
            _procs("accounts", exited="accounts"),
            {"accounts": 1},
            timeout=30,
            is_ready=machine.is_ready,
            clock=machine.clock,
            pause=machine.pause,
        )


@pytest.mark.parametrize(("raw", "expected"), [("", 300.0), ("600", 600.0), ("90.5", 90.5)])
def test_the_timeout_is_a_setting(monkeypatch: pytest.MonkeyPatch, raw: str, expected: float) -> None:
    monkeypatch.setenv(readiness.READY_TIMEOUT_ENV, raw)
    assert readiness.ready_timeout() == expected


@pytest.mark.parametrize("raw", ["soon", "0", "-5"])
def test_a_bad_timeout_setting_is_refused_clearly(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(readiness.READY_TIMEOUT_ENV, raw)
    with pytest.raises(ValueError, match=readiness.READY_TIMEOUT_ENV):
        readiness.ready_timeout()
