"""Subcommands beside `up`/`status`; each module has `register(subparsers)`."""
