"""`meterbot export --period YYYY-MM [--format csv|json] [--output FILE] [--no-close]`: close a billing
period and download its export from the billing-export service (one accepted reading per meter).

Closing makes the period final: readings refuses further readings and withdrawals for it, and the
export downloaded right after is complete. --no-close only downloads what the period holds now (the
period stays open). The file is streamed to stdout or FILE (written as FILE.part and renamed when
complete, so a broken download never leaves a truncated FILE behind).

The service is found by METERBOT_BILLING_EXPORT_URL, else by a running `meterbot up` on this machine.
Exit code: 0 done, 1 the service refused (e.g. a period that has not begun), 2 usage or connection
error."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, BinaryIO

from meterbot import state

EXIT_OK, EXIT_REFUSED, EXIT_ERROR = 0, 1, 2
PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
CHUNK = 1 << 20
TIMEOUT = 120.0  # seconds without a byte from the service


class ExportFailed(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="close a billing period and download its readings (CSV or JSON)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--period", required=True, type=_period, help="billing period, YYYY-MM")
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="default: csv")
    parser.add_argument("--output", type=Path, help="write to FILE instead of stdout")
    parser.add_argument("--no-close", action="store_true", help="download only; leave the period open")
    parser.set_defaults(func=run)


def _period(text: str) -> str:
    if not PERIOD.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a period YYYY-MM")
    return text


def service_url() -> str:
    """METERBOT_BILLING_EXPORT_URL, else the billing-export of a running `meterbot up`."""
    if url := os.environ.get("METERBOT_BILLING_EXPORT_URL"):
        return url.rstrip("/")
    running = state.read_running()
    if running and "billing-export" in running.services:
        return str(running.services["billing-export"]["url"]).rstrip("/")
    raise ExportFailed(
        "no billing-export service found: run `meterbot up` or set METERBOT_BILLING_EXPORT_URL"
    )


def run(args: argparse.Namespace) -> int:
    try:
        url = service_url()
        if not args.no_close:
            _report_close(_close(url, args.period))
        _download(url, args.period, args.format, args.output)
    except ExportFailed as exc:
        print(f"meterbot export: {exc}", file=sys.stderr)
        return exc.code
    return EXIT_OK


def _request(url: str, method: str = "GET") -> Any:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace").strip()
        code = EXIT_REFUSED if 400 <= exc.code < 500 else EXIT_ERROR
        raise ExportFailed(f"{method} {url}: HTTP {exc.code} {detail}", code) from None
    except OSError as exc:  # URLError, refused, timed out
        raise ExportFailed(f"{method} {url}: {exc}") from None


def _close(url: str, period: str) -> dict[str, Any]:
    with _request(f"{url}/exports/{period}/close", "POST") as resp:
        return dict(json.load(resp))


def _report_close(closed: dict[str, Any]) -> None:
    how = "closed" if closed["closed_now"] else "was already closed"
    print(
        f"period {closed['period']} {how} at {closed['closed_at']}: {closed['readings_count']} readings",
        file=sys.stderr,
    )


def _download(url: str, period: str, fmt: str, output: Path | None) -> None:
    started = time.perf_counter()
    with _request(f"{url}/exports/{period}.{fmt}") as resp:
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
