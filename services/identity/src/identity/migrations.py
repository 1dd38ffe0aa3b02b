"""identity's own tables, after the platform's (events, checkpoints, inbox).

Write side, kept in the same transaction as the command that changes it (inbox-protected):
- resident_keys: each resident's data key; deleting the row is the erasure (crypto-shredding).
Read side (projection of the resident streams, rebuildable, no personal data):
- residents: status, language and dates per chat."""

from __future__ import annotations

from meterbot_platform.migrations import Migration

MIGRATIONS = (
    Migration(
        "identity/001_resident_keys",
        """
        CREATE TABLE resident_keys (
            chat_id     bigint PRIMARY KEY,
            key_id      uuid NOT NULL UNIQUE,
            key         bytea NOT NULL CHECK (length(key) = 32),
            created_at  timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        "identity/002_residents",
        """
        CREATE TABLE residents (
            chat_id        bigint PRIMARY KEY,
            status         text NOT NULL CHECK (status IN ('new', 'registered', 'erased')),
            user_id        bigint,
            language       text,
            registered_at  timestamptz,
            erased_at      timestamptz,
            updated_at     timestamptz NOT NULL
        );
        """,
    ),
)
