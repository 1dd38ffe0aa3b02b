"""Readings throughput with one and with two readings replicas (`meterbot up --replicas readings=N`).

Each run starts its own stack (own METERBOT_HOME, free ports), imports a registry, links every
account, then sends a burst of ReadingSubmitted straight to Kafka and prints the handled rate
(first send to last answer in the readings database). Run under `flock /work/wt/stack.lock`
on a shared machine; note the load average printed with it."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from meterbot_testing.readings_load import Sender, burst, prepare
from meterbot_testing.upstack import UpStack


async def measure(replicas: int, n: int, workdir: Path) -> float:
    stack = UpStack(workdir, args=("--replicas", f"readings={replicas}"))
    await asyncio.to_thread(stack.start)
    sender = Sender(lambda: stack.bootstrap)
    try:
        load = await prepare(stack, sender, workdir, accounts=50, per_account=4)
        await burst(load, 100, stack.dsn)  # warm up: connections, first polls
        return await burst(load, n, stack.dsn)
    finally:
        await sender.close()
        await asyncio.to_thread(stack.close)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000, help="readings per burst")
    parser.add_argument("--replicas", default="1,2")
    args = parser.parse_args()
    for replicas in (int(r) for r in args.replicas.split(",")):
        with tempfile.TemporaryDirectory(prefix="meterbot-replicas-") as tmp:
            rate = await measure(replicas, args.n, Path(tmp))
        load = [f"{x:.2f}" for x in os.getloadavg()]
        print(
            f"readings replicas={replicas}: {args.n} readings at {rate:6.0f}/s  (load average {' '.join(load)})"
        )


if __name__ == "__main__":
    asyncio.run(main())
