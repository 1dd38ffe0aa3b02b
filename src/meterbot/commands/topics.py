"""`meterbot topics show|apply`: the Kafka topic plan (meterbot_platform.topic_plan) on the broker of
METERBOT_KAFKA_BOOTSTRAP, else of a running `meterbot up`. Partitions and replication come from
METERBOT_KAFKA_PARTITIONS / METERBOT_KAFKA_REPLICATION_FACTOR; TLS/SASL from METERBOT_KAFKA_*."""

from __future__ import annotations

import argparse
import os
from typing import Any

from meterbot_platform import topic_plan

from meterbot import state
from meterbot.commands import command


def register(subparsers: Any) -> None:
    parser = command(subparsers, "topics", help="show or apply the Kafka topic plan", doc=__doc__)
    parser.add_argument("action", choices=("show", "apply", "strimzi"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # The same settings precedence as the other commands: explicit METERBOT_*, then a running stack.
    if not os.environ.get("METERBOT_KAFKA_BOOTSTRAP") and state.read_running() is not None:
        # the local stack: one broker, the partitions `meterbot up` uses
        os.environ.setdefault("METERBOT_KAFKA_REPLICATION_FACTOR", "1")
        os.environ.setdefault("METERBOT_KAFKA_PARTITIONS", "3")
    for name, value in state.settings_env().items():
        if name.startswith("METERBOT_KAFKA_"):
            os.environ.setdefault(name, value)
    return topic_plan.main([args.action])
