"""`meterbot status`: one line a service with its health and readiness, read from the services'
own /healthz and /readyz (here: the platform's health app on local ports)."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
from pathlib import Path

import pytest
from meterbot_localstack import free_port
from meterbot_platform.http import health_app, start_http

from meterbot import state
from meterbot.commands import status

pytestmark = pytest.mark.integration


async def ok() -> bool:
    return True


async def broken() -> bool:
    return False


async def test_status_is_a_table_of_each_service_and_says_which_is_not_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METERBOT_HOME", str(tmp_path))
    ready_port, unready_port, dead_port = free_port(), free_port(), free_port()
    ready = await start_http(health_app({"postgres": ok, "kafka": ok}), "127.0.0.1", ready_port)
    unready = await start_http(health_app({"postgres": ok, "kafka": broken}), "127.0.0.1", unready_port)
    try:
        services: dict[str, dict[str, int | str]] = {
            name: {"pid": os.getpid(), "port": port, "url": f"http://127.0.0.1:{port}"}
            for name, port in (("accounts", ready_port), ("readings", unready_port), ("identity", dead_port))
        }
        running = state.StackState(
            "postgresql://postgres@127.0.0.1:5/postgres", "127.0.0.1:9", False, 1, services
        )
        out = io.StringIO()
        code = await asyncio.to_thread(status.show, running, out)
    finally:
        await ready.cleanup()
        await unready.cleanup()
    lines = out.getvalue().splitlines()
    assert code == 1
    header = next(line for line in lines if line.startswith("SERVICE"))
    assert header.split() == ["SERVICE", "PID", "URL", "ALIVE", "READY", "DETAIL"]
    rows = {line.split()[0]: line for line in lines[lines.index(header) + 1 :]}
    assert rows["accounts"].split()[3:5] == ["yes", "yes"]
    assert rows["readings"].split()[3:] == ["yes", "NO", "failing:", "kafka"]
    assert rows["identity"].split()[3:6] == ["NO", "NO", "not"]
    assert "{" not in out.getvalue()  # a table, not raw JSON


def test_no_stack_exits_3_and_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("METERBOT_HOME", str(tmp_path))
    assert status.run(argparse.Namespace()) == 3
    assert "no running stack; start it with `meterbot up`" in capsys.readouterr().err
