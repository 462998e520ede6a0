-- +goose Up
-- A counter of changes to submitted messages' metadata, bumped in the
-- transaction of each change, and which message each change was to: a
-- process may keep the metadata listing of the inbox and the statistics in
-- memory while the counter it read with them is still the one in the
-- database, and refresh only the messages changed since. Bumps are
-- serialized by the counter's row, so the changes are numbered in commit
-- order. One row, id 1, made on first use (a fresh database holds no rows,
-- as restore requires); old changes are pruned.
CREATE TABLE meta_version (
    id INTEGER PRIMARY KEY,
    n  BIGINT NOT NULL
);
CREATE TABLE meta_changes (
    n          BIGINT PRIMARY KEY,
    message_id TEXT NOT NULL
);

-- +goose Down
DROP TABLE meta_changes;
DROP TABLE meta_version;
