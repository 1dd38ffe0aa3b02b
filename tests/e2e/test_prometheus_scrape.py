"""Ops see the stack on a real Prometheus server: it scrapes every service of `meterbot up`;
after readings are accepted, the accepted-readings counter and `up` answer through its HTTP API."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from meterbot_contracts.accounts import AccountLinkRequested
from meterbot_contracts.readings import ReadingSubmitted
from meterbot_contracts.topics import ACCOUNTS_COMMANDS, ACCOUNTS_EVENTS, READINGS_COMMANDS, READINGS_EVENTS
from meterbot_localstack import free_port
from meterbot_testing.bus import Bus, eventually

from .stack_driver import StackProcess, fetchval
from .test_scenario_services import registry_csv

pytestmark = pytest.mark.e2e


def _prometheus_binary() -> str:
    found = shutil.which("prometheus")
    if not found:
        pytest.fail("the `prometheus` server is not installed: apt-get install prometheus", pytrace=False)
    return found


def _query(base: str, expr: str) -> list[dict]:  # type: ignore[type-arg]
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return list(body["data"]["result"])


async def _until_value(base: str, expr: str, predicate, timeout: float = 60) -> float:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = _query(base, expr)
        if result and predicate(float(result[0]["value"][1])):
            return float(result[0]["value"][1])
        assert time.monotonic() < deadline, f"{expr} -> {result}"
        await asyncio.sleep(0.5)


async def test_prometheus_scrapes_the_stack_and_counts_accepted_readings(tmp_path: Path) -> None:
    binary = _prometheus_binary()
    stack = StackProcess(tmp_path)
    state = stack.start()
    port = free_port()
    targets = [
        {"targets": [f"127.0.0.1:{info['port']}"], "labels": {"service": name}}
        for name, info in state["services"].items()
    ]
    (tmp_path / "targets.json").write_text(json.dumps(targets))
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: meterbot\n"
        f"    file_sd_configs: [{{files: ['{tmp_path / 'targets.json'}']}}]\n"
    )
    prometheus = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "prometheus.log", "wb"),  # noqa: SIM115
    )
    base = f"http://127.0.0.1:{port}"
    try:
        (tmp_path / "registry.csv").write_text(registry_csv(), encoding="utf-8")
        stack.cli("registry", "import", str(tmp_path / "registry.csv"))
        async with Bus(stack.bootstrap, [ACCOUNTS_EVENTS, READINGS_EVENTS]) as bus:
            await bus.wait(lambda e: e.type == "MeterRegistered" and e.payload["meter_id"] == "hw-1001", 60)
            linked = await bus.answer(
                await bus.send(
                    ACCOUNTS_COMMANDS,
                    AccountLinkRequested(chat_id=777, account_number="1001", surname="Мамин-Сибиряк"),
                    key="1001",
                )
            )
            assert linked.type == "AccountLinked"

            async def processed() -> bool:
                return bool(
                    await fetchval(
                        stack.dsn("readings"), "SELECT 1 FROM inbox WHERE message_id = $1", linked.message_id
                    )
                )

            await eventually(processed, True)
            for meter, value in (("cw-1001", "251"), ("hw-1001", "101"), ("hw-1001", "1")):
                answer = await bus.answer(
                    await bus.send(
                        READINGS_COMMANDS,
                        ReadingSubmitted(chat_id=777, account_number="1001", meter_id=meter, raw_value=value),
                        key=meter,
                    )
                )
                assert answer.type in {"ReadingAccepted", "ReadingRejected"}

        up = await _until_value(base, 'up{service="readings"}', lambda v: v == 1)
        accepted = await _until_value(base, "sum(meterbot_readings_accepted_total)", lambda v: v >= 2)
        rejected = await _until_value(
            base, 'sum(meterbot_readings_rejected_total{reason="below_previous"})', lambda v: v >= 1
        )
        assert (up, accepted, rejected) == (1, 2, 1)
        # every service scraped healthy (a scrape under load may time out once: wait, don't sample)
        deadline = time.monotonic() + 60
        while (up_now := {r["metric"]["service"] for r in _query(base, "up == 1")}) != set(state["services"]):
            assert time.monotonic() < deadline, f"up == 1 only for {up_now}"
            await asyncio.sleep(0.5)
    finally:
        prometheus.terminate()
        prometheus.wait(10)
        assert stack.stop() == 0, stack.log_tail()
