"""Subcommands beside `up`; each module has `register(subparsers)`.

Every `meterbot` command exits with one of these codes (README, "Exit codes"):"""

import argparse
from typing import Any

EXIT_OK = 0  # done
EXIT_REFUSED = 1  # done in part, or refused: bad rows (the good accounts are published), a period the
# service will not close, the current period without --force, a service of the stack not ready
EXIT_USAGE = 2  # bad arguments (argparse exits 2 too) or an unreadable input file
EXIT_NO_STACK = 3  # nothing to talk to: no running stack and no settings, or the broker/service unreachable

NO_STACK = "no running stack; start it with `meterbot up`"


def command(subparsers: Any, name: str, *, help: str, doc: str | None) -> argparse.ArgumentParser:
    """`meterbot <name>`: its parser, whose --help shows `doc` (its module's docstring) as written."""
    return subparsers.add_parser(  # type: ignore[no-any-return]
        name, help=help, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )


def nested_command(
    subparsers: Any, words: str, *, group_help: str, help: str, doc: str | None
) -> argparse.ArgumentParser:
    """`meterbot <group> <name>` (words: "group name"; the group requires a subcommand): the
    subcommand's parser, whose --help shows `doc` (its module's docstring) as written."""
    group, name = words.split()
    commands = subparsers.add_parser(group, help=group_help).add_subparsers(
        dest=f"{group}_command", required=True
    )
    return command(commands, name, help=help, doc=doc)
