"""The service processes `meterbot up` runs: which ones, how many replicas of each, their ports,
and how to start one (meterbot.readiness waits until they are ready)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from meterbot_localstack import free_port
from meterbot_localstack.ports import die_with_parent


@dataclass(frozen=True)
class ServiceProcess:
    name: str
    module: str


SERVICES = (
    ServiceProcess("identity", "identity"),
    ServiceProcess("accounts", "accounts"),
    ServiceProcess("readings", "readings"),
    ServiceProcess("billing-export", "billing_export"),
    ServiceProcess("telegram-gateway", "telegram_gateway"),
)
# The gateway polls Telegram for updates: two pollers of one bot would fight over them.
SINGLE_INSTANCE = frozenset({"telegram-gateway"})
MAX_REPLICAS = 6  # = partitions per topic in production; more replicas of a group would sit idle


@dataclass(frozen=True)
class Instance:
    """One process: a service's replica number 1..n. Replicas share the service's consumer groups
    (Kafka splits the partitions among them) and its database; each has its own HTTP port."""

    service: ServiceProcess
    replica: int

    @property
    def key(self) -> str:
        return self.service.name if self.replica == 1 else f"{self.service.name}#{self.replica}"


def parse_replicas(specs: list[str]) -> dict[str, int]:
    """`readings=2`, `readings=2,accounts=3` (repeatable) -> {"readings": 2, "accounts": 3}."""
    known = {s.name for s in SERVICES}
    replicas: dict[str, int] = {}
    for spec in specs:
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, _, count = item.partition("=")
            if name not in known:
                raise ValueError(f"unknown service {name!r} (one of: {', '.join(sorted(known))})")
            if not count.isdigit() or not 1 <= int(count) <= MAX_REPLICAS:
                raise ValueError(f"{item!r}: the count must be 1..{MAX_REPLICAS}")
            if name in SINGLE_INSTANCE and int(count) > 1:
                raise ValueError(f"{name} runs once: two replicas would both poll Telegram for updates")
            replicas[name] = int(count)
    return replicas


def instances(replicas: dict[str, int]) -> list[Instance]:
    return [Instance(s, r) for s in SERVICES for r in range(1, replicas.get(s.name, 1) + 1)]


def port_of(instance: Instance, port_base: int) -> int:
    """base+1..base+5 for the first replicas (as always); replica r of the i-th service: base+10*r+i."""
    if not port_base:
        port: int = free_port()
        return port
    index = SERVICES.index(instance.service) + 1
    return port_base + index if instance.replica == 1 else port_base + 10 * instance.replica + index


def spawn(instance: Instance, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    child_env = {**env, "METERBOT_HTTP_PORT": str(port), "METERBOT_HTTP_HOST": "127.0.0.1"}
    if instance.replica > 1:
        child_env["METERBOT_KAFKA_CLIENT_ID"] = f"meterbot-{instance.service.name}-{instance.replica}"
    return subprocess.Popen(
        [sys.executable, "-m", instance.service.module],
        env=child_env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C reaches only us; we stop children in order
        preexec_fn=die_with_parent,
    )
