"""Gateway migrations (database `gateway`). Forward-only: a change is a new migration."""

from __future__ import annotations

from meterbot_platform.archive_table import create_archive_table
from meterbot_platform.migrations import Migration

from telegram_gateway.notices.store import NOTICES_MIGRATION
from telegram_gateway.outbound.schema import OUTBOUND_MIGRATION

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "gateway/001_read_model",
        """
        CREATE TABLE rm_chats (
            chat_id        bigint PRIMARY KEY,
            user_id        bigint,
            language       text,
            registered_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE rm_accounts (
            account_number text PRIMARY KEY,
            address        text NOT NULL DEFAULT ''
        );
        CREATE TABLE rm_links (
            chat_id        bigint NOT NULL,
            account_number text NOT NULL,
            address        text NOT NULL DEFAULT '',
            linked_at      timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (chat_id, account_number)
        );
        CREATE INDEX rm_links_account ON rm_links (account_number);
        CREATE TABLE rm_meters (
            meter_id        text PRIMARY KEY,
            account_number  text NOT NULL,
            meter_type      text NOT NULL,
            serial_number   text NOT NULL DEFAULT '',
            verified_until  date,
            last_value      numeric,
            last_value_date date,
            closed          boolean NOT NULL DEFAULT false
        );
        CREATE INDEX rm_meters_account ON rm_meters (account_number);
        -- Every accepted reading; the one a resident sees for (meter, period) is status 'current'.
        CREATE TABLE rm_readings (
            reading_id     uuid PRIMARY KEY,
            meter_id       text NOT NULL,
            account_number text NOT NULL,
            period         text NOT NULL,
            value          numeric NOT NULL,
            submitted_at   timestamptz NOT NULL,
            status         text NOT NULL CHECK (status IN ('current', 'superseded', 'withdrawn'))
        );
        CREATE UNIQUE INDEX rm_readings_current ON rm_readings (meter_id, period) WHERE status = 'current';
        """,
    ),
    Migration(
        "gateway/002_pending_requests",
        """
        -- A command waiting for its answering event (matched by correlation id). Shared by replicas,
        -- so whichever one consumes the event can answer; survives restarts.
        CREATE TABLE pending_requests (
            correlation_id text PRIMARY KEY,
            chat_id        bigint NOT NULL,
            kind           text NOT NULL,
            locale         text NOT NULL,
            data           jsonb NOT NULL DEFAULT '{}',
            started_at     timestamptz NOT NULL,
            deadline       timestamptz NOT NULL,
            timed_out      boolean NOT NULL DEFAULT false
        );
        CREATE INDEX pending_requests_deadline ON pending_requests (deadline) WHERE NOT timed_out;
        CREATE INDEX pending_requests_started ON pending_requests (started_at);
        """,
    ),
    Migration(
        "gateway/003_fsm",
        """
        CREATE TABLE fsm_states (
            bot_id      bigint NOT NULL,
            chat_id     bigint NOT NULL,
            user_id     bigint NOT NULL,
            thread_id   bigint NOT NULL DEFAULT 0,
            business    text NOT NULL DEFAULT '',
            destiny     text NOT NULL DEFAULT 'default',
            state       text,
            data        jsonb NOT NULL DEFAULT '{}',
            updated_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (bot_id, chat_id, user_id, thread_id, business, destiny)
        );
        """,
    ),
    Migration(
        "gateway/004_admin_relay",
        """
        -- Which resident a message forwarded to the admin chat came from (the admin replies to it).
        CREATE TABLE admin_relay (
            admin_chat_id    bigint NOT NULL,
            admin_message_id bigint NOT NULL,
            resident_chat_id bigint NOT NULL,
            locale           text NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (admin_chat_id, admin_message_id)
        );
        """,
    ),
    Migration(
        "gateway/005_readings_refused",
        """
        -- a reading billing refused because its period had closed first (ReadingReconciled)
        ALTER TABLE rm_readings DROP CONSTRAINT rm_readings_status_check;
        ALTER TABLE rm_readings ADD CONSTRAINT rm_readings_status_check
            CHECK (status IN ('current', 'superseded', 'withdrawn', 'refused'));
        """,
    ),
    Migration(
        "gateway/006_bot_notes",
        """
        -- The chat's link lockout as accounts reported it (AccountLinkRefused.locked_until), so the
        -- bot says so before asking for a number and a surname.
        CREATE TABLE rm_link_locks (
            chat_id      bigint PRIMARY KEY,
            locked_until timestamptz NOT NULL
        );
        -- The phone a resident shared, shown to the administrator (personal data: deleted with the
        -- resident on ResidentErased).
        CREATE TABLE resident_contacts (
            chat_id    bigint PRIMARY KEY,
            phone      text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        -- Periods billing-export closed (PeriodClosed): no meter takes a reading for them any more.
        CREATE TABLE rm_closed_periods (
            period    text PRIMARY KEY,
            closed_at timestamptz NOT NULL
        );
        -- Group chats told once that the bot works in private chats only.
        CREATE TABLE group_chats_told (
            chat_id bigint PRIMARY KEY,
            told_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        "gateway/007_pending_command",
        """
        -- The command itself (topic, key, envelope), so that it can be published again at start:
        -- the local broker keeps messages in memory only, and a process may die between
        -- remembering a request and publishing it. Rows from before this migration have none.
        ALTER TABLE pending_requests
            ADD COLUMN command_topic text,
            ADD COLUMN command_key   text,
            ADD COLUMN command       bytea;
        """,
    ),
    Migration(
        "gateway/archive_001_rm_archive",
        # The archive (readmodel/archive.py): one value per meter, month and source, as readings'
        # meter_archive (same table and rule: meterbot_platform.archive_table, meterbot_contracts.archive),
        # from the same events.
        create_archive_table("rm_archive")
        + """
        -- what the read model already holds (its events were consumed before this table existed):
        -- the readings that count, and each meter's latest registry value
        INSERT INTO rm_archive
        SELECT r.meter_id, r.period, 'reading', r.account_number, m.meter_type, r.value, r.reading_id,
               r.submitted_at
        FROM rm_readings r JOIN rm_meters m ON m.meter_id = r.meter_id
        WHERE r.status = 'current';
        INSERT INTO rm_archive
        SELECT meter_id, to_char(last_value_date, 'YYYY-MM'), 'registry', account_number, meter_type,
               last_value, NULL, last_value_date::timestamp AT TIME ZONE 'UTC'
        FROM rm_meters WHERE last_value IS NOT NULL AND last_value_date IS NOT NULL;
        """,
    ),
    OUTBOUND_MIGRATION,
    NOTICES_MIGRATION,
    Migration(
        "gateway/h14_meter_initial_value",
        """
        -- A meter that replaced another starts from the registry's initial value (MeterRegisteredV2):
        -- the prompt's previous value while there is no last value (meterbot_contracts.previous_value).
        ALTER TABLE rm_meters ADD COLUMN initial_value numeric;
        """,
    ),
    Migration(
        "gateway/015_balances_news_admin",
        """
        -- issue 15. The latest balance billing stated per account (BalanceRecorded; the newest as-of
        -- kept here too, whatever order the events come in).
        CREATE TABLE rm_balances (
            account_number text PRIMARY KEY,
            amount_due     numeric NOT NULL,
            currency       text NOT NULL,
            as_of          date NOT NULL,
            due_date       date
        );
        -- News items the administrator published (withdrawn ones kept, flagged), and who wants them pushed.
        CREATE TABLE rm_news (
            news_id       uuid PRIMARY KEY,
            text          text NOT NULL,
            published_at  timestamptz NOT NULL,
            withdrawn     boolean NOT NULL DEFAULT false
        );
        CREATE INDEX rm_news_published ON rm_news (published_at DESC) WHERE NOT withdrawn;
        CREATE TABLE news_subscribers (
            chat_id    bigint PRIMARY KEY,
            since      timestamptz NOT NULL DEFAULT now()
        );
        -- The language a resident chose with /language (else Telegram's language_code is used).
        CREATE TABLE chat_languages (
            chat_id  bigint PRIMARY KEY,
            locale   text NOT NULL
        );
        -- The owner's surname masked («И*****»), from the surname a resident typed when the link was
        -- accepted (accounts keeps only a digest): «Абонент» shows it.
        CREATE TABLE rm_account_owners (
            account_number text PRIMARY KEY,
            owner_masked   text NOT NULL
        );
        """,
    ),
    Migration(
        "gateway/016_reading_photos",
        """
        -- issue 14 item 6. The bytes of photos residents sent as evidence, by their SHA-256 (the
        -- digest the ReadingPhotoSubmitted command carries), stored before the command goes out;
        -- size-limited by METERBOT_PHOTO_MAX_BYTES before they get here.
        CREATE TABLE photo_blobs (
            sha256     text PRIMARY KEY,
            data       bytea NOT NULL,
            size       integer NOT NULL,
            stored_at  timestamptz NOT NULL DEFAULT now()
        );
        -- Which photo readings attached to which reading (ReadingPhotoAttached): the latest one wins.
        CREATE TABLE reading_photos (
            reading_id   uuid PRIMARY KEY,
            sha256       text NOT NULL,
            file_id      text NOT NULL,
            chat_id      bigint,
            meter_id     text NOT NULL,
            attached_at  timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX reading_photos_sha256 ON reading_photos (sha256);
        """,
    ),
)
