"""accounts' own tables, after the platform's (events, checkpoints, inbox).

Read side (projections of the account streams, rebuildable):
- chat_accounts: the accounts linked to each chat, with the address the registry gives."""

from __future__ import annotations

from meterbot_platform.migrations import Migration

MIGRATIONS = (
    Migration(
        "accounts/001_chat_accounts",
        """
        CREATE TABLE chat_accounts (
            chat_id         bigint NOT NULL,
            account_number  text NOT NULL,
            address         text NOT NULL,
            linked_at       timestamptz NOT NULL,
            PRIMARY KEY (chat_id, account_number)
        );
        CREATE INDEX chat_accounts_account ON chat_accounts (account_number);
        """,
    ),
    Migration(
        "accounts/002_link_refusals_by_account",
        # the per-account lockout counts an account's wrong pairs across every chat's stream
        """
        CREATE INDEX events_link_refused_account ON events ((data->>'account_number'), position)
            WHERE type = 'AccountLinkRefused';
        """,
    ),
    Migration(
        "accounts/003_links_by_chat",
        # erasure finds every account a chat was linked to
        """
        CREATE INDEX events_linked_chat ON events ((data->>'chat_id')) WHERE type = 'AccountLinked';
        """,
    ),
)
