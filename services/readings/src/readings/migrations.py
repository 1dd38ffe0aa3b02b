"""readings' own tables, after the platform's (events, checkpoints, inbox).

Write side, kept in the same transaction as the message that changes them (inbox-protected):
- account_meters: the meters the registry last listed per account (the closing rule needs them);
- chat_links: which chats are linked to which accounts (from accounts' AccountLinked/Unlinked);
- closed_periods: periods billing-export has exported (PeriodClosed).
Read side (projections of the meter streams, rebuildable):
- period_readings: the reading that counts per meter and period;
- meter_history: every accepted reading of a meter and what became of it."""

from __future__ import annotations

from meterbot_platform.archive_table import create_archive_table
from meterbot_platform.migrations import Migration

MIGRATIONS = (
    Migration(
        "readings/001_write_side",
        """
        CREATE TABLE account_meters (
            account_number  text NOT NULL,
            meter_id        text NOT NULL,
            PRIMARY KEY (account_number, meter_id)
        );
        CREATE TABLE chat_links (
            chat_id         bigint NOT NULL,
            account_number  text NOT NULL,
            linked_at       timestamptz NOT NULL,
            PRIMARY KEY (chat_id, account_number)
        );
        CREATE TABLE closed_periods (
            period          text PRIMARY KEY,
            closed_at       timestamptz NOT NULL
        );
        """,
    ),
    Migration(
        "readings/002_views",
        """
        CREATE TABLE period_readings (
            meter_id        text NOT NULL,
            period          text NOT NULL,
            account_number  text NOT NULL,
            meter_type      text NOT NULL,
            reading_id      uuid NOT NULL,
            value           numeric NOT NULL,
            previous_value  numeric,
            submitted_at    timestamptz NOT NULL,
            PRIMARY KEY (meter_id, period)
        );
        CREATE INDEX period_readings_account ON period_readings (account_number, period);
        CREATE TABLE meter_history (
            reading_id      uuid PRIMARY KEY,
            meter_id        text NOT NULL,
            account_number  text NOT NULL,
            meter_type      text NOT NULL,
            period          text NOT NULL,
            value           numeric NOT NULL,
            previous_value  numeric,
            submitted_at    timestamptz NOT NULL,
            status          text NOT NULL CHECK (status IN ('current', 'replaced', 'withdrawn')),
            status_changed_at timestamptz,
            position        bigint NOT NULL  -- of the ReadingAccepted in the store: the order of events
        );
        CREATE INDEX meter_history_meter ON meter_history (meter_id, position);
        """,
    ),
    Migration(
        "readings/003_history_refused",
        """
        -- a reading billing refused because its period had closed (ReadingReconciled)
        ALTER TABLE meter_history DROP CONSTRAINT meter_history_status_check;
        ALTER TABLE meter_history ADD CONSTRAINT meter_history_status_check
            CHECK (status IN ('current', 'replaced', 'withdrawn', 'refused'));
        """,
    ),
    Migration(
        "readings/archive_001_meter_archive",
        # the archive (readings.archive): one value per meter, month and source (a reading of ours,
        # the registry's last_value); rebuildable from the meter streams
        create_archive_table("meter_archive"),
    ),
)
