"""`meterbot period close YYYY-MM [--force]`: make a billing period final. billing-export records
PeriodClosed; readings then refuses readings and withdrawals for it, and residents who handed in
readings for it are told. The period under way is closed only with --force (residents are still
handing in); one that has not begun never. Closing again changes nothing and says when it was closed.

The service is found like `meterbot export` finds it. Exit code: 0 closed (or already closed),
1 refused, 2 usage error, 3 no running stack or the service unreachable."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from meterbot.commands import EXIT_OK, nested_command
from meterbot.commands.export import ExportFailed, period_argument, request, service_url


def close_period(url: str, period: str, *, force: bool) -> dict[str, Any]:
    """POST the close; reports it on stderr; ExportFailed (exit code 1) if the service refused."""
    with request(f"{url}/exports/{period}/close{'?force=1' if force else ''}", "POST") as resp:
        closed = dict(json.load(resp))
    how = "closed" if closed["closed_now"] else "was already closed"
    print(
        f"period {closed['period']} {how} at {closed['closed_at']}: {closed['readings_count']} readings",
        file=sys.stderr,
    )
    return closed


def run(args: argparse.Namespace) -> int:
    try:
        close_period(service_url(), args.period, force=args.force)
    except ExportFailed as exc:
        hint = " (add --force to close the period under way)" if "period_is_current" in str(exc) else ""
        print(f"meterbot period close: {exc}{hint}", file=sys.stderr)
        return exc.code
    return EXIT_OK


def register(subparsers: Any) -> None:
    close = nested_command(
        subparsers,
        "period close",
        group_help="billing periods (close one: make it final)",
        help="close a billing period: readings for it become final",
        doc=__doc__,
    )
    close.add_argument("period", type=period_argument, help="billing period, YYYY-MM")
    close.add_argument("--force", action="store_true", help="close even the period under way")
    close.set_defaults(func=run)
