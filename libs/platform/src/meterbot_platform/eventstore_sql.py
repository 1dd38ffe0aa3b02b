"""The event store's schema and its two hot statements (append, load), kept apart from the Python
that calls them so each fits on a screen.

`streams` holds one row per stream, written in the same statement as the stream's events: its
version (the expected-version check is one conditional UPDATE/INSERT on it), the id of the
transaction that last appended (the per-stream order guard, see APPEND) and an optional snapshot."""

from __future__ import annotations

from meterbot_platform.migrations import Migration

NOTIFY_CHANNEL = "meterbot_events"

# The application_name of connections that only read events (outbox relays, projections: their
# transactions write views and checkpoints, never events). The horizon leaves their transactions
# out, and the events table refuses inserts from them, so leaving them out cannot skip an event.
# A connection keeps the name for life (set when it connects: db.create_reader_pool).
READER_APPLICATION = "meterbot-reader"

MIGRATIONS = (
    Migration(
        "platform/001_events",
        """
        CREATE TABLE events (
            position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            transaction_id  xid8 NOT NULL DEFAULT pg_current_xact_id(),
            stream_id       text NOT NULL,
            stream_version  integer NOT NULL CHECK (stream_version > 0),
            type            text NOT NULL,
            schema_version  integer NOT NULL,
            data            jsonb NOT NULL,
            metadata        jsonb NOT NULL,
            recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
            UNIQUE (stream_id, stream_version)
        );
        CREATE INDEX events_commit_order ON events (transaction_id, position);
        """,
    ),
    Migration(
        "platform/004_streams",
        """
        CREATE TABLE streams (
            stream_id            text PRIMARY KEY,
            version              integer NOT NULL CHECK (version > 0),
            last_transaction_id  xid8 NOT NULL,
            snapshot             jsonb,
            snapshot_version     integer NOT NULL DEFAULT 0,
            snapshot_schema      text,
            CHECK (snapshot_version <= version)
        );
        -- Backfill. Writers of the previous version do not maintain `streams`: stop them before
        -- this runs (no rolling update across it), or their streams would keep a stale version.
        INSERT INTO streams (stream_id, version, last_transaction_id)
        SELECT DISTINCT ON (stream_id) stream_id, stream_version, transaction_id
        FROM events ORDER BY stream_id, stream_version DESC;

        -- Part of a many-stream append claimed its streams and part did not: fail the statement so
        -- none of it stays (the caller retries its transaction whole).
        CREATE FUNCTION meterbot_claims_complete(wanted text[], claimed text[]) RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
            IF cardinality(claimed) = cardinality(wanted) THEN RETURN true; END IF;
            IF cardinality(claimed) = 0 THEN RETURN false; END IF;
            RAISE EXCEPTION 'streams moved on: %',
                (SELECT array_agg(w) FROM unnest(wanted) w WHERE w <> ALL (claimed))
                USING ERRCODE = 'serialization_failure';
        END $$;
        """,
    ),
    Migration(
        "platform/005_readers_cannot_append",
        f"""
        -- Once per statement, not per row: a reader's transaction is left out of the horizon
        -- (eventstore_sql.HORIZON), so it must never write an event.
        CREATE FUNCTION meterbot_refuse_reader_append() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('application_name') = '{READER_APPLICATION}' THEN
                RAISE EXCEPTION 'a reader connection (application_name %) cannot append events',
                    current_setting('application_name')
                    USING ERRCODE = 'read_only_sql_transaction';
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER events_not_from_readers BEFORE INSERT ON events
            FOR EACH STATEMENT EXECUTE FUNCTION meterbot_refuse_reader_append();
        """,
    ),
)

RECORDED = (
    "position, transaction_id::text::bigint AS transaction_id, stream_id, stream_version, type,"
    " schema_version, data::text AS data, metadata::text AS metadata, recorded_at"
)

# One round trip. A stream is claimed when its row still holds the expected version (UPDATE; a
# concurrent appender's UPDATE waits for ours and then finds the version moved) or, for expected
# 0, when no row exists (INSERT .. ON CONFLICT DO NOTHING waits for a concurrent creator the same
# way). Per-stream order guard: readers publish in transaction-id order, so a transaction whose id
# is older than the one that last appended to the stream must not append after it (it would come
# out first); it is refused like a stale version and the retry runs with a fresh, newer id.
# Events are written only when every stream was claimed; NOTIFY is folded to one per transaction.
# Existing stream rows are locked in id order first and new ones inserted in id order ($1 is
# sorted), so concurrent batches take their locks in one order.
APPEND = f"""
WITH want AS (
    SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::text[])
        AS w(stream_id, expected, version, snapshot, snapshot_schema)
), locked AS (  -- in stream-id order: two batches sharing streams never deadlock
    SELECT stream_id FROM streams WHERE stream_id = ANY($1::text[]) ORDER BY stream_id FOR UPDATE
), moved AS (
    UPDATE streams s SET
        version = w.version,
        last_transaction_id = CASE WHEN w.version > w.expected THEN pg_current_xact_id()
                                   ELSE s.last_transaction_id END,
        snapshot = coalesce(w.snapshot::jsonb, s.snapshot),
        snapshot_version = CASE WHEN w.snapshot IS NULL THEN s.snapshot_version ELSE w.version END,
        snapshot_schema = CASE WHEN w.snapshot IS NULL THEN s.snapshot_schema ELSE w.snapshot_schema END
    FROM want w JOIN locked l USING (stream_id)
    WHERE s.stream_id = w.stream_id AND w.expected > 0 AND s.version = w.expected
      AND (w.version = w.expected OR s.last_transaction_id <= pg_current_xact_id())
    RETURNING s.stream_id
), created AS (
    INSERT INTO streams (stream_id, version, last_transaction_id, snapshot, snapshot_version,
                         snapshot_schema)
    SELECT stream_id, version, pg_current_xact_id(), snapshot::jsonb,
           CASE WHEN snapshot IS NULL THEN 0 ELSE version END,
           CASE WHEN snapshot IS NULL THEN NULL ELSE snapshot_schema END
    FROM want WHERE expected = 0
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING stream_id
), ok AS (
    SELECT meterbot_claims_complete(
        (SELECT array_agg(stream_id) FROM want),
        coalesce((SELECT array_agg(stream_id) FROM (TABLE moved UNION ALL TABLE created) c), '{{}}')
    ) AS all_claimed
), written AS (
    INSERT INTO events (stream_id, stream_version, type, schema_version, data, metadata)
    SELECT s, v, t, sv, d::jsonb, m::jsonb
    FROM unnest($6::text[], $7::int[], $8::text[], $9::int[], $10::text[], $11::text[])
         WITH ORDINALITY AS x(s, v, t, sv, d, m, n)
    WHERE (SELECT all_claimed FROM ok)
    ORDER BY n
    RETURNING {RECORDED}
)
SELECT ok.all_claimed, w.*,
       CASE WHEN w.position IS NOT NULL THEN pg_notify('{NOTIFY_CHANNEL}', '') END AS notified
FROM ok LEFT JOIN written w ON true
ORDER BY w.position
"""

# On a refused append only: what the streams hold now (for the error message).
VERSIONS = "SELECT stream_id, version FROM streams WHERE stream_id = ANY($1::text[])"

# One query for many streams: each asked id once (with no events: version 0), its snapshot when
# saved under the asked schema (on the first row of the stream only), then the events after it.
# The events are a LATERAL subquery so that even a generic plan reads each stream's tail by index.
# LOAD_STATE asks for one stream: its generic plan is as good as a custom one, so after a few runs
# PostgreSQL stops planning it each time (most of the cost of a small load).
_LOAD = """
SELECT w.stream_id AS asked, coalesce(s.version, 0) AS at_version, u.from_version AS snapshot_version,
       CASE WHEN u.from_version > 0 AND (e.stream_version IS NULL OR e.stream_version = u.from_version + 1)
            THEN s.snapshot::text END AS snapshot,
       e.*
FROM {asked} AS w(stream_id)
LEFT JOIN streams s ON s.stream_id = w.stream_id
CROSS JOIN LATERAL (
    SELECT CASE WHEN s.snapshot IS NOT NULL AND s.snapshot_schema = $2 THEN s.snapshot_version ELSE 0 END
        AS from_version
) u
LEFT JOIN LATERAL (
    SELECT position, transaction_id::text::bigint AS transaction_id, stream_id, stream_version, type,
           schema_version, data::text AS data, metadata::text AS metadata, recorded_at
    FROM events
    WHERE events.stream_id = w.stream_id AND events.stream_version > u.from_version
    ORDER BY events.stream_version
) e ON true
ORDER BY w.stream_id, e.stream_version
"""
LOAD_STATES = _LOAD.format(asked="unnest($1::text[])")
LOAD_STATE = _LOAD.format(asked="(VALUES ($1::text))")

# The cut-off below which every transaction has ended, so nothing can still appear below a reader's
# cursor: the oldest transaction of this statement's snapshot that is still running, leaving out
# those that cannot write our events: the ones pg_stat_activity (or pg_prepared_xacts) shows in
# another database of the server (one `meterbot up` server holds every service's database), and
# the ones of reader connections (READER_APPLICATION: a projection or relay batch that is writing
# its view and checkpoint; the events table refuses their inserts). A reader's name is fixed when
# it connects, so any transaction id seen on such a backend is a reader's, however stale the view.
# A running transaction found in neither view counts, so a doubt delays an event, never skips one.
HORIZON = f"""
horizon AS MATERIALIZED (
    SELECT least(
        pg_snapshot_xmax(pg_current_snapshot()),
        (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
         WHERE x::xid NOT IN (
             SELECT backend_xid FROM pg_stat_activity
             WHERE backend_xid IS NOT NULL
               AND (datid <> (SELECT oid FROM pg_database WHERE datname = current_database())
                    OR application_name = '{READER_APPLICATION}')
             UNION ALL
             SELECT transaction FROM pg_prepared_xacts WHERE database <> current_database())
        )
    ) AS cut
)"""

READ_COMMITTED = f"""
WITH {HORIZON}
SELECT {RECORDED} FROM events
WHERE (transaction_id, position) > ($1::text::xid8, $2::bigint)
  AND transaction_id < (SELECT cut FROM horizon)
ORDER BY events.transaction_id, events.position  -- the table columns: uses the index
LIMIT $3
"""

# How long the transaction at the cut-off has been running (0: none is holding it back).
HORIZON_AGE = f"""
WITH {HORIZON}
SELECT coalesce(extract(epoch FROM now() - min(t.started)), 0)::float8
FROM (SELECT xact_start AS started, backend_xid AS x FROM pg_stat_activity
      UNION ALL SELECT prepared, transaction FROM pg_prepared_xacts) AS t, horizon
WHERE t.x = horizon.cut::xid
"""
