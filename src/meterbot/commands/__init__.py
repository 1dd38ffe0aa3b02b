"""Subcommands beside `up`; each module has `register(subparsers)`.

Every `meterbot` command exits with one of these codes (README, "Exit codes"):"""

EXIT_OK = 0  # done
EXIT_REFUSED = 1  # done in part, or refused: bad rows (the good accounts are published), a period the
# service will not close, the current period without --force, a service of the stack not ready
EXIT_USAGE = 2  # bad arguments (argparse exits 2 too) or an unreadable input file
EXIT_NO_STACK = 3  # nothing to talk to: no running stack and no settings, or the broker/service unreachable

NO_STACK = "no running stack; start it with `meterbot up`"
