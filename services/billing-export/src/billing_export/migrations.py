"""billing-export's own schema, after the platform's (events, checkpoints, inbox).

Write side: indexes that let a handler load only what it decides on from a period stream (the last
BillingReading of one meter, the PeriodClosed) instead of folding up to a million events.
Read side (ExportView projection, rebuildable): export_lines, the reading that counts per meter and
period, and export_periods, the closed ones."""

from __future__ import annotations

from meterbot_platform.migrations import Migration

MIGRATIONS = (
    Migration(
        "billing_export/001_period_stream_indexes",
        """
        CREATE INDEX events_billing_reading_meter
            ON events (stream_id, (data->>'meter_id'), stream_version DESC)
            WHERE type = 'BillingReading';
        CREATE INDEX events_period_closed ON events (stream_id) WHERE type = 'PeriodClosed';
        """,
    ),
    Migration(
        "billing_export/002_export_view",
        """
        CREATE TABLE export_lines (
            period          text NOT NULL,
            meter_id        text NOT NULL,
            account_number  text NOT NULL,
            meter_type      text NOT NULL,
            value           numeric NOT NULL,
            submitted_at    timestamptz NOT NULL,
            reading_id      uuid NOT NULL,
            PRIMARY KEY (period, meter_id)
        );
        CREATE INDEX export_lines_order ON export_lines (period, account_number, meter_id);
        CREATE TABLE export_periods (
            period          text PRIMARY KEY,
            closed_at       timestamptz NOT NULL,
            readings_count  integer NOT NULL
        );
        """,
    ),
)
