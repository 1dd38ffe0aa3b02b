"""`meterbot export --period YYYY-MM [--format csv|json] [--output FILE] [--close [--force]]`: download
a billing period's export from the billing-export service (one accepted reading per meter).

Exporting changes nothing: the period stays open and the file holds what it has now. --close first
closes the period (as `meterbot period close` does), making it final: readings refuses further
readings and withdrawals for it, residents with readings in it are told, and the export downloaded
right after is complete. The current period is closed only with --force. The file is streamed to
stdout or FILE (written as FILE.part and renamed when complete, so a broken download never leaves a
truncated FILE behind).

The service is found by METERBOT_BILLING_EXPORT_URL, else by a running `meterbot up` on this machine.
Exit code: 0 done, 1 refused (a period not begun, the current one without --force), 2 usage error,
3 no running stack or the service unreachable."""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

from meterbot import state
from meterbot.commands import EXIT_NO_STACK, EXIT_OK, EXIT_REFUSED, NO_STACK, command

CHUNK = 1 << 20
TIMEOUT = 120.0  # seconds without a byte from the service
TOKEN_VARIABLE = "METERBOT_BILLING_EXPORT_TOKEN"  # sent as a bearer token when set


class ExportFailed(Exception):
    def __init__(self, message: str, code: int = EXIT_NO_STACK) -> None:
        super().__init__(message)
        self.code = code


def register(subparsers: Any) -> None:
    parser = command(
        subparsers,
        "export",
        help="download a billing period's readings (CSV or JSON); --close makes it final first",
        doc=__doc__,
    )
    parser.add_argument("--period", required=True, type=period_argument, help="billing period, YYYY-MM")
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    parser.add_argument("--output", type=Path, help="write to FILE instead of stdout")
    parser.add_argument("--close", action="store_true", help="close the period first (final, residents told)")
    parser.add_argument("--force", action="store_true", help="with --close: close even the current period")
    parser.add_argument("--no-close", action="store_true", help=argparse.SUPPRESS)  # the old default, kept
    parser.set_defaults(func=run)


def period_argument(text: str) -> str:
    from meterbot_contracts.period import is_period

    if not is_period(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a period YYYY-MM (month 01..12)")
    return text


def service_url() -> str:
    """METERBOT_BILLING_EXPORT_URL, else the billing-export of a running `meterbot up`."""
    if url := os.environ.get("METERBOT_BILLING_EXPORT_URL"):
        return url.rstrip("/")
    running = state.read_running()
    if running and "billing-export" in running.services:
        return str(running.services["billing-export"]["url"]).rstrip("/")
    raise ExportFailed(f"{NO_STACK} (or set METERBOT_BILLING_EXPORT_URL)")


def run(args: argparse.Namespace) -> int:
    from meterbot.commands.period import close_period

    try:
        url = service_url()
        if args.close:
            close_period(url, args.period, force=args.force)
        _download(url, args.period, args.format, args.output)
    except ExportFailed as exc:
        print(f"meterbot export: {exc}", file=sys.stderr)
        return exc.code
    return EXIT_OK


def request(url: str, method: str = "GET") -> Any:
    try:
        headers = {"Authorization": f"Bearer {token}"} if (token := os.environ.get(TOKEN_VARIABLE)) else {}
        return urllib.request.urlopen(
            urllib.request.Request(url, method=method, headers=headers), timeout=TIMEOUT
        )
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()
        code = EXIT_REFUSED if 400 <= exc.code < 500 else EXIT_NO_STACK
        raise ExportFailed(f"{method} {url}: HTTP {exc.code} {detail}", code) from None
    except OSError as exc:  # URLError, refused, timed out
        raise ExportFailed(f"{method} {url}: {exc}") from None


def _download(url: str, period: str, fmt: str, output: Path | None) -> None:
    started = time.perf_counter()
    with request(f"{url}/exports/{period}.{fmt}") as resp:
        count, status = (
            resp.headers.get("X-Meterbot-Readings-Count"),
            resp.headers.get("X-Meterbot-Period-Status"),
        )
        if output is None:
            size = _copy(resp, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            part = output.with_name(output.name + ".part")
            try:
                with part.open("wb") as file:
                    size = _copy(resp, file)
                part.replace(output)
            finally:
                part.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    where = output or "stdout"
    print(
        f"{count} readings of {period} ({status}), {size / 1e6:.1f} MB to {where} in {seconds:.2f} s",
        file=sys.stderr,
    )


def _copy(resp: Any, out: BinaryIO) -> int:
    size = 0
    try:
        while chunk := resp.read(CHUNK):
            out.write(chunk)
            size += len(chunk)
    except (OSError, http.client.HTTPException) as exc:  # IncompleteRead: the stream was cut short
        raise ExportFailed(f"download broken off after {size} bytes: {exc!r}") from None
    return size


def main(argv: list[str] | None = None) -> int:
    """`python -m meterbot.commands.export ARGS`: the same command, without the `meterbot` front."""
    parser = argparse.ArgumentParser(prog="meterbot")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["export", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
