"""`meterbot` commands import only what they run: `status`, `export` and `up`'s argument parsing do
not pay for Kafka clients, the contracts and the accounts domain (seconds of CPU on a busy machine)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = """
import json, sys
from meterbot import cli
cli.build_parser(sys.argv[1:])
heavy = ("faststream", "aiokafka", "accounts", "meterbot_contracts", "pydantic")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)))
"""


@pytest.mark.parametrize("argv", [["status"], ["export", "--help"], ["up", "--demo"]])
def test_a_command_imports_no_kafka_client_contracts_or_domain(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_help_still_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "meterbot", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("up", "status", "registry", "export"):
        assert command in done.stdout
