"""`meterbot up --replicas readings=2`: two readings processes in one consumer group split the
command topic's partitions, and every command is handled by exactly one of them, once."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path

import pytest
from meterbot_testing.readings_load import Sender, burst, fetch, prepare
from meterbot_testing.upstack import UpStack

pytestmark = pytest.mark.integration

HANDLED = re.compile(
    r'^meterbot_commands_handled_total\{(?P<labels>[^}]*type="ReadingSubmitted"[^}]*)\} (?P<n>[0-9.e+]+)$',
    re.M,
)


def handled(url: str) -> dict[str, float]:
    """outcome -> ReadingSubmitted messages this process handled, from its /metrics."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as resp:
        text = resp.read().decode()
    found: dict[str, float] = {}
    for m in HANDLED.finditer(text):
        outcome = re.search(r'outcome="([^"]+)"', m["labels"])
        assert outcome is not None
        found[outcome[1]] = found.get(outcome[1], 0) + float(m["n"])
    return found


async def test_two_replicas_split_the_partitions_and_handle_each_command_once(tmp_path: Path) -> None:
    stack = UpStack(tmp_path, args=("--replicas", "readings=2"))
    await asyncio.to_thread(stack.start)
    sender = Sender(lambda: stack.bootstrap)
    try:
        services = stack.read_state()["services"]
        assert {"readings", "readings#2"} <= set(services)
        assert services["readings"]["port"] != services["readings#2"]["port"]
        load = await prepare(stack, sender, tmp_path, accounts=30, per_account=4)
        n = 600
        rate = await burst(load, n, stack.dsn)
        print(f"\n2 readings replicas: {n} readings handled at {rate:.0f}/s")

        per_replica = [handled(services[k]["url"]) for k in ("readings", "readings#2")]
        print(f"handled per replica (outcome -> count): {per_replica}")
        assert all(sum(h.values()) > 0 for h in per_replica), "one replica got no partition"
        assert sum(h.get("duplicate", 0) for h in per_replica) == 0  # no redelivery between them
        assert sum(sum(h.values()) for h in per_replica) == n  # each command by one replica, once
        rows = await fetch(
            stack.dsn("readings"),
            "SELECT metadata->>'causation_id' AS cause, count(*) AS n FROM events"
            " WHERE type IN ('ReadingAccepted', 'ReadingRejected') GROUP BY 1",
        )
        answers = {r["cause"]: r["n"] for r in rows}
        readings = [
            str(k) for k, (topic, _, _) in load.ledger.sent.items() if topic.endswith("readings.commands")
        ]
        assert [k for k in readings if answers.get(k) != 1] == []
    finally:
        await sender.close()
        await asyncio.to_thread(stack.close)
