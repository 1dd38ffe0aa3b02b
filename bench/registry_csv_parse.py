"""Measurement: parsing (and validating) a 100k-row registry CSV in memory, no broker. Prints rows per
second; the goal is the whole 100k-row import under a minute (bench/registry_import_stack.py), of
which parsing should be a small part (~1.5 s on a laptop).

    .venv/bin/python bench/registry_csv_parse.py [--accounts N]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator

from meterbot.registry_csv import REGISTRY_HEADER, parse_registry_csv


def registry(accounts: int) -> Iterator[str]:
    """Two meters an account: 2 * accounts rows."""
    yield ",".join(REGISTRY_HEADER) + "\n"
    for i in range(accounts):
        account = f'{i:08d},Фамилия-{i},"г. Москва, ул. Ленина, д. {i}"'
        yield f"{account},C{i},cold_water,SN{i},2030-01-01,{i}.125,2025-02-25\n"
        yield f"{account},H{i},hot_water,SN{i},,{i},2025-02-25\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=50_000)
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    result = parse_registry_csv(registry(args.accounts))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = 2 * args.accounts
    assert not result.errors, result.errors[:3]
    print(
        f"parsed {rows} rows ({len(result.records)} accounts) in {wall:.2f} s wall, {cpu:.2f} s CPU: "
        f"{rows / wall:,.0f} rows/s (load average {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
