"""Issue 12 item 1: the outbox and projection lag gauges are measured from the database on their own
timer, so they rise while publishing fails, and OutboxLagGrowing fires on a real Prometheus that
scrapes the service's real /metrics endpoint."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from meterbot_localstack import free_port
from meterbot_platform.eventstore import EventStore, NewEvent, RecordedEvent
from meterbot_platform.http import health_app, start_http
from meterbot_platform.outbox import OutboxRelay
from meterbot_platform.projection import ProjectionRunner
from prometheus_client import REGISTRY

pytestmark = pytest.mark.integration
ALERTS = Path(__file__).resolve().parents[3] / "deploy" / "prometheus" / "alerts.yml"


async def failing_publish(_: Sequence[RecordedEvent]) -> None:
    raise ConnectionError("the broker is down")


class FailingProjection:
    name = "failing"

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        raise RuntimeError("a poison event")

    async def clear(self, conn: asyncpg.Connection) -> None:
        pass


def gauge(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def until(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.2)):
        if await condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def append_three(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        for n in range(3):
            await EventStore().append(conn, f"s{n}", [NewEvent("Tick", 1, {}, correlation_id="c")], 0)


async def test_lag_gauges_rise_while_publishing_and_applying_fail(pool: asyncpg.Pool) -> None:
    relay = OutboxRelay(pool, failing_publish, service="lag-a", poll_interval=0.1, lag_interval=0.1)
    runner = ProjectionRunner(pool, FailingProjection(), service="lag-a", poll_interval=0.1, lag_interval=0.1)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(runner.run())]
    try:
        await append_three(pool)

        async def lagging() -> bool:
            return (
                gauge("meterbot_outbox_unpublished_events", service="lag-a") == 3
                and gauge("meterbot_outbox_oldest_unpublished_age_seconds", service="lag-a") > 0
                and gauge("meterbot_projection_lag_events", service="lag-a", projection="failing") == 3
            )

        await until(lagging, "the lag gauges to show 3 events behind")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def query(base: str, expr: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def alert_expr(name: str) -> str:
    rules = [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]
    return str(next(r["expr"] for r in rules if r.get("alert") == name))


async def test_outbox_lag_growing_is_true_on_prometheus_while_the_broker_fails(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    binary = shutil.which("prometheus")
    if not binary:
        pytest.fail("the `prometheus` server is not installed: apt-get install prometheus", pytrace=False)
    metrics_port, prom_port = free_port(), free_port()
    http = await start_http(health_app({}), "127.0.0.1", metrics_port)
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        f"  - {{job_name: meterbot, static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]}}\n"
    )
    prometheus = subprocess.Popen(
        [
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "prometheus.log", "wb"),  # noqa: SIM115
    )
    relay = OutboxRelay(pool, failing_publish, service="lag-b", poll_interval=0.2, lag_interval=0.2)
    task = asyncio.create_task(relay.run())
    base = f"http://127.0.0.1:{prom_port}"
    expr = alert_expr("OutboxLagGrowing")
    try:
        await append_three(pool)
        # stored ten minutes ago, while the broker was already failing
        await pool.execute("UPDATE events SET recorded_at = recorded_at - interval '10 minutes'")

        async def firing() -> bool:
            try:
                result = query(base, expr)
            except OSError:
                return False  # Prometheus is still starting
            return any(r["metric"].get("service") == "lag-b" for r in result)

        await until(firing, f"{expr} on Prometheus", timeout=90)
        [unpublished] = query(base, 'meterbot_outbox_unpublished_events{service="lag-b"}')
        assert unpublished["value"][1] == "3"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        prometheus.terminate()
        prometheus.wait(10)
        await http.cleanup()
