"""accounts domain: surname rule, account aggregate, per-chat link lockout (no I/O)."""

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
from accounts.domain.surname import SurnameKeyring, normalize_surname, surname_digest, surname_matches

__all__ = [
    "AccountEvent",
    "AccountState",
    "LinkAttemptPolicy",
    "LinkAttempts",
    "LinkLockedOut",
    "SurnameKeyring",
    "decide_link",
    "decide_registration",
    "decide_unlink",
    "evolve",
    "fold",
    "normalize_surname",
    "surname_digest",
    "surname_matches",
]
