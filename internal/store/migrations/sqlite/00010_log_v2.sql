-- The audit log, version 2 (issues 11, 12, 17): entries are sealed in the
-- database and published in the Merkle log only as salted commitments;
-- they are sequenced in the transaction of the change they record and
-- integrated into the tree in batches; each records the digests of the rows
-- its transaction wrote (row_changes collects them, through triggers the
-- store installs on every recorded table).
--
-- A deployment whose log holds version-1 entries (public JSON leaves) is
-- refused before this migration runs (store.refuseV1Log), since dropping
-- them would lose its audit trail.

-- +goose Up
DROP INDEX events_message;
DROP TABLE events;
DROP TABLE log_leaves;
DROP TABLE log_hashes;
DROP TABLE checkpoints;

CREATE TABLE log_entries (
    seq          INTEGER PRIMARY KEY,    -- sequence, in the order the transactions appended
    leaf         BIGINT UNIQUE,          -- the leaf index, once integrated
    message_id   TEXT,                   -- for reading a message's entries; NULL for the deployment's own
    commitment   BLOB NOT NULL,          -- the leaf data: SHA-256("dissent leaf v2\n" || salt || payload)
    sealed       BLOB NOT NULL,          -- salt || payload, sealed under the log's data key
    actor_sealed BLOB                    -- a protected event's actor, sealed under the message's key
);
CREATE INDEX log_entries_message ON log_entries(message_id, seq);
CREATE INDEX log_entries_pending ON log_entries(seq) WHERE leaf IS NULL;

CREATE TABLE log_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);

CREATE TABLE checkpoints (
    size    INTEGER PRIMARY KEY,
    note    BLOB NOT NULL,
    created BIGINT NOT NULL
);

-- The log's data key, wrapped like a message's.
CREATE TABLE log_keys (
    id      TEXT PRIMARY KEY,
    kek_id  TEXT NOT NULL,
    wrapped BLOB NOT NULL
);

-- Rows written by the transaction under way (filled by triggers, emptied
-- before it commits).
CREATE TABLE row_changes (
    tbl TEXT NOT NULL,
    k   TEXT NOT NULL
);

-- +goose Down
DROP TABLE row_changes;
DROP TABLE log_keys;
DROP TABLE checkpoints;
DROP TABLE log_hashes;
DROP TABLE log_entries;
-- The version-1 log's tables, empty, so that 00001's Down finds them.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,  -- the leaf index
    at           BIGINT NOT NULL,
    actor_id     INTEGER,
    actor_sealed BLOB,
    actor_role   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    message_id   TEXT,
    detail       TEXT NOT NULL
);
CREATE INDEX events_message ON events(message_id, id);

-- The RFC 6962 Merkle log: leaf data, and the stored hashes of
-- golang.org/x/mod/sumdb/tlog (every complete subtree, by stored index).
CREATE TABLE log_leaves (
    idx  INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE log_hashes (
    idx  INTEGER PRIMARY KEY,
    hash BLOB NOT NULL
);
CREATE TABLE checkpoints (
    size    INTEGER PRIMARY KEY,
    note    BLOB NOT NULL,
    created BIGINT NOT NULL
);
