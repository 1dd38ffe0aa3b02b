"""`meterbot status`: the running stack, one line a service with its health (/healthz) and readiness
(/readyz: its database and broker answer). Exit code 0 all ready, 1 a service is not, 3 no stack."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TextIO

from meterbot import state
from meterbot.commands import EXIT_NO_STACK, EXIT_OK, EXIT_REFUSED, NO_STACK

TIMEOUT = 3.0  # seconds a service may take to answer a probe


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    pid: str
    url: str
    alive: bool
    ready: bool
    detail: str  # the checks that failed, or why the service did not answer


def probe(url: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as resp:
            return resp.status, dict(json.load(resp))
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, dict(json.loads(exc.read() or b"{}"))
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError) as exc:
        return 0, {"error": str(getattr(exc, "reason", exc))}


def service_health(name: str, service: dict[str, int | str]) -> ServiceHealth:
    url = str(service["url"]).rstrip("/")
    alive_status, alive = probe(f"{url}/healthz")
    ready_status, ready = probe(f"{url}/readyz")
    failed = [check for check, ok in dict(ready.get("checks", {})).items() if not ok]
    detail = (
        f"not answering: {alive.get('error', alive_status)}"
        if alive_status == 0
        else f"failing: {', '.join(failed)}"
        if failed
        else ""
    )
    return ServiceHealth(
        name, str(service.get("pid", "")), url, alive_status == 200, ready_status == 200, detail
    )


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def show(running: state.StackState, out: TextIO) -> int:
    with ThreadPoolExecutor(max_workers=8) as pool:
        health = list(pool.map(lambda item: service_health(*item), sorted(running.services.items())))
    yes_no = {True: "yes", False: "NO"}
    rows = [["SERVICE", "PID", "URL", "ALIVE", "READY", "DETAIL"]]
    rows += [[h.name, h.pid, h.url, yes_no[h.alive], yes_no[h.ready], h.detail] for h in health]
    out.write(f"meterbot stack (supervisor pid {running.supervisor_pid})\n")
    out.write(f"  PostgreSQL {running.postgres_dsn.rsplit('@', 1)[-1]}   Kafka {running.kafka_bootstrap}\n")
    for key, value in sorted(running.extras.items()):
        if not key.endswith("_pid"):
            out.write(f"  {key}: {value}\n")
    out.write("\n" + table(rows) + "\n")
    return EXIT_OK if all(h.alive and h.ready for h in health) else EXIT_REFUSED


def run(_: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    running = state.read_running()
    if running is None:
        print(f"meterbot status: {NO_STACK}", file=sys.stderr)
        return EXIT_NO_STACK
    return show(running, out)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("status", help="the running stack and each service's health")
    parser.set_defaults(func=run)
