"""Someone is notified: a malformed command on the local stack is parked on its `.dlq`, a real
Prometheus (the shipped alerts.yml) fires DeadLetterQueueNotEmpty, and a real Alertmanager (the shipped
alertmanager.yml, its webhook pointed at this test) delivers it to the webhook receiver."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiokafka import AIOKafkaProducer
from meterbot_contracts.topics import READINGS_COMMANDS
from meterbot_localstack import free_port
from meterbot_localstack.ports import wait_for_port

from .stack_driver import StackProcess

pytestmark = pytest.mark.e2e

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _binary(*names: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    pytest.fail(f"`{names[0]}` is not installed: apt-get install {names[-1]}", pytrace=False)


@contextmanager
def _process(cmd: list[str], log: Path, port: int, what: str) -> Iterator[None]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    try:
        wait_for_port("127.0.0.1", port, 60, what)
        yield
    finally:
        proc.terminate()
        proc.wait(10)


def alertmanager_config(webhook: str, path: Path) -> Path:
    """The shipped configuration, with its example receiver URL pointed at `webhook` and the grouping
    waits shortened (they batch notifications in production; here they would only slow the test)."""
    config: dict[str, Any] = yaml.safe_load((DEPLOY / "alertmanager" / "alertmanager.yml").read_text())
    for route in (config["route"], *config["route"].get("routes", [])):
        route["group_wait"] = "1s"
    config["route"]["group_interval"] = "1s"
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = webhook
    path.write_text(yaml.safe_dump(config))
    return path


async def test_a_dead_lettered_command_reaches_the_alertmanager_webhook(tmp_path: Path) -> None:
    prometheus_bin = _binary("prometheus")
    alertmanager_bin = _binary("prometheus-alertmanager", "alertmanager", "prometheus-alertmanager")
    received: list[dict[str, Any]] = []
    arrived = asyncio.Event()

    async def webhook(request: web.Request) -> web.Response:
        received.append(await request.json())
        arrived.set()
        return web.Response()

    app = web.Application()
    app.router.add_post("/alerts", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    hook_port, am_port, prom_port = free_port(), free_port(), free_port()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()

    stack = StackProcess(tmp_path)
    state = stack.start()
    targets = [
        {"targets": [f"127.0.0.1:{info['port']}"], "labels": {"service": name}}
        for name, info in state["services"].items()
    ]
    (tmp_path / "targets.json").write_text(json.dumps(targets))
    (tmp_path / "prometheus.yml").write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(DEPLOY / "prometheus" / "alerts.yml")],  # the shipped rules
                "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]},
                "scrape_configs": [
                    {
                        "job_name": "meterbot",
                        "honor_labels": True,
                        "file_sd_configs": [{"files": [str(tmp_path / "targets.json")]}],
                    }
                ],
            }
        )
    )
    alertmanager = [
        alertmanager_bin,
        f"--config.file={alertmanager_config(f'http://127.0.0.1:{hook_port}/alerts', tmp_path / 'am.yml')}",
        f"--storage.path={tmp_path / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{am_port}",
        "--cluster.listen-address=",  # one Alertmanager, no gossip port
    ]
    prometheus = [
        prometheus_bin,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{prom_port}",
    ]
    try:
        with (
            _process(alertmanager, tmp_path / "alertmanager.log", am_port, "Alertmanager"),
            _process(prometheus, tmp_path / "prometheus.log", prom_port, "Prometheus"),
        ):
            producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap)
            await producer.start()
            try:  # not an envelope at all: readings parks it (invalid_envelope) and carries on
                await producer.send_and_wait(READINGS_COMMANDS, b"{not json", key=b"m-1")
            finally:
                await producer.stop()

            deadline = time.monotonic() + 120
            while not (alert := _dlq_alert(received)):
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no DLQ alert at the webhook; got {received}"
                arrived.clear()
                try:
                    await asyncio.wait_for(arrived.wait(), remaining)
                except TimeoutError:
                    pass
        assert alert["status"] == "firing"
        assert alert["labels"]["service"] == "readings"
        assert alert["labels"]["topic"] == READINGS_COMMANDS
        assert alert["labels"]["reason"] == "invalid_envelope"
        assert alert["annotations"]["runbook"].endswith("#deadletterqueuenotempty")
    finally:
        await runner.cleanup()
        assert stack.stop() == 0, stack.log_tail()


def _dlq_alert(notifications: list[dict[str, Any]]) -> dict[str, Any] | None:
    for notification in notifications:
        for alert in notification["alerts"]:
            if alert["labels"].get("alertname") == "DeadLetterQueueNotEmpty":
                return dict(alert)
    return None
