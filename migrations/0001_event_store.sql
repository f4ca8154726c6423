-- The postgres-es event store, plus what a catch-up reader needs to follow every event in commit-safe
-- order: a global position and the id of the transaction that wrote the row (see DESIGN-NOTES §1).
-- postgres-es inserts named columns, so the extra columns with defaults are invisible to it.
-- No unique constraint besides the primary key: postgres-es reports every 23505 as a concurrency conflict.

CREATE TABLE events
(
    aggregate_type  text   NOT NULL,
    aggregate_id    text   NOT NULL,
    sequence        bigint NOT NULL CHECK (sequence >= 0),
    event_type      text   NOT NULL,
    event_version   text   NOT NULL,
    payload         jsonb  NOT NULL,
    metadata        jsonb  NOT NULL,
    global_position bigint GENERATED ALWAYS AS IDENTITY,
    transaction_id  xid8   NOT NULL DEFAULT pg_current_xact_id(),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregate_type, aggregate_id, sequence)
);

-- The catch-up reader's cursor is the pair (transaction_id, global_position).
CREATE INDEX events_commit_order ON events (transaction_id, global_position);

-- Kept for compatibility with postgres-es; rollcall runs without snapshots (cqrs-es 0.5.0 double-applies).
CREATE TABLE snapshots
(
    aggregate_type   text   NOT NULL,
    aggregate_id     text   NOT NULL,
    last_sequence    bigint NOT NULL CHECK (last_sequence >= 0),
    current_snapshot bigint NOT NULL CHECK (current_snapshot >= 0),
    payload          jsonb  NOT NULL,
    PRIMARY KEY (aggregate_type, aggregate_id, last_sequence)
);
