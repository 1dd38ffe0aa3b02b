"""The outbound queue's tables (appended to the gateway's migrations as one migration)."""

from __future__ import annotations

from meterbot_platform.migrations import Migration

OUTBOUND_MIGRATION = Migration(
    "gateway/outbound_queue",
    """
    -- Messages nobody asked for (status pushes, reminders, notices, news), sent at Telegram's pace.
    -- A row is pending until sent_at or given_up_at is set; lease_until marks one a sender has taken
    -- (another replica skips it until the lease ends: a sender that died gives it back that way).
    CREATE TABLE outbound_messages (
        id           bigserial PRIMARY KEY,
        dedupe_key   text NOT NULL UNIQUE,
        chat_id      bigint NOT NULL,
        text         text NOT NULL,
        markup       jsonb,
        enqueued_at  timestamptz NOT NULL DEFAULT now(),
        not_before   timestamptz NOT NULL DEFAULT now(),
        lease_until  timestamptz,
        attempts     integer NOT NULL DEFAULT 0,
        sent_at      timestamptz,
        given_up_at  timestamptz,
        last_error   text
    );
    CREATE INDEX outbound_messages_due ON outbound_messages (not_before, id)
        WHERE sent_at IS NULL AND given_up_at IS NULL;
    CREATE INDEX outbound_messages_chat ON outbound_messages (chat_id);
    -- Per chat: no send before next_at (1 message/s per chat; also held while one is in flight).
    CREATE TABLE outbound_chats (
        chat_id bigint PRIMARY KEY,
        next_at timestamptz NOT NULL
    );
    -- Per bot: the shared send clock of all replicas (a GCRA "theoretical arrival time").
    CREATE TABLE outbound_pace (
        name    text PRIMARY KEY,
        next_at timestamptz NOT NULL
    );
    INSERT INTO outbound_pace (name, next_at) VALUES ('bot', now());
    """,
)
