-- +goose Up
-- A counter of changes to submitted messages' metadata, bumped in the
-- transaction of each change: a process may keep the metadata listing of
-- the inbox and the statistics in memory while the counter it read with
-- them is still the one in the database. One row, id 1, made on first use
-- (a fresh database holds no rows, as restore requires).
CREATE TABLE meta_version (
    id INTEGER PRIMARY KEY,
    n  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE meta_version;
