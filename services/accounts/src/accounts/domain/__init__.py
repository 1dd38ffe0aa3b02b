"""accounts domain: surname rule, account aggregate, per-chat link lockout, registry CSV (no I/O)."""

from accounts.domain.account import (
    AccountEvent,
    AccountState,
    decide_link,
    decide_registration,
    decide_unlink,
    evolve,
    fold,
)
from accounts.domain.link_attempts import LinkAttemptPolicy, LinkAttempts, LinkLockedOut
from accounts.domain.registry_csv import REGISTRY_HEADER, RegistryParseResult, RowError, parse_registry_csv
from accounts.domain.surname import normalize_surname, surname_digest, surname_matches

__all__ = [
    "REGISTRY_HEADER",
    "AccountEvent",
    "AccountState",
    "LinkAttemptPolicy",
    "LinkAttempts",
    "LinkLockedOut",
    "RegistryParseResult",
    "RowError",
    "decide_link",
    "decide_registration",
    "decide_unlink",
    "evolve",
    "fold",
    "normalize_surname",
    "parse_registry_csv",
    "surname_digest",
    "surname_matches",
]
