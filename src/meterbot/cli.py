"""The `meterbot` command."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Collection

from meterbot import state

# meterbot/commands/<name>.py, each with register()
COMMAND_MODULES: tuple[str, ...] = (
    "status",
    "registry",
    "export",
    "period",
    "topics",
    "resident",
    "balances",
    "news",
)


def _up(args: argparse.Namespace) -> int:
    from meterbot import readiness

    try:
        readiness.ready_timeout()
    except ValueError as exc:
        print(f"meterbot up: {exc}", file=sys.stderr)
        return 2
    # the first line at once: the imports below and the database's first start take a while
    logging.getLogger("meterbot.up").info(
        "starting meterbot (METERBOT_HOME=%s): database, broker, then the services", state.home()
    )
    from meterbot.services import parse_replicas
    from meterbot.stack import Stack

    try:
        replicas = parse_replicas(args.replicas)
    except ValueError as exc:
        print(f"meterbot up: --replicas: {exc}", file=sys.stderr)
        return 2
    return Stack(state.home(), port_base=args.port_base, replicas=replicas).run(demo=args.demo)


def _wanted_commands(argv: list[str], built_in: Collection[str]) -> tuple[str, ...]:
    """The command modules to import: only the one named (each pulls in contracts, Kafka, the
    domain: seconds of CPU), none for a command built in here, every one for help or a typo."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first in COMMAND_MODULES:
        return (first,)
    return () if first in built_in else COMMAND_MODULES


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meterbot", description="meterbot: utility meter readings bot")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the whole stack on this machine (Ctrl-C stops it)")
    up.add_argument(
        "--port-base",
        type=int,
        default=int(os.environ.get("METERBOT_PORT_BASE", "8100")),
        help="services listen on base+1..base+5; 0 picks free ports (default 8100)",
    )
    up.add_argument(
        "--demo", action="store_true", help="import a small sample registry so the bot can be tried at once"
    )
    up.add_argument(
        "--replicas",
        action="append",
        default=[],
        metavar="SERVICE=N",
        help="run N processes of a service in one consumer group, e.g. readings=2 (repeatable)",
    )
    up.set_defaults(func=_up)
    for name in _wanted_commands(sys.argv[1:] if argv is None else argv, set(sub.choices)):
        importlib.import_module(f"meterbot.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    # embedded PostgreSQL asks platformdirs for a runtime dir; without XDG_RUNTIME_DIR (a container,
    # su, cron) it warns and uses /tmp, which is fine: not worth a newcomer's attention
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    args = build_parser(argv).parse_args(argv)
    sys.exit(args.func(args))
